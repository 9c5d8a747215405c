package kernel

import (
	"errors"
	"strings"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

func TestExecErrors(t *testing.T) {
	m := newMachine(t)
	m.write("/bin/noexec", []byte("#!/bin/echo\n"), 0o644)
	m.mkdir("/bin/adir")
	m.mkdir("/usr/bin/dironly")
	m.write("/bin/elf", []byte("\x7fELF\x02\x01\x01\x00real machine code"), 0o755)
	m.write("/bin/unknownbin", binary("nosuchbox"), 0o755)
	m.write("/bin/text", []byte("echo no shebang\n"), 0o755)
	m.write("/bin/empty", nil, 0o755)
	m.write("/bin/crlf", []byte("#!/bin/echo\r\nx\r\n"), 0o755)
	m.write("/bin/nointerp", []byte("#!/nosuch/sh\n"), 0o755)
	m.write("/bin/loop1", []byte("#!/bin/loop2\n"), 0o755)
	m.write("/bin/loop2", []byte("#!/bin/loop1\n"), 0o755)
	tests := []struct {
		name   string
		args   []string
		env    []string
		reason string
		code   int
	}{
		{"not in PATH", []string{"nosuchcmd"}, nil, "executable file not found in $PATH", 127},
		{"empty name", []string{""}, nil, "executable file not found in $PATH", 127},
		{"missing absolute path", []string{"/nosuch"}, nil, "stat /nosuch: no such file or directory", 127},
		{"missing relative path", []string{"./nosuch"}, nil, "stat ./nosuch: no such file or directory", 127},
		{"not a directory on the way", []string{"/bin/echo/x"}, nil, "stat /bin/echo/x: not a directory", 127},
		{"not executable", []string{"/bin/noexec"}, nil, "permission denied", 126},
		{"not executable, in PATH only", []string{"noexec"}, nil, "executable file not found in $PATH", 127},
		{"a directory", []string{"/bin/adir"}, nil, "permission denied", 126},
		{"a directory in PATH is skipped", []string{"dironly"}, nil, "executable file not found in $PATH", 127},
		{"foreign ELF binary", []string{"/bin/elf"}, nil, "exec format error", 126},
		{"binary the registry does not know", []string{"/bin/unknownbin"}, nil, "exec format error", 126},
		{"text without #!", []string{"/bin/text"}, nil, "exec format error", 126},
		{"empty file", []string{"/bin/empty"}, nil, "exec format error", 126},
		{"#! with CR", []string{"/bin/crlf"}, nil, "no such file or directory", 127},
		{"missing interpreter", []string{"nointerp"}, nil, "no such file or directory", 127},
		{"interpreter loop", []string{"loop1"}, nil, "too many levels of symbolic links", 127},
		{"PATH unset uses the default", []string{"nosuchcmd"}, []string{"A=1"}, "executable file not found in $PATH", 127},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			if env == nil {
				env = testEnv
			}
			_, err := m.k.Spawn(Attr{Args: tt.args, Env: env, Dir: "/"})
			var xe *backend.ExecError
			if !errors.As(err, &xe) {
				t.Fatalf("got %v, want an ExecError", err)
			}
			if xe.Name != tt.args[0] || xe.Reason != tt.reason {
				t.Errorf("got %q %q, want %q %q", xe.Name, xe.Reason, tt.args[0], tt.reason)
			}
			if got := xe.ExitCode(); got != tt.code {
				t.Errorf("got exit code %d, want %d", got, tt.code)
			}
		})
	}
	if n := len(m.k.Processes(nil)); n != 1 {
		t.Errorf("got %d processes after failed execs, want 1 (init)", n)
	}
}

