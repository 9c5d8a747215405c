package busybox

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/wasm/sim/applets/internal/testroot"
)

var update = flag.Bool("update", false, "record the comparison goldens by running the real busybox (root, busybox-static, unshare)")

const (
	casesFile  = "testdata/compare/cases.txt"
	goldenFile = "testdata/compare/golden.txt"
	testPath   = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// compareCase is one command line, run by `sh -c` in a fresh fixture.
type compareCase struct {
	name, script string
}

// outcome is what a case printed and returned.
type outcome struct {
	time           int64 // the wall clock when the case started (Unix seconds)
	status         int
	stdout, stderr string
}

func readCases(t *testing.T) []compareCase {
	t.Helper()
	b, err := os.ReadFile(casesFile)
	if err != nil {
		t.Fatal(err)
	}
	var cases []compareCase
	for _, sec := range strings.Split(string(b), "\n== ")[1:] {
		name, script, _ := strings.Cut(sec, "\n")
		cases = append(cases, compareCase{name: strings.TrimSpace(name), script: strings.TrimRight(script, "\n")})
	}
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	return cases
}

// quoteBlock writes text one line per "> " line, ending with "\ no newline"
// when the text does not end with one.
func quoteBlock(b *bytes.Buffer, text string) {
	if text == "" {
		return
	}
	lines := strings.Split(text, "\n")
	noEOL := !strings.HasSuffix(text, "\n")
	if !noEOL {
		lines = lines[:len(lines)-1]
	}
	for _, l := range lines {
		b.WriteString("> " + l + "\n")
	}
	if noEOL {
		b.WriteString("\\ no newline\n")
	}
}

func unquoteBlock(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		if l == "\\ no newline" {
			s := b.String()
			return strings.TrimSuffix(s, "\n")
		}
		b.WriteString(strings.TrimPrefix(l, "> ") + "\n")
	}
	return b.String()
}

func writeGolden(cases []compareCase, got map[string]outcome) []byte {
	var b bytes.Buffer
	for _, c := range cases {
		o := got[c.name]
		fmt.Fprintf(&b, "== %s\n-- time %d status %d\n-- stdout\n", c.name, o.time, o.status)
		quoteBlock(&b, o.stdout)
		b.WriteString("-- stderr\n")
		quoteBlock(&b, o.stderr)
	}
	return b.Bytes()
}

func readGolden(t *testing.T) map[string]outcome {
	t.Helper()
	b, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("%v (record with: go test -run TestCompare -update, as root)", err)
	}
	m := map[string]outcome{}
	for _, sec := range strings.Split(string(b), "== ")[1:] {
		lines := strings.Split(strings.TrimSuffix(sec, "\n"), "\n")
		name := lines[0]
		var o outcome
		fmt.Sscanf(lines[1], "-- time %d status %d", &o.time, &o.status)
		i := 3
		j := i
		for j < len(lines) && lines[j] != "-- stderr" {
			j++
		}
		o.stdout = unquoteBlock(lines[i:j])
		if j < len(lines) {
			o.stderr = unquoteBlock(lines[j+1:])
		}
		m[name] = o
	}
	return m
}

// runSim runs a case through the simulator's sh over the fixture, on the
// simulated kernel with its clock at the time the golden was recorded.
func runSim(t *testing.T, c compareCase, at int64) outcome {
	t.Helper()
	m := newMachine(t, fixture(), time.Unix(at, 0).UTC())
	o := m.run(c.script, nil)
	o.time = at
	return o
}

// TestCompare runs each case of testdata/compare/cases.txt through the
// simulator and compares what it prints with what the real busybox
// printed for the same command line in an identical tree.
func TestCompare(t *testing.T) {
	cases := readCases(t)
	if *update {
		recordGoldens(t, cases)
	}
	want := readGolden(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "umask" && !kernelSetsUmask() {
				t.Skip("the kernel's processes have no SetUmask: children cannot inherit the shell's umask")
			}
			w, ok := want[c.name]
			if !ok {
				t.Fatalf("no golden for %s; run with -update", c.name)
			}
			got := runSim(t, c, w.time)
			if got.stdout != w.stdout {
				t.Errorf("$ %s\nstdout: got\n%s\nwant\n%s", c.script, got.stdout, w.stdout)
			}
			if got.stderr != w.stderr {
				t.Errorf("$ %s\nstderr: got\n%s\nwant\n%s", c.script, got.stderr, w.stderr)
			}
			if got.status != w.status {
				t.Errorf("$ %s\nstatus: got %d, want %d", c.script, got.status, w.status)
			}
		})
	}
}

