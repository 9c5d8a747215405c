// Package cli is a docker-compatible command line: `docker run`, `ps`,
// `images`, `inspect` and the rest, printing exactly what the docker CLI 28
// prints, with the same error texts and exit codes. It is a library: the
// browser terminal, the simulated host shell (as its `docker` program) and
// bin/twinbox call Run with their own streams, terminal and engine.
//
//	code := cli.Run(ctx, []string{"run", "--rm", "busybox", "echo", "hi"},
//		cli.Streams{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr},
//		cli.Options{Dial: listener.Dial})
//
// Commands talk to the engine through shared/api/client, over
// Options.Dial. Output formatting is in shared/cli/formatter.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/twinbox-dev/twinbox/shared/api/client"
	"github.com/twinbox-dev/twinbox/shared/api/transport"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Streams are the standard streams of one command.
type Streams struct {
	Stdin  io.Reader // nil reads nothing
	Stdout io.Writer // nil discards
	Stderr io.Writer // nil discards
	// Terminal is the terminal the streams are attached to; nil when they
	// are pipes or files.
	Terminal Terminal
}

// Terminal is the terminal a command runs in. Implementations: the
// browser's terminal, the simulated host's, and bin/twinbox's over the real
// one (which needs golang.org/x/sys and so lives outside shared/).
type Terminal interface {
	// StdinIsTerminal reports whether Streams.Stdin reads from the terminal
	// (`docker run -it` refuses otherwise: "the input device is not a TTY").
	StdinIsTerminal() bool
	// StdoutIsTerminal reports whether Streams.Stdout writes to it (pull
	// progress bars, TTY resizing).
	StdoutIsTerminal() bool
	// MakeRaw puts the terminal's input in raw mode — no echo, no line
	// editing, control characters passed through — for `run -it` and
	// `exec -it`, and returns the function that restores it.
	MakeRaw() (restore func() error, err error)
	// Size returns the terminal's height and width in characters.
	Size() (height, width uint, err error)
}

// ResizeNotifier is a Terminal that reports size changes (SIGWINCH). While
// a TTY session runs, the CLI resizes the container's TTY on each.
type ResizeNotifier interface {
	// NotifyResize calls f after each change of size until stop is called.
	NotifyResize(f func()) (stop func())
}

// Files are the client-side files commands read and write: --env-file,
// --label-file, `save -o`, `load -i`, --cidfile.
type Files interface {
	Open(name string) (io.ReadCloser, error)
	Create(name string) (io.WriteCloser, error)
}

// Options configure the CLI for one Run.
type Options struct {
	// Dial reaches the engine. Nil means the -H flag, else DOCKER_HOST,
	// else DefaultHost, parsed with transport.Parse.
	Dial transport.DialFunc
	// Handler, when set, is the engine's API in this process: the CLI
	// calls it directly, with no connection (client.NewInProcess), and
	// Dial, -H and DOCKER_HOST are not used.
	Handler http.Handler
	// Host names the engine in messages ("Cannot connect to the Docker
	// daemon at HOST"); empty means the address dialled.
	Host string
	// DefaultHost is the engine's address when neither -H nor DOCKER_HOST
	// is given; empty means unix:///var/run/docker.sock.
	DefaultHost string
	// Getenv reads the client's environment (DOCKER_HOST,
	// DOCKER_API_VERSION, `-e NAME` without a value); nil means none.
	Getenv func(string) string
	// Getwd returns the client's working directory, for relative bind
	// mounts ("-v ./data:/data"); nil means os.Getwd.
	Getwd func() (string, error)
	// Files opens the client's files; nil means the operating system's.
	Files Files
	// Now is the clock of "5 seconds ago" and of `logs --since 5m`; nil
	// means time.Now.
	Now func() time.Time
	// Signals delivers the signals the client receives (Ctrl-C as SIGINT);
	// `run` and `start -a` forward them to a container without a TTY.
	Signals <-chan backend.Signal
}

