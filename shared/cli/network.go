package cli

// docker network, adapted from github.com/docker/cli/cli/command/network
// (v28.2.2), Apache License 2.0.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/spf13/cobra"

	"github.com/twinbox-dev/twinbox/shared/api/client"
	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/cli/formatter"
	netfmt "github.com/twinbox-dev/twinbox/shared/cli/network"
	"github.com/twinbox-dev/twinbox/shared/cli/view"
)

// cancelledError ends a command the user declined at a prompt: docker
// prints nothing and exits 0.
type cancelledError struct{ error }

// errTerminated is the prompt's error when the command is interrupted.
var errTerminated = errors.New("prompt terminated")

// confirm asks a yes/no question on stdout and reads the answer from
// stdin, as docker's prompt.Confirm: only "y" or "Y" is yes.
func (c *dockerCLI) confirm(ctx context.Context, message string) (bool, error) {
	fmt.Fprint(c.out, message+" [y/N] ")
	result := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(c.in)
		yes := false
		if sc.Scan() {
			yes = strings.EqualFold(strings.TrimSpace(sc.Text()), "y")
		}
		result <- yes
	}()
	select {
	case <-ctx.Done():
		fmt.Fprint(c.out, "\n")
		return false, errTerminated
	case yes := <-result:
		return yes, nil
	}
}

func (c *dockerCLI) newNetworkCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:         "network",
		Short:       "Manage networks",
		Args:        noArgs,
		RunE:        c.showHelp,
		Annotations: map[string]string{"version": "1.21"},
	}
	cmd.AddCommand(
		c.newNetworkConnectCommand(),
		c.newNetworkCreateCommand(),
		c.newNetworkDisconnectCommand(),
		c.newNetworkInspectCommand(),
		c.newNetworkListCommand(),
		c.newNetworkRemoveCommand(),
		c.newNetworkPruneCommand(),
	)
	return cmd
}

func (c *dockerCLI) newNetworkConnectCommand() *cobra.Command {
	var (
		ip, ip6                           string
		aliases, linkLocalIPs, driverOpts []string
		gwPriority                        int
		links                             []string
	)
	cmd := &cobra.Command{
		Use:   "connect [OPTIONS] NETWORK CONTAINER",
		Short: "Connect a container to a network",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := convertDriverOpt(driverOpts)
			if err != nil {
				return err
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			es := &network.EndpointSettings{
				IPAMConfig: &network.EndpointIPAMConfig{},
				Links:      links,
				Aliases:    aliases,
				DriverOpts: opts,
				GwPriority: gwPriority,
			}
			// docker 28 sends the addresses as strings for the engine to
			// check; the API types here hold parsed addresses, so a bad one
			// is refused with the message of `docker run --ip`.
			if ip != "" {
				if es.IPAMConfig.IPv4Address, err = netip.ParseAddr(ip); err != nil {
					return fmt.Errorf("invalid IPv4 address: %s", ip)
				}
			}
			if ip6 != "" {
				if es.IPAMConfig.IPv6Address, err = netip.ParseAddr(ip6); err != nil {
					return fmt.Errorf("invalid IPv6 address: %s", ip6)
				}
			}
			for _, s := range linkLocalIPs {
				a, err := netip.ParseAddr(s)
				if err != nil {
					return fmt.Errorf("invalid link-local IP address: %s", s)
				}
				es.IPAMConfig.LinkLocalIPs = append(es.IPAMConfig.LinkLocalIPs, a)
			}
			return api.NetworkConnect(cmd.Context(), args[0], args[1], es)
		},
	}
	flags := cmd.Flags()
	flags.StringVar(&ip, "ip", "", `IPv4 address (e.g., "172.30.100.104")`)
	flags.StringVar(&ip6, "ip6", "", `IPv6 address (e.g., "2001:db8::33")`)
	flags.Var(newListOpts(&links, validateLink), "link", "Add link to another container")
	flags.StringSliceVar(&aliases, "alias", []string{}, "Add network-scoped alias for the container")
	flags.StringSliceVar(&linkLocalIPs, "link-local-ip", []string{}, "Add a link-local address for the container")
	flags.StringSliceVar(&driverOpts, "driver-opt", []string{}, "driver options for the network")
	flags.IntVar(&gwPriority, "gw-priority", 0, "Highest gw-priority provides the default gateway. Accepts positive and negative values.")
	return cmd
}

func convertDriverOpt(options []string) (map[string]string, error) {
	driverOpt := make(map[string]string)
	for _, opt := range options {
		k, v, ok := strings.Cut(opt, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, errors.New("invalid key/value pair format in driver options")
		}
		driverOpt[k] = strings.TrimSpace(v)
	}
	return driverOpt, nil
}

