// Package formatter prints lists and objects the way the docker CLI 28 does:
// --format Go templates with docker's functions (json, join, split, title,
// lower, upper, pad, truncate), "table" formats aligned with tabs, the
// default tables of ps, images, history and diff, the inspect output, and
// the progress of pulls and loads.
//
// It is adapted from github.com/docker/cli/cli/command/formatter (v28.2.2),
// Apache License 2.0. Each row type is a context whose methods are the
// template's fields ({{.ID}}, {{.Status}}); the table header is a map of the
// same names to column titles.
//
//	ctx := formatter.Context{Output: os.Stdout, Format: formatter.NewContainerFormat("", false, false), Trunc: true}
//	err := formatter.ContainerWrite(ctx, containers)
package formatter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
	"unicode"

	"github.com/twinbox-dev/twinbox/shared/cli/formatter/tabwriter"
	"github.com/twinbox-dev/twinbox/shared/cli/template"
)

// Format keys.
const (
	TableFormatKey  = "table"
	RawFormatKey    = "raw"
	PrettyFormatKey = "pretty"
	JSONFormatKey   = "json"

	DefaultQuietFormat = "{{.ID}}"
	JSONFormat         = "{{json .}}"
)

// Column titles shared by several lists.
const (
	CreatedSinceHeader = "CREATED"
	CreatedAtHeader    = "CREATED AT"
	SizeHeader         = "SIZE"
	LabelsHeader       = "LABELS"
	NameHeader         = "NAME"
	DescriptionHeader  = "DESCRIPTION"
	DriverHeader       = "DRIVER"
	ScopeHeader        = "SCOPE"
	StateHeader        = "STATE"
	StatusHeader       = "STATUS"
	PortsHeader        = "PORTS"
	ImageHeader        = "IMAGE"
	ErrorHeader        = "ERROR"
	ContainerIDHeader  = "CONTAINER ID"
)

// Format is a --format value: "table ...", "json", or a template.
type Format string

// IsTable reports whether the format starts with "table".
func (f Format) IsTable() bool { return strings.HasPrefix(string(f), TableFormatKey) }

// IsJSON reports whether the format is "json".
func (f Format) IsJSON() bool { return string(f) == JSONFormatKey }

// Contains reports whether the format contains sub.
func (f Format) Contains(sub string) bool { return strings.Contains(string(f), sub) }

// Context renders rows with a format.
type Context struct {
	Output io.Writer
	Format Format
	Trunc  bool
	// Now is the time "5 seconds ago" counts from; nil means time.Now.
	Now func() time.Time

	finalFormat string
	header      any
	buffer      *bytes.Buffer
}

func (c *Context) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Context) preFormat() {
	c.finalFormat = string(c.Format)
	switch {
	case c.Format.IsTable():
		c.finalFormat = c.finalFormat[len(TableFormatKey):]
	case c.Format.IsJSON():
		c.finalFormat = JSONFormat
	}
	c.finalFormat = strings.Trim(c.finalFormat, " ")
	r := strings.NewReplacer(`\t`, "\t", `\n`, "\n")
	c.finalFormat = r.Replace(c.finalFormat)
}

func (c *Context) parseFormat() (*template.Template, error) {
	tmpl, err := ParseTemplate(c.finalFormat)
	if err != nil {
		return nil, fmt.Errorf("template parsing error: %w", err)
	}
	return tmpl, nil
}

func (c *Context) postFormat(tmpl *template.Template, sub SubContext) {
	out := c.Output
	if out == nil {
		out = io.Discard
	}
	if c.Format.IsTable() {
		t := tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)
		buffer := &bytes.Buffer{}
		_ = tmpl.Funcs(HeaderFunctions).Execute(buffer, sub.FullHeader())
		_, _ = buffer.WriteTo(t)
		_, _ = t.Write([]byte("\n"))
		_, _ = c.buffer.WriteTo(t)
		_ = t.Flush()
	} else {
		_, _ = c.buffer.WriteTo(out)
	}
}

