package cli

// docker run and docker create, adapted from
// github.com/docker/cli/cli/command/container/run.go and create.go
// (v28.2.2), Apache License 2.0.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/twinbox-dev/twinbox/shared/api/client"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/cli/formatter"
)

// Values of --pull.
const (
	pullImageAlways  = "always"
	pullImageMissing = "missing"
	pullImageNever   = "never"
)

type createOptions struct {
	name         string
	platform     string
	untrusted    bool
	pull         string
	quiet        bool
	useAPISocket bool
}

type runOptions struct {
	createOptions
	detach     bool
	sigProxy   bool
	detachKeys string
}

// addPlatformFlag adds --platform as docker does.
func addPlatformFlag(flags *pflag.FlagSet, target *string) {
	flags.StringVar(target, "platform", "", "Set platform if server is multi-platform capable")
	_ = flags.SetAnnotation("platform", "version", []string{"1.32"})
}

// addTrustFlag adds --disable-content-trust (content trust is off).
func addTrustFlag(flags *pflag.FlagSet, target *bool) {
	flags.BoolVar(target, "disable-content-trust", true, "Skip image verification")
}

func (c *dockerCLI) newRunCommand() *cobra.Command {
	var options runOptions
	var co *containerOptions
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a new container from an image",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			co.Image = args[0]
			if len(args) > 1 {
				co.Args = args[1:]
			}
			return c.runRun(cmd.Context(), cmd.Flags(), &options, co)
		},
		Annotations: map[string]string{
			"category-top": "1",
			"aliases":      "docker container run, docker run",
		},
	}
	flags := cmd.Flags()
	flags.SetInterspersed(false)
	flags.BoolVarP(&options.detach, "detach", "d", false, "Run container in background and print container ID")
	flags.BoolVar(&options.sigProxy, "sig-proxy", true, "Proxy received signals to the process")
	flags.StringVar(&options.name, "name", "", "Assign a name to the container")
	flags.StringVar(&options.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	flags.StringVar(&options.pull, "pull", pullImageMissing, `Pull image before running ("`+pullImageAlways+`", "`+pullImageMissing+`", "`+pullImageNever+`")`)
	flags.BoolVarP(&options.quiet, "quiet", "q", false, "Suppress the pull output")
	flags.BoolVarP(&options.useAPISocket, "use-api-socket", "", false, "Bind mount Docker API socket and required auth")
	// An explicit help without -h, which is --hostname here.
	flags.Bool("help", false, "Print usage")
	addPlatformFlag(flags, &options.platform)
	addTrustFlag(flags, &options.untrusted)
	co = c.addContainerFlags(flags)
	return cmd
}

func (c *dockerCLI) newCreateCommand() *cobra.Command {
	var options createOptions
	var co *containerOptions
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			co.Image = args[0]
			if len(args) > 1 {
				co.Args = args[1:]
			}
			return c.runCreate(cmd.Context(), cmd.Flags(), &options, co)
		},
		Annotations: map[string]string{
			"aliases": "docker container create, docker create",
		},
	}
	flags := cmd.Flags()
	flags.SetInterspersed(false)
	flags.StringVar(&options.name, "name", "", "Assign a name to the container")
	flags.StringVar(&options.pull, "pull", pullImageMissing, `Pull image before creating ("`+pullImageAlways+`", "|`+pullImageMissing+`", "`+pullImageNever+`")`)
	flags.BoolVarP(&options.quiet, "quiet", "q", false, "Suppress the pull output")
	flags.BoolVarP(&options.useAPISocket, "use-api-socket", "", false, "Bind mount Docker API socket and required auth")
	_ = flags.SetAnnotation("use-api-socket", "experimentalCLI", nil)
	flags.Bool("help", false, "Print usage")
	addPlatformFlag(flags, &options.platform)
	addTrustFlag(flags, &options.untrusted)
	co = c.addContainerFlags(flags)
	return cmd
}

