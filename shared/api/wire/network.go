package wire

import "time"

// Network is a network as API 1.41 shows it (GET /networks and
// /networks/{id}), with dockerd 20.10's fields in its order. Addresses are
// strings, as dockerd 20.10 keeps them, so that a bad subnet in a create
// request reaches the engine and gets dockerd's error.
type Network struct {
	Name       string
	ID         string `json:"Id"`
	Created    time.Time
	Scope      string
	Driver     string
	EnableIPv6 bool
	IPAM       IPAM
	Internal   bool
	Attachable bool
	Ingress    bool
	ConfigFrom ConfigReference
	ConfigOnly bool
	// Containers holds the endpoints of running containers, by container ID.
	Containers map[string]EndpointResource
	Options    map[string]string
	Labels     map[string]string
}

// IPAM is a network's address management configuration.
type IPAM struct {
	Driver  string
	Options map[string]string
	Config  []IPAMConfig
}

// IPAMConfig is one address pool of a network.
type IPAMConfig struct {
	Subnet     string            `json:",omitempty"`
	IPRange    string            `json:",omitempty"`
	Gateway    string            `json:",omitempty"`
	AuxAddress map[string]string `json:"AuxiliaryAddresses,omitempty"`
}

// ConfigReference names the network a config-only network's config comes
// from.
type ConfigReference struct {
	Network string
}

// EndpointResource is a container's endpoint as a network's inspect shows
// it.
type EndpointResource struct {
	Name        string
	EndpointID  string
	MacAddress  string
	IPv4Address string
	IPv6Address string
}

// NetworkCreateRequest is the body of POST /networks/create.
type NetworkCreateRequest struct {
	Name           string
	CheckDuplicate bool
	Driver         string
	Scope          string
	EnableIPv6     bool
	IPAM           *IPAM
	Internal       bool
	Attachable     bool
	Ingress        bool
	ConfigOnly     bool
	ConfigFrom     *ConfigReference
	Options        map[string]string
	Labels         map[string]string
}

// NetworkCreateResponse is the answer of POST /networks/create.
type NetworkCreateResponse struct {
	ID      string `json:"Id"`
	Warning string
}

// NetworksPruneReport is the answer of POST /networks/prune.
type NetworksPruneReport struct {
	NetworksDeleted []string
}
