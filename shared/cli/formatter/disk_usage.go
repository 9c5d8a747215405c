package formatter

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/cli/template"
)

// `docker system df`, adapted from github.com/docker/cli/cli/command/formatter
// (v28.2.2), Apache License 2.0.

const (
	defaultDiskUsageImageTableFormat      Format = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}"
	defaultDiskUsageContainerTableFormat  Format = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}"
	defaultDiskUsageVolumeTableFormat     Format = "table {{.Name}}\t{{.Links}}\t{{.Size}}"
	defaultDiskUsageBuildCacheTableFormat Format = "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}"
	defaultDiskUsageTableFormat           Format = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"

	// The raw format of a build cache record. twinbox's engines have none
	// (the classic builder caches images), so no row ever uses it.
	buildCacheRawFormat = `build_cache_id: {{.ID}}
parent_id: {{.Parent}}
build_cache_type: {{.CacheType}}
description: {{.Description}}
created_at: {{.CreatedAt}}
created_since: {{.CreatedSince}}
last_used_at: {{.LastUsedAt}}
last_used_since: {{.LastUsedSince}}
usage_count: {{.UsageCount}}
in_use: {{.InUse}}
shared: {{.Shared}}
`
)

// NewDiskUsageFormat returns the format of `docker system df [-v]`.
func NewDiskUsageFormat(source string, verbose bool) Format {
	switch {
	case verbose && source == RawFormatKey:
		return Format(`{{range .Images}}type: Image
` + string(NewImageFormat(source, false, true)) + `
{{end -}}
{{range .Containers}}type: Container
` + string(NewContainerFormat(source, false, true)) + `
{{end -}}
{{range .Volumes}}type: Volume
` + string(NewVolumeFormat(source, false)) + `
{{end -}}
{{range .BuildCache}}type: Build Cache
` + buildCacheRawFormat + `
{{end -}}`)
	case !verbose && source == TableFormatKey:
		return defaultDiskUsageTableFormat
	case !verbose && source == RawFormatKey:
		return `type: {{.Type}}
total: {{.TotalCount}}
active: {{.Active}}
size: {{.Size}}
reclaimable: {{.Reclaimable}}
`
	}
	return Format(source)
}

// DiskUsageWrite renders GET /system/df's answer: a row per kind (images,
// containers, local volumes, build cache), or with verbose a table of each.
func DiskUsageWrite(ctx Context, du *wire.DiskUsage, verbose bool) error {
	if verbose {
		return diskUsageVerbose(ctx, du)
	}
	ctx.buffer = &bytes.Buffer{}
	ctx.preFormat()
	tmpl, err := ctx.parseFormat()
	if err != nil {
		return err
	}
	var builderSize int64
	for _, bc := range du.BuildCache {
		if !bc.Shared {
			builderSize += bc.Size
		}
	}
	for _, row := range []SubContext{
		&diskUsageImagesContext{totalSize: du.LayersSize, images: du.Images},
		&diskUsageContainersContext{containers: du.Containers},
		&diskUsageVolumesContext{volumes: du.Volumes},
		&diskUsageBuilderContext{builderSize: builderSize, buildCache: du.BuildCache},
	} {
		if err := ctx.contextFormat(tmpl, row); err != nil {
			return err
		}
	}
	header := &diskUsageContainersContext{}
	header.Header = SubHeaderContext{
		"Type":        "TYPE",
		"TotalCount":  "TOTAL",
		"Active":      "ACTIVE",
		"Size":        SizeHeader,
		"Reclaimable": "RECLAIMABLE",
	}
	ctx.postFormat(tmpl, header)
	return nil
}

// diskUsageLists are the rows of `docker system df -v`.
type diskUsageLists struct {
	Images     []*imageContext
	Containers []*ContainerContext
	Volumes    []*volumeContext
	BuildCache []*HeaderContext
}

