package cli

// docker push, adapted from github.com/docker/cli/cli/command/image/push.go
// (v28.2.2), Apache License 2.0.

import (
	"errors"
	"fmt"
	"io"

	"github.com/distribution/reference"
	"github.com/spf13/cobra"
)

func (c *dockerCLI) newPushCommand() *cobra.Command {
	var all, quiet, untrusted bool
	var platform string
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG]",
		Short: "Upload an image to a registry",
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
					fmt.Fprintf(c.out, "Using default tag: %s\n", tagged.Tag())
				}
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			body, err := api.ImagePush(cmd.Context(), reference.FamiliarString(ref))
			if err != nil {
				return err
			}
			defer body.Close()
			if quiet {
				if err := c.displayProgress(cmd.Context(), body, io.Discard, false); err != nil {
					return err
				}
				fmt.Fprintln(c.out, ref.String())
				return nil
			}
			return c.displayProgress(cmd.Context(), body, c.out, c.stdoutIsTerminal())
		},
		Annotations: map[string]string{
			"category-top": "6",
			"aliases":      "docker image push, docker push",
		},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&all, "all-tags", "a", false, "Push all tags of an image to the repository")
	flags.BoolVarP(&quiet, "quiet", "q", false, "Suppress verbose output")
	flags.BoolVar(&untrusted, "disable-content-trust", true, "Skip image signing")
	flags.StringVar(&platform, "platform", "",
		`Push a platform-specific manifest as a single-platform image to the registry.
Image index won't be pushed, meaning that other manifests, including attestations won't be preserved.
'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)`)
	_ = flags.SetAnnotation("platform", "version", []string{"1.46"})
	return cmd
}
