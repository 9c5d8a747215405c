package wire

import (
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
)

// Volume is a volume as API 1.41 shows it, with dockerd 20.10's fields in
// its order.
type Volume struct {
	CreatedAt  string `json:",omitempty"`
	Driver     string
	Labels     map[string]string
	Mountpoint string
	Name       string
	Options    map[string]string
	Scope      string
	Status     map[string]any   `json:",omitempty"`
	UsageData  *VolumeUsageData `json:",omitempty"`
}

// VolumeUsageData is a volume's size and reference count (system df).
type VolumeUsageData struct {
	RefCount int64
	Size     int64
}

// VolumeListResponse is the answer of GET /volumes.
type VolumeListResponse struct {
	Volumes  []*Volume
	Warnings []string
}

// VolumeCreateRequest is the body of POST /volumes/create.
type VolumeCreateRequest struct {
	Driver     string
	DriverOpts map[string]string
	Labels     map[string]string
	Name       string
}

// VolumesPruneReport is the answer of POST /volumes/prune.
type VolumesPruneReport struct {
	VolumesDeleted []string
	SpaceReclaimed uint64
}

// DiskUsage is the answer of GET /system/df, with dockerd 20.10's fields
// in its order.
type DiskUsage struct {
	LayersSize  int64
	Images      []*ImageSummary
	Containers  []*container.Summary
	Volumes     []*Volume
	BuildCache  []*build.CacheRecord
	BuilderSize int64
}
