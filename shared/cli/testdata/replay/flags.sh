# Bad flags and arguments: what the docker CLI says before asking the engine
docker --foo
docker -H
docker nosuch
docker container nosuch
docker image nosuch
docker ps x
docker ps -n x
docker rm
docker logs
docker logs a b
docker rename a
docker commit
docker commit a b c
docker exec
docker top
docker images a b
docker pull
docker wait
docker inspect
docker run
docker run --foo busybox
docker run -m abc busybox
docker run --cpus abc busybox
docker run -p 80:80:80:80 busybox
docker run -p foo busybox
docker run --expose 1:2 busybox
docker run --restart always --rm busybox
docker run --restart on-failure:x busybox
docker run --pull foo busybox
docker run -e =x busybox
docker run -a foo busybox
docker run -d -a stdout busybox
docker run -it busybox true
docker run -v '' busybox
docker run --memory-swappiness 200 busybox
docker run BusyBox
docker run busybox:bad:tag
docker create BusyBox
docker rm ''
docker stop -t x made
docker kill -s FOO nosuch
docker --version
docker -v
docker help nosuch
docker history
docker tag a
docker save
docker load x
docker images --tree
docker images --tree -q
docker run --annotation a=b busybox
docker run --cpu-count 1 --cpu-percent 5 busybox
docker start --checkpoint x made
docker history --platform linux/amd64 busybox
docker run --health-start-interval 1s busybox
docker rmi --platform linux/amd64 busybox
