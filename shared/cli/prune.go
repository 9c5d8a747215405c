package cli

// The prunes of docker container, network, volume, image and system
// prune, adapted from the RunPrune functions of
// github.com/docker/cli/cli/command (v28.2.2), Apache License 2.0.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/twinbox-dev/twinbox/shared/api/client"
	"github.com/twinbox-dev/twinbox/shared/cli/template"
)

// A pruner removes one kind of unused object: what it freed, and what it
// prints ("" when it removed nothing).
type pruner func(ctx context.Context, filters map[string][]string) (uint64, string, error)

// deleted is the list a prune prints: a title, then a line each.
func deleted(title string, lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return title + ":\n" + strings.Join(lines, "\n") + "\n"
}

func (c *dockerCLI) pruneContainers(ctx context.Context, filters map[string][]string) (uint64, string, error) {
	api, err := c.client()
	if err != nil {
		return 0, "", err
	}
	rep, err := api.ContainersPrune(ctx, client.Filters(filters))
	if err != nil || len(rep.ContainersDeleted) == 0 {
		return 0, "", err
	}
	return rep.SpaceReclaimed, deleted("Deleted Containers", rep.ContainersDeleted), nil
}

func (c *dockerCLI) pruneNetworks(ctx context.Context, filters map[string][]string) (uint64, string, error) {
	api, err := c.client()
	if err != nil {
		return 0, "", err
	}
	rep, err := api.NetworksPrune(ctx, client.Filters(filters))
	if err != nil {
		return 0, "", err
	}
	return 0, deleted("Deleted Networks", rep.NetworksDeleted), nil
}

func (c *dockerCLI) pruneVolumes(ctx context.Context, filters map[string][]string) (uint64, string, error) {
	api, err := c.client()
	if err != nil {
		return 0, "", err
	}
	rep, err := api.VolumesPrune(ctx, client.Filters(filters))
	if err != nil || len(rep.VolumesDeleted) == 0 {
		return 0, "", err
	}
	return rep.SpaceReclaimed, deleted("Deleted Volumes", rep.VolumesDeleted), nil
}

// imagePruner prunes dangling images, or with all every image no
// container uses.
func (c *dockerCLI) imagePruner(all bool) pruner {
	return func(ctx context.Context, filters map[string][]string) (uint64, string, error) {
		filters = maps.Clone(filters)
		filters["dangling"] = append(slices.Clone(filters["dangling"]), strconv.FormatBool(!all))
		api, err := c.client()
		if err != nil {
			return 0, "", err
		}
		rep, err := api.ImagesPrune(ctx, client.Filters(filters))
		if err != nil || len(rep.ImagesDeleted) == 0 {
			return 0, "", err
		}
		var lines []string
		for _, st := range rep.ImagesDeleted {
			if st.Untagged != "" {
				lines = append(lines, "untagged: "+st.Untagged)
			} else {
				lines = append(lines, "deleted: "+st.Deleted)
			}
		}
		return rep.SpaceReclaimed, deleted("Deleted Images", lines), nil
	}
}

// buildCachePruner prunes the build cache (all of it with all).
func (c *dockerCLI) buildCachePruner(all bool) pruner {
	return func(ctx context.Context, filters map[string][]string) (uint64, string, error) {
		api, err := c.client()
		if err != nil {
			return 0, "", err
		}
		rep, err := api.BuildCachePrune(ctx, all, client.Filters(filters))
		if err != nil {
			return 0, "", err
		}
		return rep.SpaceReclaimed, deleted("Deleted build cache objects", rep.CachesDeleted), nil
	}
}

// runPrune asks for confirmation unless force, then runs the pruners and
// prints what they removed; total adds the line of the space reclaimed.
func (c *dockerCLI) runPrune(ctx context.Context, force bool, warning, what string, filters map[string][]string, total bool, pruners ...pruner) error {
	if !force {
		yes, err := c.confirm(ctx, warning)
		if err != nil {
			return err
		}
		if !yes {
			return cancelledError{errors.New(what + " prune has been cancelled")}
		}
	}
	var space uint64
	for _, p := range pruners {
		n, out, err := p(ctx, filters)
		if err != nil {
			return err
		}
		space += n
		if out != "" {
			fmt.Fprintln(c.out, out)
		}
	}
	if total {
		fmt.Fprintln(c.out, "Total reclaimed space:", units.HumanSize(float64(space)))
	}
	return nil
}

const systemPruneWarning = `WARNING! This will remove:
{{- range $_, $warning := .warnings }}
  - {{ $warning }}
{{- end }}
{{if .filters}}
  Items to be pruned will be filtered with:
{{- range $_, $filters := .filters }}
  - {{ $filters }}
{{- end }}
{{end}}
Are you sure you want to continue?`

func (c *dockerCLI) newSystemPruneCommand() *cobra.Command {
	var force, all, volumes bool
	filter := newFilterOpt()
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused data",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, ok := filter.values["until"]; ok && volumes {
				return errors.New(`ERROR: The "until" filter is not supported with "--volumes"`)
			}
			warnings := []string{"all stopped containers", "all networks not used by at least one container"}
			pruners := []pruner{c.pruneContainers, c.pruneNetworks}
			if volumes {
				warnings = append(warnings, "all anonymous volumes not used by at least one container")
				pruners = append(pruners, c.pruneVolumes)
			}
			if all {
				warnings = append(warnings, "all images without at least one container associated to them", "all build cache")
			} else {
				warnings = append(warnings, "all dangling images", "unused build cache")
			}
			pruners = append(pruners, c.imagePruner(all), c.buildCachePruner(all))
			var filters []string
			for _, name := range []string{"label", "label!", "until"} {
				for _, v := range filter.values[name] {
					filters = append(filters, name+"="+v)
				}
			}
			slices.Sort(filters)
			var sb strings.Builder
			template.Must(template.New("").Parse(systemPruneWarning)).Execute(&sb, map[string][]string{"warnings": warnings, "filters": filters})
			return c.runPrune(cmd.Context(), force, sb.String(), "system", filter.values, true, pruners...)
		},
		Annotations: map[string]string{"version": "1.25"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	flags.BoolVarP(&all, "all", "a", false, "Remove all unused images not just dangling ones")
	flags.BoolVar(&volumes, "volumes", false, "Prune anonymous volumes")
	flags.Var(filter, "filter", `Provide filter values (e.g. "label=<key>=<value>")`)
	_ = flags.SetAnnotation("filter", "version", []string{"1.28"})
	return cmd
}