// withHelp decorates an error with the hint to use --help.
func withHelp(err error, commandName string) error {
	return fmt.Errorf("docker: %w\n\nRun 'docker %s --help' for more information", err, commandName)
}

func validatePullOpt(val string) error {
	switch val {
	case pullImageAlways, pullImageMissing, pullImageNever, "":
		return nil
	}
	return fmt.Errorf("invalid pull option: '%s': must be one of %q, %q or %q", val, pullImageAlways, pullImageMissing, pullImageNever)
}

func (c *dockerCLI) runCreate(ctx context.Context, flags *pflag.FlagSet, options *createOptions, co *containerOptions) error {
	if err := validatePullOpt(options.pull); err != nil {
		return StatusError{Status: withHelp(err, "create").Error(), StatusCode: 125}
	}
	cfg, err := c.parseContainerOptions(flags, co)
	if err != nil {
		return StatusError{Status: withHelp(err, "create").Error(), StatusCode: 125}
	}
	id, err := c.createContainer(ctx, cfg, options)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.out, id)
	return nil
}

func (c *dockerCLI) runRun(ctx context.Context, flags *pflag.FlagSet, ropts *runOptions, co *containerOptions) error {
	if err := validatePullOpt(ropts.pull); err != nil {
		return StatusError{Status: withHelp(err, "run").Error(), StatusCode: 125}
	}
	cfg, err := c.parseContainerOptions(flags, co)
	if err != nil {
		return StatusError{Status: withHelp(err, "run").Error(), StatusCode: 125}
	}
	return c.runContainer(ctx, ropts, co, cfg)
}

// checkTTY refuses a TTY with input when stdin is not a terminal.
func (c *dockerCLI) checkTTY(attachStdin, ttyMode bool) error {
	if ttyMode && attachStdin && !c.stdinIsTerminal() {
		return errors.New("the input device is not a TTY")
	}
	return nil
}

func (c *dockerCLI) runContainer(ctx context.Context, ropts *runOptions, co *containerOptions, cfg *containerConfig) error {
	config := cfg.Config
	config.ArgsEscaped = false

	if !ropts.detach {
		if err := c.checkTTY(config.AttachStdin, config.Tty); err != nil {
			return err
		}
	} else {
		if co.attach.len() != 0 {
			return errors.New("conflicting options: cannot specify both --attach and --detach")
		}
		config.AttachStdin = false
		config.AttachStdout = false
		config.AttachStderr = false
		config.StdinOnce = false
	}

	api, err := c.client()
	if err != nil {
		return err
	}
	containerID, err := c.createContainer(ctx, cfg, &ropts.createOptions)
	if err != nil {
		return toStatusError(err)
	}
	if ropts.sigProxy {
		stop := c.forwardSignals(ctx, containerID)
		defer stop()
	}

	// The stream must survive the caller's cancellation only as long as
	// the container runs; the CLI's context still ends it.
	ctx, cancelFun := context.WithCancel(ctx)
	defer cancelFun()

	attach := config.AttachStdin || config.AttachStdout || config.AttachStderr
	if !attach {
		// docker prints the ID as soon as the container exists, before
		// starting it (an error of start comes after the ID).
		fmt.Fprintln(c.out, containerID)
	}
	var errCh chan error
	if attach {
		detachKeys := ropts.detachKeys
		closeFn, ch, err := c.attachContainer(ctx, containerID, config, client.AttachOptions{
			Stream:     true,
			Stdin:      config.AttachStdin,
			Stdout:     config.AttachStdout,
			Stderr:     config.AttachStderr,
			DetachKeys: detachKeys,
		})
		if err != nil {
			return err
		}
		errCh = ch
		defer closeFn()
	}

	statusCtx, cancelStatusCtx := context.WithCancel(ctx)
	defer cancelStatusCtx()
	statusChan := c.waitExitOrRemoved(statusCtx, api, containerID, co.autoRemove)

	if err := api.ContainerStart(ctx, containerID); err != nil {
		if attach {
			cancelFun()
			<-errCh
		}
		if co.autoRemove {
			<-statusChan
		}
		return toStatusError(err)
	}

	if !attach {
		return nil
	}

	if config.Tty && c.stdoutIsTerminal() {
		stop := c.monitorTTYSize(ctx, containerID, false)
		defer stop()
	}

	select {
	case err := <-errCh:
		if err != nil {
			if errors.Is(err, errEscape) {
				return nil
			}
			return err
		}
		if status := <-statusChan; status != 0 {
			return StatusError{StatusCode: status}
		}
	case status := <-statusChan:
		// The output may still be arriving: wait for it, unless no output
		// is attached.
		if !config.AttachStdout && !config.AttachStderr {
			cancelFun()
		}
		<-errCh
		if status != 0 {
			return StatusError{StatusCode: status}
		}
	}
	return nil
}