// Run runs one docker command. args are the words after "docker" (as in
// os.Args[1:]). It returns the exit status docker would: 0, 1 for most
// errors, 125 for the CLI's own (bad flags, bad arguments of run), 126 and
// 127 when a container's command cannot be invoked, or the container's own
// exit status for `run`. Errors are printed to streams.Stderr as docker
// prints them. When ctx ends, the command is abandoned and Run returns 130.
func Run(ctx context.Context, args []string, streams Streams, opts Options) int {
	// Requests still open when the command ends (a wait nobody reads any
	// more) end with it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := newDockerCLI(ctx, streams, opts)
	defer c.close()
	err := c.run(args)
	return c.exit(err)
}

// StatusError ends a command with an exit status and, when Status is not
// empty, a message.
type StatusError struct {
	Cause      error
	Status     string
	StatusCode int
}

func (e StatusError) Error() string {
	if e.Status != "" {
		return e.Status
	}
	if e.Cause != nil {
		return e.Cause.Error()
	}
	return ""
}

// Unwrap returns the cause.
func (e StatusError) Unwrap() error { return e.Cause }

// dockerCLI is the state of one Run.
type dockerCLI struct {
	ctx    context.Context
	in     io.Reader
	out    io.Writer
	err    io.Writer
	term   Terminal
	opts   Options
	hosts  []string
	apiCli *client.Client
	// debugFlag is -D.
	debugFlag bool
	// What the engine's ping said (see serverInfo).
	pinged           bool
	pingVersion      string
	pingOSType       string
	pingExperimental bool
}

