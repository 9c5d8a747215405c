// Package view holds the values `docker inspect --format` templates run on:
// the Engine API 1.41 answers decoded into the types the docker CLI 28
// decodes them into. Templates print through fmt, so the types decide the
// output: a port set whose keys are strings prints map[8080/tcp:{}], an
// empty address prints nothing. github.com/moby/moby/api's current types
// (netip.Addr addresses, struct port keys) print differently, which is why
// the CLI does not template over them.
//
// The definitions are adapted from github.com/docker/docker/api/types
// (v28.2.2), Apache License 2.0: the same fields in the same order, so
// `{{json .}}` also matches.
package view

import (
	"time"

	units "github.com/docker/go-units"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/mount"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Container is the answer of GET /containers/{id}/json.
type Container struct {
	*ContainerBase
	Mounts                  []MountPoint
	Config                  *Config
	NetworkSettings         *NetworkSettings
	ImageManifestDescriptor *ocispec.Descriptor `json:"ImageManifestDescriptor,omitempty"`
}

// ContainerBase holds the top-level fields of a container's details.
type ContainerBase struct {
	ID              string `json:"Id"`
	Created         string
	Path            string
	Args            []string
	State           *State
	Image           string
	ResolvConfPath  string
	HostnamePath    string
	HostsPath       string
	LogPath         string
	Name            string
	RestartCount    int
	Driver          string
	Platform        string
	MountLabel      string
	ProcessLabel    string
	AppArmorProfile string
	ExecIDs         []string
	HostConfig      *HostConfig
	GraphDriver     DriverData
	SizeRw          *int64 `json:",omitempty"`
	SizeRootFs      *int64 `json:",omitempty"`
}

// State is a container's state.
type State struct {
	Status     string
	Running    bool
	Paused     bool
	Restarting bool
	OOMKilled  bool
	Dead       bool
	Pid        int
	ExitCode   int
	Error      string
	StartedAt  string
	FinishedAt string
	Health     *Health `json:",omitempty"`
}

// Health is a container's health.
type Health struct {
	Status        string
	FailingStreak int
	Log           []*HealthcheckResult
}

// HealthcheckResult is one run of a health check.
type HealthcheckResult struct {
	Start    time.Time
	End      time.Time
	ExitCode int
	Output   string
}

// DriverData is a storage driver's name and data.
type DriverData struct {
	Data map[string]string `json:"Data"`
	Name string            `json:"Name"`
}

// MountPoint is one mount of a container.
type MountPoint struct {
	Type        mount.Type `json:",omitempty"`
	Name        string     `json:",omitempty"`
	Source      string
	Destination string
	Driver      string `json:",omitempty"`
	Mode        string
	RW          bool
	Propagation mount.Propagation
}

// Port is "port/proto", as the docker CLI keys ports.
type Port string

// PortSet is a set of ports.
type PortSet map[Port]struct{}

// PortBinding is a host address and port a container port is published on.
type PortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string
}

// PortMap maps container ports to their bindings.
type PortMap map[Port][]PortBinding

// Config is a container's configuration.
type Config struct {
	Hostname        string
	Domainname      string
	User            string
	AttachStdin     bool
	AttachStdout    bool
	AttachStderr    bool
	ExposedPorts    PortSet `json:",omitempty"`
	Tty             bool
	OpenStdin       bool
	StdinOnce       bool
	Env             []string
	Cmd             []string
	Healthcheck     *dockerspec.HealthcheckConfig `json:",omitempty"`
	ArgsEscaped     bool                          `json:",omitempty"`
	Image           string
	Volumes         map[string]struct{}
	WorkingDir      string
	Entrypoint      []string
	NetworkDisabled bool   `json:",omitempty"`
	MacAddress      string `json:",omitempty"`
	OnBuild         []string
	Labels          map[string]string
	StopSignal      string   `json:",omitempty"`
	StopTimeout     *int     `json:",omitempty"`
	Shell           []string `json:",omitempty"`
}

// HostConfig is a container's host configuration.
type HostConfig struct {
	Binds           []string
	ContainerIDFile string
	LogConfig       LogConfig
	NetworkMode     string
	PortBindings    PortMap
	RestartPolicy   RestartPolicy
	AutoRemove      bool
	VolumeDriver    string
	VolumesFrom     []string
	ConsoleSize     [2]uint
	Annotations     map[string]string `json:",omitempty"`
	CapAdd          []string
	CapDrop         []string
	CgroupnsMode    string
	DNS             []string `json:"Dns"`
	DNSOptions      []string `json:"DnsOptions"`
	DNSSearch       []string `json:"DnsSearch"`
	ExtraHosts      []string
	GroupAdd        []string
	IpcMode         string
	Cgroup          string
	Links           []string
	OomScoreAdj     int
	PidMode         string
	Privileged      bool
	PublishAllPorts bool
	ReadonlyRootfs  bool
	SecurityOpt     []string
	StorageOpt      map[string]string `json:",omitempty"`
	Tmpfs           map[string]string `json:",omitempty"`
	UTSMode         string
	UsernsMode      string
	ShmSize         int64
	Sysctls         map[string]string `json:",omitempty"`
	Runtime         string            `json:",omitempty"`
	Isolation       string
	Resources
	Mounts        []mount.Mount `json:",omitempty"`
	MaskedPaths   []string
	ReadonlyPaths []string
	Init          *bool `json:",omitempty"`
}

