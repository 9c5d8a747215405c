package engine

import (
	"context"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/image"
)

// DiskUsage answers GET /system/df as dockerd 20.10 does:
//   - LayersSize, the size of every layer an image uses (intermediate
//     images included);
//   - the images `docker images` lists, each with the number of containers
//     made from it and its SharedSize, the size of its layers that another
//     listed image uses too;
//   - every container, with its sizes (`docker ps -a -s`);
//   - every volume, with its size and the number of containers that mount
//     it (-1 for a size the backend cannot tell);
//   - no build cache: the classic builder keeps its cache as images.
func (e *Engine) DiskUsage(ctx context.Context) (*wire.DiskUsage, error) {
	du := &wire.DiskUsage{BuildCache: []*build.CacheRecord{}}
	sizes := map[string]int64{} // layer size by chain ID
	layerSize := func(chain string) int64 {
		if n, ok := sizes[chain]; ok {
			return n
		}
		var n int64
		if l, err := e.b.Layer(ctx, chain); err == nil {
			n = l.Size
		}
		sizes[chain] = n
		return n
	}
	for _, r := range e.images.all() {
		for _, ch := range image.ChainIDs(r.img.RootFS.DiffIDs) {
			layerSize(ch)
		}
	}
	for _, n := range sizes {
		du.LayersSize += n
	}

	cs, err := e.Containers(ctx, ListOptions{All: true, Size: true})
	if err != nil {
		return nil, err
	}
	byImage := map[string]int64{}
	du.Containers = make([]*container.Summary, len(cs))
	for i := range cs {
		du.Containers[i] = &cs[i]
		byImage[cs[i].ImageID]++
	}

	imgs, err := e.Images(ctx, ImageListOptions{})
	if err != nil {
		return nil, err
	}
	refs := map[string]int{} // listed images using each layer
	chains := make([][]string, len(imgs))
	for i, s := range imgs {
		if r, ok := e.images.get(s.ID); ok {
			chains[i] = image.ChainIDs(r.img.RootFS.DiffIDs)
		}
		for _, ch := range chains[i] {
			refs[ch]++
		}
	}
	du.Images = make([]*wire.ImageSummary, len(imgs))
	for i := range imgs {
		s := &imgs[i]
		s.Containers, s.SharedSize = byImage[s.ID], 0
		for _, ch := range chains[i] {
			if refs[ch] > 1 {
				s.SharedSize += layerSize(ch)
			}
		}
		du.Images[i] = s
	}

	vols, err := e.allVolumes()
	if err != nil {
		return nil, err
	}
	sizer, _ := e.b.(backend.VolumeSizer)
	du.Volumes = make([]*wire.Volume, 0, len(vols))
	for _, v := range vols {
		w := volumeAPI(v)
		w.UsageData = &wire.VolumeUsageData{Size: -1, RefCount: int64(len(e.volumeUsers(v.Name)))}
		if sizer != nil {
			if n, err := sizer.VolumeSize(ctx, v.Name); err == nil {
				w.UsageData.Size = n
			}
		}
		du.Volumes = append(du.Volumes, w)
	}
	return du, nil
}