func newDockerCLI(ctx context.Context, s Streams, o Options) *dockerCLI {
	c := &dockerCLI{ctx: ctx, in: s.Stdin, out: s.Stdout, err: s.Stderr, term: s.Terminal, opts: o}
	if c.in == nil {
		c.in = eofReader{}
	}
	if c.out == nil {
		c.out = io.Discard
	}
	if c.err == nil {
		c.err = io.Discard
	}
	return c
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func (c *dockerCLI) close() {
	if c.apiCli != nil {
		c.apiCli.Close()
	}
}

func (c *dockerCLI) getenv(name string) string {
	if c.opts.Getenv == nil {
		return ""
	}
	return c.opts.Getenv(name)
}

func (c *dockerCLI) now() time.Time {
	if c.opts.Now != nil {
		return c.opts.Now()
	}
	return time.Now()
}

func (c *dockerCLI) files() Files {
	if c.opts.Files != nil {
		return c.opts.Files
	}
	return osFiles{}
}

func (c *dockerCLI) abs(p string) (string, error) {
	if filepath.IsAbs(p) {
		return filepath.Clean(p), nil
	}
	getwd := c.opts.Getwd
	if getwd == nil {
		getwd = os.Getwd
	}
	wd, err := getwd()
	if err != nil {
		return "", err
	}
	return filepath.Join(wd, p), nil
}

type osFiles struct{}

func (osFiles) Open(name string) (io.ReadCloser, error)    { return os.Open(name) }
func (osFiles) Create(name string) (io.WriteCloser, error) { return os.Create(name) }

// stdinIsTerminal and stdoutIsTerminal say where the streams go.
func (c *dockerCLI) stdinIsTerminal() bool  { return c.term != nil && c.term.StdinIsTerminal() }
func (c *dockerCLI) stdoutIsTerminal() bool { return c.term != nil && c.term.StdoutIsTerminal() }

// ttySize is the terminal's size, or 0, 0 off a terminal (Out().GetTtySize).
func (c *dockerCLI) ttySize() (height, width uint) {
	if !c.stdoutIsTerminal() {
		return 0, 0
	}
	h, w, err := c.term.Size()
	if err != nil {
		return 0, 0
	}
	return h, w
}

// client returns the engine's client, made on first use.
func (c *dockerCLI) client() (*client.Client, error) {
	if c.apiCli != nil {
		return c.apiCli, nil
	}
	if c.opts.Handler != nil {
		c.apiCli = client.NewInProcess(c.opts.Handler, c.clientOptions(c.opts.Host)...)
		return c.apiCli, nil
	}
	dial := c.opts.Dial
	host := c.opts.Host
	if dial == nil {
		addr := c.opts.DefaultHost
		if e := c.getenv("DOCKER_HOST"); e != "" {
			addr = e
		}
		if len(c.hosts) > 1 {
			return nil, errors.New("Failed to initialize: unable to resolve docker endpoint: Specify only one -H")
		}
		if len(c.hosts) == 1 {
			addr = c.hosts[0]
		}
		if addr == "" {
			addr = "unix:///var/run/docker.sock"
		}
		d, err := transport.Parse(addr)
		if err != nil {
			return nil, fmt.Errorf("Failed to initialize: unable to resolve docker endpoint: invalid bind address format: %s", addr)
		}
		dial = d
		if host == "" {
			host = addr
		}
	}
	c.apiCli = client.New(dial, c.clientOptions(host)...)
	return c.apiCli, nil
}

// clientOptions returns the options of the engine's client: its name in
// messages and the API version DOCKER_API_VERSION fixes.
func (c *dockerCLI) clientOptions(host string) []client.Option {
	if host == "" {
		host = "unix:///var/run/docker.sock"
	}
	opts := []client.Option{client.WithHost(host)}
	if v := c.getenv("DOCKER_API_VERSION"); v != "" {
		opts = append(opts, client.WithVersion(v))
	}
	return opts
}

// run parses the global flags and runs the command.
func (c *dockerCLI) run(args []string) error {
	root := c.newRootCommand()

	// Parse the global flags up to the first command, as docker's
	// HandleGlobalFlags does, so that "docker -H x ps -a" works and flags
	// after the command are the command's.
	flags := pflag.NewFlagSet(root.Name(), pflag.ContinueOnError)
	flags.SetInterspersed(false)
	flags.AddFlagSet(root.Flags())
	flags.AddFlagSet(root.PersistentFlags())
	flags.SetOutput(io.Discard)
	flags.Usage = func() {}
	if err := flags.Parse(args); err != nil {
		c.addCommands(root, "")
		if errors.Is(err, pflag.ErrHelp) {
			return root.Help()
		}
		return flagErrorFunc(root, err)
	}
	c.debugFlag, _ = root.Flags().GetBool("debug")
	if v, _ := root.Flags().GetBool("version"); v {
		fmt.Fprintf(c.out, "Docker version %s, build %s\n", clientVersion, clientGitCommit)
		return nil
	}
	name := ""
	if rest := flags.Args(); len(rest) > 0 {
		name = rest[0]
	}
	c.addCommands(root, name)
	root.SetArgs(flags.Args())
	return root.ExecuteContext(c.ctx)
}

// exit prints err as docker's main does and returns the exit status.
func (c *dockerCLI) exit(err error) int {
	if err == nil {
		return 0
	}
	if c.ctx.Err() != nil {
		return 130
	}
	var cancelled cancelledError
	if errors.As(err, &cancelled) {
		return 0
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintln(c.err, msg)
	}
	var st StatusError
	if errors.As(err, &st) && st.StatusCode != 0 {
		return st.StatusCode
	}
	return 1
}

// The docker CLI this one reproduces, as `docker version` reports it.
const (
	clientVersion    = "28.2.2"
	clientGitCommit  = "e6534b4"
	clientGoVersion  = "go1.24.3"
	clientBuildTime  = "Fri May 30 12:07:14 2025"
	clientAPIVersion = "1.50" // docker 28.2's default API version
)

func (c *dockerCLI) newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:              "docker [OPTIONS] COMMAND [ARG...]",
		Short:            "A self-sufficient runtime for containers",
		SilenceUsage:     true,
		SilenceErrors:    true,
		TraverseChildren: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return c.isSupported(cmd)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return c.showHelp(cmd, args)
			}
			return fmt.Errorf("docker: unknown command: docker %s\n\nRun 'docker --help' for more information", args[0])
		},
		DisableFlagsInUseLine: true,
		CompletionOptions:     cobra.CompletionOptions{DisableDefaultCmd: true},
		Annotations: map[string]string{
			"additionalHelp":   "For more help on how to use Docker, head to https://docs.docker.com/go/guides/",
			annotationWidth:    strconv.Itoa(c.termWidth()),
			annotationTerminal: strconv.FormatBool(c.stdoutIsTerminal()),
		},
	}
	root.SetIn(c.in)
	root.SetOut(c.out)
	root.SetErr(c.err)
	root.SetUsageFunc(usageFunc)
	root.SetFlagErrorFunc(flagErrorFunc)
	root.SetHelpCommand(c.newHelpCommand())

	configDir := c.configDir()
	flags := root.Flags()
	flags.String("config", configDir, "Location of client config files")
	flags.BoolP("debug", "D", false, "Enable debug mode")
	flags.StringP("log-level", "l", "info", `Set the logging level ("debug", "info", "warn", "error", "fatal")`)
	flags.Bool("tls", false, "Use TLS; implied by --tlsverify")
	flags.Bool("tlsverify", false, "Use TLS and verify the remote")
	certDir := configDir
	if d := c.getenv("DOCKER_CERT_PATH"); d != "" {
		certDir = d
	}
	flags.Var(newQuotedString(filepath.Join(certDir, "ca.pem")), "tlscacert", "Trust certs signed only by this CA")
	flags.Var(newQuotedString(filepath.Join(certDir, "cert.pem")), "tlscert", "Path to TLS certificate file")
	flags.Var(newQuotedString(filepath.Join(certDir, "key.pem")), "tlskey", "Path to TLS key file")
	flags.VarP(newListOpts(&c.hosts, nil), "host", "H", "Daemon socket to connect to")
	flags.StringP("context", "c", "", `Name of the context to use to connect to the daemon (overrides DOCKER_HOST env var and default context set with "docker context use")`)
	flags.BoolP("version", "v", false, "Print version information and quit")

	root.PersistentFlags().BoolP("help", "h", false, "Print usage")
	_ = root.PersistentFlags().MarkShorthandDeprecated("help", "use --help")
	root.PersistentFlags().Lookup("help").Hidden = true

	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		if err := c.isSupported(cmd); err != nil {
			cmd.Println(err)
			return
		}
		c.hideUnsupportedFeatures(cmd)
		helpFunc(cmd, args)
	})
	return root
}

