package cli

// The image commands, adapted from github.com/docker/cli/cli/command/image
// (v28.2.2), Apache License 2.0.

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/image"
	"github.com/spf13/cobra"

	"github.com/twinbox-dev/twinbox/shared/api/client"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/cli/formatter"
)

func (c *dockerCLI) newImagesCommand() *cobra.Command {
	var (
		quiet, all, noTrunc, showDigests, tree bool
		format                                 string
	)
	filter := newFilterOpt()
	cmd := &cobra.Command{
		Use:   "images [OPTIONS] [REPOSITORY[:TAG]]",
		Short: "List images",
		Args:  requiresMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var matchName string
			if len(args) > 0 {
				matchName = args[0]
				filter.add("reference", matchName)
			}
			if tree {
				switch {
				case quiet:
					return errors.New("--quiet is not yet supported with --tree")
				case noTrunc:
					return errors.New("--no-trunc is not yet supported with --tree")
				case showDigests:
					return errors.New("--show-digest is not yet supported with --tree")
				case format != "":
					return errors.New("--format is not yet supported with --tree")
				}
				return errors.New("twinbox cannot list images as a tree yet")
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			list, err := api.ImageList(cmd.Context(), client.ImageListOptions{All: all, Filters: client.Filters(filter.values)})
			if err != nil {
				return err
			}
			if format == "" {
				format = formatter.TableFormatKey
			}
			images := make([]image.Summary, len(list))
			for i, img := range list {
				images[i] = img.Summary
			}
			ctx := formatter.ImageContext{
				Context: formatter.Context{
					Output: c.out,
					Format: formatter.NewImageFormat(format, quiet, showDigests),
					Trunc:  !noTrunc,
					Now:    c.now,
				},
				Digest: showDigests,
			}
			if err := formatter.ImageWrite(ctx, images); err != nil {
				return err
			}
			if matchName != "" && len(images) == 0 && cmd.CalledAs() == "images" {
				switch matchName {
				case "build", "history", "import", "inspect", "list", "load", "ls", "prune", "pull", "push", "rm", "save", "tag":
					fmt.Fprintf(c.err, "\nNo images found matching %q: did you mean \"docker image %[1]s\"?\n", matchName)
				}
			}
			return nil
		},
		Annotations: map[string]string{
			"category-top": "7",
			"aliases":      "docker image ls, docker image list, docker images",
		},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&quiet, "quiet", "q", false, "Only show image IDs")
	flags.BoolVarP(&all, "all", "a", false, "Show all images (default hides intermediate images)")
	flags.BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	flags.BoolVar(&showDigests, "digests", false, "Show digests")
	flags.StringVar(&format, "format", "", formatHelp)
	flags.VarP(filter, "filter", "f", "Filter output based on conditions provided")
	flags.BoolVar(&tree, "tree", false, "List multi-platform images as a tree (EXPERIMENTAL)")
	_ = flags.SetAnnotation("tree", "version", []string{"1.47"})
	_ = flags.SetAnnotation("tree", "experimentalCLI", nil)
	return cmd
}

func (c *dockerCLI) newImageListCommand() *cobra.Command {
	cmd := c.newImagesCommand()
	cmd.Aliases = []string{"list"}
	cmd.Use = "ls [OPTIONS] [REPOSITORY[:TAG]]"
	return cmd
}

func (c *dockerCLI) newHistoryCommand() *cobra.Command {
	var (
		human, quiet, noTrunc bool
		format, platform      string
	)
	cmd := &cobra.Command{
		Use:   "history [OPTIONS] IMAGE",
		Short: "Show the history of an image",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			history, err := api.ImageHistory(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if format == "" {
				format = formatter.TableFormatKey
			}
			return formatter.HistoryWrite(formatter.Context{
				Output: c.out,
				Format: formatter.NewHistoryFormat(format, quiet, human),
				Trunc:  !noTrunc,
				Now:    c.now,
			}, human, history)
		},
		Annotations: map[string]string{"aliases": "docker image history, docker history"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&human, "human", "H", true, "Print sizes and dates in human readable format")
	flags.BoolVarP(&quiet, "quiet", "q", false, "Only show image IDs")
	flags.BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	flags.StringVar(&format, "format", "", formatHelp)
	flags.StringVar(&platform, "platform", "", `Show history for the given platform. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")`)
	_ = flags.SetAnnotation("platform", "version", []string{"1.48"})
	return cmd
}

func (c *dockerCLI) newRmiCommand() *cobra.Command {
	var force, noPrune bool
	var platforms []string
	cmd := &cobra.Command{
		Use:   "rmi [OPTIONS] IMAGE [IMAGE...]",
		Short: "Remove one or more images",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			fatal := false
			var errs []error
			for _, img := range args {
				dels, err := api.ImageRemove(cmd.Context(), img, client.ImageRemoveOptions{Force: force, PruneChildren: !noPrune})
				if err != nil {
					if !backend.IsNotFound(err) {
						fatal = true
					}
					errs = append(errs, err)
					continue
				}
				for _, del := range dels {
					if del.Deleted != "" {
						fmt.Fprintln(c.out, "Deleted:", del.Deleted)
					} else {
						fmt.Fprintln(c.out, "Untagged:", del.Untagged)
					}
				}
			}
			if err := errors.Join(errs...); err != nil {
				if !force || fatal {
					return err
				}
				fmt.Fprintln(c.err, err)
			}
			return nil
		},
		Annotations: map[string]string{"aliases": "docker image rm, docker image remove, docker rmi"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&force, "force", "f", false, "Force removal of the image")
	flags.BoolVar(&noPrune, "no-prune", false, "Do not delete untagged parents")
	flags.StringSliceVar(&platforms, "platform", nil, `Remove only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")`)
	_ = flags.SetAnnotation("platform", "version", []string{"1.50"})
	return cmd
}

func (c *dockerCLI) newImageRemoveCommand() *cobra.Command {
	cmd := c.newRmiCommand()
	cmd.Aliases = []string{"rmi", "remove"}
	cmd.Use = "rm [OPTIONS] IMAGE [IMAGE...]"
	return cmd
}

func (c *dockerCLI) newTagCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		Short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			return api.ImageTag(cmd.Context(), args[0], args[1])
		},
		Annotations: map[string]string{"aliases": "docker image tag, docker tag"},
	}
	cmd.Flags().SetInterspersed(false)
	return cmd
}

