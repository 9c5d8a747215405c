# Images, history, commit, tag, rmi, inspect; after shared/reference/scenarios/03-commit-history.sh
docker images
docker images -q
docker images --no-trunc
docker images --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}'
docker images --format json
docker images --digests
docker images -a
docker image ls busybox
docker images nosuch
docker images inspect
docker history busybox
docker history --no-trunc busybox
docker history -H=false busybox
docker history -q busybox
docker history --format '{{.CreatedBy}}|{{.Size}}|{{.Comment}}' busybox
docker history --format json busybox
docker history nosuch
docker run --name c1 busybox sh -c 'echo hi > /hello.txt'
docker commit -m 'add hello' -a 'Ann <ann@example.com>' c1 hello:v1
docker history hello:v1
docker history hello:v1 --format '{{.CreatedBy}}|{{.Size}}|{{.Comment}}'
docker run --name c2 hello:v1 rm /hello.txt
docker commit --change 'CMD ["cat","/etc/hostname"]' --change 'ENV A=1' c2 hello:v2
docker commit c2
docker commit c2 Bad:Ref
docker commit nosuch x
docker inspect -f '{{.Config.Cmd}} {{.Config.Env}}' hello:v2
docker inspect -f '{{len .RootFS.Layers}}' hello:v2
docker images
docker tag hello:v2 example/hello:latest
docker tag hello:v2 example/hello:latest
docker tag nosuch x
docker tag hello:v2 Bad
docker images
docker images --format '{{.Repository}}:{{.Tag}}'
docker rmi hello:v1
docker rmi -f hello:v1
docker rmi example/hello
docker rmi nosuch
docker rmi -f nosuch
docker image inspect -f '{{.Author}}' hello:v2
docker image inspect -f '{{.Comment}}|{{.Parent}}|{{.Os}}/{{.Architecture}}' hello:v2
docker image inspect nosuch
docker image rm hello:v2
docker rm c1 c2
docker rmi hello:v2
docker images
