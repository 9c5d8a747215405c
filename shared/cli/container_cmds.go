package cli

// The container commands besides run and create, adapted from
// github.com/docker/cli/cli/command/container (v28.2.2), Apache License
// 2.0.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/spf13/cobra"

	"github.com/twinbox-dev/twinbox/shared/api/client"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/cli/formatter"
	"github.com/twinbox-dev/twinbox/shared/cli/formatter/tabwriter"
)

// Help texts of --format.
const (
	formatHelp = `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`
	inspectFormatHelp = `Format output using a custom template:
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`
)

// parallelOperation runs op on each container, at most 50 at a time, and
// delivers the errors in the containers' order.
func parallelOperation(ctx context.Context, containers []string, op func(ctx context.Context, id string) error) chan error {
	if len(containers) == 0 {
		return nil
	}
	sem := make(chan struct{}, 50)
	errChan := make(chan error)
	output := make([]chan error, len(containers))
	for i := range containers {
		output[i] = make(chan error, 1)
	}
	go func() {
		for i := range containers {
			errChan <- <-output[i]
		}
	}()
	go func() {
		for i, ctr := range containers {
			sem <- struct{}{}
			go func(i int, ctr string) {
				output[i] <- op(ctx, ctr)
				<-sem
			}(i, ctr)
		}
	}()
	return errChan
}

// eachContainer runs op on the containers, printing each name that worked
// and joining the errors.
func (c *dockerCLI) eachContainer(ctx context.Context, names []string, op func(ctx context.Context, api *client.Client, id string) error) error {
	api, err := c.client()
	if err != nil {
		return err
	}
	errChan := parallelOperation(ctx, names, func(ctx context.Context, id string) error { return op(ctx, api, id) })
	var errs []error
	for _, name := range names {
		if err := <-errChan; err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(c.out, name)
	}
	return errors.Join(errs...)
}

func (c *dockerCLI) newStartCommand() *cobra.Command {
	var attach, openStdin bool
	var detachKeys, checkpoint, checkpointDir string
	cmd := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more stopped containers",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.runStart(cmd.Context(), args, attach, openStdin, detachKeys)
		},
		Annotations: map[string]string{"aliases": "docker container start, docker start"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&attach, "attach", "a", false, "Attach STDOUT/STDERR and forward signals")
	flags.BoolVarP(&openStdin, "interactive", "i", false, "Attach container's STDIN")
	flags.StringVar(&detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	flags.StringVar(&checkpoint, "checkpoint", "", "Restore from this checkpoint")
	_ = flags.SetAnnotation("checkpoint", "experimental", nil)
	_ = flags.SetAnnotation("checkpoint", "ostype", []string{"linux"})
	flags.StringVar(&checkpointDir, "checkpoint-dir", "", "Use a custom checkpoint storage directory")
	_ = flags.SetAnnotation("checkpoint-dir", "experimental", nil)
	_ = flags.SetAnnotation("checkpoint-dir", "ostype", []string{"linux"})
	return cmd
}

func (c *dockerCLI) runStart(ctx context.Context, containers []string, attach, openStdin bool, detachKeys string) error {
	api, err := c.client()
	if err != nil {
		return err
	}
	ctx, cancelFun := context.WithCancel(ctx)
	defer cancelFun()
	if !attach && !openStdin {
		var failed []string
		for _, ctr := range containers {
			if err := api.ContainerStart(ctx, ctr); err != nil {
				fmt.Fprintln(c.err, err)
				failed = append(failed, ctr)
				continue
			}
			fmt.Fprintln(c.out, ctr)
		}
		if len(failed) > 0 {
			return fmt.Errorf("Error: failed to start containers: %s", strings.Join(failed, ", "))
		}
		return nil
	}
	if len(containers) > 1 {
		return errors.New("you cannot start and attach multiple containers at once")
	}
	ctr, err := api.ContainerInspect(ctx, containers[0])
	if err != nil {
		return err
	}
	if !ctr.Config.Tty {
		stop := c.forwardSignals(ctx, ctr.ID)
		defer stop()
	}
	options := client.AttachOptions{
		Stream:     true,
		Stdin:      openStdin && ctr.Config.OpenStdin,
		Stdout:     true,
		Stderr:     true,
		DetachKeys: detachKeys,
	}
	var in io.Reader
	if options.Stdin {
		in = c.in
	}
	resp, err := api.ContainerAttach(ctx, ctr.ID, options)
	if err != nil {
		return err
	}
	defer resp.Close()
	cErr := make(chan error, 1)
	go func() {
		streamer := hijackedIOStreamer{
			c:            c,
			inputStream:  in,
			outputStream: c.out,
			errorStream:  c.err,
			resp:         resp,
			tty:          ctr.Config.Tty,
			detachKeys:   options.DetachKeys,
		}
		cErr <- streamer.stream(ctx)
	}()
	statusChan := c.waitExitOrRemoved(ctx, api, ctr.ID, ctr.HostConfig.AutoRemove)
	if err := api.ContainerStart(ctx, ctr.ID); err != nil {
		cancelFun()
		<-cErr
		if ctr.HostConfig.AutoRemove {
			<-statusChan
		}
		return err
	}
	if ctr.Config.Tty && c.stdoutIsTerminal() {
		stop := c.monitorTTYSize(ctx, ctr.ID, false)
		defer stop()
	}
	if attachErr := <-cErr; attachErr != nil {
		if errors.Is(attachErr, errEscape) {
			return nil
		}
		return attachErr
	}
	if status := <-statusChan; status != 0 {
		return StatusError{StatusCode: status}
	}
	return nil
}

