// Package wire holds the JSON shapes of Engine API 1.41 that twinbox serves
// and reads. It uses the types of github.com/moby/moby/api wherever they match
// 1.41, and adds back the fields API 1.41 has that moby's current types
// dropped (the legacy network settings of a container, an image's Parent,
// Container, ContainerConfig, DockerVersion and VirtualSize). The docker CLI
// 28 executes `--format` templates on typed values that still carry those
// fields, so `docker inspect -f '{{.NetworkSettings.IPAddress}}'` needs them.
//
// An outer field shadows the embedded moby field of the same name, both in
// encoding/json and in text/template.
package wire

import (
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/network"
)

// APIVersion is the Engine API version twinbox speaks, as dockerd 20.10 does.
const APIVersion = "1.41"

// MinAPIVersion is the oldest API version clients may ask for.
const MinAPIVersion = "1.12"

// ContainerJSON is the answer of GET /containers/{id}/json.
type ContainerJSON struct {
	container.InspectResponse
	NetworkSettings *NetworkSettings
}

// NetworkSettings is a container's network settings with API 1.41's
// top-level fields for the default network.
type NetworkSettings struct {
	Bridge                 string
	SandboxID              string
	HairpinMode            bool
	LinkLocalIPv6Address   string
	LinkLocalIPv6PrefixLen int
	Ports                  network.PortMap
	SandboxKey             string
	SecondaryIPAddresses   []Address
	SecondaryIPv6Addresses []Address
	DefaultNetworkSettings
	Networks map[string]*network.EndpointSettings
}

// DefaultNetworkSettings are the legacy fields describing the container's
// endpoint on the default bridge network.
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

// Address is an IP address with its prefix length.
type Address struct {
	Addr      string
	PrefixLen int
}

// ImageInspect is the answer of GET /images/{name}/json.
type ImageInspect struct {
	image.InspectResponse
	Parent          string
	Container       string            `json:",omitempty"`
	ContainerConfig *container.Config `json:",omitempty"`
	DockerVersion   string
	// Author and Comment are always present in API 1.41's answer.
	Author  string
	Comment string
	// Config is the image's run configuration in API 1.41's shape (a
	// container config), not moby's OCI image config.
	Config      *container.Config
	VirtualSize int64 `json:"VirtualSize,omitempty"`
}

// ImageSummary is one entry of GET /images/json.
type ImageSummary struct {
	image.Summary
	VirtualSize int64 `json:"VirtualSize,omitempty"`
}
