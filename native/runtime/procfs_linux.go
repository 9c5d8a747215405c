package runtime

import (
	"bufio"
	"bytes"
	"os"
	goruntime "runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

const clockTicks = 100 // USER_HZ on Linux

func bootTime() time.Time {
	data, _ := os.ReadFile("/proc/stat")
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return time.Unix(n, 0)
		}
	}
	return time.Time{}
}

// hostUsers maps UIDs to names from the machine's /etc/passwd, as `ps`
// on the machine (which `docker top` runs) shows them.
func hostUsers() map[int]string {
	out := map[int]string{}
	data, _ := os.ReadFile("/etc/passwd")
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 2 {
			if id, err := strconv.Atoi(f[2]); err == nil {
				if _, ok := out[id]; !ok {
					out[id] = f[0]
				}
			}
		}
	}
	return out
}

// processInfos reads /proc for each PID and orders parents first.
func processInfos(pids []int) []backend.ProcessInfo {
	boot := bootTime()
	users := hostUsers()
	page := int64(os.Getpagesize())
	var out []backend.ProcessInfo
	for _, pid := range pids {
		ps := strconv.Itoa(pid)
		stat, err := os.ReadFile("/proc/" + ps + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		open, close := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		if open < 0 || close < open {
			continue
		}
		info := backend.ProcessInfo{PID: pid, Comm: string(stat[open+1 : close]), TTY: "?"}
		f := strings.Fields(string(stat[close+1:]))
		if len(f) < 22 {
			continue
		}
		// Fields after the name: state ppid pgrp session tty_nr ... utime(11) stime(12) ... starttime(19) vsize(20) rss(21)
		info.State = f[0]
		info.PPID, _ = strconv.Atoi(f[1])
		if tty, _ := strconv.Atoi(f[4]); tty != 0 {
			major, minor := (tty>>8)&0xfff, (tty&0xff)|((tty>>12)&0xfff00)
			if major >= 136 && major <= 143 {
				info.TTY = "pts/" + strconv.Itoa((major-136)*256+minor)
			} else {
				info.TTY = "tty" + strconv.Itoa(minor)
			}
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		info.CPUTime = time.Duration(ut+st) * time.Second / clockTicks
		start, _ := strconv.ParseInt(f[19], 10, 64)
		info.Start = boot.Add(time.Duration(start) * time.Second / clockTicks)
		info.VSZ, _ = strconv.ParseInt(f[20], 10, 64)
		rss, _ := strconv.ParseInt(f[21], 10, 64)
		info.RSS = rss * page
		if status, err := os.ReadFile("/proc/" + ps + "/status"); err == nil {
			sc := bufio.NewScanner(bytes.NewReader(status))
			for sc.Scan() {
				if v, ok := strings.CutPrefix(sc.Text(), "Uid:"); ok {
					if fs := strings.Fields(v); len(fs) > 0 {
						info.UID, _ = strconv.Atoi(fs[0])
					}
				}
			}
		}
		if name, ok := users[info.UID]; ok {
			info.User = name
		} else {
			info.User = strconv.Itoa(info.UID)
		}
		if cmd, err := os.ReadFile("/proc/" + ps + "/cmdline"); err == nil && len(cmd) > 0 {
			info.Args = strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
		}
		out = append(out, info)
	}
	// Parents first: a process after its parent when both are listed,
	// otherwise by PID.
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	index := map[int]int{}
	for i, p := range out {
		index[p.PID] = i
	}
	var ordered []backend.ProcessInfo
	seen := map[int]bool{}
	var visit func(i int)
	visit = func(i int) {
		if seen[out[i].PID] {
			return
		}
		if pi, ok := index[out[i].PPID]; ok && !seen[out[i].PPID] && out[i].PPID != out[i].PID {
			seen[out[i].PID] = true // break cycles
			visit(pi)
			seen[out[i].PID] = false
		}
		if !seen[out[i].PID] {
			seen[out[i].PID] = true
			ordered = append(ordered, out[i])
		}
	}
	for i := range out {
		visit(i)
	}
	return ordered
}

func onlineCPUs() int { return goruntime.NumCPU() }

// systemCPU is the machine's total CPU time, as docker stats computes it
// from /proc/stat.
func systemCPU() time.Duration {
	data, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(data), "\n")
	var total int64
	for _, f := range strings.Fields(line)[1:] {
		n, _ := strconv.ParseInt(f, 10, 64)
		total += n
	}
	return time.Duration(total) * time.Second / clockTicks
}

// netDev sums received and sent bytes over the container's interfaces but
// lo.
func netDev(pid int) (rx, tx int64) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/net/dev")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n")[2:] {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "lo" {
			continue
		}
		f := strings.Fields(rest)
		if len(f) >= 9 {
			r, _ := strconv.ParseInt(f[0], 10, 64)
			t, _ := strconv.ParseInt(f[8], 10, 64)
			rx += r
			tx += t
		}
	}
	return rx, tx
}
