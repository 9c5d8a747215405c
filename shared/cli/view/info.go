package view

import (
	"encoding/json"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"
)

// Info is the answer of GET /info, as `docker info --format` sees it.
type Info struct {
	ID                  string
	Containers          int
	ContainersRunning   int
	ContainersPaused    int
	ContainersStopped   int
	Images              int
	Driver              string
	DriverStatus        [][2]string
	SystemStatus        [][2]string `json:",omitempty"`
	Plugins             PluginsInfo
	MemoryLimit         bool
	SwapLimit           bool
	KernelMemory        bool `json:",omitempty"`
	KernelMemoryTCP     bool `json:",omitempty"`
	CPUCfsPeriod        bool `json:"CpuCfsPeriod"`
	CPUCfsQuota         bool `json:"CpuCfsQuota"`
	CPUShares           bool
	CPUSet              bool
	PidsLimit           bool
	IPv4Forwarding      bool
	Debug               bool
	NFd                 int
	OomKillDisable      bool
	NGoroutines         int
	SystemTime          string
	LoggingDriver       string
	CgroupDriver        string
	CgroupVersion       string `json:",omitempty"`
	NEventsListener     int
	KernelVersion       string
	OperatingSystem     string
	OSVersion           string
	OSType              string
	Architecture        string
	IndexServerAddress  string
	RegistryConfig      *ServiceConfig
	NCPU                int
	MemTotal            int64
	GenericResources    []swarm.GenericResource
	DockerRootDir       string
	HTTPProxy           string `json:"HttpProxy"`
	HTTPSProxy          string `json:"HttpsProxy"`
	NoProxy             string
	Name                string
	Labels              []string
	ExperimentalBuild   bool
	ServerVersion       string
	Runtimes            map[string]system.RuntimeWithStatus
	DefaultRuntime      string
	Swarm               swarm.Info
	LiveRestoreEnabled  bool
	Isolation           string
	InitBinary          string
	ContainerdCommit    Commit
	RuncCommit          Commit
	InitCommit          Commit
	SecurityOptions     []string
	ProductLicense      string               `json:",omitempty"`
	DefaultAddressPools []NetworkAddressPool `json:",omitempty"`
	FirewallBackend     *FirewallInfo        `json:"FirewallBackend,omitempty"`
	CDISpecDirs         []string
	DiscoveredDevices   []DeviceInfo           `json:",omitempty"`
	Containerd          *system.ContainerdInfo `json:",omitempty"`
	Warnings            []string
}

// PluginsInfo lists the engine's plugins by kind.
type PluginsInfo struct {
	Volume        []string
	Network       []string
	Authorization []string
	Log           []string
}

// Commit is the version of a component the engine uses.
type Commit struct {
	ID       string
	Expected string `json:",omitempty"`
}

// NetworkAddressPool is a default address pool.
type NetworkAddressPool struct {
	Base string
	Size int
}

// FirewallInfo describes the engine's firewall backend.
type FirewallInfo struct {
	Driver string      `json:"Driver"`
	Info   [][2]string `json:"Info,omitempty"`
}

// DeviceInfo is a device the engine discovered.
type DeviceInfo struct {
	Source string `json:"Source"`
	ID     string `json:"ID"`
}

// ServiceConfig is the engine's registry configuration. It encodes with
// its keys sorted, as docker's does.
type ServiceConfig struct {
	AllowNondistributableArtifactsCIDRs     []string              `json:"AllowNondistributableArtifactsCIDRs,omitempty"`
	AllowNondistributableArtifactsHostnames []string              `json:"AllowNondistributableArtifactsHostnames,omitempty"`
	InsecureRegistryCIDRs                   []string              `json:"InsecureRegistryCIDRs"`
	IndexConfigs                            map[string]*IndexInfo `json:"IndexConfigs"`
	Mirrors                                 []string
}

// MarshalJSON encodes the configuration with sorted keys.
func (sc *ServiceConfig) MarshalJSON() ([]byte, error) {
	type plain ServiceConfig
	base, err := json.Marshal((*plain)(sc))
	if err != nil {
		return nil, err
	}
	var merged map[string]any
	_ = json.Unmarshal(base, &merged)
	return json.Marshal(merged)
}

// IndexInfo describes a registry.
type IndexInfo struct {
	Name     string
	Mirrors  []string
	Secure   bool
	Official bool
}

// Version is the answer of GET /version, in docker's field order.
type Version struct {
	Platform      struct{ Name string } `json:",omitempty"`
	Components    []ComponentVersion    `json:",omitempty"`
	Version       string
	APIVersion    string `json:"ApiVersion"`
	MinAPIVersion string `json:",omitempty"`
	GitCommit     string
	GoVersion     string
	Os            string
	Arch          string
	KernelVersion string `json:",omitempty"`
	Experimental  bool   `json:",omitempty"`
	BuildTime     string `json:",omitempty"`
}

// ComponentVersion is the version of one of the engine's components.
type ComponentVersion struct {
	Name    string
	Version string
	Details map[string]string `json:",omitempty"`
}
