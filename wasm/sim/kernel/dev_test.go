package kernel

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

func TestDevices(t *testing.T) {
	m := newMachine(t)
	dev := vfs.NewTree(nil)
	for _, n := range []struct {
		name string
		rdev uint64
	}{{"/null", DevNull}, {"/zero", DevZero}, {"/full", DevFull}, {"/urandom", DevURandom}, {"/tty", DevTTY}, {"/bogus", Mkdev(99, 1)}} {
		if err := dev.Mknod(n.name, fs.ModeDevice|fs.ModeCharDevice|0o666, n.rdev); err != nil {
			t.Fatal(err)
		}
	}
	m.mkdir("/dev")
	ns := vfs.NewNamespace(m.fs, vfs.MountOptions{})
	if err := ns.Mount("/dev", dev, vfs.MountOptions{Type: "tmpfs"}); err != nil {
		t.Fatal(err)
	}
	ns.SetDevices(m.k.Devices(nil))
	m.program("devs", func(p sys.Proc) int {
		try := func(name string, flag int, f func(vfs.File) (int, error)) {
			file, err := p.FS().OpenFile(name, flag, 0)
			if err != nil {
				fmt.Fprintf(p.Stdout(), "%s: open: %v\n", name, errnoErr(err))
				return
			}
			defer file.Close()
			n, err := f(file)
			fmt.Fprintf(p.Stdout(), "%s: %d %v\n", name, n, err)
		}
		buf := make([]byte, 16)
		write := func(f vfs.File) (int, error) { return f.Write([]byte("hello")) }
		read := func(f vfs.File) (int, error) { return io.ReadFull(f, buf) }
		try("/dev/null", os.O_WRONLY, write)
		try("/dev/null", os.O_RDONLY, read)
		try("/dev/zero", os.O_RDONLY, read)
		try("/dev/full", os.O_WRONLY, write)
		try("/dev/urandom", os.O_RDONLY, read)
		try("/dev/tty", os.O_RDWR, write)
		try("/dev/bogus", os.O_RDWR, write)
		return 0
	})
	root := m.k.RootNamespaces()
	root.Mount = m.k.NewMountNamespace(ns)
	p, out := m.spawn(t, Attr{Args: []string{"devs"}, NS: &root})
	wait(t, p)
	want := fmt.Sprintf("/dev/null: 5 <nil>\n/dev/null: 0 EOF\n/dev/zero: 16 <nil>\n/dev/full: 0 %v\n/dev/urandom: 16 <nil>\n/dev/tty: open: %v\n/dev/bogus: open: %v\n",
		syscall.ENOSPC, syscall.ENXIO, syscall.ENXIO)
	if got := out.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestIdle(t *testing.T) {
	m := newMachine(t)
	tests := []struct {
		name string
		args []string
		idle bool
	}{
		{"sleeping", []string{"sleep", "1h"}, true},
		{"reading", []string{"cat"}, true},
		{"waiting for a child", []string{"run", "sleep", "1h"}, true},
		{"exited", []string{"true"}, true},
		{"waiting on its context only", []string{"wait"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			defer pw.Close()
			p, _ := m.spawn(t, Attr{Args: tt.args, Stdin: pr, NS: m.container("c"), Setsid: true})
			if tt.idle {
				<-p.Idle() // the test hangs (and times out) if it never comes
			} else {
				select {
				case <-p.Idle():
					t.Errorf("a program that made no kernel call is idle")
				default:
				}
			}
			p.Signal(backend.SIGKILL)
			wait(t, p)
		})
	}
}