// LogConfig is a container's log driver and its options.
type LogConfig struct {
	Type   string
	Config map[string]string
}

// RestartPolicy is a container's restart policy.
type RestartPolicy struct {
	Name              string
	MaximumRetryCount int
}

// DeviceMapping is a host device given to a container.
type DeviceMapping struct {
	PathOnHost        string
	PathInContainer   string
	CgroupPermissions string
}

// DeviceRequest asks a device driver for devices.
type DeviceRequest struct {
	Driver       string
	Count        int
	DeviceIDs    []string
	Capabilities [][]string
	Options      map[string]string
}

// Resources are a container's resource limits.
type Resources struct {
	CPUShares            int64 `json:"CpuShares"`
	Memory               int64
	NanoCPUs             int64 `json:"NanoCpus"`
	CgroupParent         string
	BlkioWeight          uint16
	BlkioWeightDevice    []*blkiodev.WeightDevice
	BlkioDeviceReadBps   []*blkiodev.ThrottleDevice
	BlkioDeviceWriteBps  []*blkiodev.ThrottleDevice
	BlkioDeviceReadIOps  []*blkiodev.ThrottleDevice
	BlkioDeviceWriteIOps []*blkiodev.ThrottleDevice
	CPUPeriod            int64 `json:"CpuPeriod"`
	CPUQuota             int64 `json:"CpuQuota"`
	CPURealtimePeriod    int64 `json:"CpuRealtimePeriod"`
	CPURealtimeRuntime   int64 `json:"CpuRealtimeRuntime"`
	CpusetCpus           string
	CpusetMems           string
	Devices              []DeviceMapping
	DeviceCgroupRules    []string
	DeviceRequests       []DeviceRequest
	KernelMemory         int64 `json:",omitempty"`
	KernelMemoryTCP      int64 `json:",omitempty"`
	MemoryReservation    int64
	MemorySwap           int64
	MemorySwappiness     *int64
	OomKillDisable       *bool
	PidsLimit            *int64
	Ulimits              []*units.Ulimit
	CPUCount             int64 `json:"CpuCount"`
	CPUPercent           int64 `json:"CpuPercent"`
	IOMaximumIOps        uint64
	IOMaximumBandwidth   uint64
}

// NetworkSettings are a container's network settings.
type NetworkSettings struct {
	NetworkSettingsBase
	DefaultNetworkSettings
	Networks map[string]*EndpointSettings
}

// NetworkSettingsBase are the settings not tied to one network.
type NetworkSettingsBase struct {
	Bridge                 string
	SandboxID              string
	SandboxKey             string
	Ports                  PortMap
	HairpinMode            bool
	LinkLocalIPv6Address   string
	LinkLocalIPv6PrefixLen int
	SecondaryIPAddresses   []Address
	SecondaryIPv6Addresses []Address
}

// DefaultNetworkSettings are the legacy fields for the default bridge.
type DefaultNetworkSettings struct {
	EndpointID          string
	Gateway             string
	GlobalIPv6Address   string
	GlobalIPv6PrefixLen int
	IPAddress           string
	IPPrefixLen         int
	IPv6Gateway         string
	MacAddress          string
}

// Address is an IP address and its prefix length.
type Address struct {
	Addr      string
	PrefixLen int
}

// EndpointSettings are a container's settings on one network.
type EndpointSettings struct {
	IPAMConfig          *EndpointIPAMConfig
	Links               []string
	Aliases             []string
	MacAddress          string
	DriverOpts          map[string]string
	GwPriority          int
	NetworkID           string
	EndpointID          string
	Gateway             string
	IPAddress           string
	IPPrefixLen         int
	IPv6Gateway         string
	GlobalIPv6Address   string
	GlobalIPv6PrefixLen int
	DNSNames            []string
}

// EndpointIPAMConfig are the addresses asked for on a network.
type EndpointIPAMConfig struct {
	IPv4Address  string   `json:",omitempty"`
	IPv6Address  string   `json:",omitempty"`
	LinkLocalIPs []string `json:",omitempty"`
}

// Image is the answer of GET /images/{name}/json.
type Image struct {
	ID              string `json:"Id"`
	RepoTags        []string
	RepoDigests     []string
	Parent          string
	Comment         string
	Created         string  `json:",omitempty"`
	Container       string  `json:",omitempty"`
	ContainerConfig *Config `json:",omitempty"`
	DockerVersion   string
	Author          string
	Config          *dockerspec.DockerOCIImageConfig
	Architecture    string
	Variant         string `json:",omitempty"`
	Os              string
	OsVersion       string `json:",omitempty"`
	Size            int64
	VirtualSize     int64 `json:"VirtualSize,omitempty"`
	GraphDriver     DriverData
	RootFS          RootFS
	Metadata        Metadata
	Descriptor      *ocispec.Descriptor     `json:"Descriptor,omitempty"`
	Manifests       []image.ManifestSummary `json:"Manifests,omitempty"`
}

// RootFS lists an image's layers.
type RootFS struct {
	Type   string   `json:",omitempty"`
	Layers []string `json:",omitempty"`
}

// Metadata is an image's local metadata.
type Metadata struct {
	LastTagTime time.Time `json:",omitempty"`
}
