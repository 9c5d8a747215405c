package cli

// docker stats, adapted from github.com/docker/cli/cli/command/container
// stats.go and stats_helpers.go (v28.2.2), Apache License 2.0.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/spf13/cobra"

	"github.com/twinbox-dev/twinbox/shared/api/client"
	statsfmt "github.com/twinbox-dev/twinbox/shared/cli/container"
	"github.com/twinbox-dev/twinbox/shared/cli/formatter"
)

// containerStats is one container's latest row, or its error.
type containerStats struct {
	mu sync.RWMutex
	statsfmt.StatsEntry
	err error
}

func (s *containerStats) getError() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.err
}

func (s *containerStats) setErrorAndReset(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.StatsEntry = statsfmt.StatsEntry{Container: s.Container, Name: s.Name, ID: s.ID, IsInvalid: true}
	s.err = err
}

func (s *containerStats) setError(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
	if err != nil {
		s.IsInvalid = true
	}
}

func (s *containerStats) setStatistics(e statsfmt.StatsEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.Container = s.Container
	s.StatsEntry = e
}

func (s *containerStats) statistics() statsfmt.StatsEntry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.StatsEntry
}

// statsSet is the containers shown, in the order they were added.
type statsSet struct {
	mu sync.RWMutex
	cs []*containerStats
}

func (s *statsSet) add(cs *containerStats) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.index(cs.Container); ok {
		return false
	}
	s.cs = append(s.cs, cs)
	return true
}

func (s *statsSet) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.index(id); ok {
		s.cs = append(s.cs[:i], s.cs[i+1:]...)
	}
}

func (s *statsSet) index(id string) (int, bool) {
	for i, c := range s.cs {
		if c.Container == id {
			return i, true
		}
	}
	return -1, false
}

func (s *statsSet) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.cs)
}

func (c *dockerCLI) newStatsCommand() *cobra.Command {
	var all, noStream, noTrunc bool
	var format string
	cmd := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Display a live stream of container(s) resource usage statistics",
		Args:  requiresMinArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.runStats(cmd.Context(), args, all, noStream, noTrunc, format)
		},
		Annotations: map[string]string{"aliases": "docker container stats, docker stats"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&all, "all", "a", false, "Show all containers (default shows just running)")
	flags.BoolVar(&noStream, "no-stream", false, "Disable streaming stats and only pull the first result")
	flags.BoolVar(&noTrunc, "no-trunc", false, "Do not truncate output")
	flags.StringVar(&format, "format", "", formatHelp)
	return cmd
}