// configDir is where docker keeps its configuration: DOCKER_CONFIG, else
// $HOME/.docker.
func (c *dockerCLI) configDir() string {
	if d := c.getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	home := c.getenv("HOME")
	if home == "" {
		home = "/root"
	}
	return filepath.Join(home, ".docker")
}

// serverInfo is what the engine's ping says, asked once when first
// needed: its API version (docker 28's default when there is no engine),
// its OS and whether it is experimental.
func (c *dockerCLI) serverInfo() (version, osType string, experimental bool) {
	if !c.pinged {
		c.pinged = true
		c.pingVersion = clientAPIVersion
		if api, err := c.client(); err == nil {
			if err := api.NegotiateAPIVersion(c.ctx); err == nil {
				p := api.ServerPing()
				c.pingVersion, c.pingOSType, c.pingExperimental = api.Version(), p.OSType, p.Experimental
			}
		}
	}
	return c.pingVersion, c.pingOSType, c.pingExperimental
}

// isSupported refuses the flags and commands the engine cannot serve, as
// docker does before running a command: a flag of a newer API version, of
// another OS, or an experimental one. The engine is asked only when a
// given flag needs it.
func (c *dockerCLI) isSupported(cmd *cobra.Command) error {
	for curr := cmd; curr != nil; curr = curr.Parent() {
		if v, ok := curr.Annotations["version"]; ok {
			if version, _, _ := c.serverInfo(); client.VersionLess(version, v) {
				return fmt.Errorf("%s requires API version %s, but the Docker daemon API version is %s", cmd.CommandPath(), v, version)
			}
		}
		if ost, ok := curr.Annotations["ostype"]; ok {
			if _, osType, _ := c.serverInfo(); osType != "" && ost != osType {
				return fmt.Errorf("%s is only supported on a Docker daemon running on %s, but the Docker daemon is running on %s", cmd.CommandPath(), ost, osType)
			}
		}
		if _, ok := curr.Annotations["experimental"]; ok {
			if _, _, exp := c.serverInfo(); !exp {
				return fmt.Errorf("%s is only supported on a Docker daemon with experimental features enabled", cmd.CommandPath())
			}
		}
	}
	var errs []error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Changed || len(f.Annotations) == 0 {
			return
		}
		if v := f.Annotations["version"]; len(v) == 1 {
			if version, _, _ := c.serverInfo(); client.VersionLess(version, v[0]) {
				errs = append(errs, fmt.Errorf(`"--%s" requires API version %s, but the Docker daemon API version is %s`, f.Name, v[0], version))
				return
			}
		}
		if v := f.Annotations["ostype"]; len(v) == 1 {
			if _, osType, _ := c.serverInfo(); osType != "" && osType != v[0] {
				errs = append(errs, fmt.Errorf(`"--%s" is only supported on a Docker daemon running on %s, but the Docker daemon is running on %s`, f.Name, v[0], osType))
				return
			}
		}
		if _, ok := f.Annotations["experimental"]; ok {
			if _, _, exp := c.serverInfo(); !exp {
				errs = append(errs, fmt.Errorf(`"--%s" is only supported on a Docker daemon with experimental features enabled`, f.Name))
			}
		}
	})
	return errors.Join(errs...)
}

