# docker inspect: JSON, templates on typed values, the raw fallback, kinds and errors
docker run -d --name web -p 8080:80 -e A=1 -v vol1:/data --restart on-failure:2 busybox sh -c 'touch /new; sleep 300'
docker inspect -f '{{.State.Status}} {{.State.Running}} {{.RestartCount}} {{.Name}}' web
docker inspect -f '{{.Config.ExposedPorts}}' web
docker inspect -f '{{.HostConfig.PortBindings}}' web
docker inspect -f '{{.NetworkSettings.Ports}}' web
docker inspect -f '{{.Config.Env}} {{.Config.Cmd}} {{.Config.Image}}' web
docker inspect -f '{{.HostConfig.RestartPolicy}} {{.HostConfig.RestartPolicy.Name}}' web
docker inspect -f '{{.Mounts}}' web
docker inspect -f '{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.RW}}{{end}}' web
docker inspect -f '{{json .Config.ExposedPorts}}' web
docker inspect -f '{{json .HostConfig.Binds}} {{json .Config.Labels}}' web
docker inspect -f '{{.HostConfig.Dns}} {{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}' web
docker inspect -f '{{.NoSuchField}}' web
docker inspect -f '{{.Config.NoSuchField}}' web
docker inspect -f '{{' web
docker inspect -f '{{.Name}}' web nosuch
docker inspect -f '{{upper .Name}} {{lower "ABC"}} {{title "hello world"}} {{split "a,b" ","}} {{join .Config.Cmd "+"}} {{truncate .Name 3}} {{pad .Name 1 2}}|' web
docker inspect -f '{{println .Name}}{{printf "%q" .Path}}' web
docker inspect --format json web
docker inspect web
docker inspect busybox
docker container inspect -f '{{.Name}}' web
docker container inspect busybox
docker image inspect web
docker inspect --type image web
docker inspect --type container -f '{{.Name}}' web
docker inspect --type foo web
docker inspect --type= web
docker inspect -s -f '{{.SizeRw}} {{.SizeRootFs}}' web
docker inspect -s -f '{{.Id}}' busybox
docker inspect nosuch
docker inspect -f '{{.Name}}' nosuch1 nosuch2
docker inspect -f '{{.Config.Cmd}}' busybox
docker inspect -f '{{.ContainerConfig.Cmd}}' busybox
docker inspect -f '{{.Config.Volumes}} {{.Config.ExposedPorts}} {{.Config.Labels}}' busybox
docker diff web
docker diff nosuch
docker rm -f -v web
