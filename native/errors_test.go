package native

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestNotRoot runs New in a copy of this test binary as nobody: it must
// say that the native backend needs root.
func TestNotRoot(t *testing.T) {
	if os.Getenv("TBX_NEW_AS_NOBODY") != "" {
		_, err := New(Options{Root: filepath.Join(os.Getenv("TMPDIR"), "root")})
		io.WriteString(os.Stdout, "error: "+err.Error()+"\n")
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a process as nobody")
	}
	dir, err := os.MkdirTemp("", "twinbox-notroot-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	self, _ := os.Executable()
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "native.test")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestNotRoot$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TBX_NEW_AS_NOBODY=1", "TMPDIR="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	os.Chmod(dir, 0o777)
	out, err := cmd.CombinedOutput()
	if err != nil && len(out) == 0 {
		t.Fatalf("running the test binary as nobody: %v", err)
	}
	want := "error: native backend: needs root"
	if !strings.Contains(string(out), want) {
		t.Errorf("got %q, want it to contain %q", out, want)
	}
}
