package viz

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/twinbox-dev/twinbox/shared/api/client"
)

// ProcessTable is every running container with its namespaces and its
// processes.
type ProcessTable struct {
	Containers []NSContainer // by name
}

// NSContainer is a running container's namespaces and processes.
type NSContainer struct {
	Name  string
	State string // running or paused
	Pid   int    // the host PID of its first process (State.Pid)
	// Whose namespace each is: "" its own, "host" the host's, or the name
	// of the container it joined (--pid, --net, --uts, --ipc).
	PID, Net, UTS, IPC string
	Procs              []Process // as docker top lists them
	Err                string    // why there are no processes, if top failed
}

// Process is one process of a container.
type Process struct {
	PID  int // on the host, as docker top shows it
	PPID int
	// NSPID is its PID inside the container's PID namespace, 0 where the
	// state does not give it: the Engine API lists host PIDs only, but
	// the first process of a container with a PID namespace of its own
	// is PID 1 there, and in the host's namespace the two are one.
	NSPID int
	Cmd   string
}

// FetchProcesses reads the running containers' namespace modes and
// processes (GET /containers/json, /containers/{id}/json and
// /containers/{id}/top).
func FetchProcesses(ctx context.Context, c *client.Client) (ProcessTable, error) {
	list, err := c.ContainerList(ctx, client.ListOptions{All: true})
	if err != nil {
		return ProcessTable{}, err
	}
	names := containerNames(list)
	var t ProcessTable
	for _, s := range list {
		if s.State != "running" && s.State != "paused" {
			continue
		}
		ins, err := c.ContainerInspect(ctx, s.ID)
		if err != nil {
			return ProcessTable{}, err
		}
		nc := NSContainer{Name: names[s.ID], State: string(s.State)}
		if ins.State != nil {
			nc.Pid = ins.State.Pid
		}
		if hc := ins.HostConfig; hc != nil {
			nc.PID = names.owner(string(hc.PidMode))
			nc.Net = names.owner(string(hc.NetworkMode))
			nc.UTS = names.owner(string(hc.UTSMode))
			nc.IPC = names.owner(string(hc.IpcMode))
		}
		top, err := c.ContainerTop(ctx, s.ID, nil)
		if err != nil {
			nc.Err = err.Error()
		}
		col := map[string]int{}
		for i, title := range top.Titles {
			col[title] = i
		}
		cmd, ok := col["CMD"]
		if !ok {
			cmd, ok = col["COMMAND"]
		}
		pid, okPID := col["PID"]
		ppid, okPPID := col["PPID"]
		for _, row := range top.Processes {
			if !okPID || pid >= len(row) {
				continue
			}
			p := Process{}
			p.PID, _ = strconv.Atoi(row[pid])
			if okPPID && ppid < len(row) {
				p.PPID, _ = strconv.Atoi(row[ppid])
			}
			if ok && cmd < len(row) {
				p.Cmd = row[cmd]
			}
			switch {
			case nc.PID == "host":
				p.NSPID = p.PID
			case nc.PID == "" && p.PID == nc.Pid && p.PID != 0:
				p.NSPID = 1
			}
			nc.Procs = append(nc.Procs, p)
		}
		t.Containers = append(t.Containers, nc)
	}
	sort.Slice(t.Containers, func(i, j int) bool { return t.Containers[i].Name < t.Containers[j].Name })
	return t, nil
}

// owner is whose namespace a --pid, --net, --uts or --ipc mode gives a
// container: "" its own, "host", or a container's name.
func (n names) owner(mode string) string {
	switch {
	case mode == "host":
		return "host"
	case strings.HasPrefix(mode, "container:"):
		return n.resolve(strings.TrimPrefix(mode, "container:"))
	}
	return "" // private, shareable, none, bridge, a network's name, or unset
}

// procStyle is what the processes picture adds to style.
const procStyle = `.nsbox{fill:#ffffff;stroke:#6a737d}
.own{fill:#dafbe1;stroke:#1a7f37}
.shost{fill:#fff8c5;stroke:#9a6700}
.shared{fill:#ddf4ff;stroke:#0969da}
`

const maxProcs = 12 // processes drawn per container; the rest are counted

