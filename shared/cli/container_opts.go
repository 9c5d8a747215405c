package cli

// The flags of `docker run` and `docker create` and their translation into
// the container's configuration, adapted from
// github.com/docker/cli/cli/command/container/opts.go (v28.2.2), Apache
// License 2.0.

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/spf13/pflag"
)

// containerOptions holds the values of the container flags.
type containerOptions struct {
	attach             *listOpts
	volumes            *listOpts
	tmpfs              *listOpts
	mounts             *mountOpt
	blkioWeightDevice  *weightDeviceOpt
	deviceReadBps      *throttleDeviceOpt
	deviceWriteBps     *throttleDeviceOpt
	links              *listOpts
	aliases            *listOpts
	linkLocalIPs       *listOpts
	deviceReadIOps     *throttleDeviceOpt
	deviceWriteIOps    *throttleDeviceOpt
	env                *listOpts
	labels             *listOpts
	deviceCgroupRules  *listOpts
	devices            *listOpts
	gpus               *gpuOpts
	ulimits            *ulimitOpt
	sysctls            *mapOpts
	publish            *listOpts
	expose             *listOpts
	dns                *listOpts
	dnsSearch          *listOpts
	dnsOptions         *listOpts
	extraHosts         *listOpts
	volumesFrom        *listOpts
	envFile            *listOpts
	capAdd             *listOpts
	capDrop            *listOpts
	groupAdd           *listOpts
	securityOpt        *listOpts
	storageOpt         *listOpts
	labelsFile         *listOpts
	loggingOpts        *listOpts
	privileged         bool
	pidMode            string
	utsMode            string
	usernsMode         string
	cgroupnsMode       string
	publishAll         bool
	stdin              bool
	tty                bool
	oomKillDisable     bool
	oomScoreAdj        int
	containerIDFile    string
	entrypoint         string
	hostname           string
	domainname         string
	memory             memBytes
	memoryReservation  memBytes
	memorySwap         memSwapBytes
	kernelMemory       memBytes
	user               string
	workingDir         string
	cpuCount           int64
	cpuShares          int64
	cpuPercent         int64
	cpuPeriod          int64
	cpuRealtimePeriod  int64
	cpuRealtimeRuntime int64
	cpuQuota           int64
	cpus               nanoCPUs
	cpusetCpus         string
	cpusetMems         string
	blkioWeight        uint16
	ioMaxBandwidth     memBytes
	ioMaxIOps          uint64
	swappiness         int64
	netMode            *networkOpt
	macAddress         string
	ipv4Address        string
	ipv6Address        string
	ipcMode            string
	pidsLimit          int64
	restartPolicy      string
	readonlyRootfs     bool
	loggingDriver      string
	cgroupParent       string
	volumeDriver       string
	stopSignal         string
	stopTimeout        int
	isolation          string
	shmSize            memBytes
	noHealthcheck      bool
	healthCmd          string
	healthInterval     time.Duration
	healthTimeout      time.Duration
	healthStartPeriod  time.Duration
	healthStartIntvl   time.Duration
	healthRetries      int
	runtime            string
	autoRemove         bool
	init               bool
	annotations        *mapOpts

	Image string
	Args  []string
}

