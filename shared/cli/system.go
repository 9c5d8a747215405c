package cli

// docker version and docker info, adapted from
// github.com/docker/cli/cli/command/system (v28.2.2), Apache License 2.0.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/twinbox-dev/twinbox/shared/api/client"
	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/cli/events"
	"github.com/twinbox-dev/twinbox/shared/cli/formatter"
	"github.com/twinbox-dev/twinbox/shared/cli/formatter/tabwriter"
	"github.com/twinbox-dev/twinbox/shared/cli/template"
	"github.com/twinbox-dev/twinbox/shared/cli/view"
)

const defaultVersionTemplate = `{{with .Client -}}
Client:{{if ne .Platform nil}}{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}{{end}}
 Version:	{{.Version}}
 API version:	{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Go version:	{{.GoVersion}}
 Git commit:	{{.GitCommit}}
 Built:	{{.BuildTime}}
 OS/Arch:	{{.Os}}/{{.Arch}}
 Context:	{{.Context}}
{{- end}}

{{- if ne .Server nil}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:	{{.Version}}
  API version:	{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:	{{index .Details "GoVersion"}}
  Git commit:	{{index .Details "GitCommit"}}
  Built:	{{index .Details "BuildTime"}}
  OS/Arch:	{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:	{{index .Details "Experimental"}}
  {{- else }}
  Version:	{{$component.Version}}
  {{- $detailsOrder := getDetailsOrder $component}}
  {{- range $key := $detailsOrder}}
  {{$key}}:	{{index $component.Details $key}}
   {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}}`

type versionInfo struct {
	Client clientVersionInfo
	Server *view.Version
}

type platformInfo struct {
	Name string `json:"Name,omitempty"`
}

type clientVersionInfo struct {
	Platform          *platformInfo `json:"Platform,omitempty"`
	Version           string        `json:"Version,omitempty"`
	APIVersion        string        `json:"ApiVersion,omitempty"`
	DefaultAPIVersion string        `json:"DefaultAPIVersion,omitempty"`
	GitCommit         string        `json:"GitCommit,omitempty"`
	GoVersion         string        `json:"GoVersion,omitempty"`
	Os                string        `json:"Os,omitempty"`
	Arch              string        `json:"Arch,omitempty"`
	BuildTime         string        `json:"BuildTime,omitempty"`
	Context           string        `json:"Context"`
}

// newClientVersion describes this CLI as docker 28.2.2 describes itself.
func newClientVersion(apiVersion string) clientVersionInfo {
	return clientVersionInfo{
		Version:           clientVersion,
		APIVersion:        apiVersion,
		DefaultAPIVersion: clientAPIVersion,
		GoVersion:         clientGoVersion,
		GitCommit:         clientGitCommit,
		BuildTime:         clientBuildTime,
		Os:                "linux",
		Arch:              "amd64",
		Context:           "default",
	}
}

func reformatDate(buildTime string) string {
	if t, err := time.Parse(time.RFC3339Nano, buildTime); err == nil {
		return t.Format(time.ANSIC)
	}
	return buildTime
}

func (c *dockerCLI) newVersionCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version [OPTIONS]",
		Short: "Show the Docker version information",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "":
				format = defaultVersionTemplate
			case formatter.JSONFormatKey:
				format = formatter.JSONFormat
			}
			tmpl, err := formatter.NewTemplate("version").Funcs(template.FuncMap{"getDetailsOrder": getDetailsOrder}).Parse(format)
			if err != nil {
				return StatusError{StatusCode: 64, Status: "template parsing error: " + err.Error()}
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			var sv view.Version
			raw, err := api.GetRaw(cmd.Context(), "/version")
			if err == nil {
				err = json.Unmarshal(raw, &sv)
			}
			vd := versionInfo{Client: newClientVersion(api.Version())}
			if err == nil {
				vd.Server = &sv
				found := false
				for _, component := range sv.Components {
					if component.Name == "Engine" {
						found = true
						if bt, ok := component.Details["BuildTime"]; ok {
							component.Details["BuildTime"] = reformatDate(bt)
						}
					}
				}
				if !found {
					vd.Server.Components = append(vd.Server.Components, view.ComponentVersion{
						Name:    "Engine",
						Version: sv.Version,
						Details: map[string]string{
							"ApiVersion":    sv.APIVersion,
							"MinAPIVersion": sv.MinAPIVersion,
							"GitCommit":     sv.GitCommit,
							"GoVersion":     sv.GoVersion,
							"Os":            sv.Os,
							"Arch":          sv.Arch,
							"BuildTime":     reformatDate(sv.BuildTime),
							"Experimental":  strconv.FormatBool(sv.Experimental),
						},
					})
				}
			}
			t := tabwriter.NewWriter(c.out, 20, 1, 1, ' ', 0)
			err2 := tmpl.Execute(t, vd)
			_, _ = t.Write([]byte("\n"))
			_ = t.Flush()
			if err == nil {
				err = err2
			}
			return err
		},
		Annotations: map[string]string{"category-top": "10"},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", inspectFormatHelp)
	return cmd
}