func (c *dockerCLI) runStats(ctx context.Context, names []string, all, noStream, noTrunc bool, format string) error {
	api, err := c.client()
	if err != nil {
		return err
	}
	var (
		waitFirst sync.WaitGroup
		closeChan = make(chan error, 1)
		cStats    statsSet
		osType    string
		osMu      sync.Mutex
	)
	start := func(id string) {
		s := &containerStats{StatsEntry: statsfmt.StatsEntry{Container: id}}
		if cStats.add(s) {
			waitFirst.Add(1)
			go collectStats(ctx, s, api, !noStream, &waitFirst, func(os string) {
				osMu.Lock()
				osType = os
				osMu.Unlock()
			})
		}
	}
	showAll := len(names) == 0
	if showAll {
		stopped := make(chan struct{})
		defer close(stopped)
		evCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		msgs, errs := api.Events(evCtx, client.EventsOptions{Filters: client.Filters{"type": {string(events.ContainerEventType)}}})
		go func() {
			for {
				select {
				case <-stopped:
					return
				case m := <-msgs:
					id := m.Actor.ID
					if len(id) < 12 {
						continue
					}
					switch {
					case m.Action == events.ActionCreate && all, m.Action == events.ActionStart:
						start(id[:12])
					case m.Action == events.ActionDie && !all:
						cStats.remove(id[:12])
					}
				case err := <-errs:
					select {
					case closeChan <- err:
					default:
					}
					return
				}
			}
		}()
		list, err := api.ContainerList(ctx, client.ListOptions{All: all})
		if err != nil {
			return err
		}
		for _, ctr := range list {
			start(ctr.ID[:12])
		}
		waitFirst.Wait()
	} else {
		for _, name := range names {
			start(name)
		}
		close(closeChan)
		waitFirst.Wait()
		var errs []error
		cStats.mu.RLock()
		for _, s := range cStats.cs {
			if err := s.getError(); err != nil {
				errs = append(errs, err)
			}
		}
		cStats.mu.RUnlock()
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	if format == "" {
		format = formatter.TableFormatKey
	}
	osMu.Lock()
	if osType == "" {
		_, osType, _ = c.serverInfo()
	}
	daemonOS := osType
	osMu.Unlock()
	var buf bytes.Buffer
	statsCtx := formatter.Context{Output: &buf, Format: statsfmt.NewStatsFormat(format, daemonOS)}
	ticker := time.NewTicker(500 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		var rows []statsfmt.StatsEntry
		cStats.mu.RLock()
		for _, s := range cStats.cs {
			rows = append(rows, s.statistics())
		}
		cStats.mu.RUnlock()
		if !noStream {
			fmt.Fprint(&buf, "\033[H")
		}
		if err = statsfmt.StatsWrite(statsCtx, rows, daemonOS, !noTrunc); err != nil {
			return err
		}
		if !noStream {
			// As docker 28 does, each line is written again with a
			// clear-to-end-of-line after the table.
			for _, line := range strings.Split(buf.String(), "\n") {
				fmt.Fprintln(&buf, line, "\033[K")
			}
			fmt.Fprint(&buf, "\033[J")
		}
		fmt.Fprint(c.out, buf.String())
		buf.Reset()
		if cStats.len() == 0 && !showAll {
			return nil
		}
		if noStream {
			return nil
		}
		select {
		case err, ok := <-closeChan:
			if ok && err != nil {
				if errors.Is(err, io.ErrUnexpectedEOF) {
					return nil
				}
				return err
			}
		default:
		}
	}
}

// collectStats reads a container's samples into s, marking it invalid
// after 2 seconds without one. waitFirst is released after the first
// sample, error or timeout.
func collectStats(ctx context.Context, s *containerStats, api *client.Client, stream bool, waitFirst *sync.WaitGroup, setOS func(string)) {
	var once sync.Once
	first := func() { once.Do(waitFirst.Done) }
	defer first()
	resp, err := api.ContainerStats(ctx, s.Container, stream)
	if err != nil {
		s.setError(err)
		return
	}
	defer resp.Body.Close()
	u := make(chan error, 1)
	go func() {
		dec := json.NewDecoder(resp.Body)
		for {
			var v *container.StatsResponse
			if err := dec.Decode(&v); err != nil {
				dec = json.NewDecoder(io.MultiReader(dec.Buffered(), resp.Body))
				u <- err
				if err == io.EOF {
					return
				}
				time.Sleep(100 * time.Millisecond)
				continue
			}
			setOS(resp.OSType)
			e := statsfmt.StatsEntry{Name: v.Name, ID: v.ID}
			if resp.OSType != "windows" {
				e.CPUPercentage = cpuPercentUnix(v.PreCPUStats.CPUUsage.TotalUsage, v.PreCPUStats.SystemUsage, v)
				r, w := blockIO(v.BlkioStats)
				e.BlockRead, e.BlockWrite = float64(r), float64(w)
				e.Memory = memUsageNoCache(v.MemoryStats)
				e.MemoryLimit = float64(v.MemoryStats.Limit)
				if e.MemoryLimit != 0 {
					e.MemoryPercentage = e.Memory / e.MemoryLimit * 100.0
				}
				e.PidsCurrent = v.PidsStats.Current
			} else {
				e.BlockRead = float64(v.StorageStats.ReadSizeBytes)
				e.BlockWrite = float64(v.StorageStats.WriteSizeBytes)
				e.Memory = float64(v.MemoryStats.PrivateWorkingSet)
			}
			for _, n := range v.Networks {
				e.NetworkRx += float64(n.RxBytes)
				e.NetworkTx += float64(n.TxBytes)
			}
			s.setStatistics(e)
			u <- nil
			if !stream {
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
			s.setErrorAndReset(errors.New("timeout waiting for stats"))
			first()
		case err := <-u:
			s.setError(err)
			if err == io.EOF {
				break
			}
			if err != nil {
				continue
			}
			first()
		}
		if !stream {
			return
		}
	}
}

func cpuPercentUnix(previousCPU, previousSystem uint64, v *container.StatsResponse) float64 {
	cpuDelta := float64(v.CPUStats.CPUUsage.TotalUsage) - float64(previousCPU)
	systemDelta := float64(v.CPUStats.SystemUsage) - float64(previousSystem)
	onlineCPUs := float64(v.CPUStats.OnlineCPUs)
	if onlineCPUs == 0.0 {
		onlineCPUs = float64(len(v.CPUStats.CPUUsage.PercpuUsage))
	}
	if systemDelta > 0.0 && cpuDelta > 0.0 {
		return (cpuDelta / systemDelta) * onlineCPUs * 100.0
	}
	return 0
}

func blockIO(blkio container.BlkioStats) (read, write uint64) {
	for _, e := range blkio.IoServiceBytesRecursive {
		if len(e.Op) == 0 {
			continue
		}
		switch e.Op[0] {
		case 'r', 'R':
			read += e.Value
		case 'w', 'W':
			write += e.Value
		}
	}
	return read, write
}

func memUsageNoCache(mem container.MemoryStats) float64 {
	if v, isCgroup1 := mem.Stats["total_inactive_file"]; isCgroup1 && v < mem.Usage {
		return float64(mem.Usage - v)
	}
	if v := mem.Stats["inactive_file"]; v < mem.Usage {
		return float64(mem.Usage - v)
	}
	return float64(mem.Usage)
}
