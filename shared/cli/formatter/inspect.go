package formatter

// Adapted from github.com/docker/cli/cli/command/inspect/inspector.go
// (v28.2.2), Apache License 2.0.

import (
	"bytes"
	"encoding/json"

	"fmt"
	"io"

	"github.com/twinbox-dev/twinbox/shared/cli/template"
)

// Inspector renders the objects `docker inspect` finds.
type Inspector interface {
	// Inspect renders one object, given as the typed value the template runs
	// on and as the engine's raw JSON.
	Inspect(typed any, raw []byte) error
	// Flush writes what was rendered.
	Flush() error
}

// NewInspector returns the inspector for a --format value: the indented raw
// JSON array for "", compact JSON for "json", else a template.
func NewInspector(out io.Writer, format string) (Inspector, error) {
	switch format {
	case "":
		return &jsonInspector{out: out, raw: func(dst *bytes.Buffer, src []byte) error {
			return json.Indent(dst, src, "", "    ")
		}, el: func(v any) ([]byte, error) { return json.MarshalIndent(v, "", "    ") }}, nil
	case JSONFormatKey:
		return &jsonInspector{out: out, raw: json.Compact, el: json.Marshal}, nil
	}
	tmpl, err := ParseTemplate(format)
	if err != nil {
		return nil, fmt.Errorf("template parsing error: %w", err)
	}
	return &templateInspector{out: out, buffer: new(bytes.Buffer), tmpl: tmpl}, nil
}

// templateInspector runs a template on the typed value, and on the raw JSON
// (decoded into maps) when the typed value lacks a field the template uses.
type templateInspector struct {
	out    io.Writer
	buffer *bytes.Buffer
	tmpl   *template.Template
}

func (i *templateInspector) Inspect(typed any, raw []byte) error {
	buffer := new(bytes.Buffer)
	if err := i.tmpl.Execute(buffer, typed); err != nil {
		if raw == nil {
			return fmt.Errorf("template parsing error: %w", err)
		}
		return i.tryRawInspectFallback(raw)
	}
	i.buffer.Write(buffer.Bytes())
	i.buffer.WriteByte('\n')
	return nil
}

func (i *templateInspector) tryRawInspectFallback(raw []byte) error {
	var v any
	buffer := new(bytes.Buffer)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("unable to read inspect data: %w", err)
	}
	tmplMissingKey := i.tmpl.Option("missingkey=error")
	if err := tmplMissingKey.Execute(buffer, v); err != nil {
		return fmt.Errorf("template parsing error: %w", err)
	}
	i.buffer.Write(buffer.Bytes())
	i.buffer.WriteByte('\n')
	return nil
}

func (i *templateInspector) Flush() error {
	if i.buffer.Len() == 0 {
		_, err := io.WriteString(i.out, "\n")
		return err
	}
	_, err := io.Copy(i.out, i.buffer)
	return err
}

type jsonInspector struct {
	out         io.Writer
	elements    []any
	rawElements [][]byte
	raw         func(dst *bytes.Buffer, src []byte) error
	el          func(v any) ([]byte, error)
}

func (e *jsonInspector) Inspect(typed any, raw []byte) error {
	if raw != nil {
		e.rawElements = append(e.rawElements, raw)
	} else {
		e.elements = append(e.elements, typed)
	}
	return nil
}

func (e *jsonInspector) Flush() error {
	if len(e.elements) == 0 && len(e.rawElements) == 0 {
		_, err := io.WriteString(e.out, "[]\n")
		return err
	}
	var buffer io.Reader
	if len(e.rawElements) > 0 {
		b := new(bytes.Buffer)
		b.WriteString("[")
		for idx, r := range e.rawElements {
			b.Write(r)
			if idx < len(e.rawElements)-1 {
				b.WriteString(",")
			}
		}
		b.WriteString("]")
		output := new(bytes.Buffer)
		if err := e.raw(output, b.Bytes()); err != nil {
			return err
		}
		buffer = output
	} else {
		b, err := e.el(e.elements)
		if err != nil {
			return err
		}
		buffer = bytes.NewReader(b)
	}
	if _, err := io.Copy(e.out, buffer); err != nil {
		return err
	}
	_, err := io.WriteString(e.out, "\n")
	return err
}
