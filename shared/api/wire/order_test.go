package wire

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
)

// TestReferenceShapes decodes answers recorded from dockerd 20.10.24 into
// the wire types and encodes them again: the bytes must be dockerd's.
func TestReferenceShapes(t *testing.T) {
	tests := []struct {
		file string
		v    any
	}{
		{"container-inspect.json", &ContainerJSON{}},
		{"image-inspect.json", &ImageInspect{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, tt.v); err != nil {
				t.Fatal(err)
			}
			got, err := marshalPlain(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, data); err != nil {
				t.Fatal(err)
			}
			if string(got) != want.String() {
				var g, w bytes.Buffer
				json.Indent(&g, got, "", "  ")
				json.Indent(&w, want.Bytes(), "", "  ")
				t.Errorf("got\n%s\nwant\n%s", firstDiff(g.String(), w.String()), "")
			}
		})
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return "line " + al[i] + "\nwant " + bl[i]
		}
	}
	return "lengths differ"
}

func TestInspectDefaults(t *testing.T) {
	c := ContainerJSON{}
	c.ID = "x"
	c.HostConfig = &container.HostConfig{}
	c.Config = &container.Config{Cmd: []string{"sh", "-c", "a && b > c"}}
	got, err := marshalPlain(c) // as the router writes it
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"KernelMemory":0,"KernelMemoryTCP":0`, `"OnBuild":null`, `"a && b > c"`, `"ConsoleSize":[0,0],"Isolation"`, `"GraphDriver":{"Data":null,"Name":""}`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("got %s, want it to contain %s", got, want)
		}
	}
	img, err := json.Marshal(ImageInspect{})
	if err != nil {
		t.Fatal(err)
	}
	if want := `"Container":"","ContainerConfig":{"Hostname":""`; !strings.Contains(string(img), want) {
		t.Errorf("got %s, want it to contain %s", img, want)
	}
}
