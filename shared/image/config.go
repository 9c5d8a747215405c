// Package image holds what twinbox knows about images independent of any
// backend: the image configuration Docker stores (whose sha256 is the image
// ID), history, references, layer chains, deterministic layer tars with OCI
// whiteouts, and the docker-archive format of `docker save` and `docker load`.
package image

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// DockerVersion is the engine version twinbox reports and records in the
// images it makes, the version of the reference engine (see
// ../shared/reference).
const DockerVersion = "20.10.24+dfsg1"

// Image is an image's configuration exactly as Docker 20.10 stores it. Its
// fields are declared in the order of their JSON names because Docker writes
// the top-level keys sorted; the sha256 of the encoding is the image ID.
//
// It encodes (MarshalJSON) byte for byte as dockerd 20.10 does: top-level
// keys sorted, and the container configurations in API 1.41's shape, which
// has "OnBuild":null where moby's current type leaves the key out.
type Image struct {
	Architecture    string            `json:"architecture,omitempty"`
	Author          string            `json:"author,omitempty"`
	Comment         string            `json:"comment,omitempty"`
	Config          *container.Config `json:"config,omitempty"`
	Container       string            `json:"container,omitempty"`
	ContainerConfig container.Config  `json:"container_config"`
	Created         time.Time         `json:"created"`
	DockerVersion   string            `json:"docker_version,omitempty"`
	History         []History         `json:"history,omitempty"`
	OS              string            `json:"os,omitempty"`
	OSFeatures      []string          `json:"os.features,omitempty"`
	OSVersion       string            `json:"os.version,omitempty"`
	RootFS          RootFS            `json:"rootfs"`
	Variant         string            `json:"variant,omitempty"`
}

// MarshalJSON encodes the configuration as dockerd 20.10 does.
func (img Image) MarshalJSON() ([]byte, error) {
	out := struct {
		Architecture    string       `json:"architecture,omitempty"`
		Author          string       `json:"author,omitempty"`
		Comment         string       `json:"comment,omitempty"`
		Config          *ConfigV1_41 `json:"config,omitempty"`
		Container       string       `json:"container,omitempty"`
		ContainerConfig ConfigV1_41  `json:"container_config"`
		Created         time.Time    `json:"created"`
		DockerVersion   string       `json:"docker_version,omitempty"`
		History         []History    `json:"history,omitempty"`
		OS              string       `json:"os,omitempty"`
		OSFeatures      []string     `json:"os.features,omitempty"`
		OSVersion       string       `json:"os.version,omitempty"`
		RootFS          RootFS       `json:"rootfs"`
		Variant         string       `json:"variant,omitempty"`
	}{
		Architecture:    img.Architecture,
		Author:          img.Author,
		Comment:         img.Comment,
		Container:       img.Container,
		ContainerConfig: ConfigV1_41(img.ContainerConfig),
		Created:         img.Created,
		DockerVersion:   img.DockerVersion,
		History:         img.History,
		OS:              img.OS,
		OSFeatures:      img.OSFeatures,
		OSVersion:       img.OSVersion,
		RootFS:          img.RootFS,
		Variant:         img.Variant,
	}
	if img.Config != nil {
		c := ConfigV1_41(*img.Config)
		out.Config = &c
	}
	return json.Marshal(out)
}

// ConfigV1_41 is a container configuration in the shape API 1.41 and
// dockerd 20.10 encode it: the fields of moby's container.Config, in the
// same order, with OnBuild always present. (20.10's MacAddress, omitted
// when empty, has no counterpart in moby's type.)
type ConfigV1_41 struct {
	Hostname        string
	Domainname      string
	User            string
	AttachStdin     bool
	AttachStdout    bool
	AttachStderr    bool
	ExposedPorts    network.PortSet `json:",omitempty"`
	Tty             bool
	OpenStdin       bool
	StdinOnce       bool
	Env             []string
	Cmd             []string
	Healthcheck     *container.HealthConfig `json:",omitempty"`
	ArgsEscaped     bool                    `json:",omitempty"`
	Image           string
	Volumes         map[string]struct{}
	WorkingDir      string
	Entrypoint      []string
	NetworkDisabled bool `json:",omitempty"`
	OnBuild         []string
	Labels          map[string]string
	StopSignal      string   `json:",omitempty"`
	StopTimeout     *int     `json:",omitempty"`
	Shell           []string `json:",omitempty"`
}

// History is one row of `docker history`: a build step or commit.
type History struct {
	Created    time.Time `json:"created"`
	Author     string    `json:"author,omitempty"`
	CreatedBy  string    `json:"created_by,omitempty"`
	Comment    string    `json:"comment,omitempty"`
	EmptyLayer bool      `json:"empty_layer,omitempty"`
}

// RootFS lists the image's layers by DiffID, bottom first.
type RootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids,omitempty"`
}

// Marshal encodes the configuration and returns it with the image ID
// ("sha256:<hex>") it gives.
func (img *Image) Marshal() (data []byte, id string, err error) {
	if img.RootFS.Type == "" {
		img.RootFS.Type = "layers"
	}
	data, err = json.Marshal(img)
	if err != nil {
		return nil, "", err
	}
	return data, Digest(data), nil
}

// Parse decodes an image configuration.
func Parse(data []byte) (*Image, error) {
	img := new(Image)
	if err := json.Unmarshal(data, img); err != nil {
		return nil, err
	}
	return img, nil
}

// Digest returns "sha256:<hex>" of data.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ChainID returns the ChainID of a layer whose DiffID is diffID on top of the
// chain parent ("" for a base layer), by the OCI rule.
func ChainID(parent, diffID string) string {
	if parent == "" {
		return diffID
	}
	return Digest([]byte(parent + " " + diffID))
}

// ChainIDs returns the ChainID of each prefix of diffIDs.
func ChainIDs(diffIDs []string) []string {
	out := make([]string, len(diffIDs))
	parent := ""
	for i, d := range diffIDs {
		parent = ChainID(parent, d)
		out[i] = parent
	}
	return out
}

// TopChainID returns the ChainID of the whole stack, "" for no layers.
func (img *Image) TopChainID() string {
	ids := ChainIDs(img.RootFS.DiffIDs)
	if len(ids) == 0 {
		return ""
	}
	return ids[len(ids)-1]
}
