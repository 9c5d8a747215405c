package busybox

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestNoHostAccess runs, in the simulator, commands that would reach the
// host if anything in the shell or the applets used the host's files or
// processes (the interpreter's defaults do: os.Open, os/exec, os.Getpid,
// named pipes in os.TempDir, ~user from /etc/passwd). The host directory
// they name exists on the host with a program in it; afterwards the host
// directory must be as it was, the program must not have run, and what the
// simulator printed must come from the simulated machine.
func TestNoHostAccess(t *testing.T) {
	host := t.TempDir()
	canary := filepath.Join(host, "canary")
	if err := os.WriteFile(canary, []byte("echo canary was read\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ran := filepath.Join(host, "ran")
	prog := filepath.Join(host, "hostcmd")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\ntouch "+ran+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if err := os.Chdir(host); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "sh-interp-*"))

	script := strings.Join([]string{
		"touch made-in-cwd",
		"echo x > " + host + "/made",
		"mkdir -p " + host + "/dir",
		"cp /data/hello.txt " + host + "/copied",
		"PATH=" + host + ":$PATH hostcmd",
		host + "/hostcmd",
		"ls " + host,
		"cat " + canary,
		"cd " + host,
		"pwd -P",
		"type hostcmd",
		"command -v hostcmd",
		"echo pid=$$ ppid=$PPID",
		"eval 'echo evalpid=$$'",
		"echo ~root ~" + currentUser(),
		"[ -e " + canary + " ]; echo test=$?",
		"echo tmp=$TMPDIR",
		"echo x > /tmp/sh-interp-1; cat /tmp/sh-interp-1",
		"ls /",
		". " + canary,
	}, "\n")
	m := newMachine(t, fixture(), start)
	o := m.run(script, nil)

	after, _ := os.ReadDir(host)
	var names []string
	for _, e := range after {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if got, want := strings.Join(names, " "), "canary hostcmd"; got != want {
		t.Errorf("host directory: got %q, want %q", got, want)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Errorf("the host program ran")
	}
	if now, _ := os.Getwd(); now != host {
		t.Errorf("host working directory: got %q, want %q", now, host)
	}
	if after, _ := filepath.Glob(filepath.Join(os.TempDir(), "sh-interp-*")); len(after) != len(before) {
		t.Errorf("host temporary directory: got %d sh-interp files, had %d", len(after), len(before))
	}
	for _, bad := range []string{"canary was read", strconv.Itoa(os.Getpid()), strconv.Itoa(os.Getppid())} {
		if strings.Contains(o.stdout, bad) {
			t.Errorf("output shows host state %q:\n%s", bad, o.stdout)
		}
	}
	for _, want := range []string{"pid=1 ppid=0", "evalpid=1", "/root ~" + currentUser(), "test=1", "bin\ndata\ndev\netc\n"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("output: got\n%s\nwant it to contain %q", o.stdout, want)
		}
	}
}

// currentUser is the host's user name, which the simulator must not know.
func currentUser() string {
	if u := os.Getenv("USER"); u != "" && u != "root" {
		return u
	}
	return "hostonlyuser"
}