// hideUnsupportedFeatures hides, in a command's help, the flags and
// subcommands the engine cannot serve: those of a newer API version, of
// another OS, or experimental ones on a non-experimental engine. Without an
// engine, only the experimental ones are hidden, as docker does.
func (c *dockerCLI) hideUnsupportedFeatures(cmd *cobra.Command) {
	hide := func(annotations map[string][]string) bool {
		if _, ok := annotations["experimental"]; ok {
			if _, _, exp := c.serverInfo(); !exp {
				return true
			}
		}
		if v, ok := annotations["ostype"]; ok && len(v) > 0 {
			if _, osType, _ := c.serverInfo(); osType != "" && v[0] != osType {
				return true
			}
		}
		if v, ok := annotations["version"]; ok && len(v) > 0 {
			if version, _, _ := c.serverInfo(); client.VersionLess(version, v[0]) {
				return true
			}
		}
		return false
	}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && hide(f.Annotations) {
			f.Hidden = true
		}
	})
	for _, sub := range cmd.Commands() {
		annotations := map[string][]string{}
		for k, v := range sub.Annotations {
			annotations[k] = []string{v}
		}
		if !sub.Hidden && hide(annotations) {
			sub.Hidden = true
		}
	}
}

// termWidth is the width usage text wraps at: the terminal's, or 80.
func (c *dockerCLI) termWidth() int {
	if c.term != nil && c.term.StdinIsTerminal() {
		if _, w, err := c.term.Size(); err == nil && w > 0 {
			return int(w)
		}
	}
	return 80
}

func (c *dockerCLI) newHelpCommand() *cobra.Command {
	return &cobra.Command{
		Use:               "help [command]",
		Short:             "Help about the command",
		PersistentPreRun:  func(cmd *cobra.Command, args []string) {},
		PersistentPostRun: func(cmd *cobra.Command, args []string) {},
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := cmd.Root().Find(args)
			if target == nil || err != nil || len(rest) > 0 {
				return fmt.Errorf("unknown help topic: %v", joinArgs(args))
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	}
}

func joinArgs(args []string) string {
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		s += a
	}
	return s
}

// showHelp prints a command's help on stderr, as a management command run
// without a subcommand does.
func (c *dockerCLI) showHelp(cmd *cobra.Command, args []string) error {
	cmd.SetOut(c.err)
	cmd.HelpFunc()(cmd, args)
	return nil
}

// visitAll calls fn for root and every command below it.
func visitAll(root *cobra.Command, fn func(*cobra.Command)) {
	for _, cmd := range root.Commands() {
		visitAll(cmd, fn)
	}
	fn(root)
}

// topCommand is a command of the root: its name, and what makes it with
// everything below it.
type topCommand struct {
	name string
	make func() *cobra.Command
}

// topAliases are the other names of root's commands.
var topAliases = map[string]string{"remove": "rm"}