// newStopLikeCommand makes stop and restart.
func (c *dockerCLI) newStopLikeCommand(use, short, alias string, restart bool) *cobra.Command {
	var signal string
	var timeout int
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("time") && cmd.Flags().Changed("timeout") {
				return errors.New("conflicting options: cannot specify both --timeout and --time")
			}
			opts := client.StopOptions{Signal: signal}
			if cmd.Flags().Changed("timeout") || cmd.Flags().Changed("time") {
				t := timeout
				opts.Timeout = &t
			}
			if restart {
				return c.runRestart(cmd.Context(), args, opts)
			}
			return c.eachContainer(cmd.Context(), args, func(ctx context.Context, api *client.Client, id string) error {
				return api.ContainerStop(ctx, id, opts)
			})
		},
		Annotations: map[string]string{"aliases": alias},
	}
	flags := cmd.Flags()
	flags.StringVarP(&signal, "signal", "s", "", "Signal to send to the container")
	flags.IntVarP(&timeout, "timeout", "t", 0, "Seconds to wait before killing the container")
	flags.IntVar(&timeout, "time", 0, "Seconds to wait before killing the container (deprecated: use --timeout)")
	_ = flags.MarkDeprecated("time", "use --timeout instead")
	return cmd
}

func (c *dockerCLI) newStopCommand() *cobra.Command {
	return c.newStopLikeCommand("stop [OPTIONS] CONTAINER [CONTAINER...]", "Stop one or more running containers", "docker container stop, docker stop", false)
}

func (c *dockerCLI) newRestartCommand() *cobra.Command {
	return c.newStopLikeCommand("restart [OPTIONS] CONTAINER [CONTAINER...]", "Restart one or more containers", "docker container restart, docker restart", true)
}

// runRestart restarts the containers one after the other.
func (c *dockerCLI) runRestart(ctx context.Context, names []string, opts client.StopOptions) error {
	api, err := c.client()
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		if err := api.ContainerRestart(ctx, name, opts); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(c.out, name)
	}
	return errors.Join(errs...)
}

func (c *dockerCLI) newKillCommand() *cobra.Command {
	var signal string
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Kill one or more running containers",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.eachContainer(cmd.Context(), args, func(ctx context.Context, api *client.Client, id string) error {
				return api.ContainerKill(ctx, id, signal)
			})
		},
		Annotations: map[string]string{"aliases": "docker container kill, docker kill"},
	}
	cmd.Flags().StringVarP(&signal, "signal", "s", "", "Signal to send to the container")
	return cmd
}

func (c *dockerCLI) newPauseCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "pause CONTAINER [CONTAINER...]",
		Short: "Pause all processes within one or more containers",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.eachContainer(cmd.Context(), args, func(ctx context.Context, api *client.Client, id string) error {
				return api.ContainerPause(ctx, id)
			})
		},
		Annotations: map[string]string{"aliases": "docker container pause, docker pause"},
	}
}

