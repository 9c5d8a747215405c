# Container lifecycle, after shared/reference/scenarios/01-lifecycle.sh
docker run busybox echo hello world
docker run --name first busybox echo named
docker ps
docker ps -a
docker ps -a --format '{{.Names}} {{.Status}} {{.Command}}'
docker create --name made busybox sleep 300
docker ps -a --filter name=made --format '{{.Names}} {{.Status}}'
docker start made
docker ps --format '{{.Names}} {{.Status}}'
docker pause made
docker ps --format '{{.Names}} {{.Status}}'
docker ps
docker unpause made
docker stop -t 1 made
docker ps -a --filter name=made --format '{{.Names}} {{.Status}}'
docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' made
docker run -d --name bg busybox sh -c 'echo out; echo err >&2; sleep 300'
sleep 1
docker logs bg
docker logs --tail 1 bg
docker logs -t bg
docker top bg
docker top bg -o pid,args
docker kill bg
docker wait bg
docker rename bg bg2
docker ps -a --format '{{.Names}}'
docker rm first
docker rm first
docker rm made bg2
docker run --rm busybox sh -c 'exit 3'
docker ps -aq
docker run --name first busybox true
docker run --name first busybox true
docker create --name first busybox true
docker run -h myhost --rm busybox hostname
docker run --rm -e FOO=bar -w /tmp busybox sh -c 'echo $FOO; pwd'
docker run --rm busybox sh -c 'echo to-out; echo to-err >&2'
docker run --rm busybox nosuchcmd
docker run --rm busybox /etc
docker run --rm busybox /nosuch
docker run --rm --entrypoint echo busybox overridden entrypoint
docker run -d --name dnosuch busybox nosuchcmd
docker start dnosuch
docker start first dnosuch
docker rm -f dnosuch first nosuch
docker stop nosuch
docker kill nosuch other
docker wait nosuch
docker logs nosuch
docker top nosuch
docker pause nosuch
docker rename nosuch x
# stdin: hello from stdin\nsecond line\n
docker run --rm -i busybox cat
# stdin: piped\n
docker run --rm -i busybox sh -c 'cat; echo done'
docker run -d --name web -p 8080:80 -p 9000-9001:9000-9001/udp --expose 7000 -l app=web -l tier=front busybox sleep 300
docker ps
docker ps --no-trunc
docker ps -s
docker ps --format 'table {{.Names}}\t{{.Ports}}\t{{.Labels}}\t{{.Label "app"}}'
docker ps --format '{{json .}}'
docker ps --format json
docker ps -q --format '{{.Names}}'
docker ps -l
docker ps -n 1 --format '{{.Names}}'
docker ps --format '{{.Nope}}'
docker ps --format '{{'
docker container ls --format 'table {{.ID}}\t{{.Mounts}}\t{{.Networks}}\t{{.LocalVolumes}}\t{{.State}}'
docker exec web echo exec works
docker exec web sh -c 'exit 4'
docker exec -e X=1 -w /tmp web sh -c 'echo $X; pwd'
docker exec web nosuchcmd
docker exec nosuch true
docker exec -d web true
docker rm web
docker rm -f web
docker run nosuchimage
docker run -q nosuchimage
docker pull nosuchimage
docker pull -q nosuchimage
docker run --pull never nosuchimage