func TestExecRuns(t *testing.T) {
	m := newMachine(t)
	m.write("/usr/bin/script", []byte("#!/bin/args -x\nbody\n"), 0o755)
	m.write("/usr/bin/script2", []byte("#! /bin/args  two words \n"), 0o755)
	m.write("/tmp/local", []byte("#!/bin/args\n"), 0o755)
	m.write("/usr/bin/echo", []byte("#!/bin/args\n"), 0o644) // not executable: skipped
	m.write("/tmp/nested", []byte("#!/usr/bin/script\n"), 0o755)
	tests := []struct {
		name string
		args []string
		dir  string
		want string
		comm string
	}{
		{"PATH lookup skips a non-executable match", []string{"echo", "hi"}, "/", "hi\n", "echo"},
		{"applet named by argv[0]", []string{"/bin/args", "a"}, "/", `["/bin/args" "a"]` + "\n", "args"},
		{"applet named by argv[1]", []string{"testbox", "echo", "via", "testbox"}, "/", "via testbox\n", "testbox"},
		{"script with an argument", []string{"script", "1", "2"}, "/", `["/bin/args" "-x" "/usr/bin/script" "1" "2"]` + "\n", "script"},
		{"script argument is one string", []string{"script2"}, "/", `["/bin/args" "two words" "/usr/bin/script2"]` + "\n", "script2"},
		{"relative path from the working directory", []string{"./local", "z"}, "/tmp", `["/bin/args" "./local" "z"]` + "\n", "local"},
		{"script as interpreter", []string{"/tmp/nested", "q"}, "/", `["/bin/args" "-x" "/usr/bin/script" "/tmp/nested" "q"]` + "\n", "nested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, out := m.spawn(t, Attr{Args: tt.args, Dir: tt.dir})
			if code := wait(t, p); code != 0 {
				t.Errorf("got status %d, want 0", code)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("got output %q, want %q", got, tt.want)
			}
			if got := p.Info(nil).Comm; got != tt.comm {
				t.Errorf("got comm %q, want %q", got, tt.comm)
			}
		})
	}
}

func TestExecReplacesProgram(t *testing.T) {
	m := newMachine(t)
	ns := m.container("c")
	p, out := m.spawn(t, Attr{Args: []string{"execv", "ps"}, NS: ns})
	if code := wait(t, p); code != 0 {
		t.Fatalf("got status %d, want 0", code)
	}
	if got, want := out.String(), "1 0 R ps\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}

	p, out = m.spawn(t, Attr{Args: []string{"execv", "nosuch"}})
	wait(t, p)
	if got, want := out.String(), "exec: exec: \"nosuch\": executable file not found in $PATH\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSpawnFromProgram(t *testing.T) {
	m := newMachine(t)
	p, out := m.spawn(t, Attr{Args: []string{"run", "nosuch"}})
	if code := wait(t, p); code != 127 {
		t.Errorf("got status %d, want 127", code)
	}
	if got := out.String(); !strings.Contains(got, `exec: "nosuch": executable file not found in $PATH`) {
		t.Errorf("got %q, want the ExecError", got)
	}
	// The child gets the parent's stdin.
	in := strings.NewReader("piped\n")
	p, out = m.spawn(t, Attr{Args: []string{"run", "cat"}, Stdin: in})
	if code := wait(t, p); code != 0 {
		t.Errorf("got status %d, want 0", code)
	}
	if got := out.String(); got != "piped\n" {
		t.Errorf("got %q, want %q", got, "piped\n")
	}
}

func TestRegistryFallsBackToTheBinary(t *testing.T) {
	m := newMachine(t)
	m.reg["testbox"] = func(p sys.Proc) int {
		p.Stderr().Write([]byte(p.Args()[0] + ": applet not found\n"))
		return 127
	}
	if err := m.fs.Symlink("testbox", "/bin/nosuchapplet"); err != nil {
		t.Fatal(err)
	}
	p, out := m.spawn(t, Attr{Args: []string{"nosuchapplet"}})
	if code := wait(t, p); code != 127 {
		t.Errorf("got status %d, want 127", code)
	}
	if got, want := out.String(), "nosuchapplet: applet not found\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