func (c *dockerCLI) newUnpauseCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "unpause CONTAINER [CONTAINER...]",
		Short: "Unpause all processes within one or more containers",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.eachContainer(cmd.Context(), args, func(ctx context.Context, api *client.Client, id string) error {
				return api.ContainerUnpause(ctx, id)
			})
		},
		Annotations: map[string]string{"aliases": "docker container unpause, docker unpause"},
	}
}

func (c *dockerCLI) newRmCommand() *cobra.Command {
	var rmVolumes, rmLink, force bool
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more containers",
		Args:    requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			errChan := parallelOperation(cmd.Context(), args, func(ctx context.Context, id string) error {
				id = strings.Trim(id, "/")
				if id == "" {
					return errors.New("container name cannot be empty")
				}
				return api.ContainerRemove(ctx, id, client.RemoveOptions{RemoveVolumes: rmVolumes, RemoveLinks: rmLink, Force: force})
			})
			var errs []error
			for _, name := range args {
				if err := <-errChan; err != nil {
					if force && backend.IsNotFound(err) {
						fmt.Fprintln(c.err, err)
						continue
					}
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(c.out, name)
			}
			return errors.Join(errs...)
		},
		Annotations: map[string]string{"aliases": "docker container rm, docker container remove, docker rm"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&rmVolumes, "volumes", "v", false, "Remove anonymous volumes associated with the container")
	flags.BoolVarP(&rmLink, "link", "l", false, "Remove the specified link")
	flags.BoolVarP(&force, "force", "f", false, "Force the removal of a running container (uses SIGKILL)")
	return cmd
}

func (c *dockerCLI) newRenameCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Rename a container",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			oldName := strings.TrimSpace(args[0])
			newName := strings.TrimSpace(args[1])
			if oldName == "" || newName == "" {
				return errors.New("Error: Neither old nor new names may be empty")
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			if err := api.ContainerRename(cmd.Context(), oldName, newName); err != nil {
				fmt.Fprintln(c.err, err)
				return fmt.Errorf("Error: failed to rename container named %s", oldName)
			}
			return nil
		},
		Annotations: map[string]string{"aliases": "docker container rename, docker rename"},
	}
}

func (c *dockerCLI) newWaitCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "wait CONTAINER [CONTAINER...]",
		Short: "Block until one or more containers stop, then print their exit codes",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			var errs []error
			for _, ctr := range args {
				resultC, errC := api.ContainerWait(cmd.Context(), ctr, "")
				select {
				case result := <-resultC:
					fmt.Fprintf(c.out, "%d\n", result.StatusCode)
				case err := <-errC:
					errs = append(errs, err)
				}
			}
			return errors.Join(errs...)
		},
		Annotations: map[string]string{"aliases": "docker container wait, docker wait"},
	}
}

