package formatter

// Adapted from github.com/docker/cli/cli/command/formatter/image.go
// (v28.2.2), Apache License 2.0.

import (
	"strconv"
	"time"

	"github.com/distribution/reference"
	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/image"
)

const (
	defaultImageTableFormat           = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"
	defaultImageTableFormatWithDigest = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"

	imageIDHeader    = "IMAGE ID"
	repositoryHeader = "REPOSITORY"
	tagHeader        = "TAG"
	digestHeader     = "DIGEST"
	containersHeader = "CONTAINERS"
	sharedSizeHeader = "SHARED SIZE"
	uniqueSizeHeader = "UNIQUE SIZE"
)

// ImageContext renders `docker images`.
type ImageContext struct {
	Context
	Digest bool
}

func isDangling(img image.Summary) bool {
	if len(img.RepoTags) == 0 && len(img.RepoDigests) == 0 {
		return true
	}
	return len(img.RepoTags) == 1 && img.RepoTags[0] == "<none>:<none>" && len(img.RepoDigests) == 1 && img.RepoDigests[0] == "<none>@<none>"
}

// NewImageFormat returns the format of `docker images` for a --format
// value, -q and --digests.
func NewImageFormat(source string, quiet bool, digest bool) Format {
	switch source {
	case TableFormatKey:
		switch {
		case quiet:
			return DefaultQuietFormat
		case digest:
			return defaultImageTableFormatWithDigest
		default:
			return defaultImageTableFormat
		}
	case RawFormatKey:
		switch {
		case quiet:
			return `image_id: {{.ID}}`
		case digest:
			return `repository: {{ .Repository }}
tag: {{.Tag}}
digest: {{.Digest}}
image_id: {{.ID}}
created_at: {{.CreatedAt}}
virtual_size: {{.Size}}
`
		default:
			return `repository: {{ .Repository }}
tag: {{.Tag}}
image_id: {{.ID}}
created_at: {{.CreatedAt}}
virtual_size: {{.Size}}
`
		}
	}
	format := Format(source)
	if format.IsTable() && digest && !format.Contains("{{.Digest}}") {
		format += "\t{{.Digest}}"
	}
	return format
}

// ImageWrite renders images: one row per repository and tag.
func ImageWrite(ctx ImageContext, images []image.Summary) error {
	now := ctx.now()
	return ctx.Write(newImageContext(), func(format func(SubContext) error) error {
		for _, img := range images {
			var rows []*imageContext
			if isDangling(img) {
				rows = []*imageContext{{trunc: ctx.Trunc, i: img, now: now, repo: "<none>", tag: "<none>", digest: "<none>"}}
			} else {
				rows = imageFormatTaggedAndDigest(ctx, img, now)
			}
			for _, row := range rows {
				if err := format(row); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func needDigest(ctx ImageContext) bool {
	return ctx.Digest || ctx.Format.Contains("{{.Digest}}")
}

// imageFormatTaggedAndDigest makes the rows of one image. docker walks maps
// here, so its row order among an image's tags is random; twinbox keeps
// the order of RepoTags and RepoDigests.
func imageFormatTaggedAndDigest(ctx ImageContext, img image.Summary, now time.Time) []*imageContext {
	var repos []string
	repoTags := map[string][]string{}
	repoDigests := map[string][]string{}
	var digestRepos []string

	for _, refString := range img.RepoTags {
		ref, err := reference.ParseNormalizedNamed(refString)
		if err != nil {
			continue
		}
		if nt, ok := ref.(reference.NamedTagged); ok {
			familiar := reference.FamiliarName(ref)
			if _, seen := repoTags[familiar]; !seen {
				repos = append(repos, familiar)
			}
			repoTags[familiar] = append(repoTags[familiar], nt.Tag())
		}
	}
	for _, refString := range img.RepoDigests {
		ref, err := reference.ParseNormalizedNamed(refString)
		if err != nil {
			continue
		}
		if c, ok := ref.(reference.Canonical); ok {
			familiar := reference.FamiliarName(ref)
			if _, seen := repoDigests[familiar]; !seen {
				digestRepos = append(digestRepos, familiar)
			}
			repoDigests[familiar] = append(repoDigests[familiar], c.Digest().String())
		}
	}

	var rows []*imageContext
	add := func(repo, tag, digest string) {
		rows = append(rows, &imageContext{trunc: ctx.Trunc, i: img, now: now, repo: repo, tag: tag, digest: digest})
	}
	for _, repo := range repos {
		digests := repoDigests[repo]
		delete(repoDigests, repo)
		if !needDigest(ctx) {
			digests = nil
		}
		for _, tag := range repoTags[repo] {
			if len(digests) == 0 {
				add(repo, tag, "<none>")
				continue
			}
			for _, d := range digests {
				add(repo, tag, d)
			}
		}
	}
	for _, repo := range digestRepos {
		digests, ok := repoDigests[repo]
		if !ok {
			continue
		}
		if ctx.Digest {
			for _, d := range digests {
				add(repo, "<none>", d)
			}
		} else {
			add(repo, "<none>", "")
		}
	}
	return rows
}

type imageContext struct {
	HeaderContext
	trunc  bool
	i      image.Summary
	now    time.Time
	repo   string
	tag    string
	digest string
}

func newImageContext() *imageContext {
	c := imageContext{}
	c.Header = SubHeaderContext{
		"ID":           imageIDHeader,
		"Repository":   repositoryHeader,
		"Tag":          tagHeader,
		"Digest":       digestHeader,
		"CreatedSince": CreatedSinceHeader,
		"CreatedAt":    CreatedAtHeader,
		"Size":         SizeHeader,
		"Containers":   containersHeader,
		"VirtualSize":  SizeHeader,
		"SharedSize":   sharedSizeHeader,
		"UniqueSize":   uniqueSizeHeader,
	}
	return &c
}

func (c *imageContext) MarshalJSON() ([]byte, error) { return MarshalJSON(c) }

func (c *imageContext) ID() string {
	if c.trunc {
		return TruncateID(c.i.ID)
	}
	return c.i.ID
}

func (c *imageContext) Repository() string { return c.repo }

func (c *imageContext) Tag() string { return c.tag }

func (c *imageContext) Digest() string { return c.digest }

func (c *imageContext) CreatedSince() string {
	createdAt := time.Unix(c.i.Created, 0)
	if createdAt.IsZero() {
		return ""
	}
	return units.HumanDuration(c.now.UTC().Sub(createdAt)) + " ago"
}

func (c *imageContext) CreatedAt() string {
	return time.Unix(c.i.Created, 0).String()
}

func (c *imageContext) Size() string {
	return units.HumanSizeWithPrecision(float64(c.i.Size), 3)
}

func (c *imageContext) Containers() string {
	if c.i.Containers == -1 {
		return "N/A"
	}
	return strconv.FormatInt(c.i.Containers, 10)
}

func (c *imageContext) VirtualSize() string {
	return units.HumanSize(float64(c.i.Size))
}

func (c *imageContext) SharedSize() string {
	if c.i.SharedSize == -1 {
		return "N/A"
	}
	return units.HumanSize(float64(c.i.SharedSize))
}

func (c *imageContext) UniqueSize() string {
	if c.i.Size == -1 || c.i.SharedSize == -1 {
		return "N/A"
	}
	return units.HumanSize(float64(c.i.Size - c.i.SharedSize))
}
