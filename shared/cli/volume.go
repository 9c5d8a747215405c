package cli

// docker volume and docker container prune, adapted from
// github.com/docker/cli/cli/command/volume and container/prune.go
// (v28.2.2), Apache License 2.0.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/twinbox-dev/twinbox/shared/api/client"
	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/cli/formatter"
	"github.com/twinbox-dev/twinbox/shared/cli/view"
)

func (c *dockerCLI) newVolumeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:         "volume COMMAND",
		Short:       "Manage volumes",
		Args:        noArgs,
		RunE:        c.showHelp,
		Annotations: map[string]string{"version": "1.21"},
	}
	cmd.AddCommand(
		c.newVolumeCreateCommand(),
		c.newVolumeInspectCommand(),
		c.newVolumeListCommand(),
		c.newVolumeRemoveCommand(),
		c.newVolumePruneCommand(),
		c.newVolumeUpdateCommand(),
	)
	return cmd
}

// clusterFlag adds a flag of cluster volumes, which need API 1.42 and a
// swarm manager: hidden and refused against twinbox's engines.
func clusterFlag(cmd *cobra.Command, name string) {
	_ = cmd.Flags().SetAnnotation(name, "version", []string{"1.42"})
	_ = cmd.Flags().SetAnnotation(name, "swarm", []string{"manager"})
}

func (c *dockerCLI) newVolumeCreateCommand() *cobra.Command {
	var (
		name, driver                                    string
		group, scope, sharing, availability, accessType string
		labels, requisiteTopology, preferredTopology    []string
		requiredBytes, limitBytes                       memBytes
	)
	driverOpts := newMapOpts(nil)
	secrets := newMapOpts(nil)
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] [VOLUME]",
		Short: "Create a volume",
		Args:  requiresMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if name != "" {
					return errors.New("conflicting options: cannot specify a volume-name through both --name and as a positional arg")
				}
				name = args[0]
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			vol, err := api.VolumeCreate(cmd.Context(), wire.VolumeCreateRequest{
				Driver:     driver,
				DriverOpts: driverOpts.values,
				Name:       name,
				Labels:     kvMap(labels),
			})
			if err != nil {
				return err
			}
			fmt.Fprintln(c.out, vol.Name)
			return nil
		},
	}
	flags := cmd.Flags()
	flags.StringVarP(&driver, "driver", "d", "local", "Specify volume driver name")
	flags.StringVar(&name, "name", "", "Specify volume name")
	flags.Lookup("name").Hidden = true
	flags.VarP(driverOpts, "opt", "o", "Set driver specific options")
	flags.Var(newListOpts(&labels, validateLabel), "label", "Set metadata for a volume")
	flags.StringVar(&group, "group", "", "Cluster Volume group (cluster volumes)")
	clusterFlag(cmd, "group")
	flags.StringVar(&scope, "scope", "single", `Cluster Volume access scope ("single", "multi")`)
	clusterFlag(cmd, "scope")
	flags.StringVar(&sharing, "sharing", "none", `Cluster Volume access sharing ("none", "readonly", "onewriter", "all")`)
	clusterFlag(cmd, "sharing")
	flags.StringVar(&availability, "availability", "active", `Cluster Volume availability ("active", "pause", "drain")`)
	clusterFlag(cmd, "availability")
	flags.StringVar(&accessType, "type", "block", `Cluster Volume access type ("mount", "block")`)
	clusterFlag(cmd, "type")
	flags.Var(secrets, "secret", "Cluster Volume secrets")
	clusterFlag(cmd, "secret")
	flags.Var(&limitBytes, "limit-bytes", "Minimum size of the Cluster Volume in bytes")
	clusterFlag(cmd, "limit-bytes")
	flags.Var(&requiredBytes, "required-bytes", "Maximum size of the Cluster Volume in bytes")
	clusterFlag(cmd, "required-bytes")
	flags.Var(newListOpts(&requisiteTopology, nil), "topology-required", "A topology that the Cluster Volume must be accessible from")
	clusterFlag(cmd, "topology-required")
	flags.Var(newListOpts(&preferredTopology, nil), "topology-preferred", "A topology that the Cluster Volume would be preferred in")
	clusterFlag(cmd, "topology-preferred")
	return cmd
}

// inspectVolume returns a volume's details as docker 28 templates see
// them. Like docker, it gives no raw JSON: the default output is the typed
// value's.
func inspectVolume(ctx context.Context, api *client.Client, name string) (any, []byte, error) {
	v, _, err := volumeView(ctx, api, name)
	return v, nil, err
}

// volumeView returns a volume's details as docker 28 templates see them,
// and the engine's JSON (which `docker inspect` prints).
func volumeView(ctx context.Context, api *client.Client, name string) (any, []byte, error) {
	_, raw, err := api.VolumeInspectWithRaw(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	var v view.Volume
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, nil, err
	}
	return v, raw, nil
}

