package formatter

// Adapted from github.com/docker/cli/templates (v28.2.2), Apache License 2.0.

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/twinbox-dev/twinbox/shared/cli/template"
)

// basicFunctions are the functions docker's templates offer besides
// text/template's own (len, index, printf, println, ...).
var basicFunctions = template.FuncMap{
	"json": func(v any) string {
		buf := &bytes.Buffer{}
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			panic(err)
		}
		// Remove the trailing new line added by the encoder
		return strings.TrimSpace(buf.String())
	},
	"split":    strings.Split,
	"join":     strings.Join,
	"title":    strings.Title, //nolint:staticcheck // docker uses it, for ASCII
	"lower":    strings.ToLower,
	"upper":    strings.ToUpper,
	"pad":      padWithSpace,
	"truncate": truncateWithLength,
}

// HeaderFunctions replace the basic functions when a table's header row is
// rendered: they leave the header text as it is.
var HeaderFunctions = template.FuncMap{
	"json":     func(v string) string { return v },
	"split":    func(v string, _ string) string { return v },
	"join":     func(v string, _ string) string { return v },
	"title":    func(v string) string { return v },
	"lower":    func(v string) string { return v },
	"upper":    func(v string) string { return v },
	"truncate": func(v string, _ int) string { return v },
}

// NewTemplate returns an empty template named tag with docker's functions
// and the methods of MethodByName.
func NewTemplate(tag string) *template.Template {
	return template.New(tag).Funcs(basicFunctions).Methods(MethodByName)
}

// ParseTemplate parses a --format template with docker's functions.
func ParseTemplate(format string) (*template.Template, error) {
	return NewTemplate("").Parse(format)
}

// padWithSpace adds spaces around a non-empty string.
func padWithSpace(source string, prefix, suffix int) string {
	if source == "" {
		return source
	}
	return strings.Repeat(" ", prefix) + source + strings.Repeat(" ", suffix)
}

// truncateWithLength cuts source to length bytes.
func truncateWithLength(source string, length int) string {
	if len(source) < length {
		return source
	}
	return source[:length]
}