// recordGoldens runs every case with the real busybox: the fixture is
// made in a scratch directory, and `sh -c` runs chrooted into it, in new
// UTS, PID, mount and network namespaces, without the capabilities that
// reach the host (time, hostname, mounts, modules).
func recordGoldens(t *testing.T, cases []compareCase) {
	bb := ""
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if _, err := os.Stat(p); err == nil {
			bb = p
			break
		}
	}
	if bb == "" || os.Geteuid() != 0 {
		t.Skip("recording needs root and busybox-static (apt-get install busybox-static)")
	}
	if fi, err := os.Stat(bb); err != nil || fi.Size() != testroot.BusyboxSize {
		t.Fatalf("%s is not Debian's busybox-static 1.35.0 (size %d, want %d)", bb, fi.Size(), testroot.BusyboxSize)
	}
	got := map[string]outcome{}
	for _, c := range cases {
		root := t.TempDir()
		// Times of day show in minutes: start a case well inside one.
		if time.Now().Second() >= 55 {
			time.Sleep(time.Duration(61-time.Now().Second()) * time.Second)
		}
		at := time.Now().Unix()
		if err := buildHostTree(root, bb, fixture(), at); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		caps := "-sys_time,-sys_admin,-sys_boot,-sys_module,-net_admin,-sys_rawio,-sys_resource,-mknod,-sys_ptrace,-syslog,-wake_alarm,-sys_nice"
		cmd := exec.Command("unshare", "-fpmun", "--propagation", "private", "/bin/sh", "-c",
			`umask 022; hostname testhost; exec setpriv --bounding-set `+caps+` /usr/sbin/chroot "$0" sh -c "$1" </dev/null`, root, c.script)
		cmd.Env = []string{testPath, "HOME=/root"}
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		st := 0
		if err := cmd.Run(); err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatalf("%s: %v", c.name, err)
			}
			st = ee.ExitCode()
		}
		got[c.name] = outcome{time: at, status: st, stdout: stdout.String(), stderr: stderr.String()}
	}
	if err := os.MkdirAll(filepath.Dir(goldenFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goldenFile, writeGolden(cases, got), 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildHostTree makes the fixture under root on the host, with the real
// busybox binary, and dates the symlinks at the case's start as the
// simulator does.
func buildHostTree(root, bb string, files map[string]testroot.File, at int64) error {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		di, dj := strings.Count(names[i], "/"), strings.Count(names[j], "/")
		if di != dj {
			return di < dj
		}
		return names[i] < names[j]
	})
	var links []string
	for _, n := range names {
		f := files[n]
		p := filepath.Join(root, n)
		var err error
		switch {
		case f.Mode.IsDir():
			err = os.Mkdir(p, 0o755)
		case f.Mode&fs.ModeSymlink != 0:
			err = os.Symlink(f.Content, p)
		case f.Mode&fs.ModeCharDevice != 0:
			maj, min, _ := strings.Cut(f.Content, ",")
			err = exec.Command("mknod", "-m", strconv.FormatUint(uint64(f.Mode.Perm()), 8), p, "c", maj, min).Run()
		case n == "/bin/busybox":
			var b []byte
			b, err = os.ReadFile(bb)
			if err == nil {
				err = os.WriteFile(p, b, 0o755)
			}
		default:
			err = os.WriteFile(p, []byte(f.Content), 0o644)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		if f.Mode&fs.ModeSymlink != 0 {
			links = append(links, p)
			continue
		}
		mode := f.Mode.Perm()
		if f.Mode&fs.ModeSticky != 0 {
			mode |= os.ModeSticky
		}
		if err := os.Chmod(p, mode); err != nil {
			return err
		}
		if err := os.Lchown(p, f.UID, f.GID); err != nil {
			return err
		}
	}
	if len(links) > 0 {
		args := append([]string{"-h", "-d", "@" + strconv.FormatInt(at, 10)}, links...)
		if err := exec.Command("touch", args...).Run(); err != nil {
			return err
		}
	}
	for i := len(names) - 1; i >= 0; i-- {
		f := files[names[i]]
		if f.Mode&fs.ModeSymlink != 0 {
			continue
		}
		mt := f.MTime
		if mt.IsZero() {
			mt = time.Unix(0, 0)
		}
		if err := os.Chtimes(filepath.Join(root, names[i]), mt, mt); err != nil {
			return err
		}
	}
	return nil
}