func (c *dockerCLI) newUpdateCommand() *cobra.Command {
	var (
		blkioWeight                                    uint16
		cpuPeriod, cpuQuota, cpuRTPeriod, cpuRTRuntime int64
		cpuShares, pidsLimit                           int64
		cpusetCpus, cpusetMems, restart                string
		memory, memoryReservation, kernelMemory        memBytes
		memorySwap                                     memSwapBytes
		cpus                                           nanoCPUs
	)
	cmd := &cobra.Command{
		Use:   "update [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Update configuration of one or more containers",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().NFlag() == 0 {
				return errors.New("you must provide one or more flags when using this command")
			}
			var policy container.RestartPolicy
			if restart != "" {
				var err error
				if policy, err = parseRestartPolicy(restart); err != nil {
					return err
				}
			}
			u := container.UpdateConfig{
				Resources: container.Resources{
					BlkioWeight: blkioWeight, CpusetCpus: cpusetCpus, CpusetMems: cpusetMems, CPUShares: cpuShares,
					Memory: int64(memory), MemoryReservation: int64(memoryReservation), MemorySwap: int64(memorySwap),
					CPUPeriod: cpuPeriod, CPUQuota: cpuQuota,
					CPURealtimePeriod: cpuRTPeriod, CPURealtimeRuntime: cpuRTRuntime, NanoCPUs: int64(cpus),
				},
				RestartPolicy: policy,
			}
			if pidsLimit != 0 {
				u.PidsLimit = &pidsLimit
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			var warns, errs []string
			for _, ctr := range args {
				r, err := api.ContainerUpdate(cmd.Context(), ctr, u)
				if err != nil {
					errs = append(errs, err.Error())
				} else {
					fmt.Fprintln(c.out, ctr)
				}
				warns = append(warns, r.Warnings...)
			}
			if len(warns) > 0 {
				fmt.Fprintln(c.out, strings.Join(warns, "\n"))
			}
			if len(errs) > 0 {
				return errors.New(strings.Join(errs, "\n"))
			}
			return nil
		},
		Annotations: map[string]string{"aliases": "docker container update, docker update"},
	}
	flags := cmd.Flags()
	flags.Uint16Var(&blkioWeight, "blkio-weight", 0, `Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)`)
	flags.Int64Var(&cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	flags.Int64Var(&cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	flags.Int64Var(&cpuRTPeriod, "cpu-rt-period", 0, "Limit the CPU real-time period in microseconds")
	_ = flags.SetAnnotation("cpu-rt-period", "version", []string{"1.25"})
	flags.Int64Var(&cpuRTRuntime, "cpu-rt-runtime", 0, "Limit the CPU real-time runtime in microseconds")
	_ = flags.SetAnnotation("cpu-rt-runtime", "version", []string{"1.25"})
	flags.StringVar(&cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	flags.StringVar(&cpusetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	flags.Int64VarP(&cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	flags.VarP(&memory, "memory", "m", "Memory limit")
	flags.Var(&memoryReservation, "memory-reservation", "Memory soft limit")
	flags.Var(&memorySwap, "memory-swap", `Swap limit equal to memory plus swap: -1 to enable unlimited swap`)
	flags.Var(&kernelMemory, "kernel-memory", "Kernel memory limit (deprecated)")
	_ = flags.SetAnnotation("kernel-memory", "deprecated", nil)
	_ = flags.MarkHidden("kernel-memory") // and not sent: runc no longer has it
	flags.StringVar(&restart, "restart", "", "Restart policy to apply when a container exits")
	flags.Int64Var(&pidsLimit, "pids-limit", 0, `Tune container pids limit (set -1 for unlimited)`)
	_ = flags.SetAnnotation("pids-limit", "version", []string{"1.40"})
	flags.Var(&cpus, "cpus", "Number of CPUs")
	_ = flags.SetAnnotation("cpus", "version", []string{"1.29"})
	return cmd
}

func (c *dockerCLI) newTopCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "top CONTAINER [ps OPTIONS]",
		Short: "Display the running processes of a container",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			procList, err := api.ContainerTop(cmd.Context(), args[0], args[1:])
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(c.out, 20, 1, 3, ' ', 0)
			fmt.Fprintln(w, strings.Join(procList.Titles, "\t"))
			for _, proc := range procList.Processes {
				fmt.Fprintln(w, strings.Join(proc, "\t"))
			}
			return w.Flush()
		},
		Annotations: map[string]string{"aliases": "docker container top, docker top"},
	}
	cmd.Flags().SetInterspersed(false)
	return cmd
}

func (c *dockerCLI) newDiffCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "diff CONTAINER",
		Short: "Inspect changes to files or directories on a container's filesystem",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] == "" {
				return errors.New("Container name cannot be empty")
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			changes, err := api.ContainerDiff(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return formatter.DiffWrite(formatter.Context{Output: c.out, Format: formatter.NewDiffFormat("{{.Type}} {{.Path}}")}, changes)
		},
		Annotations: map[string]string{"aliases": "docker container diff, docker diff"},
	}
}

func (c *dockerCLI) newCommitCommand() *cobra.Command {
	var pause bool
	var comment, author string
	changes := newListOpts(nil, nil)
	cmd := &cobra.Command{
		Use:   "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
		Short: "Create a new image from a container's changes",
		Args:  requiresRangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ref string
			if len(args) > 1 {
				ref = args[1]
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			resp, err := api.ContainerCommit(cmd.Context(), args[0], client.CommitOptions{
				Reference: ref,
				Comment:   comment,
				Author:    author,
				Changes:   changes.slice(),
				Pause:     pause,
			})
			if err != nil {
				return err
			}
			fmt.Fprintln(c.out, resp.ID)
			return nil
		},
		Annotations: map[string]string{"aliases": "docker container commit, docker commit"},
	}
	flags := cmd.Flags()
	flags.SetInterspersed(false)
	flags.BoolVarP(&pause, "pause", "p", true, "Pause container during commit")
	flags.StringVarP(&comment, "message", "m", "", "Commit message")
	flags.StringVarP(&author, "author", "a", "", `Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")`)
	flags.VarP(changes, "change", "c", "Apply Dockerfile instruction to the created image")
	return cmd
}

