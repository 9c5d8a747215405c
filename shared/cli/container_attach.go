package cli

// docker attach and docker port, adapted from
// github.com/docker/cli/cli/command/container/attach.go and port.go
// (v28.2.2), and natural ordering from github.com/fvbommel/sortorder
// (v1.1.0, MIT License).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/twinbox-dev/twinbox/shared/api/client"
	"github.com/twinbox-dev/twinbox/shared/api/wire"
)

func (c *dockerCLI) newAttachCommand() *cobra.Command {
	var noStdin, proxy bool
	var detachKeys string
	cmd := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Attach local standard input, output, and error streams to a running container",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.runAttach(cmd.Context(), args[0], noStdin, proxy, detachKeys)
		},
		Annotations: map[string]string{"aliases": "docker container attach, docker attach"},
	}
	flags := cmd.Flags()
	flags.BoolVar(&noStdin, "no-stdin", false, "Do not attach STDIN")
	flags.BoolVar(&proxy, "sig-proxy", true, "Proxy all received signals to the process")
	flags.StringVar(&detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return cmd
}

// inspectRunning inspects a container and refuses one that does not run.
func inspectRunning(ctx context.Context, api *client.Client, name string) (*wire.ContainerJSON, error) {
	ctr, err := api.ContainerInspect(ctx, name)
	if err != nil {
		return nil, err
	}
	switch {
	case !ctr.State.Running:
		return nil, errors.New("You cannot attach to a stopped container, start it first")
	case ctr.State.Paused:
		return nil, errors.New("You cannot attach to a paused container, unpause it first")
	case ctr.State.Restarting:
		return nil, errors.New("You cannot attach to a restarting container, wait until it is running")
	}
	return ctr, nil
}

func (c *dockerCLI) runAttach(ctx context.Context, name string, noStdin, proxy bool, detachKeys string) error {
	api, err := c.client()
	if err != nil {
		return err
	}
	resultC, errC := api.ContainerWait(ctx, name, "")
	ctr, err := inspectRunning(ctx, api, name)
	if err != nil {
		return err
	}
	if err := c.checkTTY(!noStdin, ctr.Config.Tty); err != nil {
		return err
	}
	options := client.AttachOptions{
		Stream:     true,
		Stdin:      !noStdin && ctr.Config.OpenStdin,
		Stdout:     true,
		Stderr:     true,
		DetachKeys: detachKeys,
	}
	var in io.Reader
	if options.Stdin {
		in = c.in
	}
	if proxy && !ctr.Config.Tty {
		stop := c.forwardSignals(ctx, name)
		defer stop()
	}
	resp, err := api.ContainerAttach(ctx, name, options)
	if err != nil {
		return err
	}
	defer resp.Close()
	if _, err := inspectRunning(ctx, api, name); err != nil {
		return err
	}
	if ctr.Config.Tty && c.stdoutIsTerminal() {
		// docker resizes to one more first, so the process sees a change.
		if h, w := c.ttySize(); h != 0 || w != 0 {
			_ = api.ContainerResize(ctx, name, h+1, w+1)
		}
		stop := c.monitorTTYSize(ctx, name, false)
		defer stop()
	}
	streamer := hijackedIOStreamer{
		c:            c,
		inputStream:  in,
		outputStream: c.out,
		errorStream:  c.err,
		resp:         resp,
		tty:          ctr.Config.Tty,
		detachKeys:   options.DetachKeys,
	}
	if err := streamer.stream(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	select {
	case result := <-resultC:
		if result.Error != nil {
			return errors.New(result.Error.Message)
		}
		if result.StatusCode != 0 {
			return StatusError{StatusCode: int(result.StatusCode)}
		}
	case err := <-errC:
		return err
	}
	return nil
}

func (c *dockerCLI) newPortCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List port mappings or a specific mapping for the container",
		Args:  requiresRangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var port string
			if len(args) > 1 {
				port = args[1]
			}
			return c.runPort(cmd.Context(), args[0], port)
		},
		Annotations: map[string]string{"aliases": "docker container port, docker port"},
	}
}

func (c *dockerCLI) runPort(ctx context.Context, name, portSpec string) error {
	api, err := c.client()
	if err != nil {
		return err
	}
	ctr, err := api.ContainerInspect(ctx, name)
	if err != nil {
		return err
	}
	hostPort := func(ip, port string) string {
		if ip == "" && port == "" {
			return ":"
		}
		return net.JoinHostPort(ip, port)
	}
	var out []string
	ports := ctr.NetworkSettings.Ports
	if portSpec != "" {
		port, proto, _ := strings.Cut(portSpec, "/")
		if proto == "" {
			proto = "tcp"
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return fmt.Errorf("Error: invalid port (%s): %w", port, err)
		}
		var frontends []string
		for p, bindings := range ports {
			if p.String() != port+"/"+proto {
				continue
			}
			for _, b := range bindings {
				ip := ""
				if b.HostIP.IsValid() {
					ip = b.HostIP.String()
				}
				frontends = append(frontends, hostPort(ip, b.HostPort))
			}
		}
		if len(frontends) == 0 {
			return fmt.Errorf("Error: No public port '%s' published for %s", portSpec, name)
		}
		out = frontends
	} else {
		for from, bindings := range ports {
			for _, b := range bindings {
				ip := ""
				if b.HostIP.IsValid() {
					ip = b.HostIP.String()
				}
				out = append(out, fmt.Sprintf("%s -> %s", from, hostPort(ip, b.HostPort)))
			}
		}
	}
	if len(out) > 0 {
		sort.Slice(out, func(i, j int) bool { return naturalLess(out[i], out[j]) })
		fmt.Fprintln(c.out, strings.Join(out, "\n"))
	}
	return nil
}