// Processes draws each running container as a box of namespaces: its
// pid, net, uts and ipc namespaces marked as its own, the host's or
// another container's, and its processes with their host PIDs and, where
// the state gives them, their PIDs inside.
func Processes(t ProcessTable) []byte {
	s := &svg{css: procStyle}
	y := margin + 14
	title := plural(len(t.Containers), "running container")
	for _, c := range t.Containers {
		if c.State == "paused" {
			title = plural(len(t.Containers), "container") + " running or paused"
			break
		}
	}
	s.text(margin, y, "title", "start", title+", each in its namespaces")
	y += 10
	if len(t.Containers) == 0 {
		s.text(margin, y+20, "dim", "start", "none running: docker run starts one")
		y += 30
	}
	const chipW = (width - 2*margin - 20 - 3*gap) / 4
	firstPid := map[string]int{}
	for _, c := range t.Containers {
		firstPid[c.Name] = c.Pid
	}
	for _, c := range t.Containers {
		// In another container's PID namespace, PID 1 is that container's
		// first process.
		pid1 := ""
		if p := firstPid[c.PID]; c.PID != "" && c.PID != "host" && p != 0 {
			pid1 = fmt.Sprintf("PID 1 there: %s's first process, host PID %d", clip(c.PID, 16), p)
		}
		shown := c.Procs
		if len(shown) > maxProcs {
			shown = shown[:maxProcs]
		}
		rows := len(shown)
		if len(c.Procs) > len(shown) || c.Err != "" || len(c.Procs) == 0 {
			rows++
		}
		if pid1 != "" {
			rows++
		}
		h := 88 + lineH*rows
		s.rect(margin, y, width-2*margin, h, "nsbox")
		s.text(margin+10, y+20, "title", "start", clip(c.Name, 30))
		right := c.State
		if c.Pid != 0 {
			right = fmt.Sprintf("%s, first process host PID %d", c.State, c.Pid)
		}
		s.text(width-margin-10, y+20, "dim", "end", right)
		for i, ns := range []struct{ kind, owner string }{{"pid", c.PID}, {"net", c.Net}, {"uts", c.UTS}, {"ipc", c.IPC}} {
			x := margin + 10 + i*(chipW+gap)
			class, label := "own", ns.kind+": its own"
			switch ns.owner {
			case "":
			case "host":
				class, label = "shost", ns.kind+": the host's"
			default:
				class, label = "shared", ns.kind+": "+clip(ns.owner, 9)+"'s"
			}
			s.rect(x, y+30, chipW, 24, class)
			s.text(x+chipW/2, y+46, "", "middle", label)
		}
		ty := y + 74
		s.text(margin+10, ty, "dim", "start", "host PID")
		s.text(margin+90, ty, "dim", "start", "PID inside")
		s.text(margin+180, ty, "dim", "start", "command")
		depth := procDepths(c.Procs)
		for _, p := range shown {
			ty += lineH
			s.text(margin+10, ty, "", "start", strconv.Itoa(p.PID))
			if p.NSPID != 0 {
				s.text(margin+90, ty, "", "start", strconv.Itoa(p.NSPID))
			}
			d := depth[p.PID]
			s.text(margin+180+14*d, ty, "", "start", clip(p.Cmd, 48-2*d))
		}
		switch {
		case c.Err != "":
			ty += lineH
			s.text(margin+10, ty, "dim", "start", clip("top: "+c.Err, 70))
		case len(c.Procs) == 0:
			ty += lineH
			s.text(margin+10, ty, "dim", "start", "no processes")
		case len(c.Procs) > len(shown):
			ty += lineH
			s.text(margin+180, ty, "dim", "start", fmt.Sprintf("… and %d more", len(c.Procs)-len(shown)))
		}
		if pid1 != "" {
			ty += lineH
			s.text(margin+10, ty, "dim", "start", pid1)
		}
		y += h + gap
	}
	if len(t.Containers) > 0 {
		s.text(margin, y+12, "dim", "start", "docker top gives host PIDs; a PID namespace of its own")
		s.text(margin, y+28, "dim", "start", "starts at 1 with the container's first process")
		y += 34
	}
	s.h = y + margin
	return s.done("Processes and namespaces")
}

// procDepths is each process's depth under the container's first
// processes, by host PID, so children are drawn indented.
func procDepths(ps []Process) map[int]int {
	parent := map[int]int{}
	for _, p := range ps {
		parent[p.PID] = p.PPID
	}
	d := map[int]int{}
	for _, p := range ps {
		n, at := 0, p.PPID
		for ; n < 8; n++ {
			if _, in := parent[at]; !in {
				break
			}
			at = parent[at]
		}
		d[p.PID] = n
	}
	return d
}
