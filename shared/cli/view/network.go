package view

import "time"

// Network is the answer of GET /networks/{id}, as docker 28's
// network.Inspect.
type Network struct {
	Name       string
	ID         string `json:"Id"`
	Created    time.Time
	Scope      string
	Driver     string
	EnableIPv4 bool
	EnableIPv6 bool
	IPAM       IPAM
	Internal   bool
	Attachable bool
	Ingress    bool
	ConfigFrom NetworkConfigReference
	ConfigOnly bool
	Containers map[string]EndpointResource
	Options    map[string]string
	Labels     map[string]string
	Peers      []PeerInfo     `json:",omitempty"`
	Services   map[string]any `json:",omitempty"`
}

// IPAM is a network's address management.
type IPAM struct {
	Driver  string
	Options map[string]string
	Config  []IPAMConfig
}

// IPAMConfig is one address pool.
type IPAMConfig struct {
	Subnet     string            `json:",omitempty"`
	IPRange    string            `json:",omitempty"`
	Gateway    string            `json:",omitempty"`
	AuxAddress map[string]string `json:"AuxiliaryAddresses,omitempty"`
}

// NetworkConfigReference names the network a configuration comes from.
type NetworkConfigReference struct {
	Network string
}

// EndpointResource is a container's endpoint on a network.
type EndpointResource struct {
	Name        string
	EndpointID  string
	MacAddress  string
	IPv4Address string
	IPv6Address string
}

// PeerInfo is a peer node of an overlay network.
type PeerInfo struct {
	Name string
	IP   string
}

// Volume is the answer of GET /volumes/{name}, as docker 28's
// volume.Volume.
type Volume struct {
	ClusterVolume any    `json:"ClusterVolume,omitempty"`
	CreatedAt     string `json:"CreatedAt,omitempty"`
	Driver        string
	Labels        map[string]string
	Mountpoint    string
	Name          string
	Options       map[string]string
	Scope         string
	Status        map[string]any   `json:"Status,omitempty"`
	UsageData     *VolumeUsageData `json:"UsageData,omitempty"`
}

// VolumeUsageData is a volume's size and reference count.
type VolumeUsageData struct {
	RefCount int64
	Size     int64
}
