# Pulls from a local registry (docker-registry on 127.0.0.1:5000 holding busybox as latest and v2)
docker rmi busybox
docker pull 127.0.0.1:5000/busybox
docker pull 127.0.0.1:5000/busybox
docker pull 127.0.0.1:5000/busybox:v2
docker images
docker images --digests
docker rmi 127.0.0.1:5000/busybox:v2 127.0.0.1:5000/busybox
docker run --rm 127.0.0.1:5000/busybox echo pulled by run
docker rmi 127.0.0.1:5000/busybox
docker create -q --name q1 127.0.0.1:5000/busybox:v2
docker rm q1
docker rmi 127.0.0.1:5000/busybox:v2
docker pull -q 127.0.0.1:5000/busybox
docker rmi 127.0.0.1:5000/busybox
docker run -d --pull always --name p1 127.0.0.1:5000/busybox true
docker rm -f p1
docker pull -a 127.0.0.1:5000/busybox
docker pull -a 127.0.0.1:5000/busybox:v2
docker pull 127.0.0.1:5000/nosuch
docker pull 127.0.0.1:5000/busybox:nosuchtag
docker run --rm 127.0.0.1:5000/nosuch
docker pull Bad
docker pull 127.0.0.1:5000/busybox@sha256:c20a33999fd735cc16f96d6d0504f75b4e9897bf7ea90d94b12b2e7ebf4650c2
docker tag 127.0.0.1:5000/busybox busybox
docker rmi 127.0.0.1:5000/busybox 127.0.0.1:5000/busybox:v2
docker images
