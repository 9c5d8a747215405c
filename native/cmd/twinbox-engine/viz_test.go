package main

import (
	"io"
	"os"
	"strings"
	"testing"
)

// TestVizSim draws each picture of a fresh simulated host, as
// `twinbox viz -sim KIND` does, and checks the usage errors.
func TestVizSim(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		title string
	}{
		{[]string{"-sim", "layers", "busybox"}, "Layers of image busybox"},
		{[]string{"-sim", "containers"}, "Containers"},
		{[]string{"-sim", "lifecycle"}, "The life of a container"},
		{[]string{"-sim", "network"}, "Networks"},
		{[]string{"-sim", "processes"}, "Processes and namespaces"},
	} {
		out, code := captureStdout(t, func() int { return vizMain(tt.args) })
		if code != 0 || !strings.HasPrefix(out, "<svg ") || !strings.Contains(out, "<title>"+tt.title+"</title>") {
			t.Errorf("viz %v: exit %d\n%s", tt.args, code, out)
		}
	}
	for _, args := range [][]string{{"network", "x"}, {"processes", "x"}, {"nothing"}, {}} {
		out, code := captureStdout(t, func() int { return vizMain(args) })
		if code != 125 || out != "" {
			t.Errorf("viz %v: exit %d, want 125 and no picture\n%s", args, code, out)
		}
	}
}

// captureStdout runs f with os.Stdout going to a pipe, and returns what
// it wrote and f's result.
func captureStdout(t *testing.T, f func() int) (string, int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	code := f()
	os.Stdout = old
	w.Close()
	return <-done, code
}
