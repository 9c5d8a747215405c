package sim

import (
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twinbox-dev/twinbox/wasm/sim/kernel"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// procFS is a minimal /proc: one directory per process of a PID namespace
// (cmdline, comm, status, environ, cgroup, exe, ns/*) and the machine's
// mounts, version, uptime, load, memory and CPUs. A synthetic filesystem
// does not know who reads it, so /proc/self is resolved by the kernel for
// the calling process, and is not listed.
type procFS struct {
	b   *Backend
	mnt *vfs.Namespace
	// nsOf returns the PID namespace whose processes /proc shows (a
	// container's is made after its mounts).
	nsOf func() *kernel.PIDNamespace
}

var _ vfs.Synth = (*procFS)(nil)

func (p *procFS) ns() *kernel.PIDNamespace { return p.nsOf() }

// procFiles are the machine-wide files of /proc.
var procFiles = []string{"cpuinfo", "loadavg", "meminfo", "mounts", "uptime", "version"}

// pidFiles are the files of /proc/PID.
var pidFiles = []string{"cgroup", "cmdline", "comm", "environ", "exe", "ns", "status"}

var nsNames = []string{"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "user", "uts"}

func (p *procFS) process(pid string) *kernel.Process {
	n, err := strconv.Atoi(pid)
	if err != nil || n <= 0 || strconv.Itoa(n) != pid {
		return nil
	}
	for _, q := range p.b.k.Processes(p.ns()) {
		if q.PIDIn(p.ns()) == n {
			if _, _, gone := q.Exited(); gone {
				return nil
			}
			return q
		}
	}
	return nil
}

// Lookup describes a node of /proc.
func (p *procFS) Lookup(name string) (vfs.SynthNode, bool) {
	boot := p.b.boot
	dir := vfs.SynthNode{Mode: fs.ModeDir | 0o555, ModTime: boot}
	file := vfs.SynthNode{Mode: 0o444, ModTime: boot}
	parts := strings.Split(strings.Trim(name, "/"), "/")
	if name == "/" {
		return dir, true
	}
	if len(parts) == 1 {
		for _, f := range procFiles {
			if f == parts[0] {
				return file, true
			}
		}
	}
	q := p.process(parts[0])
	if q == nil {
		return vfs.SynthNode{}, false
	}
	in := q.Info(p.ns())
	st := q.Info(nil)
	own := func(n vfs.SynthNode) vfs.SynthNode {
		n.UID, n.GID = in.UID, in.UID
		n.ModTime = st.Start
		return n
	}
	switch len(parts) {
	case 1:
		return own(dir), true
	case 2:
		switch parts[1] {
		case "ns":
			n := own(dir)
			n.Mode = fs.ModeDir | 0o511
			return n, true
		case "exe":
			n := own(vfs.SynthNode{Mode: fs.ModeSymlink | 0o777, Target: q.Exe()})
			return n, true
		case "environ":
			n := own(file)
			n.Mode = 0o400
			return n, true
		}
		for _, f := range pidFiles {
			if f == parts[1] {
				return own(file), true
			}
		}
	case 3:
		if parts[1] != "ns" {
			break
		}
		if target, ok := nsLink(q, parts[2]); ok {
			return own(vfs.SynthNode{Mode: fs.ModeSymlink | 0o777, Target: target}), true
		}
	}
	return vfs.SynthNode{}, false
}

// nsLink is the target of /proc/PID/ns/NAME: "pid:[4026532179]".
func nsLink(q *kernel.Process, name string) (string, bool) {
	ns := q.Namespaces()
	var n kernel.Namespace
	switch name {
	case "cgroup":
		n = ns.Cgroup
	case "ipc":
		n = ns.IPC
	case "mnt":
		n = ns.Mount
	case "net":
		n = ns.Net
	case "pid", "pid_for_children":
		n = ns.PID
	case "user":
		n = ns.User
	case "uts":
		n = ns.UTS
	default:
		return "", false
	}
	kind := name
	if name == "pid_for_children" {
		kind = "pid"
	}
	return fmt.Sprintf("%s:[%d]", kind, n.Inode()), true
}

// ReadDir lists a directory of /proc.
func (p *procFS) ReadDir(name string) []string {
	parts := strings.Split(strings.Trim(name, "/"), "/")
	switch {
	case name == "/":
		out := append([]string(nil), procFiles...)
		for _, q := range p.b.k.Processes(p.ns()) {
			if _, _, gone := q.Exited(); !gone {
				out = append(out, strconv.Itoa(q.PIDIn(p.ns())))
			}
		}
		return out
	case len(parts) == 1:
		return pidFiles
	case len(parts) == 2 && parts[1] == "ns":
		return nsNames
	}
	return nil
}

// Open computes a file of /proc.
func (p *procFS) Open(name string, flag int) (vfs.File, error) {
	if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.EACCES}
	}
	n, ok := p.Lookup(name)
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENOENT}
	}
	data := p.content(name)
	fi := synthInfo{name: name[strings.LastIndexByte(name, '/')+1:], mode: n.Mode, mtime: n.ModTime}
	return vfs.BytesFile(name, data, fi), nil
}