// attachContainer attaches to a created container's streams and starts
// copying them; the error channel reports the end of the copy.
func (c *dockerCLI) attachContainer(ctx context.Context, containerID string, config *container.Config, options client.AttachOptions) (func(), chan error, error) {
	api, err := c.client()
	if err != nil {
		return nil, nil, err
	}
	resp, err := api.ContainerAttach(ctx, containerID, options)
	if err != nil {
		return nil, nil, err
	}
	var (
		out, cerr io.Writer
		in        io.Reader
	)
	if options.Stdin {
		in = c.in
	}
	if options.Stdout {
		out = c.out
	}
	if options.Stderr {
		if config.Tty {
			cerr = c.out
		} else {
			cerr = c.err
		}
	}
	ch := make(chan error, 1)
	go func() {
		streamer := hijackedIOStreamer{
			c:            c,
			inputStream:  in,
			outputStream: out,
			errorStream:  cerr,
			resp:         resp,
			tty:          config.Tty,
			detachKeys:   options.DetachKeys,
		}
		ch <- streamer.stream(ctx)
	}()
	return func() { resp.Close() }, ch, nil
}

// toStatusError gives an error of run the exit status docker gives it: 127
// when the container's command was not found, 126 when it could not be
// run, else 125.
func toStatusError(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "executable file not found") || strings.Contains(msg, "no such file or directory") || strings.Contains(msg, "system cannot find the file specified") {
		return StatusError{Cause: err, Status: withHelp(err, "run").Error(), StatusCode: 127}
	}
	if strings.Contains(msg, "permission denied") || strings.Contains(msg, "is a directory") {
		return StatusError{Cause: err, Status: withHelp(err, "run").Error(), StatusCode: 126}
	}
	return StatusError{Cause: err, Status: withHelp(err, "run").Error(), StatusCode: 125}
}

// waitExitOrRemoved waits for the container's next exit (or its removal
// with --rm) and delivers its exit status.
func (c *dockerCLI) waitExitOrRemoved(ctx context.Context, api *client.Client, containerID string, waitRemove bool) <-chan int {
	condition := container.WaitConditionNextExit
	if waitRemove {
		condition = container.WaitConditionRemoved
	}
	resultC, errC := api.ContainerWait(ctx, containerID, condition)
	statusC := make(chan int, 1)
	go func() {
		defer close(statusC)
		select {
		case <-ctx.Done():
			return
		case result := <-resultC:
			if result.Error != nil {
				c.logError("Error waiting for container: %v", result.Error.Message)
				statusC <- 125
			} else {
				statusC <- int(result.StatusCode)
			}
		case err := <-errC:
			if errors.Is(err, context.Canceled) {
				return
			}
			c.logError("error waiting for container: %v", err)
			statusC <- 125
		}
	}()
	return statusC
}

// logError writes an error line as the docker CLI's logger does.
func (c *dockerCLI) logError(format string, args ...any) {
	fmt.Fprintf(c.err, "time=%q level=error msg=%q\n", c.now().UTC().Format("2006-01-02T15:04:05Z07:00"), fmt.Sprintf(format, args...))
}

