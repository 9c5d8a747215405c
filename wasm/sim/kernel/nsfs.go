package kernel

import (
	"syscall"

	"github.com/twinbox-dev/twinbox/wasm/sim/netsim"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// Files that keep a namespace: dockerd bind-mounts /proc/PID/ns/net of
// each container's first process on a file under /run/docker/netns (the
// SandboxKey), and `ip netns exec` opens such a file and calls setns(2)
// on it. The kernel remembers which file (by device and inode) stands for
// which namespace.

type nsfsKey struct{ dev, ino uint64 }

var _ sys.NetNamespacer = (*Process)(nil)

// BindNamespace makes the file at path (in fsys, which must exist) stand
// for ns, as a bind mount of /proc/PID/ns/KIND on it does.
func (k *Kernel) BindNamespace(fsys vfs.FS, path string, ns Namespace) error {
	key, err := nsfsKeyOf(fsys, path)
	if err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.nsfs == nil {
		k.nsfs = map[nsfsKey]Namespace{}
	}
	k.nsfs[key] = ns
	return nil
}

// UnbindNamespace undoes BindNamespace, before the file is removed.
func (k *Kernel) UnbindNamespace(fsys vfs.FS, path string) {
	key, err := nsfsKeyOf(fsys, path)
	if err != nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.nsfs, key)
}

func nsfsKeyOf(fsys vfs.FS, path string) (nsfsKey, error) {
	fi, err := fsys.Stat(path)
	if err != nil {
		return nsfsKey{}, err
	}
	st := vfs.StatOf(fi)
	return nsfsKey{st.Dev, st.Ino}, nil
}

// netNamespaceAt returns the network namespace the file at path (seen by
// p, symbolic links followed) stands for. Errors: those of the lookup
// (ENOENT, EACCES, ...); EINVAL when the file stands for no network
// namespace, as setns(2) answers for it.
func (p *Process) netNamespaceAt(path string) (*NetNamespace, error) {
	key, err := nsfsKeyOf(p.FS(), path)
	if err != nil {
		return nil, errnoErr(err)
	}
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	ns, ok := p.k.nsfs[key].(*NetNamespace)
	if !ok {
		return nil, syscall.EINVAL
	}
	return ns, nil
}

// NetNamespaceAt implements sys.NetNamespacer.
func (p *Process) NetNamespaceAt(path string) (*netsim.Stack, error) {
	ns, err := p.netNamespaceAt(path)
	if err != nil {
		return nil, err
	}
	s, _ := ns.Stack.(*netsim.Stack)
	return s, nil
}

// SetNetNamespace implements sys.NetNamespacer: setns(2) with the file at
// path. Errors: as NetNamespaceAt; EPERM without CAP_SYS_ADMIN.
func (p *Process) SetNetNamespace(path string) error {
	ns, err := p.netNamespaceAt(path)
	if err != nil {
		return err
	}
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	if p.cred.UID != 0 || !p.caps.SysAdmin {
		return syscall.EPERM
	}
	old := p.ns.Net
	if old == ns {
		return nil
	}
	p.ns.Net = ns
	ns.refs++
	ns.used = true
	if old.refs--; old.refs == 0 && !isRootInode(old.inode) {
		p.k.inodes.put(old.inode)
	}
	return nil
}
