package applets

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/twinbox-dev/twinbox/wasm/sim/netsim"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

// Brctl is bridge-utils' brctl (Debian's bridge-utils 1.7), a program of
// the simulated host, not of busybox: `brctl show [BRIDGE...]` lists the
// bridges of the process's network namespace with their ports, as brctl
// reads them from /sys/class/net. The commands that change bridges are
// not simulated (Docker makes its bridges itself).
var Brctl = applet("brctl", brctlMain)

// brctlUsage is what bridge-utils 1.7 prints for `brctl`, `brctl -h` and
// an unknown command.
const brctlUsage = "Usage: brctl [commands]\n" +
	"commands:\n" +
	"\taddbr     \t<bridge>\t\tadd bridge\n" +
	"\tdelbr     \t<bridge>\t\tdelete bridge\n" +
	"\taddif     \t<bridge> <device>\tadd interface to bridge\n" +
	"\tdelif     \t<bridge> <device>\tdelete interface from bridge\n" +
	"\thairpin   \t<bridge> <port> {on|off}\tturn hairpin on/off\n" +
	"\tsetageing \t<bridge> <time>\t\tset ageing time\n" +
	"\tsetbridgeprio\t<bridge> <prio>\t\tset bridge priority\n" +
	"\tsetfd     \t<bridge> <time>\t\tset bridge forward delay\n" +
	"\tsethello  \t<bridge> <time>\t\tset hello time\n" +
	"\tsetmaxage \t<bridge> <time>\t\tset max message age\n" +
	"\tsetpathcost\t<bridge> <port> <cost>\tset path cost\n" +
	"\tsetportprio\t<bridge> <port> <prio>\tset port priority\n" +
	"\tshow      \t[ <bridge> ]\t\tshow a list of bridges\n" +
	"\tshowmacs  \t<bridge>\t\tshow a list of mac addrs\n" +
	"\tshowstp   \t<bridge>\t\tshow bridge stp info\n" +
	"\tstp       \t<bridge> {on|off}\tturn stp on/off\n"

var brctlCommands = []string{"addbr", "delbr", "addif", "delif", "hairpin", "setageing", "setbridgeprio",
	"setfd", "sethello", "setmaxage", "setpathcost", "setportprio", "show", "showmacs", "showstp", "stp"}

func brctlMain(c *cmd) int {
	var args []string
	for _, a := range c.args[1:] {
		switch a {
		case "-h", "--help":
			io.WriteString(c.out, brctlUsage)
			return 0
		case "-V", "--version":
			io.WriteString(c.out, "bridge-utils, 1.7\n")
			return 0
		}
		args = append(args, a)
	}
	if len(args) == 0 {
		io.WriteString(c.out, brctlUsage)
		return 1
	}
	known := false
	for _, k := range brctlCommands {
		known = known || k == args[0]
	}
	switch {
	case !known:
		fmt.Fprintf(c.p.Stderr(), "never heard of command [%s]\n", args[0])
		io.WriteString(c.out, brctlUsage)
		return 1
	case args[0] != "show":
		fmt.Fprintf(c.p.Stderr(), "brctl: %s is not simulated by twinbox\n", args[0])
		return 1
	}
	var links []netsim.Link
	if s := c.stack(); s != nil {
		links = s.Links()
	}
	rows := bridgeRows(links)
	if len(args) == 1 {
		writeBridges(c.out, rows)
		return 0
	}
	status, header := 0, false
	for _, name := range args[1:] {
		row, found := bridgeRow{}, false
		for _, r := range rows {
			if r.Name == name {
				row, found = r, true
			}
		}
		switch {
		case found:
			if !header {
				io.WriteString(c.out, brctlHeader)
				header = true
			}
			writeBridge(c.out, row)
			continue
		case linkNamed(links, name):
			fmt.Fprintf(c.p.Stderr(), "device %s is not a bridge!\n", name)
		default:
			fmt.Fprintf(c.p.Stderr(), "bridge %s does not exist!\n", name)
		}
		status = 1
	}
	return status
}

const brctlHeader = "bridge name\tbridge id\t\tSTP enabled\tinterfaces\n"

// bridgeRow is a bridge as `brctl show` prints it.
type bridgeRow struct {
	Name  string
	ID    string // priority 8000 and the bridge's MAC, which libnetwork sets
	STP   bool
	Ports []string
}

// bridgeRows reads the bridges among links and the interfaces plugged
// into each, sorted by name as brctl's scandir of /sys/class/net and of
// each bridge's brif directory sorts them.
func bridgeRows(links []netsim.Link) []bridgeRow {
	var rows []bridgeRow
	for _, l := range links {
		if l.Kind != netsim.KindBridge {
			continue
		}
		r := bridgeRow{Name: l.Name, ID: "8000." + strings.ReplaceAll(l.MAC, ":", "")}
		for _, p := range links {
			if p.Master != nil && p.Master.Index == l.Index && p.Master.Name == l.Name {
				r.Ports = append(r.Ports, p.Name)
			}
		}
		sort.Strings(r.Ports)
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	return rows
}

// writeBridges prints `brctl show`: nothing at all without bridges, as
// brctl prints its header before the first bridge.
func writeBridges(w io.Writer, rows []bridgeRow) {
	for i, r := range rows {
		if i == 0 {
			io.WriteString(w, brctlHeader)
		}
		writeBridge(w, r)
	}
}

// writeBridge prints one bridge as bridge-utils' show_bridge does: its
// first port on its line, the others on lines of their own under it.
func writeBridge(w io.Writer, r bridgeRow) {
	stp := "no"
	if r.STP {
		stp = "yes"
	}
	fmt.Fprintf(w, "%s\t\t%s\t%s\t\t", r.Name, r.ID, stp)
	if len(r.Ports) == 0 {
		io.WriteString(w, "\n")
		return
	}
	for i, p := range r.Ports {
		if i > 0 {
			io.WriteString(w, "\t\t\t\t\t\t\t")
		}
		io.WriteString(w, p+"\n")
	}
}

// linkNamed reports whether links has an interface called name.
func linkNamed(links []netsim.Link, name string) bool {
	for _, l := range links {
		if l.Name == name {
			return true
		}
	}
	return false
}

var _ sys.Program = Brctl
