# start -a/-i, restart, logs options, wait, kill -s
docker create --name s1 busybox sh -c 'echo started; echo oops >&2; exit 2'
docker start -a s1
docker start -a s1 s1
# stdin: typed into cat\n
docker create -i --name s2 busybox cat
# stdin: typed into cat\n
docker start -ai s2
docker start s1 nosuch
docker restart -t 1 s1
docker wait s1 s1
docker wait s1 nosuch s1
docker logs s1
docker logs -f s1
docker logs -n 2 s1
docker logs --tail 0 s1
docker logs --since 2000-01-01 s1
docker logs --until 2000-01-01 s1
docker logs --since nonsense s1
docker logs --details s1
docker stop s1
docker run -d --name s3 busybox sleep 300
docker kill -s HUP s3
docker kill -s SIGKILL s3
docker kill s3
docker restart s3
docker stop -s SIGTERM -t 1 s3
docker stop --time 1 s3
docker stop -t 1 --time 1 s3
docker rm -v s1 s2 s3
docker run -d --rm --name s4 busybox true
docker run --rm -d busybox sh -c 'exit 1'
docker run -t busybox sh -c 'printf "a\nb\n"'
docker run -d -t --name s5 busybox sh -c 'echo tty-log; sleep 300'
sleep 1
docker logs s5
docker exec -t s5 sh -c 'echo exec-tty'
docker rm -f s5