// addContainerFlags adds the flags of run and create.
func (c *dockerCLI) addContainerFlags(flags *pflag.FlagSet) *containerOptions {
	co := &containerOptions{
		aliases:           newListOpts(nil, nil),
		attach:            newListOpts(nil, validateAttach),
		blkioWeightDevice: &weightDeviceOpt{values: []*blkiodev.WeightDevice{}},
		capAdd:            newListOpts(nil, nil),
		capDrop:           newListOpts(nil, nil),
		dns:               newListOpts(nil, validateIPAddress),
		dnsOptions:        newListOpts(nil, nil),
		dnsSearch:         newListOpts(nil, validateDNSSearch),
		deviceCgroupRules: newListOpts(nil, validateDeviceCgroupRule),
		deviceReadBps:     &throttleDeviceOpt{},
		deviceReadIOps:    &throttleDeviceOpt{iops: true},
		deviceWriteBps:    &throttleDeviceOpt{},
		deviceWriteIOps:   &throttleDeviceOpt{iops: true},
		devices:           newListOpts(nil, nil),
		env:               newListOpts(nil, lookupEnv(c.getenv)),
		envFile:           newListOpts(nil, nil),
		expose:            newListOpts(nil, nil),
		extraHosts:        newListOpts(nil, validateExtraHost),
		gpus:              &gpuOpts{},
		groupAdd:          newListOpts(nil, nil),
		labels:            newListOpts(nil, validateLabel),
		labelsFile:        newListOpts(nil, nil),
		linkLocalIPs:      newListOpts(nil, nil),
		links:             newListOpts(nil, validateLink),
		loggingOpts:       newListOpts(nil, nil),
		mounts:            &mountOpt{abs: c.abs},
		netMode:           &networkOpt{},
		publish:           newListOpts(nil, nil),
		securityOpt:       newListOpts(nil, nil),
		storageOpt:        newListOpts(nil, nil),
		sysctls:           newMapOpts(validateSysctl),
		tmpfs:             newListOpts(nil, nil),
		ulimits:           newUlimitOpt(),
		volumes:           newListOpts(nil, nil),
		volumesFrom:       newListOpts(nil, nil),
		annotations:       newMapOpts(nil),
	}

	// General purpose flags
	flags.VarP(co.attach, "attach", "a", "Attach to STDIN, STDOUT or STDERR")
	flags.Var(co.deviceCgroupRules, "device-cgroup-rule", "Add a rule to the cgroup allowed devices list")
	flags.Var(co.devices, "device", "Add a host device to the container")
	flags.Var(co.gpus, "gpus", "GPU devices to add to the container ('all' to pass all GPUs)")
	_ = flags.SetAnnotation("gpus", "version", []string{"1.40"})
	flags.VarP(co.env, "env", "e", "Set environment variables")
	flags.Var(co.envFile, "env-file", "Read in a file of environment variables")
	flags.StringVar(&co.entrypoint, "entrypoint", "", "Overwrite the default ENTRYPOINT of the image")
	flags.Var(co.groupAdd, "group-add", "Add additional groups to join")
	flags.StringVarP(&co.hostname, "hostname", "h", "", "Container host name")
	flags.StringVar(&co.domainname, "domainname", "", "Container NIS domain name")
	flags.BoolVarP(&co.stdin, "interactive", "i", false, "Keep STDIN open even if not attached")
	flags.VarP(co.labels, "label", "l", "Set meta data on a container")
	flags.Var(co.labelsFile, "label-file", "Read in a line delimited file of labels")
	flags.BoolVar(&co.readonlyRootfs, "read-only", false, "Mount the container's root filesystem as read only")
	flags.StringVar(&co.restartPolicy, "restart", string(container.RestartPolicyDisabled), "Restart policy to apply when a container exits")
	flags.StringVar(&co.stopSignal, "stop-signal", "", "Signal to stop the container")
	flags.IntVar(&co.stopTimeout, "stop-timeout", 0, "Timeout (in seconds) to stop a container")
	_ = flags.SetAnnotation("stop-timeout", "version", []string{"1.25"})
	flags.Var(co.sysctls, "sysctl", "Sysctl options")
	flags.BoolVarP(&co.tty, "tty", "t", false, "Allocate a pseudo-TTY")
	flags.Var(co.ulimits, "ulimit", "Ulimit options")
	flags.StringVarP(&co.user, "user", "u", "", "Username or UID (format: <name|uid>[:<group|gid>])")
	flags.StringVarP(&co.workingDir, "workdir", "w", "", "Working directory inside the container")
	flags.BoolVar(&co.autoRemove, "rm", false, "Automatically remove the container and its associated anonymous volumes when it exits")

	// Security
	flags.Var(co.capAdd, "cap-add", "Add Linux capabilities")
	flags.Var(co.capDrop, "cap-drop", "Drop Linux capabilities")
	flags.BoolVar(&co.privileged, "privileged", false, "Give extended privileges to this container")
	flags.Var(co.securityOpt, "security-opt", "Security Options")
	flags.StringVar(&co.usernsMode, "userns", "", "User namespace to use")
	flags.StringVar(&co.cgroupnsMode, "cgroupns", "", `Cgroup namespace to use (host|private)
'host':    Run the container in the Docker host's cgroup namespace
'private': Run the container in its own private cgroup namespace
'':        Use the cgroup namespace as configured by the
           default-cgroupns-mode option on the daemon (default)`)
	_ = flags.SetAnnotation("cgroupns", "version", []string{"1.41"})

	// Network and port publishing flag
	flags.Var(co.extraHosts, "add-host", "Add a custom host-to-IP mapping (host:ip)")
	flags.Var(co.dns, "dns", "Set custom DNS servers")
	flags.Var(co.dnsOptions, "dns-opt", "Set DNS options")
	flags.Var(co.dnsOptions, "dns-option", "Set DNS options")
	_ = flags.MarkHidden("dns-opt")
	flags.Var(co.dnsSearch, "dns-search", "Set custom DNS search domains")
	flags.Var(co.expose, "expose", "Expose a port or a range of ports")
	flags.StringVar(&co.ipv4Address, "ip", "", "IPv4 address (e.g., 172.30.100.104)")
	flags.StringVar(&co.ipv6Address, "ip6", "", "IPv6 address (e.g., 2001:db8::33)")
	flags.Var(co.links, "link", "Add link to another container")
	flags.Var(co.linkLocalIPs, "link-local-ip", "Container IPv4/IPv6 link-local addresses")
	flags.StringVar(&co.macAddress, "mac-address", "", "Container MAC address (e.g., 92:d0:c6:0a:29:33)")
	flags.VarP(co.publish, "publish", "p", "Publish a container's port(s) to the host")
	flags.BoolVarP(&co.publishAll, "publish-all", "P", false, "Publish all exposed ports to random ports")
	flags.Var(co.netMode, "net", "Connect a container to a network")
	flags.Var(co.netMode, "network", "Connect a container to a network")
	_ = flags.MarkHidden("net")
	flags.Var(co.aliases, "net-alias", "Add network-scoped alias for the container")
	flags.Var(co.aliases, "network-alias", "Add network-scoped alias for the container")
	_ = flags.MarkHidden("net-alias")

	// Logging and storage
	flags.StringVar(&co.loggingDriver, "log-driver", "", "Logging driver for the container")
	flags.StringVar(&co.volumeDriver, "volume-driver", "", "Optional volume driver for the container")
	flags.Var(co.loggingOpts, "log-opt", "Log driver options")
	flags.Var(co.storageOpt, "storage-opt", "Storage driver options for the container")
	flags.Var(co.tmpfs, "tmpfs", "Mount a tmpfs directory")
	flags.Var(co.volumesFrom, "volumes-from", "Mount volumes from the specified container(s)")
	flags.VarP(co.volumes, "volume", "v", "Bind mount a volume")
	flags.Var(co.mounts, "mount", "Attach a filesystem mount to the container")

	// Health-checking
	flags.StringVar(&co.healthCmd, "health-cmd", "", "Command to run to check health")
	flags.DurationVar(&co.healthInterval, "health-interval", 0, "Time between running the check (ms|s|m|h) (default 0s)")
	flags.IntVar(&co.healthRetries, "health-retries", 0, "Consecutive failures needed to report unhealthy")
	flags.DurationVar(&co.healthTimeout, "health-timeout", 0, "Maximum time to allow one check to run (ms|s|m|h) (default 0s)")
	flags.DurationVar(&co.healthStartPeriod, "health-start-period", 0, "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)")
	_ = flags.SetAnnotation("health-start-period", "version", []string{"1.29"})
	flags.DurationVar(&co.healthStartIntvl, "health-start-interval", 0, "Time between running the check during the start period (ms|s|m|h) (default 0s)")
	_ = flags.SetAnnotation("health-start-interval", "version", []string{"1.44"})
	flags.BoolVar(&co.noHealthcheck, "no-healthcheck", false, "Disable any container-specified HEALTHCHECK")

	// Resource management
	flags.Uint16Var(&co.blkioWeight, "blkio-weight", 0, "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)")
	flags.Var(co.blkioWeightDevice, "blkio-weight-device", "Block IO weight (relative device weight)")
	flags.StringVar(&co.containerIDFile, "cidfile", "", "Write the container ID to the file")
	flags.StringVar(&co.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	flags.StringVar(&co.cpusetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	flags.Int64Var(&co.cpuCount, "cpu-count", 0, "CPU count (Windows only)")
	_ = flags.SetAnnotation("cpu-count", "ostype", []string{"windows"})
	flags.Int64Var(&co.cpuPercent, "cpu-percent", 0, "CPU percent (Windows only)")
	_ = flags.SetAnnotation("cpu-percent", "ostype", []string{"windows"})
	flags.Int64Var(&co.cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	flags.Int64Var(&co.cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	flags.Int64Var(&co.cpuRealtimePeriod, "cpu-rt-period", 0, "Limit CPU real-time period in microseconds")
	_ = flags.SetAnnotation("cpu-rt-period", "version", []string{"1.25"})
	flags.Int64Var(&co.cpuRealtimeRuntime, "cpu-rt-runtime", 0, "Limit CPU real-time runtime in microseconds")
	_ = flags.SetAnnotation("cpu-rt-runtime", "version", []string{"1.25"})
	flags.Int64VarP(&co.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	flags.Var(&co.cpus, "cpus", "Number of CPUs")
	_ = flags.SetAnnotation("cpus", "version", []string{"1.25"})
	flags.Var(co.deviceReadBps, "device-read-bps", "Limit read rate (bytes per second) from a device")
	flags.Var(co.deviceReadIOps, "device-read-iops", "Limit read rate (IO per second) from a device")
	flags.Var(co.deviceWriteBps, "device-write-bps", "Limit write rate (bytes per second) to a device")
	flags.Var(co.deviceWriteIOps, "device-write-iops", "Limit write rate (IO per second) to a device")
	flags.Var(&co.ioMaxBandwidth, "io-maxbandwidth", "Maximum IO bandwidth limit for the system drive (Windows only)")
	_ = flags.SetAnnotation("io-maxbandwidth", "ostype", []string{"windows"})
	flags.Uint64Var(&co.ioMaxIOps, "io-maxiops", 0, "Maximum IOps limit for the system drive (Windows only)")
	_ = flags.SetAnnotation("io-maxiops", "ostype", []string{"windows"})
	flags.Var(&co.kernelMemory, "kernel-memory", "Kernel memory limit")
	flags.VarP(&co.memory, "memory", "m", "Memory limit")
	flags.Var(&co.memoryReservation, "memory-reservation", "Memory soft limit")
	flags.Var(&co.memorySwap, "memory-swap", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
	flags.Int64Var(&co.swappiness, "memory-swappiness", -1, "Tune container memory swappiness (0 to 100)")
	flags.BoolVar(&co.oomKillDisable, "oom-kill-disable", false, "Disable OOM Killer")
	flags.IntVar(&co.oomScoreAdj, "oom-score-adj", 0, "Tune host's OOM preferences (-1000 to 1000)")
	flags.Int64Var(&co.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")

	// Low-level execution (cgroups, namespaces, ...)
	flags.StringVar(&co.cgroupParent, "cgroup-parent", "", "Optional parent cgroup for the container")
	flags.StringVar(&co.ipcMode, "ipc", "", "IPC mode to use")
	flags.StringVar(&co.isolation, "isolation", "", "Container isolation technology")
	flags.StringVar(&co.pidMode, "pid", "", "PID namespace to use")
	flags.Var(&co.shmSize, "shm-size", "Size of /dev/shm")
	flags.StringVar(&co.utsMode, "uts", "", "UTS namespace to use")
	flags.StringVar(&co.runtime, "runtime", "", "Runtime to use for this container")

	flags.BoolVar(&co.init, "init", false, "Run an init inside the container that forwards signals and reaps processes")
	_ = flags.SetAnnotation("init", "version", []string{"1.25"})

	flags.Var(co.annotations, "annotation", "Add an annotation to the container (passed through to the OCI runtime)")
	_ = flags.SetAnnotation("annotation", "version", []string{"1.43"})
	return co
}

// containerConfig is what create sends.
type containerConfig struct {
	Config           *container.Config
	HostConfig       *container.HostConfig
	NetworkingConfig *network.NetworkingConfig
}

// parse turns the flags into the container's configuration; errors are
// docker's texts.
func (c *dockerCLI) parseContainerOptions(flags *pflag.FlagSet, co *containerOptions) (*containerConfig, error) {
	attachStdin := co.attach.has("stdin")
	attachStdout := co.attach.has("stdout")
	attachStderr := co.attach.has("stderr")

	if co.macAddress != "" {
		if _, err := net.ParseMAC(strings.TrimSpace(co.macAddress)); err != nil {
			return nil, fmt.Errorf("%s is not a valid mac address", co.macAddress)
		}
	}
	if co.stdin {
		attachStdin = true
	}
	if co.attach.len() == 0 {
		attachStdout = true
		attachStderr = true
	}

	if s := co.swappiness; s != -1 && (s < 0 || s > 100) {
		return nil, fmt.Errorf("invalid value: %d. Valid memory swappiness range is 0-100", s)
	}

	var binds []string
	volumes := map[string]struct{}{}
	for _, v := range co.volumes.slice() {
		volumes[v] = struct{}{}
	}
	for _, bind := range co.volumes.slice() {
		parsed, err := parseVolumeSpec(bind)
		if err != nil {
			return nil, err
		}
		if parsed.Source == "" {
			continue
		}
		toBind := bind
		if parsed.Type == string(mount.TypeBind) {
			if hostPart, targetPath, ok := strings.Cut(bind, ":"); ok {
				if !path.IsAbs(hostPart) && strings.HasPrefix(hostPart, ".") {
					if abs, err := c.abs(hostPart); err == nil {
						hostPart = abs
					}
				}
				toBind = hostPart + ":" + targetPath
			}
		}
		binds = append(binds, toBind)
		delete(volumes, bind)
	}

	tmpfs := map[string]string{}
	for _, t := range co.tmpfs.slice() {
		k, v, _ := strings.Cut(t, ":")
		tmpfs[k] = v
	}

	var runCmd, entrypoint []string
	if len(co.Args) > 0 {
		runCmd = co.Args
	}
	if co.entrypoint != "" {
		entrypoint = []string{co.entrypoint}
	} else if flags.Changed("entrypoint") {
		entrypoint = []string{""}
	}

	publishOpts, err := convertToStandardNotation(co.publish.slice())
	if err != nil {
		return nil, err
	}
	ports, portBindings, err := parsePortSpecs(publishOpts)
	if err != nil {
		return nil, err
	}
	for _, e := range co.expose.slice() {
		if strings.Contains(e, ":") {
			return nil, fmt.Errorf("invalid port format for --expose: %s", e)
		}
		proto, port := splitProtoPort(e)
		start, end, err := parsePortRange(port)
		if err != nil {
			return nil, fmt.Errorf("invalid range format for --expose: %s, error: %s", e, err)
		}
		for i := start; i <= end; i++ {
			p, err := network.ParsePort(strconv.FormatUint(i, 10) + "/" + proto)
			if err != nil {
				return nil, err
			}
			if _, ok := ports[p]; !ok {
				ports[p] = struct{}{}
			}
		}
	}

	var deviceMappings []container.DeviceMapping
	for _, device := range co.devices.slice() {
		validated, err := validateLinuxPath(device, validDeviceMode)
		if err != nil {
			return nil, err
		}
		dm, err := parseLinuxDevice(validated)
		if err != nil {
			return nil, err
		}
		deviceMappings = append(deviceMappings, dm)
	}
	if deviceMappings == nil {
		deviceMappings = []container.DeviceMapping{}
	}

	envVariables, err := c.readKVStrings(co.envFile.slice(), co.env.slice(), c.envLookup)
	if err != nil {
		return nil, err
	}
	labels, err := c.readKVStrings(co.labelsFile.slice(), co.labels.slice(), nil)
	if err != nil {
		return nil, err
	}

	pidMode := container.PidMode(co.pidMode)
	if !pidMode.Valid() {
		return nil, errors.New("--pid: invalid PID mode")
	}
	utsMode := container.UTSMode(co.utsMode)
	if !utsMode.Valid() {
		return nil, errors.New("--uts: invalid UTS mode")
	}
	usernsMode := container.UsernsMode(co.usernsMode)
	if !usernsMode.Valid() {
		return nil, errors.New("--userns: invalid USER mode")
	}
	cgroupnsMode := container.CgroupnsMode(co.cgroupnsMode)
	if !cgroupnsMode.Valid() {
		return nil, errors.New("--cgroupns: invalid CGROUP mode")
	}

	restartPolicy, err := parseRestartPolicy(co.restartPolicy)
	if err != nil {
		return nil, err
	}

	loggingOpts := kvMap(co.loggingOpts.slice())
	if co.loggingDriver == "none" && co.loggingOpts.len() > 0 {
		return nil, fmt.Errorf("invalid logging opts for driver %s", co.loggingDriver)
	}

	securityOpts, err := parseSecurityOpts(co.securityOpt.slice())
	if err != nil {
		return nil, err
	}
	securityOpts, maskedPaths, readonlyPaths := parseSystemPaths(securityOpts)

	storageOpts := map[string]string{}
	for _, o := range co.storageOpt.slice() {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			return nil, errors.New("invalid storage option")
		}
		storageOpts[k] = v
	}

	var healthConfig *container.HealthConfig
	haveHealthSettings := co.healthCmd != "" || co.healthInterval != 0 || co.healthTimeout != 0 ||
		co.healthStartPeriod != 0 || co.healthRetries != 0 || co.healthStartIntvl != 0
	if co.noHealthcheck {
		if haveHealthSettings {
			return nil, errors.New("--no-healthcheck conflicts with --health-* options")
		}
		healthConfig = &container.HealthConfig{Test: []string{"NONE"}}
	} else if haveHealthSettings {
		var probe []string
		if co.healthCmd != "" {
			probe = []string{"CMD-SHELL", co.healthCmd}
		}
		switch {
		case co.healthInterval < 0:
			return nil, errors.New("--health-interval cannot be negative")
		case co.healthTimeout < 0:
			return nil, errors.New("--health-timeout cannot be negative")
		case co.healthRetries < 0:
			return nil, errors.New("--health-retries cannot be negative")
		case co.healthStartPeriod < 0:
			return nil, errors.New("--health-start-period cannot be negative")
		case co.healthStartIntvl < 0:
			return nil, errors.New("--health-start-interval cannot be negative")
		}
		healthConfig = &container.HealthConfig{
			Test:          probe,
			Interval:      co.healthInterval,
			Timeout:       co.healthTimeout,
			StartPeriod:   co.healthStartPeriod,
			StartInterval: co.healthStartIntvl,
			Retries:       co.healthRetries,
		}
	}

	swappiness := co.swappiness
	oomKillDisable := co.oomKillDisable
	pidsLimit := co.pidsLimit
	resources := container.Resources{
		CgroupParent:         co.cgroupParent,
		Memory:               int64(co.memory),
		MemoryReservation:    int64(co.memoryReservation),
		MemorySwap:           int64(co.memorySwap),
		MemorySwappiness:     &swappiness,
		OomKillDisable:       &oomKillDisable,
		NanoCPUs:             int64(co.cpus),
		CPUCount:             co.cpuCount,
		CPUPercent:           co.cpuPercent,
		CPUShares:            co.cpuShares,
		CPUPeriod:            co.cpuPeriod,
		CpusetCpus:           co.cpusetCpus,
		CpusetMems:           co.cpusetMems,
		CPUQuota:             co.cpuQuota,
		CPURealtimePeriod:    co.cpuRealtimePeriod,
		CPURealtimeRuntime:   co.cpuRealtimeRuntime,
		PidsLimit:            &pidsLimit,
		BlkioWeight:          co.blkioWeight,
		BlkioWeightDevice:    co.blkioWeightDevice.values,
		BlkioDeviceReadBps:   co.deviceReadBps.list(),
		BlkioDeviceWriteBps:  co.deviceWriteBps.list(),
		BlkioDeviceReadIOps:  co.deviceReadIOps.list(),
		BlkioDeviceWriteIOps: co.deviceWriteIOps.list(),
		IOMaximumIOps:        co.ioMaxIOps,
		IOMaximumBandwidth:   uint64(co.ioMaxBandwidth),
		Ulimits:              co.ulimits.list(),
		DeviceCgroupRules:    co.deviceCgroupRules.slice(),
		Devices:              deviceMappings,
		DeviceRequests:       co.gpus.values,
	}
	labelMap := kvMap(labels)
	config := &container.Config{
		Hostname:     co.hostname,
		Domainname:   co.domainname,
		ExposedPorts: ports,
		User:         co.user,
		Tty:          co.tty,
		OpenStdin:    co.stdin,
		AttachStdin:  attachStdin,
		AttachStdout: attachStdout,
		AttachStderr: attachStderr,
		Env:          envVariables,
		Cmd:          runCmd,
		Image:        co.Image,
		Volumes:      volumes,
		Entrypoint:   entrypoint,
		WorkingDir:   co.workingDir,
		Labels:       labelMap,
		StopSignal:   co.stopSignal,
		Healthcheck:  healthConfig,
	}
	if flags.Changed("stop-timeout") {
		t := co.stopTimeout
		config.StopTimeout = &t
	}

	var dns []netip.Addr
	for _, d := range co.dns.allOrEmpty() {
		a, err := netip.ParseAddr(d)
		if err != nil {
			return nil, fmt.Errorf("IP address is not correctly formatted: %s", d)
		}
		dns = append(dns, a)
	}
	if dns == nil {
		dns = []netip.Addr{}
	}

	hostConfig := &container.HostConfig{
		Binds:           binds,
		ContainerIDFile: co.containerIDFile,
		OomScoreAdj:     co.oomScoreAdj,
		AutoRemove:      co.autoRemove,
		Privileged:      co.privileged,
		PortBindings:    portBindings,
		Links:           co.links.slice(),
		PublishAllPorts: co.publishAll,
		DNS:             dns,
		DNSSearch:       co.dnsSearch.allOrEmpty(),
		DNSOptions:      co.dnsOptions.allOrEmpty(),
		ExtraHosts:      co.extraHosts.slice(),
		VolumesFrom:     co.volumesFrom.slice(),
		IpcMode:         container.IpcMode(co.ipcMode),
		NetworkMode:     container.NetworkMode(co.netMode.networkMode()),
		PidMode:         pidMode,
		UTSMode:         utsMode,
		UsernsMode:      usernsMode,
		CgroupnsMode:    cgroupnsMode,
		CapAdd:          co.capAdd.slice(),
		CapDrop:         co.capDrop.slice(),
		GroupAdd:        co.groupAdd.slice(),
		RestartPolicy:   restartPolicy,
		SecurityOpt:     securityOpts,
		StorageOpt:      storageOpts,
		ReadonlyRootfs:  co.readonlyRootfs,
		LogConfig:       container.LogConfig{Type: co.loggingDriver, Config: loggingOpts},
		VolumeDriver:    co.volumeDriver,
		Isolation:       container.Isolation(co.isolation),
		ShmSize:         int64(co.shmSize),
		Resources:       resources,
		Tmpfs:           tmpfs,
		Sysctls:         co.sysctls.values,
		Runtime:         co.runtime,
		Mounts:          co.mounts.values,
		MaskedPaths:     maskedPaths,
		ReadonlyPaths:   readonlyPaths,
		Annotations:     co.annotations.values,
	}

	if co.autoRemove && !hostConfig.RestartPolicy.IsNone() {
		return nil, errors.New("conflicting options: cannot specify both --restart and --rm")
	}
	if flags.Changed("init") {
		init := co.init
		hostConfig.Init = &init
	}
	if config.OpenStdin && config.AttachStdin {
		config.StdinOnce = true
	}

	endpoints, err := parseNetworkOpts(co)
	if err != nil {
		return nil, err
	}
	return &containerConfig{
		Config:           config,
		HostConfig:       hostConfig,
		NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: endpoints},
	}, nil
}

// parseRestartPolicy reads --restart ("on-failure:2").
func parseRestartPolicy(policy string) (container.RestartPolicy, error) {
	if policy == "" {
		return container.RestartPolicy{}, nil
	}
	p := container.RestartPolicy{}
	k, v, ok := strings.Cut(policy, ":")
	if ok && k == "" {
		return container.RestartPolicy{}, errors.New("invalid restart policy format: no policy provided before colon")
	}
	if v != "" {
		count, err := strconv.Atoi(v)
		if err != nil {
			return container.RestartPolicy{}, errors.New("invalid restart policy format: maximum retry count must be an integer")
		}
		p.MaximumRetryCount = count
	}
	p.Name = container.RestartPolicyMode(k)
	return p, nil
}

func parseSecurityOpts(securityOpts []string) ([]string, error) {
	for _, opt := range securityOpts {
		k, v, ok := strings.Cut(opt, "=")
		if !ok && k != "no-new-privileges" {
			k, v, ok = strings.Cut(opt, ":")
		}
		if (!ok || v == "") && k != "no-new-privileges" {
			return securityOpts, fmt.Errorf("Invalid --security-opt: %q", opt)
		}
	}
	return securityOpts, nil
}

func parseSystemPaths(securityOpts []string) (filtered, maskedPaths, readonlyPaths []string) {
	filtered = securityOpts[:0]
	for _, opt := range securityOpts {
		if opt == "systempaths=unconfined" {
			maskedPaths = []string{}
			readonlyPaths = []string{}
		} else {
			filtered = append(filtered, opt)
		}
	}
	return filtered, maskedPaths, readonlyPaths
}

// parseNetworkOpts turns --network and the per-network flags into
// endpoint settings.
func parseNetworkOpts(co *containerOptions) (map[string]*network.EndpointSettings, error) {
	endpoints := make(map[string]*network.EndpointSettings, len(co.netMode.options))
	var hasUserDefined, hasNonUserDefined bool
	if len(co.netMode.options) == 0 {
		n := networkAttachment{Target: "default"}
		if err := applyContainerOptions(&n, co); err != nil {
			return nil, err
		}
		ep, err := parseNetworkAttachment(n)
		if err != nil {
			return nil, err
		}
		endpoints["default"] = ep
	}
	for i, n := range co.netMode.options {
		if container.NetworkMode(n.Target).IsUserDefined() {
			hasUserDefined = true
		} else {
			hasNonUserDefined = true
		}
		if i == 0 {
			if err := applyContainerOptions(&n, co); err != nil {
				return nil, err
			}
		}
		ep, err := parseNetworkAttachment(n)
		if err != nil {
			return nil, err
		}
		if _, ok := endpoints[n.Target]; ok {
			return nil, fmt.Errorf("network %q is specified multiple times", n.Target)
		}
		if i == 0 && len(co.netMode.options) == 1 {
			if ep == nil || reflect.DeepEqual(*ep, network.EndpointSettings{}) {
				continue
			}
		}
		endpoints[n.Target] = ep
	}
	if hasUserDefined && hasNonUserDefined {
		return nil, errors.New("conflicting options: cannot attach both user-defined and non-user-defined network-modes")
	}
	return endpoints, nil
}

func applyContainerOptions(n *networkAttachment, co *containerOptions) error {
	switch {
	case len(n.Aliases) > 0 && co.aliases.len() > 0:
		return errors.New("conflicting options: cannot specify both --network-alias and per-network alias")
	case len(n.Links) > 0 && co.links.len() > 0:
		return errors.New("conflicting options: cannot specify both --link and per-network links")
	case n.IPv4Address != "" && co.ipv4Address != "":
		return errors.New("conflicting options: cannot specify both --ip and per-network IPv4 address")
	case n.IPv6Address != "" && co.ipv6Address != "":
		return errors.New("conflicting options: cannot specify both --ip6 and per-network IPv6 address")
	case n.MacAddress != "" && co.macAddress != "":
		return errors.New("conflicting options: cannot specify both --mac-address and per-network MAC address")
	case len(n.LinkLocalIPs) > 0 && co.linkLocalIPs.len() > 0:
		return errors.New("conflicting options: cannot specify both --link-local-ip and per-network link-local IP addresses")
	}
	if co.aliases.len() > 0 {
		n.Aliases = append([]string(nil), co.aliases.slice()...)
	}
	if container.NetworkMode(n.Target).IsUserDefined() && co.links.len() > 0 {
		n.Links = append([]string(nil), co.links.slice()...)
	}
	if co.ipv4Address != "" {
		n.IPv4Address = co.ipv4Address
	}
	if co.ipv6Address != "" {
		n.IPv6Address = co.ipv6Address
	}
	if co.macAddress != "" {
		n.MacAddress = co.macAddress
	}
	if co.linkLocalIPs.len() > 0 {
		n.LinkLocalIPs = append([]string(nil), co.linkLocalIPs.slice()...)
	}
	return nil
}

func parseNetworkAttachment(ep networkAttachment) (*network.EndpointSettings, error) {
	if strings.TrimSpace(ep.Target) == "" {
		return nil, errors.New("no name set for network")
	}
	if !container.NetworkMode(ep.Target).IsUserDefined() {
		if len(ep.Aliases) > 0 {
			return nil, errors.New("network-scoped aliases are only supported for user-defined networks")
		}
		if len(ep.Links) > 0 {
			return nil, errors.New("links are only supported for user-defined networks")
		}
	}
	epConfig := &network.EndpointSettings{GwPriority: ep.GwPriority}
	epConfig.Aliases = append(epConfig.Aliases, ep.Aliases...)
	if len(ep.DriverOpts) > 0 {
		epConfig.DriverOpts = ep.DriverOpts
	}
	if len(ep.Links) > 0 {
		epConfig.Links = ep.Links
	}
	if ep.IPv4Address != "" || ep.IPv6Address != "" || len(ep.LinkLocalIPs) > 0 {
		ipam := &network.EndpointIPAMConfig{}
		var err error
		if ep.IPv4Address != "" {
			if ipam.IPv4Address, err = netip.ParseAddr(ep.IPv4Address); err != nil {
				return nil, fmt.Errorf("invalid IPv4 address: %s", ep.IPv4Address)
			}
		}
		if ep.IPv6Address != "" {
			if ipam.IPv6Address, err = netip.ParseAddr(ep.IPv6Address); err != nil {
				return nil, fmt.Errorf("invalid IPv6 address: %s", ep.IPv6Address)
			}
		}
		for _, l := range ep.LinkLocalIPs {
			a, err := netip.ParseAddr(l)
			if err != nil {
				return nil, fmt.Errorf("invalid link-local IP address: %s", l)
			}
			ipam.LinkLocalIPs = append(ipam.LinkLocalIPs, a)
		}
		epConfig.IPAMConfig = ipam
	}
	if ep.MacAddress != "" {
		hw, err := net.ParseMAC(strings.TrimSpace(ep.MacAddress))
		if err != nil {
			return nil, fmt.Errorf("%s is not a valid mac address", ep.MacAddress)
		}
		epConfig.MacAddress = network.HardwareAddr(hw)
	}
	return epConfig, nil
}

func convertToStandardNotation(ports []string) ([]string, error) {
	out := []string{}
	for _, publish := range ports {
		if !strings.Contains(publish, "=") {
			out = append(out, publish)
			continue
		}
		params := map[string]string{"protocol": "tcp"}
		for _, param := range strings.Split(publish, ",") {
			k, v, ok := strings.Cut(param, "=")
			if !ok || k == "" {
				return out, fmt.Errorf("invalid publish opts format (should be name=value but got '%s')", param)
			}
			params[k] = v
		}
		out = append(out, fmt.Sprintf("%s:%s/%s", params["published"], params["target"], params["protocol"]))
	}
	return out, nil
}

func parseLinuxDevice(device string) (container.DeviceMapping, error) {
	var src, dst string
	permissions := "rwm"
	arr := strings.SplitN(device, ":", 4)
	switch len(arr) {
	case 3:
		permissions = arr[2]
		fallthrough
	case 2:
		if validDeviceMode(arr[1]) {
			permissions = arr[1]
		} else {
			dst = arr[1]
		}
		fallthrough
	case 1:
		src = arr[0]
	default:
		return container.DeviceMapping{}, fmt.Errorf("invalid device specification: %s", device)
	}
	if dst == "" {
		dst = src
	}
	return container.DeviceMapping{PathOnHost: src, PathInContainer: dst, CgroupPermissions: permissions}, nil
}

func validDeviceMode(mode string) bool {
	legal := map[rune]bool{'r': true, 'w': true, 'm': true}
	if mode == "" {
		return false
	}
	for _, c := range mode {
		if !legal[c] {
			return false
		}
		legal[c] = false
	}
	return true
}

func validateLinuxPath(val string, valid func(string) bool) (string, error) {
	var containerPath, mode string
	if strings.Count(val, ":") > 2 {
		return val, fmt.Errorf("bad format for path: %s", val)
	}
	split := strings.SplitN(val, ":", 3)
	if split[0] == "" {
		return val, fmt.Errorf("bad format for path: %s", val)
	}
	switch len(split) {
	case 1:
		containerPath = split[0]
		val = path.Clean(containerPath)
	case 2:
		if valid(split[1]) {
			containerPath = split[0]
			mode = split[1]
			val = fmt.Sprintf("%s:%s", path.Clean(containerPath), mode)
		} else {
			containerPath = split[1]
			val = fmt.Sprintf("%s:%s", split[0], path.Clean(containerPath))
		}
	case 3:
		containerPath = split[1]
		mode = split[2]
		if !valid(split[2]) {
			return val, fmt.Errorf("bad mode specified: %s", mode)
		}
		val = fmt.Sprintf("%s:%s:%s", split[0], containerPath, mode)
	}
	if !path.IsAbs(containerPath) {
		return val, fmt.Errorf("%s is not an absolute path", containerPath)
	}
	return val, nil
}