func (c *dockerCLI) newNetworkCreateCommand() *cobra.Command {
	var (
		driver, scope, configFrom, ipamDriver string
		internal, ipv4, ipv6, attachable      bool
		ingress, configOnly                   bool
		subnets, ipRanges, gateways           []string
		labels                                []string
	)
	driverOpts := newMapOpts(nil)
	auxAddresses := newMapOpts(nil)
	ipamOpts := newMapOpts(nil)
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] NETWORK",
		Short: "Create a network",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ipam, err := createIPAMConfig(ipamDriver, subnets, ipRanges, gateways, auxAddresses.values, ipamOpts.values)
			if err != nil {
				return err
			}
			req := wire.NetworkCreateRequest{
				Name:       args[0],
				Driver:     driver,
				Options:    driverOpts.values,
				IPAM:       ipam,
				Internal:   internal,
				EnableIPv6: ipv6,
				Attachable: attachable,
				Ingress:    ingress,
				Scope:      scope,
				ConfigOnly: configOnly,
				Labels:     kvMap(labels),
			}
			if configFrom != "" {
				req.ConfigFrom = &wire.ConfigReference{Network: configFrom}
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			resp, err := api.NetworkCreate(cmd.Context(), req)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.out, resp.ID)
			return nil
		},
	}
	flags := cmd.Flags()
	flags.StringVarP(&driver, "driver", "d", "bridge", "Driver to manage the Network")
	flags.VarP(driverOpts, "opt", "o", "Set driver specific options")
	flags.Var(newListOpts(&labels, validateLabel), "label", "Set metadata on a network")
	flags.BoolVar(&internal, "internal", false, "Restrict external access to the network")
	flags.BoolVar(&ipv4, "ipv4", true, "Enable or disable IPv4 address assignment")
	flags.BoolVar(&ipv6, "ipv6", false, "Enable or disable IPv6 address assignment")
	flags.BoolVar(&attachable, "attachable", false, "Enable manual container attachment")
	_ = flags.SetAnnotation("attachable", "version", []string{"1.25"})
	flags.BoolVar(&ingress, "ingress", false, "Create swarm routing-mesh network")
	_ = flags.SetAnnotation("ingress", "version", []string{"1.29"})
	flags.StringVar(&scope, "scope", "", "Control the network's scope")
	_ = flags.SetAnnotation("scope", "version", []string{"1.30"})
	flags.BoolVar(&configOnly, "config-only", false, "Create a configuration only network")
	_ = flags.SetAnnotation("config-only", "version", []string{"1.30"})
	flags.StringVar(&configFrom, "config-from", "", "The network from which to copy the configuration")
	_ = flags.SetAnnotation("config-from", "version", []string{"1.30"})
	flags.StringVar(&ipamDriver, "ipam-driver", "default", "IP Address Management Driver")
	flags.StringSliceVar(&subnets, "subnet", []string{}, "Subnet in CIDR format that represents a network segment")
	flags.StringSliceVar(&ipRanges, "ip-range", []string{}, "Allocate container ip from a sub-range")
	flags.StringSliceVar(&gateways, "gateway", []string{}, "IPv4 or IPv6 Gateway for the master subnet")
	flags.Var(auxAddresses, "aux-address", "Auxiliary IPv4 or IPv6 addresses used by Network driver")
	flags.Var(ipamOpts, "ipam-opt", "Set IPAM driver specific options")
	return cmd
}

// createIPAMConfig consolidates subnets, ranges, gateways and auxiliary
// addresses into pools, with docker's checks and errors. The pools come in
// the order of the subnets (docker's is a map's).
func createIPAMConfig(driver string, subnets, ipRanges, gateways []string, aux, opts map[string]string) (*wire.IPAM, error) {
	if len(subnets) < len(ipRanges) || len(subnets) < len(gateways) {
		return nil, errors.New("every ip-range or gateway must have a corresponding subnet")
	}
	iData := map[string]*wire.IPAMConfig{}
	var order []string
	for _, s := range subnets {
		for k := range iData {
			ok1, err := subnetMatches(s, k)
			if err != nil {
				return nil, err
			}
			ok2, err := subnetMatches(k, s)
			if err != nil {
				return nil, err
			}
			if ok1 || ok2 {
				return nil, errors.New("multiple overlapping subnet configuration is not supported")
			}
		}
		if _, ok := iData[s]; !ok {
			order = append(order, s)
		}
		iData[s] = &wire.IPAMConfig{Subnet: s, AuxAddress: map[string]string{}}
	}
	for _, r := range ipRanges {
		match := false
		for _, s := range subnets {
			if _, _, err := net.ParseCIDR(r); err != nil {
				return nil, err
			}
			ok, err := subnetMatches(s, r)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			if iData[s].IPRange != "" {
				return nil, fmt.Errorf("cannot configure multiple ranges (%s, %s) on the same subnet (%s)", r, iData[s].IPRange, s)
			}
			iData[s].IPRange = r
			match = true
		}
		if !match {
			return nil, fmt.Errorf("no matching subnet for range %s", r)
		}
	}
	for _, g := range gateways {
		match := false
		for _, s := range subnets {
			ok, err := subnetMatches(s, g)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			if iData[s].Gateway != "" {
				return nil, fmt.Errorf("cannot configure multiple gateways (%s, %s) for the same subnet (%s)", g, iData[s].Gateway, s)
			}
			iData[s].Gateway = g
			match = true
		}
		if !match {
			return nil, fmt.Errorf("no matching subnet for gateway %s", g)
		}
	}
	keys := make([]string, 0, len(aux))
	for k := range aux {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		aa := aux[key]
		match := false
		for _, s := range subnets {
			ok, err := subnetMatches(s, aa)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			iData[s].AuxAddress[key] = aa
			match = true
		}
		if !match {
			return nil, fmt.Errorf("no matching subnet for aux-address %s", aa)
		}
	}
	cfgs := make([]wire.IPAMConfig, 0, len(iData))
	for _, s := range order {
		cfgs = append(cfgs, *iData[s])
	}
	return &wire.IPAM{Driver: driver, Config: cfgs, Options: opts}, nil
}