func (c *Context) contextFormat(tmpl *template.Template, sub SubContext) error {
	if err := tmpl.Execute(c.buffer, sub); err != nil {
		return fmt.Errorf("template parsing error: %w", err)
	}
	if c.Format.IsTable() && c.header != nil {
		c.header = sub.FullHeader()
	}
	c.buffer.WriteString("\n")
	return nil
}

// SubFormat renders the rows by calling its argument for each.
type SubFormat func(func(SubContext) error) error

// Write renders the rows f produces, with sub providing the table header.
func (c *Context) Write(sub SubContext, f SubFormat) error {
	c.buffer = &bytes.Buffer{}
	c.preFormat()
	tmpl, err := c.parseFormat()
	if err != nil {
		return err
	}
	if err := f(func(s SubContext) error { return c.contextFormat(tmpl, s) }); err != nil {
		return err
	}
	c.postFormat(tmpl, sub)
	return nil
}

// SubContext is one row: its methods are the template's fields.
type SubContext interface {
	FullHeader() any
}

// SubHeaderContext maps field names to column titles.
type SubHeaderContext map[string]string

// Label turns a label name into a column title ("com.example.vendor" →
// "vendor").
func (SubHeaderContext) Label(name string) string {
	n := strings.Split(name, ".")
	r := strings.NewReplacer("-", " ", "_", " ")
	return r.Replace(n[len(n)-1])
}

// HeaderContext holds a row type's header.
type HeaderContext struct {
	Header any
}

// FullHeader returns the header.
func (c *HeaderContext) FullHeader() any { return c.Header }

// MarshalJSON encodes a row as {{json .}} shows it: a JSON object of the
// results of its exported methods that take nothing and return one value.
func MarshalJSON(x any) ([]byte, error) {
	m, err := marshalMap(x)
	if err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

func marshalMap(x any) (map[string]any, error) {
	val := reflect.ValueOf(x)
	if val.Kind() != reflect.Ptr {
		return nil, fmt.Errorf("expected a pointer to a struct, got %v", val.Kind())
	}
	if val.IsNil() {
		return nil, errors.New("expected a pointer to a struct, got nil pointer")
	}
	if val.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("expected a pointer to a struct, got a pointer to %v", val.Elem().Kind())
	}
	// The methods are found by name, in the order of their names as
	// reflect's Method(i) has them: an index would make the linker keep
	// every exported method (see scripts/templatemethods).
	m := make(map[string]any)
	for _, name := range methodNames {
		v := MethodByName(val, name)
		if !v.IsValid() || name == "FullHeader" || !unicode.IsUpper(rune(name[0])) ||
			v.Type().NumIn() != 0 || v.Type().NumOut() != 1 {
			continue
		}
		m[name] = v.Call(nil)[0].Interface()
	}
	return m, nil
}

// Ellipsis cuts s to at most maxDisplayWidth columns, ending it with "…"
// when cut. Wide East Asian characters take two columns.
func Ellipsis(s string, maxDisplayWidth int) string {
	if maxDisplayWidth <= 0 {
		return ""
	}
	rs := []rune(s)
	if len(rs) == 0 {
		return ""
	}
	if maxDisplayWidth == 1 {
		return string(rs[0])
	}
	if len(s) == len(rs) {
		if len(s) <= maxDisplayWidth {
			return s
		}
		return string(rs[:maxDisplayWidth-1]) + "…"
	}
	var (
		display      = make([]int, 0, len(rs))
		displayWidth int
	)
	for _, r := range rs {
		cw := 1
		if tabwriter.IsWide(r) {
			cw = 2
		}
		displayWidth += cw
		display = append(display, displayWidth)
	}
	if displayWidth <= maxDisplayWidth {
		return s
	}
	for i := range display {
		if display[i] <= maxDisplayWidth-1 && display[i+1] > maxDisplayWidth-1 {
			return string(rs[:i+1]) + "…"
		}
	}
	return s
}

// TruncateID shortens a 64-hex ID to 12 characters, dropping an
// "algorithm:" prefix, as docker's stringid.TruncateID does.
func TruncateID(id string) string {
	if i := strings.IndexRune(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}