func (c *dockerCLI) newLogsCommand() *cobra.Command {
	var opts client.LogsOptions
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Fetch the logs of a container",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			ctr, err := api.ContainerInspect(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			opts.ShowStdout, opts.ShowStderr = true, true
			body, err := api.ContainerLogs(cmd.Context(), ctr.ID, opts, c.now())
			if err != nil {
				return err
			}
			defer body.Close()
			if ctr.Config.Tty {
				_, err = io.Copy(c.out, body)
			} else {
				_, err = client.StdCopy(c.out, c.err, body)
			}
			return err
		},
		Annotations: map[string]string{"aliases": "docker container logs, docker logs"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&opts.Follow, "follow", "f", false, "Follow log output")
	flags.StringVar(&opts.Since, "since", "", `Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	flags.StringVar(&opts.Until, "until", "", `Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	_ = flags.SetAnnotation("until", "version", []string{"1.35"})
	flags.BoolVarP(&opts.Timestamps, "timestamps", "t", false, "Show timestamps")
	flags.BoolVar(&opts.Details, "details", false, "Show extra details provided to logs")
	flags.StringVarP(&opts.Tail, "tail", "n", "all", "Number of lines to show from the end of the logs")
	return cmd
}

func (c *dockerCLI) newExecCommand() *cobra.Command {
	var (
		detachKeys, user, workdir string
		interactive, tty, detach  bool
		privileged                bool
	)
	env := newListOpts(nil, lookupEnv(c.getenv))
	envFile := newListOpts(nil, nil)
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Execute a command in a running container",
		Args:  requiresMinArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			envs, err := c.readKVStrings(envFile.slice(), env.slice(), c.envLookup)
			if err != nil {
				return err
			}
			req := container.ExecCreateRequest{
				User:       user,
				Privileged: privileged,
				Tty:        tty,
				Cmd:        args[1:],
				WorkingDir: workdir,
				Env:        envs,
				DetachKeys: detachKeys,
			}
			if !detach {
				req.AttachStdout = true
				req.AttachStderr = true
				req.AttachStdin = interactive
			}
			return c.runExec(cmd.Context(), args[0], client.ExecCreateOptions{ExecCreateRequest: req, Detach: detach})
		},
		Annotations: map[string]string{
			"category-top": "2",
			"aliases":      "docker container exec, docker exec",
		},
	}
	flags := cmd.Flags()
	flags.SetInterspersed(false)
	flags.StringVar(&detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	flags.BoolVarP(&interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	flags.BoolVarP(&tty, "tty", "t", false, "Allocate a pseudo-TTY")
	flags.BoolVarP(&detach, "detach", "d", false, "Detached mode: run command in the background")
	flags.StringVarP(&user, "user", "u", "", `Username or UID (format: "<name|uid>[:<group|gid>]")`)
	flags.BoolVar(&privileged, "privileged", false, "Give extended privileges to the command")
	flags.VarP(env, "env", "e", "Set environment variables")
	_ = flags.SetAnnotation("env", "version", []string{"1.25"})
	flags.Var(envFile, "env-file", "Read in a file of environment variables")
	_ = flags.SetAnnotation("env-file", "version", []string{"1.25"})
	flags.StringVarP(&workdir, "workdir", "w", "", "Working directory inside the container")
	_ = flags.SetAnnotation("workdir", "version", []string{"1.35"})
	return cmd
}

func (c *dockerCLI) runExec(ctx context.Context, name string, opts client.ExecCreateOptions) error {
	req, detach := &opts.ExecCreateRequest, opts.Detach
	api, err := c.client()
	if err != nil {
		return err
	}
	if _, err := api.ContainerInspect(ctx, name); err != nil {
		return err
	}
	if !detach {
		if err := c.checkTTY(req.AttachStdin, req.Tty); err != nil {
			return err
		}
	}
	if req.Tty {
		h, w := c.ttySize()
		req.ConsoleSize = &[2]uint{h, w}
	}
	resp, err := api.ExecCreate(ctx, name, opts)
	if err != nil {
		return err
	}
	execID := resp.ID
	if execID == "" {
		return errors.New("exec ID empty")
	}
	start := container.ExecStartRequest{Detach: detach, Tty: req.Tty, ConsoleSize: req.ConsoleSize}
	if detach {
		return api.ExecStart(ctx, execID, start)
	}

	var (
		out, stderr io.Writer
		in          io.Reader
	)
	if req.AttachStdin {
		in = c.in
	}
	if req.AttachStdout {
		out = c.out
	}
	if req.AttachStderr {
		if req.Tty {
			stderr = c.out
		} else {
			stderr = c.err
		}
	}
	hijacked, err := api.ExecAttach(ctx, execID, start)
	if err != nil {
		return err
	}
	defer hijacked.Close()
	errCh := make(chan error, 1)
	go func() {
		streamer := hijackedIOStreamer{
			c:            c,
			inputStream:  in,
			outputStream: out,
			errorStream:  stderr,
			resp:         hijacked,
			tty:          req.Tty,
			detachKeys:   req.DetachKeys,
		}
		errCh <- streamer.stream(ctx)
	}()
	if req.Tty && c.stdinIsTerminal() {
		stop := c.monitorTTYSize(ctx, execID, true)
		defer stop()
	}
	if err := <-errCh; err != nil {
		return err
	}
	inspect, err := api.ExecInspect(ctx, execID)
	if err != nil {
		if !client.IsConnectionError(err) {
			return err
		}
		return StatusError{StatusCode: -1}
	}
	if inspect.ExitCode != nil && *inspect.ExitCode != 0 {
		return StatusError{StatusCode: *inspect.ExitCode}
	}
	return nil
}

// newPsCommand makes `docker ps`; list makes `docker container ls`.
func (c *dockerCLI) newPsCommand() *cobra.Command {
	var (
		quiet, size, all, noTrunc, nLatest bool
		last                               int
		format                             string
	)
	filter := newFilterOpt()
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := client.ListOptions{All: all, Limit: last, Size: size, Filters: client.Filters(filter.values)}
			if nLatest && last == -1 {
				opts.Limit = 1
			}
			if quiet && format != "" {
				fmt.Fprint(c.err, "WARNING: Ignoring custom format, because both --format and --quiet are set.\n")
			}
			if format != "" {
				tmpl, err := formatter.ParseTemplate(format)
				if err != nil {
					return fmt.Errorf("failed to parse template: %w", err)
				}
				probe := formatter.NewContainerContext()
				if err := tmpl.Execute(io.Discard, probe); err != nil {
					return fmt.Errorf("failed to execute template: %w", err)
				}
				if !quiet && !opts.Size && !cmd.Flags().Changed("size") {
					if _, ok := probe.FieldsUsed["Size"]; ok {
						opts.Size = true
					}
				}
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			containers, err := api.ContainerList(cmd.Context(), opts)
			if err != nil {
				return err
			}
			return formatter.ContainerWrite(formatter.Context{
				Output: c.out,
				Format: formatter.NewContainerFormat(format, quiet, opts.Size),
				Trunc:  !noTrunc,
				Now:    c.now,
			}, containers)
		},
		Annotations: map[string]string{
			"category-top": "3",
			"aliases":      "docker container ls, docker container list, docker container ps, docker ps",
		},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&quiet, "quiet", "q", false, "Only display container IDs")
	flags.BoolVarP(&size, "size", "s", false, "Display total file sizes")
	flags.BoolVarP(&all, "all", "a", false, "Show all containers (default shows just running)")
	flags.BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	flags.BoolVarP(&nLatest, "latest", "l", false, "Show the latest created container (includes all states)")
	flags.IntVarP(&last, "last", "n", -1, "Show n last created containers (includes all states)")
	flags.StringVar(&format, "format", "", formatHelp)
	flags.VarP(filter, "filter", "f", "Filter output based on conditions provided")
	return cmd
}

func (c *dockerCLI) newContainerListCommand() *cobra.Command {
	cmd := c.newPsCommand()
	cmd.Aliases = []string{"ps", "list"}
	cmd.Use = "ls [OPTIONS]"
	return cmd
}

func (c *dockerCLI) newContainerInspectCommand() *cobra.Command {
	var format string
	var size bool
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Display detailed information on one or more containers",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			return c.inspect(args, format, func(ref string) (any, []byte, error) {
				return inspectContainer(cmd.Context(), api, ref, size)
			})
		},
	}
	flags := cmd.Flags()
	flags.StringVarP(&format, "format", "f", "", inspectFormatHelp)
	flags.BoolVarP(&size, "size", "s", false, "Display total file sizes")
	return cmd
}
