package applets

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"syscall"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/netsim"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// IPRoute2 is the simulated host's ip: `ip netns`, which busybox's ip does
// not have, as iproute2 6.1 (Debian 12) runs it, and every other object
// (address, link, route, ...) as busybox's ip applet prints it, which is
// what the simulator models of them. It is a program of the host, not of
// busybox: containers keep busybox's ip.
var IPRoute2 sys.Program = ipRoute2Main

// netnsRunDir is where iproute2 keeps the names of network namespaces.
// Docker keeps its sandboxes' in /var/run/docker/netns instead, so `ip
// netns` lists them only once a learner links one to the other.
const netnsRunDir = "/var/run/netns"

func ipRoute2Main(p sys.Proc) int {
	args := p.Args()
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		if a := strings.TrimLeft(args[i], "-"); a != "" && strings.HasPrefix("family", a) {
			i++
		}
		i++
	}
	if i < len(args) && len(args[i]) >= 3 && strings.HasPrefix("netns", args[i]) {
		return applet("ip", func(c *cmd) int { return ipNetns(c, args[i+1:]) })(p)
	}
	prog, _ := Lookup("ip")
	return prog(p)
}

// ipNetns is iproute2's do_netns.
func ipNetns(c *cmd, args []string) int {
	if len(args) == 0 {
		return netnsList(c)
	}
	if len(args) > 1 && (strings.Contains(args[1], "/") || args[1] == "." || args[1] == "..") {
		fmt.Fprintf(c.p.Stderr(), "Invalid netns name %q\n", args[1])
		return 255
	}
	// The subcommands in the order iproute2 tries them, each matched by a
	// prefix ("s" is show, "e" exec).
	for _, sub := range []string{"list", "show", "lst", "list-id", "help", "add", "set", "delete",
		"identify", "pids", "exec", "monitor", "attach"} {
		if !strings.HasPrefix(sub, args[0]) {
			continue
		}
		switch sub {
		case "list", "show", "lst":
			return netnsList(c)
		case "help":
			io.WriteString(c.p.Stderr(), netnsUsage)
			return 255
		case "identify":
			return netnsIdentify(c, args[1:])
		case "exec":
			return netnsExec(c, args[1:])
		}
		fmt.Fprintf(c.p.Stderr(), "ip netns %s: not simulated by twinbox\n", sub)
		return 1
	}
	fmt.Fprintf(c.p.Stderr(), "Command %q is unknown, try \"ip netns help\".\n", args[0])
	return 255
}

const netnsUsage = "Usage:\tip netns list\n" +
	"\tip netns add NAME\n" +
	"\tip netns attach NAME PID\n" +
	"\tip netns set NAME NETNSID\n" +
	"\tip [-all] netns delete [NAME]\n" +
	"\tip netns identify [PID]\n" +
	"\tip netns pids NAME\n" +
	"\tip [-all] netns exec [NAME] cmd ...\n" +
	"\tip netns monitor\n" +
	"\tip netns list-id [target-nsid POSITIVE-INT] [nsid POSITIVE-INT]\n" +
	"NETNSID := auto | POSITIVE-INT\n"

// netnsNames lists /var/run/netns in readdir order: tmpfs lists a
// directory's newest entries first (Linux 6.1's dcache_readdir), and the
// simulated filesystem numbers inodes in creation order. A missing
// directory lists nothing.
func netnsNames(c *cmd) []string {
	ents, err := c.fs.ReadDir(netnsRunDir)
	if err != nil {
		return nil
	}
	type ent struct {
		name string
		ino  uint64
	}
	var es []ent
	for _, e := range ents {
		var ino uint64
		if fi, err := e.Info(); err == nil {
			ino = vfs.StatOf(fi).Ino
		}
		es = append(es, ent{e.Name(), ino})
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].ino > es[j].ino })
	names := make([]string, len(es))
	for i, e := range es {
		names[i] = e.name
	}
	return names
}

// netnsOf returns the stack of the namespace the file /var/run/netns/name
// stands for.
func (c *cmd) netnsOf(name string) (*netsim.Stack, error) {
	ns, ok := c.p.(sys.NetNamespacer)
	if !ok {
		return nil, syscall.EINVAL
	}
	return ns.NetNamespaceAt(netnsRunDir + "/" + name)
}

// netnsList is `ip netns list`: each name, with the id the process's
// namespace has for it when it has one.
func netnsList(c *cmd) int {
	self := c.stack()
	for _, name := range netnsNames(c) {
		line := name
		s, err := c.netnsOf(name)
		switch {
		case err != nil:
			// RTM_GETNSID on a file that is no namespace's.
			io.WriteString(c.p.Stderr(), "Error: Peer netns reference is invalid.\nError: Peer netns reference is invalid.\n")
		case self != nil && s != nil:
			if id, ok := self.PeerID(s); ok {
				line += fmt.Sprintf(" (id: %d)", id)
			}
		}
		c.out.WriteString(line + "\n")
	}
	return 0
}

// netnsIdentify is `ip netns identify`: the first name of the process's
// own namespace, or an empty line.
func netnsIdentify(c *cmd, args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(c.p.Stderr(), "ip netns identify PID: not simulated by twinbox\n")
		return 1
	}
	self, found := c.stack(), ""
	for _, name := range netnsNames(c) {
		if s, err := c.netnsOf(name); err == nil && s != nil && s == self {
			found = name
			break
		}
	}
	c.out.WriteString(found + "\n")
	return 0
}

// netnsExec is `ip netns exec NAME CMD...`: setns(2) into the namespace,
// then exec CMD, which keeps the process.
func netnsExec(c *cmd, args []string) int {
	if len(args) < 1 {
		io.WriteString(c.p.Stderr(), "No netns name specified\n")
		return 1
	}
	if len(args) < 2 {
		io.WriteString(c.p.Stderr(), "No command specified\n")
		return 1
	}
	name := args[0]
	ns, ok := c.p.(sys.NetNamespacer)
	if !ok {
		fmt.Fprintf(c.p.Stderr(), "setting the network namespace %q failed: %s\n", name, Strerror(syscall.EINVAL))
		return 255
	}
	if err := ns.SetNetNamespace(netnsRunDir + "/" + name); err != nil {
		if e := Errno(err); e == syscall.EINVAL || e == syscall.EPERM {
			fmt.Fprintf(c.p.Stderr(), "setting the network namespace %q failed: %s\n", name, Strerror(err))
		} else {
			fmt.Fprintf(c.p.Stderr(), "Cannot open network namespace %q: %s\n", name, Strerror(err))
		}
		return 255
	}
	c.out.Flush()
	st, ok, err := c.p.Exec(args[1:], nil)
	if ok {
		return st
	}
	text := Strerror(syscall.ENOENT)
	var xe *backend.ExecError
	if errors.As(err, &xe) && (xe.Reason == backend.ReasonPermission || xe.Reason == backend.ReasonIsDir) {
		text = Strerror(syscall.EACCES)
	}
	fmt.Fprintf(c.p.Stderr(), "exec of %q failed: %s\n", args[1], text)
	return 1
}