func (c *dockerCLI) newVolumeInspectCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] VOLUME [VOLUME...]",
		Short: "Display detailed information on one or more volumes",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			return c.inspect(args, format, func(ref string) (any, []byte, error) {
				return inspectVolume(cmd.Context(), api, ref)
			})
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", inspectFormatHelp)
	return cmd
}

func (c *dockerCLI) newVolumeListCommand() *cobra.Command {
	var (
		quiet, cluster bool
		format         string
	)
	filter := newFilterOpt()
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			list, err := api.VolumeList(cmd.Context(), client.Filters(filter.values))
			if err != nil {
				return err
			}
			vols := list.Volumes
			switch {
			case cluster:
				// No volume of twinbox's is a cluster volume.
				vols = nil
				format = "table {{.Name}}\t{{.Group}}\t{{.Driver}}\t{{.Availability}}\t{{.Status}}"
				if quiet {
					format = formatter.TableFormatKey
				}
			case format == "":
				format = formatter.TableFormatKey
			}
			sort.Slice(vols, func(i, j int) bool { return naturalLess(vols[i].Name, vols[j].Name) })
			return formatter.VolumeWrite(formatter.Context{
				Output: c.out,
				Format: formatter.NewVolumeFormat(format, quiet),
			}, vols)
		},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&quiet, "quiet", "q", false, "Only display volume names")
	flags.StringVar(&format, "format", "", formatHelp)
	flags.VarP(filter, "filter", "f", `Provide filter values (e.g. "dangling=true")`)
	flags.BoolVar(&cluster, "cluster", false, "Display only cluster volumes, and use cluster volume list formatting")
	clusterFlag(cmd, "cluster")
	return cmd
}

func (c *dockerCLI) newVolumeRemoveCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] VOLUME [VOLUME...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more volumes",
		Long:    "Remove one or more volumes. You cannot remove a volume that is in use by a container.",
		Args:    requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			var errs []error
			for _, name := range args {
				if err := api.VolumeRemove(cmd.Context(), name, force); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(c.out, name)
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force the removal of one or more volumes")
	_ = cmd.Flags().SetAnnotation("force", "version", []string{"1.25"})
	return cmd
}

func (c *dockerCLI) newVolumePruneCommand() *cobra.Command {
	var all, force bool
	filter := newFilterOpt()
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused local volumes",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := c.client(); err != nil {
				return err
			}
			warning := "WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue?"
			if version, _, _ := c.serverInfo(); !client.VersionLess(version, "1.42") {
				warning = "WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?"
				if all {
					if _, ok := filter.values["all"]; ok {
						return errors.New("conflicting options: cannot specify both --all and --filter all=1")
					}
					filter.add("all", "true")
					warning = "WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue?"
				}
			}
			return c.runPrune(cmd.Context(), force, warning, "volume", filter.values, true, c.pruneVolumes)
		},
		Annotations: map[string]string{"version": "1.25"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&all, "all", "a", false, "Remove all unused volumes, not just anonymous ones")
	_ = flags.SetAnnotation("all", "version", []string{"1.42"})
	flags.BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	flags.Var(filter, "filter", `Provide filter values (e.g. "label=<label>")`)
	return cmd
}

// newVolumeUpdateCommand is `docker volume update`, for cluster volumes
// only (API 1.42 and a swarm manager), which twinbox's engines refuse.
func (c *dockerCLI) newVolumeUpdateCommand() *cobra.Command {
	var availability string
	cmd := &cobra.Command{
		Use:   "update [OPTIONS] [VOLUME]",
		Short: "Update a volume (cluster volumes only)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("twinbox has no cluster volumes to update")
		},
		Annotations: map[string]string{"version": "1.42", "swarm": "manager"},
	}
	cmd.Flags().StringVar(&availability, "availability", "active", `Cluster Volume availability ("active", "pause", "drain")`)
	clusterFlag(cmd, "availability")
	return cmd
}

func (c *dockerCLI) newContainerPruneCommand() *cobra.Command {
	var force bool
	filter := newFilterOpt()
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all stopped containers",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.runPrune(cmd.Context(), force, "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?",
				"container", filter.values, true, c.pruneContainers)
		},
		Annotations: map[string]string{"version": "1.25"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	flags.Var(filter, "filter", `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}

func (c *dockerCLI) newImagePruneCommand() *cobra.Command {
	var all, force bool
	filter := newFilterOpt()
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused images",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			warning := "WARNING! This will remove all dangling images.\nAre you sure you want to continue?"
			if all {
				warning = "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?"
			}
			return c.runPrune(cmd.Context(), force, warning, "image", filter.values, true, c.imagePruner(all))
		},
		Annotations: map[string]string{"version": "1.25"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	flags.BoolVarP(&all, "all", "a", false, "Remove all unused images, not just dangling ones")
	flags.Var(filter, "filter", `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}
