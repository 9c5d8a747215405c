# The flags of run and create, checked through the request bodies docker sends
mkdir -p host && echo from-host > host/file && printf 'A=1\n# comment\nB=two words\nC\n' > env.list && printf 'team=core\n' > labels.list
docker create --name f1 -i -t --rm -e FOO=bar -e EMPTY= -w /tmp -h myhost -u nobody --entrypoint /bin/sh --restart no busybox -c 'echo hi'
docker create --name f2 --restart on-failure:3 -m 64m -c 512 --memory-swap 128m --pids-limit 50 --cpus 1.5 --privileged --read-only -l a=1 --label b=2 --label-file labels.list busybox
docker create --name f3 -v /data -v vol2:/vol -v /tmp/record/host:/h:ro -v ./host:/rel --volumes-from f2 -p 8080:80 -p 127.0.0.1:9000:9000/udp -P --expose 7000-7001 busybox
docker create --name f4 --link f3:db --net none -a stdout -a stderr --env-file env.list busybox env
docker create --name f5 --network host --dns 8.8.8.8 --dns-search example.com --add-host h:10.0.0.1 --cap-add net_admin --cap-drop MKNOD --tmpfs /run:size=64k --ulimit nofile=1024:2048 --shm-size 128m --stop-signal SIGINT --stop-timeout 5 --init busybox
docker create --name f6 --health-cmd 'true' --health-interval 5s --health-retries 2 --log-driver none --security-opt no-new-privileges --sysctl net.ipv4.ip_forward=1 --oom-score-adj 100 --memory-swappiness 10 --mount type=volume,src=v3,dst=/m --mount type=bind,src=/tmp,dst=/t,readonly busybox
docker create --name f7 --no-healthcheck --entrypoint= --ipc host --pid host --uts host --userns host --cgroupns private --group-add 10 --device /dev/null:/dev/mynull:rw --mac-address 02:42:ac:11:00:99 busybox
docker create --name f8 --network bridge --ip 172.31.0.50 busybox
docker create --name f9 -l 'bad label' busybox
docker create --name f10 --dns notanip busybox
docker create --name f11 --add-host bad busybox
docker create --name f12 --ulimit bad busybox
docker create --name f13 --mount type=volume busybox
docker create --name f14 --device-cgroup-rule bad busybox
docker create --name f15 --env-file nosuch.list busybox
docker create --name f16 --sysctl kernel.foo=1 busybox
docker create --name f17 --health-cmd true --no-healthcheck busybox
docker create --name f18 --network-alias x busybox
docker create --name f19 --security-opt bad busybox
docker create --name f20 --log-driver none --log-opt a=b busybox
docker create --name f21 --expose 80:80 busybox
docker create --name f22 --cpus 1.23456789999 busybox
docker create --name f23 -p 70000:80 busybox
docker create --name f24 --mac-address bad busybox
docker inspect -f '{{.HostConfig.Binds}} {{.Config.Volumes}} {{.HostConfig.VolumesFrom}}' f3
docker inspect -f '{{.HostConfig.PortBindings}} {{.Config.ExposedPorts}} {{.HostConfig.PublishAllPorts}}' f3
docker inspect -f '{{.Config.Env}} {{.Config.Labels}} {{.HostConfig.Links}} {{.HostConfig.NetworkMode}}' f4
docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.CpuShares}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}} {{.HostConfig.Privileged}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.RestartPolicy}}' f2
docker inspect -f '{{.Config.Entrypoint}} {{.Config.Cmd}} {{.Config.Tty}} {{.Config.OpenStdin}} {{.Config.StdinOnce}} {{.Config.User}} {{.Config.WorkingDir}} {{.Config.Hostname}} {{.HostConfig.AutoRemove}}' f1
docker inspect -f '{{.HostConfig.Dns}} {{.HostConfig.DnsSearch}} {{.HostConfig.ExtraHosts}} {{.HostConfig.CapAdd}} {{.HostConfig.CapDrop}} {{.HostConfig.Tmpfs}} {{.HostConfig.Ulimits}} {{.Config.StopSignal}} {{.Config.StopTimeout}} {{.HostConfig.Init}}' f5
docker inspect -f '{{.Config.Healthcheck}} {{.HostConfig.LogConfig}} {{.HostConfig.SecurityOpt}} {{.HostConfig.Sysctls}} {{.HostConfig.Mounts}}' f6
docker ps -a --format 'table {{.Names}}\t{{.Command}}\t{{.Status}}\t{{.Ports}}\t{{.Mounts}}'
docker ps -a --filter status=created --filter name=f1 -q
docker ps -a --filter 'label=a=1' --format '{{.Names}} {{.Labels}}'
docker rm -f -v f1 f2 f3 f4 f5 f6 f7 f8
docker run -a stdout busybox sh -c 'echo out; echo err >&2'
docker run -a stderr busybox sh -c 'echo out; echo err >&2'
docker run --rm -u nobody busybox id
docker run --rm --read-only busybox touch /x
docker run --rm -v /tmp/record/host:/h:ro busybox sh -c 'cat /h/file; touch /h/new'
docker run --rm --net none busybox ip -o link
docker run --rm --env-file env.list busybox env
docker run --rm -t busybox sh -c 'echo tty; echo err >&2'
docker run --rm -i -t busybox true
docker ps -a -q