func diskUsageVerbose(ctx Context, du *wire.DiskUsage) error {
	now := ctx.now()
	trunc := ctx.Format.IsTable()
	lists := &diskUsageLists{BuildCache: []*HeaderContext{}}
	for _, img := range du.Images {
		repo, tag := "<none>", "<none>"
		if len(img.RepoTags) > 0 && !isDangling(img.Summary) {
			// The first tag only.
			ref, err := reference.ParseNormalizedNamed(img.RepoTags[0])
			if err != nil {
				continue
			}
			if nt, ok := ref.(reference.NamedTagged); ok {
				repo, tag = reference.FamiliarName(ref), nt.Tag()
			}
		}
		lists.Images = append(lists.Images, &imageContext{repo: repo, tag: tag, trunc: trunc, i: img.Summary, now: now})
	}
	for _, c := range du.Containers {
		s := *c
		s.SizeRootFs = 0 // the virtual size is not shown
		lists.Containers = append(lists.Containers, &ContainerContext{trunc: trunc, c: s, now: now})
	}
	for _, v := range du.Volumes {
		lists.Volumes = append(lists.Volumes, &volumeContext{v: *v})
	}
	if ctx.Format != TableFormatKey {
		ctx.preFormat()
		tmpl, err := ctx.parseFormat()
		if err != nil {
			return err
		}
		return tmpl.Execute(ctx.Output, lists)
	}

	var builderSize int64
	for _, bc := range du.BuildCache {
		if !bc.Shared {
			builderSize += bc.Size
		}
	}
	buildCacheHeader := &HeaderContext{Header: SubHeaderContext{
		"ID":            "CACHE ID",
		"CacheType":     "CACHE TYPE",
		"Size":          SizeHeader,
		"CreatedSince":  CreatedSinceHeader,
		"LastUsedSince": "LAST USED",
		"UsageCount":    "USAGE",
		"Shared":        "SHARED",
	}}
	sections := []struct {
		title  string
		format Format
		rows   int
		row    func(int) SubContext
		header SubContext
	}{
		{"Images space usage:\n\n", defaultDiskUsageImageTableFormat, len(lists.Images),
			func(i int) SubContext { return lists.Images[i] }, newImageContext()},
		{"\nContainers space usage:\n\n", defaultDiskUsageContainerTableFormat, len(lists.Containers),
			func(i int) SubContext { return lists.Containers[i] }, NewContainerContext()},
		{"\nLocal Volumes space usage:\n\n", defaultDiskUsageVolumeTableFormat, len(lists.Volumes),
			func(i int) SubContext { return lists.Volumes[i] }, newVolumeContext()},
		// No build cache rows: see buildCacheRawFormat.
		{fmt.Sprintf("\nBuild cache usage: %s\n\n", units.HumanSize(float64(builderSize))), defaultDiskUsageBuildCacheTableFormat, 0,
			nil, buildCacheHeader},
	}
	for _, s := range sections {
		tmpl, err := ctx.startSubsection(s.format)
		if err != nil {
			return err
		}
		ctx.Output.Write([]byte(s.title))
		for i := range s.rows {
			if err := ctx.contextFormat(tmpl, s.row(i)); err != nil {
				return err
			}
		}
		ctx.postFormat(tmpl, s.header)
	}
	return nil
}

// startSubsection readies ctx for one table of `docker system df -v`.
func (ctx *Context) startSubsection(format Format) (*template.Template, error) {
	ctx.buffer = &bytes.Buffer{}
	ctx.header = ""
	ctx.Format = format
	ctx.preFormat()
	return ctx.parseFormat()
}

// diskUsageImagesContext is the images' row.
type diskUsageImagesContext struct {
	HeaderContext
	totalSize int64
	images    []*wire.ImageSummary
}

func (c *diskUsageImagesContext) MarshalJSON() ([]byte, error) { return MarshalJSON(c) }

func (c *diskUsageImagesContext) Type() string { return "Images" }

func (c *diskUsageImagesContext) TotalCount() string { return strconv.Itoa(len(c.images)) }

func (c *diskUsageImagesContext) Active() string {
	used := 0
	for _, i := range c.images {
		if i.Containers > 0 {
			used++
		}
	}
	return strconv.Itoa(used)
}

func (c *diskUsageImagesContext) Size() string { return units.HumanSize(float64(c.totalSize)) }

// Reclaimable is what removing the images no container uses would free:
// the layers less those only the used images have.
func (c *diskUsageImagesContext) Reclaimable() string {
	var used int64
	for _, i := range c.images {
		if i.Containers != 0 && i.Size != -1 && i.SharedSize != -1 {
			used += i.Size - i.SharedSize
		}
	}
	return withShare(c.totalSize-used, c.totalSize)
}