// topCommands are the commands docker 28 has, in its order.
func (c *dockerCLI) topCommands() []topCommand {
	return []topCommand{
		{"run", c.newRunCommand},
		{"exec", c.newExecCommand},
		{"ps", c.newPsCommand},
		{"build", c.newBuildCommand},
		{"pull", c.newPullCommand},
		{"push", c.newPushCommand},
		{"images", c.newImagesCommand},
		{"version", c.newVersionCommand},
		{"info", c.newInfoCommand},

		{"container", c.newContainerCommand},
		{"image", c.newImageCommand},
		{"network", c.newNetworkCommand},
		{"system", c.newSystemCommand},
		{"volume", c.newVolumeCommand},

		{"attach", c.newAttachCommand},
		{"commit", c.newCommitCommand},
		{"cp", c.newCpCommand},
		{"create", c.newCreateCommand},
		{"diff", c.newDiffCommand},
		{"events", c.newEventsCommand},
		{"export", c.newExportCommand},
		{"kill", c.newKillCommand},
		{"logs", c.newLogsCommand},
		{"pause", c.newPauseCommand},
		{"port", c.newPortCommand},
		{"rename", c.newRenameCommand},
		{"restart", c.newRestartCommand},
		{"rm", c.newRmCommand},
		{"start", c.newStartCommand},
		{"stats", c.newStatsCommand},
		{"stop", c.newStopCommand},
		{"top", c.newTopCommand},
		{"unpause", c.newUnpauseCommand},
		{"update", c.newUpdateCommand},
		{"wait", c.newWaitCommand},
		{"history", c.newHistoryCommand},
		{"load", c.newLoadCommand},
		{"rmi", c.newRmiCommand},
		{"save", c.newSaveCommand},
		{"tag", c.newTagCommand},
		{"inspect", c.newInspectCommand},
	}
}

// addCommands adds the root's commands (see topCommands): only the one
// named command when it is one of them, else all. Making the whole tree (every command's
// flags, twice for the commands both top-level and under a management
// command) is most of what a command line costs the CLI: about 430 KB of
// allocations, which a docker process pays in fresh pages and the browser
// in wasm time on every command. A command line that names a command
// needs only it; help, a flag error or an unknown command list them all.
func (c *dockerCLI) addCommands(root *cobra.Command, name string) {
	defer visitAll(root, func(cmd *cobra.Command) { cmd.DisableFlagsInUseLine = true })
	if n, ok := topAliases[name]; ok {
		name = n
	}
	for _, t := range c.topCommands() {
		if t.name == name {
			root.AddCommand(t.make())
			return
		}
	}
	for _, t := range c.topCommands() {
		root.AddCommand(t.make())
	}
}

func (c *dockerCLI) newContainerCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "container",
		Short: "Manage containers",
		Args:  noArgs,
		RunE:  c.showHelp,
	}
	cmd.AddCommand(
		c.newAttachCommand(),
		c.newCommitCommand(),
		c.newCpCommand(),
		c.newCreateCommand(),
		c.newDiffCommand(),
		c.newExecCommand(),
		c.newExportCommand(),
		c.newKillCommand(),
		c.newLogsCommand(),
		c.newPauseCommand(),
		c.newPortCommand(),
		c.newRenameCommand(),
		c.newRestartCommand(),
		c.newRmCommand(),
		c.newRunCommand(),
		c.newStartCommand(),
		c.newStatsCommand(),
		c.newStopCommand(),
		c.newTopCommand(),
		c.newUnpauseCommand(),
		c.newUpdateCommand(),
		c.newWaitCommand(),
		c.newContainerListCommand(),
		c.newContainerInspectCommand(),
		c.newContainerPruneCommand(),
	)
	return cmd
}

func (c *dockerCLI) newImageCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Manage images",
		Args:  noArgs,
		RunE:  c.showHelp,
	}
	cmd.AddCommand(
		c.newBuildCommand(),
		c.newHistoryCommand(),
		c.newLoadCommand(),
		c.newPullCommand(),
		c.newPushCommand(),
		c.newSaveCommand(),
		c.newTagCommand(),
		c.newImageListCommand(),
		c.newImageRemoveCommand(),
		c.newImageInspectCommand(),
		c.newImagePruneCommand(),
	)
	return cmd
}
