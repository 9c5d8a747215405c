# Help and usage
docker
docker --help
docker help
docker help run
docker run --help
docker create --help
docker ps --help
docker container
docker container --help
docker image
docker container ls --help
docker images --help
docker exec --help
docker logs --help
docker inspect --help
docker start --help
docker stop --help
docker rm --help
docker rmi --help
docker commit --help
docker history --help
docker pull --help
docker save --help
docker load --help
docker version --help
docker info --help
docker tag --help
docker top --help
docker wait --help
docker kill --help
docker pause --help
docker rename --help
docker diff --help
docker restart --help
docker image inspect --help
docker container inspect --help
docker -h
docker run -h