// withShare prints a reclaimable size with its share of total, as "1kB
// (50%)", or alone when total is 0.
func withShare(reclaimable, total int64) string {
	if total > 0 {
		return fmt.Sprintf("%s (%v%%)", units.HumanSize(float64(reclaimable)), (reclaimable*100)/total)
	}
	return units.HumanSize(float64(reclaimable))
}

// diskUsageContainersContext is the containers' row.
type diskUsageContainersContext struct {
	HeaderContext
	containers []*container.Summary
}

func (c *diskUsageContainersContext) MarshalJSON() ([]byte, error) { return MarshalJSON(c) }

func (c *diskUsageContainersContext) Type() string { return "Containers" }

func (c *diskUsageContainersContext) TotalCount() string { return strconv.Itoa(len(c.containers)) }

// active: a container that runs, is paused or restarts holds its layer.
func active(state string) bool {
	return strings.Contains(state, "running") || strings.Contains(state, "paused") || strings.Contains(state, "restarting")
}

func (c *diskUsageContainersContext) Active() string {
	used := 0
	for _, ct := range c.containers {
		if active(string(ct.State)) {
			used++
		}
	}
	return strconv.Itoa(used)
}

func (c *diskUsageContainersContext) Size() string {
	var size int64
	for _, ct := range c.containers {
		size += ct.SizeRw
	}
	return units.HumanSize(float64(size))
}

func (c *diskUsageContainersContext) Reclaimable() string {
	var reclaimable, total int64
	for _, ct := range c.containers {
		if !active(string(ct.State)) {
			reclaimable += ct.SizeRw
		}
		total += ct.SizeRw
	}
	return withShare(reclaimable, total)
}

// diskUsageVolumesContext is the local volumes' row.
type diskUsageVolumesContext struct {
	HeaderContext
	volumes []*wire.Volume
}

func (c *diskUsageVolumesContext) MarshalJSON() ([]byte, error) { return MarshalJSON(c) }

func (c *diskUsageVolumesContext) Type() string { return "Local Volumes" }

func (c *diskUsageVolumesContext) TotalCount() string { return strconv.Itoa(len(c.volumes)) }

func (c *diskUsageVolumesContext) Active() string {
	used := 0
	for _, v := range c.volumes {
		if v.UsageData != nil && v.UsageData.RefCount > 0 {
			used++
		}
	}
	return strconv.Itoa(used)
}

func (c *diskUsageVolumesContext) Size() string {
	var size int64
	for _, v := range c.volumes {
		if v.UsageData != nil && v.UsageData.Size != -1 {
			size += v.UsageData.Size
		}
	}
	return units.HumanSize(float64(size))
}

func (c *diskUsageVolumesContext) Reclaimable() string {
	var reclaimable, total int64
	for _, v := range c.volumes {
		if v.UsageData != nil && v.UsageData.Size != -1 {
			if v.UsageData.RefCount == 0 {
				reclaimable += v.UsageData.Size
			}
			total += v.UsageData.Size
		}
	}
	return withShare(reclaimable, total)
}

// diskUsageBuilderContext is the build cache's row.
type diskUsageBuilderContext struct {
	HeaderContext
	builderSize int64
	buildCache  []*build.CacheRecord
}

func (c *diskUsageBuilderContext) MarshalJSON() ([]byte, error) { return MarshalJSON(c) }

func (c *diskUsageBuilderContext) Type() string { return "Build Cache" }

func (c *diskUsageBuilderContext) TotalCount() string { return strconv.Itoa(len(c.buildCache)) }

func (c *diskUsageBuilderContext) Active() string {
	n := 0
	for _, bc := range c.buildCache {
		if bc.InUse {
			n++
		}
	}
	return strconv.Itoa(n)
}

func (c *diskUsageBuilderContext) Size() string { return units.HumanSize(float64(c.builderSize)) }

func (c *diskUsageBuilderContext) Reclaimable() string {
	var inUse int64
	for _, bc := range c.buildCache {
		if bc.InUse && !bc.Shared {
			inUse += bc.Size
		}
	}
	return units.HumanSize(float64(c.builderSize - inUse))
}