func getDetailsOrder(v view.ComponentVersion) []string {
	out := make([]string, 0, len(v.Details))
	for k := range v.Details {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// clientInfo is the client part of `docker info`.
type clientInfo struct {
	Debug bool
	clientVersionInfo
	Plugins  []any
	Warnings []string
}

// dockerInfo is what `docker info --format` templates run on.
type dockerInfo struct {
	*view.Info   `json:",omitempty"`
	ServerErrors []string    `json:",omitempty"`
	UserName     string      `json:"-"`
	ClientInfo   *clientInfo `json:",omitempty"`
	ClientErrors []string    `json:",omitempty"`
}

var placeHolders = regexp.MustCompile(`\.[a-zA-Z]`)

func (c *dockerCLI) newInfoCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "info [OPTIONS]",
		Short: "Display system-wide information",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cv := newClientVersion("")
			info := dockerInfo{
				ClientInfo: &clientInfo{clientVersionInfo: cv, Debug: c.debug()},
				Info:       &view.Info{},
			}
			var connErr error
			if needsServerInfo(format, info) {
				api, err := c.client()
				if err != nil {
					return err
				}
				var dinfo view.Info
				raw, err := api.GetRaw(cmd.Context(), "/info")
				if err == nil {
					err = json.Unmarshal(raw, &dinfo)
				}
				switch {
				case err == nil:
					info.Info = &dinfo
				case client.IsConnectionError(err):
					connErr = err
					if format == "" {
						info.Info = nil
					}
				default:
					if format == "" {
						info.Info = nil
					}
					info.ServerErrors = append(info.ServerErrors, err.Error())
					if format != "" {
						fmt.Fprintln(c.err, err)
					}
				}
			}
			if format == "" {
				return errors.Join(c.prettyPrintInfo(info), connErr)
			}
			return errors.Join(connErr, formatInfo(c.out, info, format))
		},
		Annotations: map[string]string{
			"category-top": "12",
			"aliases":      "docker system info, docker info",
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", inspectFormatHelp)
	return cmd
}

// debug reports whether -D was given.
func (c *dockerCLI) debug() bool { return c.debugFlag }

func needsServerInfo(format string, info dockerInfo) bool {
	switch format {
	case "", formatter.JSONFormat, formatter.JSONFormatKey:
		return true
	}
	if placeHolders.FindString(format) == "" {
		return true
	}
	tmpl, err := formatter.ParseTemplate(format)
	if err != nil {
		return true
	}
	type sparseInfo struct {
		ClientInfo   *clientInfo `json:",omitempty"`
		ClientErrors []string    `json:",omitempty"`
	}
	return tmpl.Execute(io.Discard, sparseInfo{ClientInfo: info.ClientInfo, ClientErrors: info.ClientErrors}) != nil
}

func formatInfo(out io.Writer, info dockerInfo, format string) error {
	if format == formatter.JSONFormatKey {
		format = formatter.JSONFormat
	}
	if info.ClientInfo != nil && info.ClientInfo.Plugins == nil {
		info.ClientInfo.Plugins = []any{}
	}
	tmpl, err := formatter.ParseTemplate(format)
	if err != nil {
		return StatusError{StatusCode: 64, Status: "template parsing error: " + err.Error()}
	}
	err = tmpl.Execute(out, info)
	fmt.Fprintln(out)
	return err
}

func (c *dockerCLI) prettyPrintInfo(info dockerInfo) error {
	out := c.out
	fmt.Fprintln(out, "Client:")
	ci := info.ClientInfo
	printNonEmpty(out, " Version:   ", ci.Version)
	fmt.Fprintln(out, " Context:   ", ci.Context)
	fmt.Fprintln(out, " Debug Mode:", ci.Debug)
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Server:")
	if info.Info != nil {
		if err := c.prettyPrintServerInfo(info.Info); err != nil {
			info.ServerErrors = append(info.ServerErrors, err.Error())
		}
	}
	for _, err := range info.ServerErrors {
		fmt.Fprintln(c.err, "ERROR:", err)
	}
	if len(info.ServerErrors) > 0 {
		return errors.New("errors pretty printing info")
	}
	return nil
}

func printNonEmpty(w io.Writer, label, value string) {
	if value != "" {
		fmt.Fprintln(w, label, value)
	}
}

func (c *dockerCLI) prettyPrintServerInfo(info *view.Info) error {
	var firstErr error
	out := c.out
	fmt.Fprintln(out, " Containers:", info.Containers)
	fmt.Fprintln(out, "  Running:", info.ContainersRunning)
	fmt.Fprintln(out, "  Paused:", info.ContainersPaused)
	fmt.Fprintln(out, "  Stopped:", info.ContainersStopped)
	fmt.Fprintln(out, " Images:", info.Images)
	printNonEmpty(out, " Server Version:", info.ServerVersion)
	printNonEmpty(out, " Storage Driver:", info.Driver)
	for _, pair := range info.DriverStatus {
		fmt.Fprintf(out, "  %s: %s\n", pair[0], pair[1])
	}
	for _, pair := range info.SystemStatus {
		fmt.Fprintf(out, " %s: %s\n", pair[0], pair[1])
	}
	printNonEmpty(out, " Logging Driver:", info.LoggingDriver)
	printNonEmpty(out, " Cgroup Driver:", info.CgroupDriver)
	printNonEmpty(out, " Cgroup Version:", info.CgroupVersion)
	fmt.Fprintln(out, " Plugins:")
	fmt.Fprintln(out, "  Volume:", strings.Join(info.Plugins.Volume, " "))
	fmt.Fprintln(out, "  Network:", strings.Join(info.Plugins.Network, " "))
	if len(info.Plugins.Authorization) != 0 {
		fmt.Fprintln(out, "  Authorization:", strings.Join(info.Plugins.Authorization, " "))
	}
	fmt.Fprintln(out, "  Log:", strings.Join(info.Plugins.Log, " "))
	if len(info.CDISpecDirs) > 0 {
		fmt.Fprintln(out, " CDI spec directories:")
		for _, dir := range info.CDISpecDirs {
			fmt.Fprintf(out, "  %s\n", dir)
		}
	}
	fmt.Fprintln(out, " Swarm:", info.Swarm.LocalNodeState)
	if s := info.Swarm; s.LocalNodeState != "inactive" && s.LocalNodeState != "locked" {
		fmt.Fprintln(out, "  NodeID:", s.NodeID)
		if s.Error != "" {
			fmt.Fprintln(out, "  Error:", s.Error)
		}
		fmt.Fprintln(out, "  Is Manager:", s.ControlAvailable)
		fmt.Fprintln(out, "  Node Address:", s.NodeAddr)
	}
	if len(info.Runtimes) > 0 {
		// docker lists them in map order; twinbox sorts them.
		names := make([]string, 0, len(info.Runtimes))
		for name := range info.Runtimes {
			names = append(names, name)
		}
		sort.Strings(names)
		fmt.Fprintln(out, " Runtimes:", strings.Join(names, " "))
		fmt.Fprintln(out, " Default Runtime:", info.DefaultRuntime)
	}
	if info.OSType == "linux" {
		fmt.Fprintln(out, " Init Binary:", info.InitBinary)
		fmt.Fprintln(out, " containerd version:", info.ContainerdCommit.ID)
		fmt.Fprintln(out, " runc version:", info.RuncCommit.ID)
		fmt.Fprintln(out, " init version:", info.InitCommit.ID)
		if len(info.SecurityOptions) != 0 {
			if kvs, err := decodeSecurityOptions(info.SecurityOptions); err != nil {
				firstErr = err
			} else {
				fmt.Fprintln(out, " Security Options:")
				for _, so := range kvs {
					fmt.Fprintln(out, "  "+so.name)
					for _, o := range so.options {
						if o[0] == "profile" {
							fmt.Fprintln(out, "   Profile:", o[1])
						}
					}
				}
			}
		}
	}
	if info.OSType == "windows" {
		fmt.Fprintln(out, " Default Isolation:", info.Isolation)
	}
	printNonEmpty(out, " Kernel Version:", info.KernelVersion)
	printNonEmpty(out, " Operating System:", info.OperatingSystem)
	printNonEmpty(out, " OSType:", info.OSType)
	printNonEmpty(out, " Architecture:", info.Architecture)
	fmt.Fprintln(out, " CPUs:", info.NCPU)
	fmt.Fprintln(out, " Total Memory:", units.BytesSize(float64(info.MemTotal)))
	printNonEmpty(out, " Name:", info.Name)
	printNonEmpty(out, " ID:", info.ID)
	fmt.Fprintln(out, " Docker Root Dir:", info.DockerRootDir)
	fmt.Fprintln(out, " Debug Mode:", info.Debug)
	if info.Debug || c.debug() {
		fmt.Fprintln(out, "  File Descriptors:", info.NFd)
		fmt.Fprintln(out, "  Goroutines:", info.NGoroutines)
		fmt.Fprintln(out, "  System Time:", info.SystemTime)
		fmt.Fprintln(out, "  EventsListeners:", info.NEventsListener)
	}
	printNonEmpty(out, " HTTP Proxy:", info.HTTPProxy)
	printNonEmpty(out, " HTTPS Proxy:", info.HTTPSProxy)
	printNonEmpty(out, " No Proxy:", info.NoProxy)
	if len(info.Labels) > 0 {
		fmt.Fprintln(out, " Labels:")
		for _, l := range info.Labels {
			fmt.Fprintln(out, "  "+l)
		}
	}
	fmt.Fprintln(out, " Experimental:", info.ExperimentalBuild)
	if rc := info.RegistryConfig; rc != nil && (len(rc.InsecureRegistryCIDRs) > 0 || len(rc.IndexConfigs) > 0) {
		fmt.Fprintln(out, " Insecure Registries:")
		names := make([]string, 0, len(rc.IndexConfigs))
		for _, ic := range rc.IndexConfigs {
			if !ic.Secure {
				names = append(names, ic.Name)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintln(out, "  "+n)
		}
		for _, cidr := range rc.InsecureRegistryCIDRs {
			if p, err := netip.ParsePrefix(cidr); err == nil {
				fmt.Fprintf(out, "  %s/%d\n", p.Addr().String(), p.Bits())
			} else {
				fmt.Fprintf(out, "  %s\n", cidr)
			}
		}
	}
	if rc := info.RegistryConfig; rc != nil && len(rc.Mirrors) > 0 {
		fmt.Fprintln(out, " Registry Mirrors:")
		for _, m := range rc.Mirrors {
			fmt.Fprintln(out, "  "+m)
		}
	}
	fmt.Fprintln(out, " Live Restore Enabled:", info.LiveRestoreEnabled)
	if info.ProductLicense != "" {
		fmt.Fprintln(out, " Product License:", info.ProductLicense)
	}
	if len(info.DefaultAddressPools) > 0 {
		fmt.Fprintln(out, " Default Address Pools:")
		for _, pool := range info.DefaultAddressPools {
			fmt.Fprintf(out, "   Base: %s, Size: %d\n", pool.Base, pool.Size)
		}
	}
	fmt.Fprintln(out)
	for _, w := range info.Warnings {
		fmt.Fprintln(c.err, w)
	}
	return firstErr
}

type securityOpt struct {
	name    string
	options [][2]string
}

func decodeSecurityOptions(opts []string) ([]securityOpt, error) {
	var out []securityOpt
	for _, opt := range opts {
		if !strings.Contains(opt, "=") {
			out = append(out, securityOpt{name: opt})
			continue
		}
		var so securityOpt
		for _, s := range strings.Split(opt, ",") {
			k, v, ok := strings.Cut(s, "=")
			if !ok {
				return nil, fmt.Errorf("invalid security option %q", s)
			}
			if k == "" || v == "" {
				return nil, errors.New("invalid empty security option")
			}
			if k == "name" {
				so.name = v
				continue
			}
			so.options = append(so.options, [2]string{k, v})
		}
		out = append(out, so)
	}
	return out, nil
}

// newSystemCommand is docker 28's `docker system`, without dial-stdio.
func (c *dockerCLI) newSystemCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "system",
		Short: "Manage Docker",
		Args:  noArgs,
		RunE:  c.showHelp,
	}
	cmd.AddCommand(c.newEventsCommand(), c.newInfoCommand(), c.newDiskUsageCommand(), c.newSystemPruneCommand())
	return cmd
}

