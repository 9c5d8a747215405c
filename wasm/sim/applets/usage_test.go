package applets

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files from the real busybox")

// realBusybox is the path of Debian's busybox-static, or "" when it is not
// installed.
func realBusybox() string {
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		return "" // no processes to run it
	}
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// recordUsage asks the real busybox for every applet's usage text, in the
// format of usage.txt.
func recordUsage(t *testing.T, bb string) []byte {
	t.Helper()
	list, err := exec.Command(bb, "--list").Output()
	if err != nil {
		t.Fatalf("busybox --list: %v", err)
	}
	var buf bytes.Buffer
	for _, name := range strings.Fields(string(list)) {
		buf.WriteString("== " + name + "\n")
		var stderr bytes.Buffer
		cmd := exec.Command(bb, name, "--help")
		cmd.Stderr = &stderr
		cmd.Run() // some applets exit non-zero on --help
		if text, ok := strings.CutPrefix(stderr.String(), Banner); ok {
			buf.WriteString(text)
		}
	}
	return buf.Bytes()
}

// TestUsageData checks usage.txt against the real busybox when it is
// installed; with -update it rewrites usage.txt.
func TestUsageData(t *testing.T) {
	bb := realBusybox()
	if bb == "" {
		t.Skip("busybox is not installed (apt-get install busybox-static)")
	}
	got := recordUsage(t, bb)
	if *update {
		if err := os.WriteFile("usage.txt", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(got) != usageData {
		t.Errorf("usage.txt differs from the installed busybox; run go test -run TestUsageData -update")
	}
}

func TestUsageText(t *testing.T) {
	tests := []struct {
		name, wantPrefix string
	}{
		{"ls", Banner + "\nUsage: ls [-1AaCxdLHRFplinshrSXvctu] [-w WIDTH] [FILE]...\n"},
		{"rm", Banner + "\nUsage: rm [-irf] FILE...\n"},
		{"nosuch", Banner + "\nNo help available\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := usageText(tt.name); !strings.HasPrefix(got, tt.wantPrefix) {
				t.Errorf("got %q, want prefix %q", got, tt.wantPrefix)
			}
		})
	}
	if n := len(BusyboxApplets()); n != 269 {
		t.Errorf("got %d applets, want 269", n)
	}
}
