package kernel

import (
	"sync"

	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// NSKind names a kind of namespace as /proc/PID/ns names it.
type NSKind string

// The kinds of namespace the kernel models.
const (
	KindPID    NSKind = "pid"
	KindMount  NSKind = "mnt"
	KindUTS    NSKind = "uts"
	KindIPC    NSKind = "ipc"
	KindNet    NSKind = "net"
	KindUser   NSKind = "user"
	KindCgroup NSKind = "cgroup"
)

// Inode numbers of the initial namespaces, as Linux 6.x numbers them
// (include/linux/proc_ns.h); namespaces made later get numbers from
// firstDynamicInode up, the lowest free one first, as the kernel's ida does.
const (
	rootCgroupInode = 0xEFFFFFFB
	rootIPCInode    = 0xEFFFFFFF
	rootMountInode  = 0xEFFFFFF8
	rootNetInode    = 0xEFFFFFF9
	rootPIDInode    = 0xEFFFFFFC
	rootUserInode   = 0xEFFFFFFD
	rootUTSInode    = 0xEFFFFFFE
	// A freshly booted machine has used the first few hundred dynamic
	// numbers (0xF0000000 up) for its own mounts and devices.
	firstDynamicInode = 0xF0000000 + 336
)

// nsBase is what every namespace has: its kind, its inode number and the
// number of processes in it. The kernel's lock guards refs.
type nsBase struct {
	kind  NSKind
	inode uint64
	refs  int
	used  bool // a process has been in it: it dies when refs drops to 0
}

// Kind returns the namespace's kind.
func (n *nsBase) Kind() NSKind { return n.kind }

// Inode returns the namespace's inode number, as /proc/PID/ns/KIND shows it
// ("pid:[4026532179]").
func (n *nsBase) Inode() uint64 { return n.inode }

func (n *nsBase) base() *nsBase { return n }

// Namespace is any of the kernel's namespaces.
type Namespace interface {
	Kind() NSKind
	Inode() uint64
	base() *nsBase
}

// PIDNamespace numbers processes. Its first process is its init, PID 1: the
// reaper of its orphans, protected from signals it has no handler for, and
// whose death kills every other process in it.
type PIDNamespace struct {
	nsBase
	parent *PIDNamespace
	level  int
	next   int // the next PID to try
	pids   map[int]*Process
	init   *Process // nil until the first process, and after it died
	dying  bool     // its init has exited: no new processes
}

// Parent returns the namespace this one was made in, nil for the root.
func (n *PIDNamespace) Parent() *PIDNamespace { return n.parent }

// Level is 0 for the root namespace, 1 for a container's, and so on.
func (n *PIDNamespace) Level() int { return n.level }

// isAncestorOf reports whether n is m or an ancestor of m.
func (n *PIDNamespace) isAncestorOf(m *PIDNamespace) bool {
	for ; m != nil; m = m.parent {
		if m == n {
			return true
		}
	}
	return false
}

// MountNamespace is a process's view of the filesystem: its mount table and
// root, as an FS made by the caller (a vfs mount table).
type MountNamespace struct {
	nsBase
	fs vfs.FS
}

// FS returns the namespace's filesystem, without permission checks.
func (n *MountNamespace) FS() vfs.FS { return n.fs }

// UTSNamespace holds a host name and a domain name.
type UTSNamespace struct {
	nsBase
	mu                   sync.Mutex
	hostname, domainname string
}

// Hostname returns the namespace's host name.
func (n *UTSNamespace) Hostname() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.hostname
}

// Domainname returns the namespace's NIS domain name.
func (n *UTSNamespace) Domainname() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.domainname
}

// SetHostname changes the host name (sethostname(2)).
func (n *UTSNamespace) SetHostname(name string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.hostname = name
}

// IPCNamespace isolates System V IPC objects and POSIX message queues; the
// simulator has none yet, so it is only an identity.
type IPCNamespace struct{ nsBase }

// NetNamespace is a network stack. The network simulator keeps its state in
// Stack; the kernel only gives the namespace its identity.
type NetNamespace struct {
	nsBase
	// Stack is the network stack of this namespace, set by its owner.
	Stack any
}

