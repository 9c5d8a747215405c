# docker attach and docker port
docker run -d --name a1 busybox sh -c 'sleep 2; echo attached; echo to-err >&2; exit 5'
docker attach a1
docker attach a1
docker run -d --name a2 busybox sleep 300
docker pause a2
docker attach a2
docker unpause a2
docker attach nosuch
docker run -d --name web -p 8080:80 -p 127.0.0.1:9090:90/udp busybox httpd -f -p 80
docker port web
docker port web 80
docker port web 80/tcp
docker port web 90/udp
docker port web 81
docker port web x
docker port nosuch
docker run -d -P --expose 5000 --name pub busybox sleep 300
docker port pub 5000
docker port a2
docker rm -f a1 a2 web pub
