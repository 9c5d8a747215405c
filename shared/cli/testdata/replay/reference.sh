# The answers of shared/reference/engine-api-1.41, served by testdata/record/fixtures.go
docker ps
docker ps -a --no-trunc
docker ps -s
docker ps --format '{{.Names}}|{{.Ports}}|{{.Mounts}}|{{.Networks}}|{{.Labels}}|{{.State}}|{{.Status}}|{{.Image}}'
docker ps --format json
docker ps --format 'table {{.ID}}\t{{.CreatedAt}}'
docker images
docker images --no-trunc
docker images --format json
docker images --format '{{.Repository}} {{.Tag}} {{.ID}} {{.CreatedSince}} {{.CreatedAt}} {{.Size}} {{.Containers}} {{.SharedSize}} {{.UniqueSize}} {{.VirtualSize}} {{.Digest}}'
docker images --digests
docker history busybox
docker history --no-trunc busybox
docker history -H=false busybox
docker history --format json busybox
docker history --format '{{.ID}} {{.CreatedAt}} {{.CreatedSince}}' busybox
docker inspect web
docker inspect --format json web
docker inspect -f '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.MacAddress}}' web
docker inspect -f '{{.Config.ExposedPorts}}' web
docker inspect -f '{{.HostConfig.PortBindings}}' web
docker inspect -f '{{.NetworkSettings.Ports}}' web
docker inspect -f '{{json .NetworkSettings.Networks}}' web
docker inspect -f '{{.NetworkSettings.Networks.bridge.IPAddress}}' web
docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}} {{$v.IPAMConfig}} {{$v.Aliases}}{{end}}' web
docker inspect -f '{{.Mounts}}' web
docker inspect -f '{{json .HostConfig}}' web
docker inspect -f '{{.State}}' web
docker inspect -f '{{json .State}}' web
docker inspect -f '{{.Config}}' web
docker inspect -f '{{json .Config}}' web
docker inspect -f '{{json .}}' web
docker inspect -f '{{.GraphDriver}}' web
docker inspect -f '{{.HostConfig.Dns}} {{.HostConfig.MemorySwappiness}} {{.HostConfig.PidsLimit}} {{.HostConfig.OomKillDisable}} {{.HostConfig.ConsoleSize}} {{.HostConfig.LogConfig}}' web
docker inspect -f '{{.ExecIDs}} {{.Args}} {{.Path}} {{.Created}} {{.Platform}} {{.Driver}}' web
docker inspect busybox
docker inspect -f '{{json .}}' busybox
docker inspect -f '{{.Config}}' busybox
docker inspect -f '{{.ContainerConfig}}' busybox
docker inspect -f '{{.Metadata}} {{.RootFS}} {{.GraphDriver.Name}} {{.VirtualSize}} {{.Size}}' busybox
docker image inspect -f '{{.RepoTags}} {{.RepoDigests}} {{.Created}} {{.Os}}' busybox
docker inspect web busybox
docker inspect -f '{{.Id}}' web busybox
docker inspect nosuch
docker container inspect nosuch
docker image inspect nosuch
docker diff web
docker version
docker version --format '{{json .}}'
docker version --format '{{.Server.Version}} {{.Client.APIVersion}}'
docker info
docker info --format '{{.NCPU}} {{.MemTotal}} {{.Name}}'
docker info --format '{{json .Plugins}}'
docker info --format json