// createContainer creates the container, pulling its image first when it
// is missing (or with --pull always), and returns its ID.
func (c *dockerCLI) createContainer(ctx context.Context, cfg *containerConfig, options *createOptions) (string, error) {
	config := cfg.Config
	hostConfig := cfg.HostConfig

	cidFile, err := c.newCIDFile(hostConfig.ContainerIDFile)
	if err != nil {
		return "", err
	}
	defer cidFile.Close()

	ref, err := reference.ParseAnyReference(config.Image)
	if err != nil {
		return "", err
	}
	var namedRef reference.Named
	if named, ok := ref.(reference.Named); ok {
		namedRef = reference.TagNameOnly(named)
	}
	if options.useAPISocket {
		return "", errors.New("flag --use-api-socket can only be used with unix sockets: docker endpoint " + c.opts.Host + " incompatible")
	}

	api, err := c.client()
	if err != nil {
		return "", err
	}
	if options.pull == pullImageAlways {
		if err := c.pullImage(ctx, config.Image, options); err != nil {
			return "", err
		}
	}

	hostConfig.ConsoleSize[0], hostConfig.ConsoleSize[1] = c.ttySize()

	create := client.CreateOptions{
		Name:       options.name,
		Platform:   options.platform,
		Config:     config,
		HostConfig: hostConfig,
		Networking: cfg.NetworkingConfig,
	}
	response, err := api.ContainerCreate(ctx, create)
	if err != nil {
		if !backend.IsNotFound(err) || namedRef == nil || options.pull != pullImageMissing {
			return "", err
		}
		if !options.quiet {
			fmt.Fprintf(c.err, "Unable to find image '%s' locally\n", reference.FamiliarString(namedRef))
		}
		if err := c.pullImage(ctx, config.Image, options); err != nil {
			return "", err
		}
		response, err = api.ContainerCreate(ctx, create)
		if err != nil {
			return "", err
		}
	}
	for _, w := range response.Warnings {
		fmt.Fprintln(c.err, "WARNING:", w)
	}
	return response.ID, cidFile.Write(response.ID)
}

// pullImage pulls the image of a container, showing progress on stderr.
func (c *dockerCLI) pullImage(ctx context.Context, img string, options *createOptions) error {
	api, err := c.client()
	if err != nil {
		return err
	}
	body, err := api.ImagePull(ctx, img, client.ImagePullOptions{Platform: options.platform})
	if err != nil {
		return err
	}
	defer body.Close()
	out := c.err
	if options.quiet {
		out = io.Discard
	}
	return c.displayProgress(ctx, body, out, !options.quiet && c.stdoutIsTerminal())
}

// displayProgress shows a JSON message stream.
func (c *dockerCLI) displayProgress(ctx context.Context, body io.Reader, out io.Writer, terminal bool) error {
	width := 0
	if terminal {
		_, w := c.ttySize()
		width = int(w)
	}
	err := formatter.DisplayJSONMessages(body, formatter.ProgressOutput{Out: out, Terminal: terminal, Width: width, Now: c.opts.Now})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// cidFile writes the container's ID to --cidfile.
type cidFile struct {
	path    string
	w       io.WriteCloser
	written bool
}

func (c *dockerCLI) newCIDFile(path string) (*cidFile, error) {
	if path == "" {
		return &cidFile{}, nil
	}
	if f, err := c.files().Open(path); err == nil {
		f.Close()
		return nil, fmt.Errorf("container ID file found, make sure the other container isn't running or delete %s", path)
	}
	w, err := c.files().Create(path)
	if err != nil {
		return nil, fmt.Errorf("failed to create the container ID file: %w", err)
	}
	return &cidFile{path: path, w: w}, nil
}

func (f *cidFile) Write(id string) error {
	if f.w == nil {
		return nil
	}
	if _, err := f.w.Write([]byte(id)); err != nil {
		return fmt.Errorf("failed to write the container ID to the file: %w", err)
	}
	f.written = true
	return nil
}

func (f *cidFile) Close() error {
	if f.w == nil {
		return nil
	}
	return f.w.Close()
}