func (c *dockerCLI) newDiskUsageCommand() *cobra.Command {
	var (
		verbose bool
		format  string
	)
	cmd := &cobra.Command{
		Use:         "df [OPTIONS]",
		Short:       "Show docker disk usage",
		Args:        noArgs,
		Annotations: map[string]string{"version": "1.25"},
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			du, err := api.DiskUsage(cmd.Context())
			if err != nil {
				return err
			}
			if format == "" {
				format = formatter.TableFormatKey
			}
			return formatter.DiskUsageWrite(formatter.Context{
				Output: c.out,
				Format: formatter.NewDiskUsageFormat(format, verbose),
			}, du, verbose)
		},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&verbose, "verbose", "v", false, "Show detailed information on space usage")
	flags.StringVar(&format, "format", "", formatHelp)
	return cmd
}

// rfc3339NanoFixed is time.RFC3339Nano with the nanoseconds always nine
// digits, as docker events prints times.
const rfc3339NanoFixed = "2006-01-02T15:04:05.000000000Z07:00"

func (c *dockerCLI) newEventsCommand() *cobra.Command {
	var since, until, format string
	filter := newFilterOpt()
	cmd := &cobra.Command{
		Use:   "events [OPTIONS]",
		Short: "Get real time events from the server",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var tmpl *template.Template
			if format != "" {
				if format == formatter.JSONFormatKey {
					format = formatter.JSONFormat
				}
				var err error
				tmpl, err = formatter.ParseTemplate(format)
				if err == nil {
					// A field that does not exist fails here, before any event.
					err = tmpl.Execute(io.Discard, &events.Message{})
				}
				if err != nil {
					return StatusError{StatusCode: 64, Status: "Error parsing format: " + err.Error()}
				}
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			msgs, errs := api.Events(ctx, client.EventsOptions{Since: since, Until: until, Filters: client.Filters(filter.values)})
			for {
				select {
				case m := <-msgs:
					if tmpl == nil {
						printEvent(c.out, m)
					} else {
						err := tmpl.Execute(c.out, events.Message(m))
						c.out.Write([]byte{'\n'})
						if err != nil {
							return err
						}
					}
				case err := <-errs:
					if errors.Is(err, io.EOF) {
						return nil
					}
					return err
				}
			}
		},
		Annotations: map[string]string{"aliases": "docker system events, docker events"},
	}
	flags := cmd.Flags()
	flags.StringVar(&since, "since", "", "Show all events created since timestamp")
	flags.StringVar(&until, "until", "", "Stream events until this timestamp")
	flags.VarP(filter, "filter", "f", "Filter output based on conditions provided")
	flags.StringVar(&format, "format", "", inspectFormatHelp)
	return cmd
}

// printEvent prints an event as docker events does: its time, type,
// action and actor, then the actor's attributes sorted by name.
func printEvent(out io.Writer, m wire.EventMessage) {
	switch {
	case m.TimeNano != 0:
		fmt.Fprintf(out, "%s ", time.Unix(0, m.TimeNano).Format(rfc3339NanoFixed))
	case m.Time != 0:
		fmt.Fprintf(out, "%s ", time.Unix(m.Time, 0).Format(rfc3339NanoFixed))
	}
	fmt.Fprintf(out, "%s %s %s", m.Type, m.Action, m.Actor.ID)
	if len(m.Actor.Attributes) > 0 {
		keys := slices.Sorted(maps.Keys(m.Actor.Attributes))
		attrs := make([]string, len(keys))
		for i, k := range keys {
			attrs[i] = k + "=" + m.Actor.Attributes[k]
		}
		fmt.Fprintf(out, " (%s)", strings.Join(attrs, ", "))
	}
	fmt.Fprint(out, "\n")
}
