package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// build builds this CLI into dir (statically, as make build does) and,
// with engine, twinbox-engine beside it.
func build(t *testing.T, dir string, engine bool) string {
	t.Helper()
	pkgs := map[string]string{filepath.Join(dir, "twinbox"): "."}
	if engine {
		pkgs[filepath.Join(dir, "twinbox-engine")] = "../twinbox-engine"
	}
	for out, pkg := range pkgs {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+map[bool]string{true: "0", false: "1"}[pkg == "."])
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, b)
		}
	}
	return filepath.Join(dir, "twinbox")
}

// TestHandsOwnCommandsToEngine: docker's commands run here, twinbox's own
// run in twinbox-engine beside it (here through a `docker`-named link too,
// which is only the CLI), and without the engine they say what is missing.
func TestHandsOwnCommandsToEngine(t *testing.T) {
	dir := t.TempDir()
	bin := build(t, dir, true)

	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "Docker version ") {
		t.Fatalf("twinbox --version: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "twinbox's own commands:") || !strings.Contains(string(out), "daemon") {
		t.Fatalf("twinbox help (the engine's): %v\n%s", err, out)
	}
	link := filepath.Join(dir, "docker")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	// As docker, "help" is docker's help, not twinbox's.
	out, _ = exec.Command(link, "help").CombinedOutput()
	if strings.Contains(string(out), "twinbox's own commands:") || !strings.Contains(string(out), "Usage:  docker") {
		t.Fatalf("docker help:\n%s", out)
	}

	alone := build(t, t.TempDir(), false)
	out, err = exec.Command(alone, "daemon", "--backend", "sim").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "daemon needs twinbox-engine beside twinbox (make build)") {
		t.Fatalf("twinbox daemon without the engine: %v\n%s", err, out)
	}
}
