package formatter

// Adapted from github.com/docker/cli/cli/command/container/formatter_diff.go
// (v28.2.2), Apache License 2.0.

import "github.com/moby/moby/api/types/container"

const (
	defaultDiffTableFormat = "table {{.Type}}\t{{.Path}}"

	changeTypeHeader = "CHANGE TYPE"
	pathHeader       = "PATH"
)

// NewDiffFormat returns the format of `docker diff`.
func NewDiffFormat(source string) Format {
	if source == TableFormatKey {
		return defaultDiffTableFormat
	}
	return Format(source)
}

// DiffWrite renders a container's filesystem changes.
func DiffWrite(ctx Context, changes []container.FilesystemChange) error {
	header := &diffContext{}
	header.Header = SubHeaderContext{
		"Type": changeTypeHeader,
		"Path": pathHeader,
	}
	return ctx.Write(header, func(format func(SubContext) error) error {
		for _, change := range changes {
			if err := format(&diffContext{c: change}); err != nil {
				return err
			}
		}
		return nil
	})
}

type diffContext struct {
	HeaderContext
	c container.FilesystemChange
}

func (d *diffContext) MarshalJSON() ([]byte, error) { return MarshalJSON(d) }

func (d *diffContext) Type() string { return d.c.Kind.String() }

func (d *diffContext) Path() string { return d.c.Path }
