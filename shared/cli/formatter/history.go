package formatter

// Adapted from github.com/docker/cli/cli/command/image/formatter_history.go
// (v28.2.2), Apache License 2.0.

import (
	"strconv"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/image"
)

const (
	defaultHistoryTableFormat  = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
	nonHumanHistoryTableFormat = "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"

	historyIDHeader = "IMAGE"
	createdByHeader = "CREATED BY"
	commentHeader   = "COMMENT"
)

// NewHistoryFormat returns the format of `docker history` for a --format
// value, -q and -H.
func NewHistoryFormat(source string, quiet bool, human bool) Format {
	if source == TableFormatKey {
		switch {
		case quiet:
			return DefaultQuietFormat
		case !human:
			return nonHumanHistoryTableFormat
		default:
			return defaultHistoryTableFormat
		}
	}
	return Format(source)
}

// HistoryWrite renders an image's history.
func HistoryWrite(ctx Context, human bool, histories []image.HistoryResponseItem) error {
	now := ctx.now()
	header := &historyContext{}
	header.Header = SubHeaderContext{
		"ID":           historyIDHeader,
		"CreatedSince": CreatedSinceHeader,
		"CreatedAt":    CreatedAtHeader,
		"CreatedBy":    createdByHeader,
		"Size":         SizeHeader,
		"Comment":      commentHeader,
	}
	return ctx.Write(header, func(format func(SubContext) error) error {
		for _, h := range histories {
			if err := format(&historyContext{trunc: ctx.Trunc, h: h, human: human, now: now}); err != nil {
				return err
			}
		}
		return nil
	})
}

type historyContext struct {
	HeaderContext
	trunc bool
	human bool
	now   time.Time
	h     image.HistoryResponseItem
}

func (c *historyContext) MarshalJSON() ([]byte, error) { return MarshalJSON(c) }

func (c *historyContext) ID() string {
	if c.trunc {
		return TruncateID(c.h.ID)
	}
	return c.h.ID
}

func (c *historyContext) CreatedAt() string {
	return time.Unix(c.h.Created, 0).Format(time.RFC3339)
}

// epoch is the time before which docker shows "N/A" for a layer's age.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

func (c *historyContext) CreatedSince() string {
	if !c.human {
		return c.CreatedAt()
	}
	if c.h.Created <= epoch {
		return "N/A"
	}
	return units.HumanDuration(c.now.UTC().Sub(time.Unix(c.h.Created, 0))) + " ago"
}

func (c *historyContext) CreatedBy() string {
	createdBy := strings.ReplaceAll(c.h.CreatedBy, "\t", " ")
	if c.trunc {
		return Ellipsis(createdBy, 45)
	}
	return createdBy
}

func (c *historyContext) Size() string {
	if c.human {
		return units.HumanSizeWithPrecision(float64(c.h.Size), 3)
	}
	return strconv.FormatInt(c.h.Size, 10)
}

func (c *historyContext) Comment() string { return c.h.Comment }