func (c *dockerCLI) newPullCommand() *cobra.Command {
	var all, quiet, untrusted bool
	var platform string
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := reference.ParseNormalizedNamed(args[0])
			switch {
			case err != nil:
				return err
			case all && !reference.IsNameOnly(ref):
				return errors.New("tag can't be used with --all-tags/-a")
			case !all && reference.IsNameOnly(ref):
				ref = reference.TagNameOnly(ref)
				if tagged, ok := ref.(reference.Tagged); ok && !quiet {
					fmt.Fprintln(c.out, "Using default tag:", tagged.Tag())
				}
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			body, err := api.ImagePull(cmd.Context(), reference.FamiliarString(ref), client.ImagePullOptions{All: all, Platform: platform})
			if err != nil {
				if strings.Contains(err.Error(), "when fetching 'plugin'") {
					return errors.New(err.Error() + " - Use `docker plugin install`")
				}
				return err
			}
			defer body.Close()
			out := c.out
			if quiet {
				out = io.Discard
			}
			if err := c.displayProgress(cmd.Context(), body, out, !quiet && c.stdoutIsTerminal()); err != nil {
				return err
			}
			fmt.Fprintln(c.out, ref.String())
			return nil
		},
		Annotations: map[string]string{
			"category-top": "5",
			"aliases":      "docker image pull, docker pull",
		},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&all, "all-tags", "a", false, "Download all tagged images in the repository")
	flags.BoolVarP(&quiet, "quiet", "q", false, "Suppress verbose output")
	addPlatformFlag(flags, &platform)
	addTrustFlag(flags, &untrusted)
	return cmd
}

func (c *dockerCLI) newSaveCommand() *cobra.Command {
	var output, platform string
	cmd := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" && c.stdoutIsTerminal() {
				return errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			body, err := api.ImageSave(cmd.Context(), args)
			if err != nil {
				return err
			}
			defer body.Close()
			// The file is made once the engine answered, so a failed save
			// leaves none behind (docker writes a temporary file and
			// renames it).
			w := c.out
			if output != "" {
				f, err := c.files().Create(output)
				if err != nil {
					return fmt.Errorf("failed to save image: %w", err)
				}
				defer f.Close()
				w = f
			}
			_, err = io.Copy(w, body)
			return err
		},
		Annotations: map[string]string{"aliases": "docker image save, docker save"},
	}
	flags := cmd.Flags()
	flags.StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	flags.StringVar(&platform, "platform", "", `Save only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")`)
	_ = flags.SetAnnotation("platform", "version", []string{"1.48"})
	return cmd
}

func (c *dockerCLI) newLoadCommand() *cobra.Command {
	var input, platform string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load an image from a tar archive or STDIN",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r := c.in
			if input == "" {
				if c.stdinIsTerminal() {
					return errors.New("requested load from stdin, but stdin is empty")
				}
			} else {
				f, err := c.files().Open(input)
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			resp, err := api.ImageLoad(cmd.Context(), r, quiet || !c.stdoutIsTerminal())
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.JSON {
				return c.displayProgress(cmd.Context(), resp.Body, c.out, c.stdoutIsTerminal())
			}
			_, err = io.Copy(c.out, resp.Body)
			return err
		},
		Annotations: map[string]string{"aliases": "docker image load, docker load"},
	}
	flags := cmd.Flags()
	flags.StringVarP(&input, "input", "i", "", "Read from tar archive file, instead of STDIN")
	flags.BoolVarP(&quiet, "quiet", "q", false, "Suppress the load output")
	flags.StringVar(&platform, "platform", "", `Load only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")`)
	_ = flags.SetAnnotation("platform", "version", []string{"1.48"})
	return cmd
}

func (c *dockerCLI) newImageInspectCommand() *cobra.Command {
	var format, platform string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] IMAGE [IMAGE...]",
		Short: "Display detailed information on one or more images",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			return c.inspect(args, format, func(ref string) (any, []byte, error) {
				return inspectImage(cmd.Context(), api, ref)
			})
		},
	}
	flags := cmd.Flags()
	flags.StringVarP(&format, "format", "f", "", inspectFormatHelp)
	flags.StringVar(&platform, "platform", "", `Inspect a specific platform of the multi-platform image.
If the image or the server is not multi-platform capable, the command will error out if the platform does not match.
'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)`)
	_ = flags.SetAnnotation("platform", "version", []string{"1.49"})
	return cmd
}