func (p *procFS) content(name string) []byte {
	b := p.b
	parts := strings.Split(strings.Trim(name, "/"), "/")
	if len(parts) == 1 {
		switch parts[0] {
		case "version":
			return []byte("Linux version " + kernel.DefaultRelease + " (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) " + kernel.DefaultVersion + "\n")
		case "uptime":
			up := b.sinceBoot().Seconds()
			return []byte(fmt.Sprintf("%.2f %.2f\n", up, up*numCPU*0.97))
		case "loadavg":
			procs := b.k.Processes(nil)
			last := 0
			for _, q := range procs {
				last = max(last, q.HostPID())
			}
			return []byte(fmt.Sprintf("0.00 0.00 0.00 1/%d %d\n", len(procs), last))
		case "meminfo":
			used := int64(0)
			for _, q := range b.k.Processes(nil) {
				used += q.Info(nil).RSS
			}
			total := int64(memTotal) >> 10
			free := total - 180<<10 - used>>10
			return []byte(fmt.Sprintf("MemTotal:       %8d kB\nMemFree:        %8d kB\nMemAvailable:   %8d kB\nBuffers:        %8d kB\nCached:         %8d kB\nSwapTotal:      %8d kB\nSwapFree:       %8d kB\n",
				total, free, free+150<<10, 20<<10, 130<<10, 0, 0))
		case "cpuinfo":
			var s strings.Builder
			for i := 0; i < numCPU; i++ {
				fmt.Fprintf(&s, "processor\t: %d\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\ncpu MHz\t\t: 2200.000\ncpu cores\t: %d\n\n", i, numCPU)
			}
			return []byte(s.String())
		case "mounts":
			var s strings.Builder
			for _, m := range p.mnt.Mounts() {
				fmt.Fprintf(&s, "%s %s %s %s 0 0\n", m.Device, m.Path, m.Type, m.Options)
			}
			return []byte(s.String())
		}
		return nil
	}
	q := p.process(parts[0])
	if q == nil {
		return nil
	}
	in := q.Info(p.ns())
	switch parts[1] {
	case "cmdline":
		if len(in.Args) == 0 {
			return nil
		}
		return []byte(strings.Join(in.Args, "\x00") + "\x00")
	case "comm":
		return []byte(in.Comm + "\n")
	case "environ":
		env := q.Environ()
		if len(env) == 0 {
			return nil
		}
		return []byte(strings.Join(env, "\x00") + "\x00")
	case "cgroup":
		return []byte(cgroupLines(q.Cgroup().Path()))
	case "status":
		states := map[string]string{"R": "R (running)", "S": "S (sleeping)", "D": "D (disk sleep)", "T": "T (stopped)", "Z": "Z (zombie)"}
		cred := q.Cred()
		groups := make([]string, len(cred.Groups))
		for i, g := range cred.Groups {
			groups[i] = strconv.Itoa(g)
		}
		sort.Strings(groups)
		return []byte(fmt.Sprintf("Name:\t%s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\nUid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\nGroups:\t%s\nVmSize:\t%8d kB\nVmRSS:\t%8d kB\nThreads:\t1\n",
			in.Comm, uint32(q.Umask()), states[in.State], in.PID, in.PID, in.PPID,
			cred.UID, cred.UID, cred.UID, cred.UID, cred.GID, cred.GID, cred.GID, cred.GID,
			strings.Join(groups, " "), in.VSZ>>10, in.RSS>>10))
	}
	return nil
}

// cgroupLines is /proc/PID/cgroup on cgroup v1 for a process in cgroup path.
func cgroupLines(path string) string {
	var s strings.Builder
	for i, c := range []string{"pids", "blkio", "freezer", "devices", "memory", "cpuset", "cpuacct", "cpu"} {
		fmt.Fprintf(&s, "%d:%s:%s\n", 9-i, c, path)
	}
	s.WriteString("1:name=systemd:" + path + "\n0::/\n")
	return s.String()
}

// synthInfo is the FileInfo of an open /proc file.
type synthInfo struct {
	name  string
	mode  fs.FileMode
	mtime time.Time
}

func (i synthInfo) Name() string       { return i.name }
func (i synthInfo) Size() int64        { return 0 }
func (i synthInfo) Mode() fs.FileMode  { return i.mode }
func (i synthInfo) ModTime() time.Time { return i.mtime }
func (i synthInfo) IsDir() bool        { return i.mode.IsDir() }
func (i synthInfo) Sys() any {
	return &vfs.Stat{Mtime: i.mtime, Atime: i.mtime, Ctime: i.mtime, Nlink: 1}
}
