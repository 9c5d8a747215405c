package kernel

import (
	"syscall"

	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

func TestNamespaceInodes(t *testing.T) {
	m := newMachine(t)
	root := m.k.RootNamespaces()
	want := map[NSKind]uint64{
		KindCgroup: 4026531835, KindIPC: 4026531839, KindMount: 4026531832,
		KindNet: 4026531833, KindPID: 4026531836, KindUser: 4026531837, KindUTS: 4026531838,
	}
	for _, n := range root.All() {
		if got := n.Inode(); got != want[n.Kind()] {
			t.Errorf("got root %s inode %d, want %d", n.Kind(), got, want[n.Kind()])
		}
	}
	// A container's new namespaces get fresh numbers, in creation order.
	a := m.container("a")
	seen := map[uint64]NSKind{}
	for _, n := range []Namespace{a.Mount, a.UTS, a.IPC, a.PID, a.Net} {
		if n.Inode() < 0xF0000000 {
			t.Errorf("got %s inode %d, want a dynamic one", n.Kind(), n.Inode())
		}
		if k, dup := seen[n.Inode()]; dup {
			t.Errorf("got inode %d for %s and %s", n.Inode(), k, n.Kind())
		}
		seen[n.Inode()] = n.Kind()
	}
	if a.UTS.Inode() != a.Mount.Inode()+1 {
		t.Errorf("got mnt %d then uts %d, want consecutive numbers", a.Mount.Inode(), a.UTS.Inode())
	}
	// The numbers are freed when the last process leaves, and reused.
	p, _ := m.spawn(t, Attr{Args: []string{"wait"}, NS: a, Setsid: true})
	pidInode := a.PID.Inode()
	p.Signal(backend.SIGKILL)
	wait(t, p)
	b := m.container("b")
	if got := b.Mount.Inode(); got != a.Mount.Inode() {
		t.Errorf("got mnt inode %d after the first container ended, want %d reused", got, a.Mount.Inode())
	}
	if got := b.PID.Inode(); got != pidInode {
		t.Errorf("got pid inode %d, want %d reused", got, pidInode)
	}
	// Namespaces no process entered are released explicitly.
	m.k.Release(*b)
	c := m.container("c")
	if got := c.Mount.Inode(); got != b.Mount.Inode() {
		t.Errorf("got %d after Release, want %d reused", got, b.Mount.Inode())
	}
}

func TestUTSNamespace(t *testing.T) {
	m := newMachine(t)
	p, out := m.spawn(t, Attr{Args: []string{"hostname"}, NS: m.container("c0ffee"), Setsid: true})
	wait(t, p)
	if got := out.String(); got != "c0ffee\n" {
		t.Errorf("got %q, want c0ffee", got)
	}
	p, out = m.spawn(t, Attr{Args: []string{"hostname"}})
	wait(t, p)
	if got := out.String(); got != "host\n" {
		t.Errorf("got %q, want host", got)
	}
	u := p.Uname()
	if u.Sysname != "Linux" || u.Release != DefaultRelease || u.Machine != "x86_64" || u.Domainname != "(none)" {
		t.Errorf("got %+v, want Linux %s x86_64 (none)", u, DefaultRelease)
	}
	for _, tt := range []struct {
		name string
		caps Caps
		err  error
	}{
		{"without CAP_SYS_ADMIN", Caps{}, syscall.EPERM},
		{"with CAP_SYS_ADMIN", Caps{SysAdmin: true}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ns := m.container("before")
			p, _ := m.spawn(t, Attr{Args: []string{"wait"}, NS: ns, Setsid: true, Caps: tt.caps})
			defer func() { p.Signal(backend.SIGKILL); wait(t, p) }()
			err := p.SetHostname("after")
			if err != tt.err {
				t.Errorf("got %v, want %v", err, tt.err)
			}
			if got, want := ns.UTS.Hostname(), map[bool]string{true: "after", false: "before"}[tt.err == nil]; got != want {
				t.Errorf("got hostname %q, want %q", got, want)
			}
		})
	}
}