// UserNamespace maps user and group IDs. Containers share the root one
// unless user-namespace remapping is configured, which twinbox does not do.
type UserNamespace struct {
	nsBase
	parent *UserNamespace
}

// CgroupNamespace virtualises /proc/PID/cgroup. Docker 20.10 on cgroup v1
// leaves containers in the host's.
type CgroupNamespace struct{ nsBase }

// Namespaces is the set of namespaces a process is in.
type Namespaces struct {
	PID    *PIDNamespace
	Mount  *MountNamespace
	UTS    *UTSNamespace
	IPC    *IPCNamespace
	Net    *NetNamespace
	User   *UserNamespace
	Cgroup *CgroupNamespace
}

// All lists the namespaces in the order /proc/PID/ns lists them.
func (ns Namespaces) All() []Namespace {
	return []Namespace{ns.Cgroup, ns.IPC, ns.Mount, ns.Net, ns.PID, ns.User, ns.UTS}
}

// inodes allocates namespace inode numbers: the lowest free number first.
type inodes struct {
	used map[uint64]bool
}

func (a *inodes) get() uint64 {
	if a.used == nil {
		a.used = map[uint64]bool{}
	}
	for n := uint64(firstDynamicInode); ; n++ {
		if !a.used[n] {
			a.used[n] = true
			return n
		}
	}
}

func (a *inodes) put(n uint64) { delete(a.used, n) }

func (k *Kernel) newBase(kind NSKind) nsBase {
	k.mu.Lock()
	defer k.mu.Unlock()
	return nsBase{kind: kind, inode: k.inodes.get()}
}

// NewPIDNamespace makes a PID namespace inside parent (nil: the root
// namespace's child).
func (k *Kernel) NewPIDNamespace(parent *PIDNamespace) *PIDNamespace {
	if parent == nil {
		parent = k.root.PID
	}
	return &PIDNamespace{nsBase: k.newBase(KindPID), parent: parent, level: parent.level + 1, next: 1, pids: map[int]*Process{}}
}

// NewMountNamespace makes a mount namespace whose filesystem is fsys.
func (k *Kernel) NewMountNamespace(fsys vfs.FS) *MountNamespace {
	return &MountNamespace{nsBase: k.newBase(KindMount), fs: fsys}
}

// NewUTSNamespace makes a UTS namespace with the given names.
func (k *Kernel) NewUTSNamespace(hostname, domainname string) *UTSNamespace {
	return &UTSNamespace{nsBase: k.newBase(KindUTS), hostname: hostname, domainname: domainname}
}

// NewIPCNamespace makes an IPC namespace.
func (k *Kernel) NewIPCNamespace() *IPCNamespace {
	return &IPCNamespace{nsBase: k.newBase(KindIPC)}
}

// NewNetNamespace makes a network namespace with no stack attached.
func (k *Kernel) NewNetNamespace() *NetNamespace {
	return &NetNamespace{nsBase: k.newBase(KindNet)}
}

// RootNamespaces returns the namespaces of the machine's init.
func (k *Kernel) RootNamespaces() Namespaces { return k.root }

// Release frees the inode numbers of those of ns's namespaces that no
// process ever entered, for a caller whose Spawn failed.
func (k *Kernel) Release(ns Namespaces) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, n := range ns.All() {
		if n == nil {
			continue
		}
		if b := n.base(); !b.used && b.refs == 0 && !isRootInode(b.inode) {
			k.inodes.put(b.inode)
			b.used = true // never free it twice
		}
	}
}

func isRootInode(n uint64) bool { return n < firstDynamicInode-336 }

// enterLocked counts a new member of every namespace in ns.
func (k *Kernel) enterLocked(ns Namespaces) {
	for _, n := range ns.All() {
		if n != nil {
			b := n.base()
			b.refs++
			b.used = true
		}
	}
}

// leaveLocked drops a member; a namespace without members dies and its inode
// number becomes free.
func (k *Kernel) leaveLocked(ns Namespaces) {
	for _, n := range ns.All() {
		if n == nil {
			continue
		}
		b := n.base()
		b.refs--
		if b.refs == 0 && !isRootInode(b.inode) {
			k.inodes.put(b.inode)
		}
	}
}