func subnetMatches(subnet, data string) (bool, error) {
	_, s, err := net.ParseCIDR(subnet)
	if err != nil {
		return false, fmt.Errorf("invalid subnet: %w", err)
	}
	var ip net.IP
	if strings.Contains(data, "/") {
		ip, _, err = net.ParseCIDR(data)
		if err != nil {
			return false, err
		}
	} else {
		ip = net.ParseIP(data)
	}
	return s.Contains(ip), nil
}

func (c *dockerCLI) newNetworkDisconnectCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "disconnect [OPTIONS] NETWORK CONTAINER",
		Short: "Disconnect a container from a network",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			return api.NetworkDisconnect(cmd.Context(), args[0], args[1], force)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force the container to disconnect from a network")
	return cmd
}

// inspectNetwork returns a network's details as docker 28 templates see
// them, and the engine's JSON.
func inspectNetwork(ctx context.Context, api *client.Client, ref string, verbose bool) (any, []byte, error) {
	_, raw, err := api.NetworkInspectWithRaw(ctx, ref, verbose)
	if err != nil {
		return nil, nil, err
	}
	var v view.Network
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, nil, err
	}
	return v, raw, nil
}

func (c *dockerCLI) newNetworkInspectCommand() *cobra.Command {
	var (
		format  string
		verbose bool
	)
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NETWORK [NETWORK...]",
		Short: "Display detailed information on one or more networks",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			return c.inspect(args, format, func(ref string) (any, []byte, error) {
				return inspectNetwork(cmd.Context(), api, ref, verbose)
			})
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", inspectFormatHelp)
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "Verbose output for diagnostics")
	return cmd
}

func (c *dockerCLI) newNetworkListCommand() *cobra.Command {
	var (
		quiet, noTrunc bool
		format         string
	)
	filter := newFilterOpt()
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			list, err := api.NetworkList(cmd.Context(), client.Filters(filter.values))
			if err != nil {
				return err
			}
			if format == "" {
				format = formatter.TableFormatKey
			}
			sort.Slice(list, func(i, j int) bool { return naturalLess(list[i].Name, list[j].Name) })
			return netfmt.FormatWrite(formatter.Context{
				Output: c.out,
				Format: netfmt.NewFormat(format, quiet),
				Trunc:  !noTrunc,
			}, list)
		},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&quiet, "quiet", "q", false, "Only display network IDs")
	flags.BoolVar(&noTrunc, "no-trunc", false, "Do not truncate the output")
	flags.StringVar(&format, "format", "", formatHelp)
	flags.VarP(filter, "filter", "f", `Provide filter values (e.g. "driver=bridge")`)
	return cmd
}

func (c *dockerCLI) newNetworkRemoveCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "rm NETWORK [NETWORK...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more networks",
		Args:    requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			status := 0
			for _, name := range args {
				// docker asks first, to confirm the removal of an ingress
				// network; twinbox has none, but the request is the same.
				_, _, _ = api.NetworkInspectWithRaw(cmd.Context(), name, false)
				if err := api.NetworkRemove(cmd.Context(), name); err != nil {
					if force && backend.IsNotFound(err) {
						continue
					}
					fmt.Fprintln(c.err, err)
					status = 1
					continue
				}
				fmt.Fprintln(c.out, name)
			}
			if status != 0 {
				return StatusError{StatusCode: status, Status: "exit status " + strconv.Itoa(status)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not error if the network does not exist")
	return cmd
}

func (c *dockerCLI) newNetworkPruneCommand() *cobra.Command {
	var force bool
	filter := newFilterOpt()
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all unused networks",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.runPrune(cmd.Context(), force, "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?",
				"network", filter.values, false, c.pruneNetworks)
		},
		Annotations: map[string]string{"version": "1.25"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	flags.Var(filter, "filter", `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}
