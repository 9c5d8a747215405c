// Command record rewrites the want sections of the builder's golden cases
// (../cases/*.txtar) with what a real dockerd 20.10 and the docker CLI 28
// print for them. It needs a dockerd with busybox:latest loaded (see
// ../../../../../shared/reference/README.md) and removes every other image
// and every container between cases:
//
//	DOCKER_HOST=unix:///tmp/dockerd.sock go run ./shared/build/testdata/record shared/build/testdata/cases/*.txtar
//
// Each case's comment holds its commands (see TestCases); their output is
// kept without the CLI's own lines (the DEPRECATED banner, "Sending build
// context"), 12-hex IDs replaced by <id>.
package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: record CASE.txtar...")
		os.Exit(2)
	}
	for _, name := range os.Args[1:] {
		if err := record(name); err != nil {
			fmt.Fprintf(os.Stderr, "record %s: %v\n", name, err)
			os.Exit(1)
		}
		fmt.Println(name)
	}
}

type file struct {
	name string
	data []byte
}

func parse(data []byte) (comment []byte, files []file) {
	cur := &comment
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		s := strings.TrimSuffix(string(line), "\n")
		if n, ok := strings.CutPrefix(s, "-- "); ok && strings.HasSuffix(n, " --") {
			files = append(files, file{name: strings.TrimSuffix(n, " --")})
			cur = &files[len(files)-1].data
			continue
		}
		*cur = append(*cur, line...)
	}
	return comment, files
}

var hex12 = regexp.MustCompile(`(^|[^0-9a-f])[0-9a-f]{12}([^0-9a-f]|$)`)

// normalise drops the CLI's own lines and replaces 12-hex IDs.
func normalise(out string) string {
	var b strings.Builder
	for _, line := range strings.Split(out, "\n") {
		if line == "" || strings.HasPrefix(line, "DEPRECATED:") || strings.HasPrefix(line, "            ") || strings.HasPrefix(line, "Sending build context") {
			continue
		}
		b.WriteString(line + "\n")
	}
	s := b.String()
	for {
		r := hex12.ReplaceAllString(s, "$1<id>$2")
		if r == s {
			return s
		}
		s = r
	}
}

func docker(dir string, args ...string) (string, int) {
	cmd := exec.Command("docker", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0", "DOCKER_CLI_HINTS=false")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	return string(out), 0
}

// reset removes every container and every image but busybox:latest.
func reset() {
	if ids, _ := docker("/", "ps", "-aq"); strings.TrimSpace(ids) != "" {
		docker("/", append([]string{"rm", "-f"}, strings.Fields(ids)...)...)
	}
	keep, _ := docker("/", "images", "-q", "--no-trunc", "busybox:latest")
	ids, _ := docker("/", "images", "-aq", "--no-trunc")
	var rm []string
	for _, id := range strings.Fields(ids) {
		if id != strings.TrimSpace(keep) {
			rm = append(rm, id)
		}
	}
	if len(rm) > 0 {
		docker("/", append([]string{"rmi", "-f"}, rm...)...)
	}
	docker("/", "volume", "prune", "-f")
}

func record(name string) error {
	data, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	comment, files := parse(data)
	dir, err := os.MkdirTemp("", "record")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var kept []file
	for _, f := range files {
		if f.name == "want" {
			continue
		}
		kept = append(kept, f)
		p, content := filepath.Join(dir, f.name), f.data
		if n, ok := strings.CutSuffix(p, ".b64"); ok {
			if content, err = base64.StdEncoding.DecodeString(string(f.data)); err != nil {
				return err
			}
			p = n
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			return err
		}
	}
	reset()
	var want strings.Builder
	for _, line := range strings.Split(string(comment), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		words := strings.Fields(line)
		var out string
		var code int
		switch words[0] {
		case "build":
			out, code = docker(dir, append(append([]string{"build"}, words[1:]...), ".")...)
		case "history":
			out, code = docker(dir, append([]string{"history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Size}}"}, words[1:]...)...)
		case "run":
			out, code = docker(dir, append([]string{"run", "--rm"}, words[1:]...)...)
		default:
			return fmt.Errorf("unknown command %q", line)
		}
		fmt.Fprintf(&want, "$ %s\n%s[exit %d]\n", line, normalise(out), code)
	}
	var b bytes.Buffer
	b.Write(comment)
	for _, f := range kept {
		fmt.Fprintf(&b, "-- %s --\n", f.name)
		b.Write(f.data)
	}
	fmt.Fprintf(&b, "-- want --\n%s", want.String())
	return os.WriteFile(name, b.Bytes(), 0o644)
}
