package cli

// docker inspect, adapted from github.com/docker/cli/cli/command/inspect
// and cli/command/system/inspect.go (v28.2.2), Apache License 2.0.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/twinbox-dev/twinbox/shared/api/client"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/cli/formatter"
	"github.com/twinbox-dev/twinbox/shared/cli/view"
)

// getRefFunc finds one object to inspect: its typed value and raw JSON.
type getRefFunc func(ref string) (any, []byte, error)

// inspect renders the objects refs name; errors are joined, exit 1; a bad
// template exits 64.
func (c *dockerCLI) inspect(refs []string, format string, getRef getRefFunc) error {
	inspector, err := formatter.NewInspector(c.out, format)
	if err != nil {
		return StatusError{StatusCode: 64, Status: err.Error()}
	}
	var errs []error
	for _, ref := range refs {
		element, raw, err := getRef(ref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := inspector.Inspect(element, raw); err != nil {
			errs = append(errs, err)
		}
	}
	if err := inspector.Flush(); err != nil {
		c.logError("%s", err)
	}
	if err := errors.Join(errs...); err != nil {
		return StatusError{StatusCode: 1, Status: err.Error()}
	}
	return nil
}

// inspectContainer returns a container's details as docker 28 templates
// see them.
func inspectContainer(ctx context.Context, api *client.Client, ref string, size bool) (any, []byte, error) {
	_, raw, err := api.ContainerInspectWithRaw(ctx, ref, size)
	if err != nil {
		return nil, nil, err
	}
	var v view.Container
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, nil, err
	}
	return v, raw, nil
}

// inspectImage returns an image's details as docker 28 templates see them.
func inspectImage(ctx context.Context, api *client.Client, ref string) (any, []byte, error) {
	_, raw, err := api.ImageInspectWithRaw(ctx, ref)
	if err != nil {
		return view.Image{}, nil, err
	}
	var v view.Image
	if err := json.Unmarshal(raw, &v); err != nil {
		return view.Image{}, nil, err
	}
	return v, raw, nil
}

// The object types of docker inspect --type.
var inspectTypes = []string{"config", "container", "image", "network", "node", "plugin", "secret", "service", "task", "volume"}

func (c *dockerCLI) newInspectCommand() *cobra.Command {
	var format, objectType string
	var size bool
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		Short: "Return low-level information on Docker objects",
		Args:  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("type") && objectType == "" {
				return fmt.Errorf(`type is empty: must be one of "%s"`, strings.Join(inspectTypes, `", "`))
			}
			known := false
			for _, t := range inspectTypes {
				known = known || t == objectType
			}
			if objectType != "" && !known {
				return fmt.Errorf(`unknown type: %q: must be one of "%s"`, objectType, strings.Join(inspectTypes, `", "`))
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			return c.inspect(args, format, c.inspectAll(cmd.Context(), api, size, objectType))
		},
	}
	flags := cmd.Flags()
	flags.StringVarP(&format, "format", "f", "", inspectFormatHelp)
	flags.StringVar(&objectType, "type", "", "Only inspect objects of the given type")
	flags.BoolVarP(&size, "size", "s", false, "Display total file sizes if the type is container")
	return cmd
}

// inspectAll looks a name up as each kind of object in docker's order:
// container, image, network, volume, then the swarm kinds and plugins.
func (c *dockerCLI) inspectAll(ctx context.Context, api *client.Client, size bool, typeConstraint string) getRefFunc {
	raw := func(path string) func(string) (any, []byte, error) {
		return func(ref string) (any, []byte, error) {
			var v map[string]any
			b, err := api.GetRaw(ctx, fmt.Sprintf(path, ref))
			if err != nil {
				return nil, nil, err
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				return nil, nil, err
			}
			return v, b, nil
		}
	}
	kinds := []struct {
		objectType string
		size       bool
		swarm      bool
		inspect    func(string) (any, []byte, error)
	}{
		{"container", true, false, func(ref string) (any, []byte, error) { return inspectContainer(ctx, api, ref, size) }},
		{"image", false, false, func(ref string) (any, []byte, error) { return inspectImage(ctx, api, ref) }},
		{"network", false, false, func(ref string) (any, []byte, error) { return inspectNetwork(ctx, api, ref, false) }},
		{"volume", false, false, func(ref string) (any, []byte, error) { return volumeView(ctx, api, ref) }},
		{"service", false, true, raw("/services/%s")},
		{"task", false, true, raw("/tasks/%s")},
		{"node", false, true, raw("/nodes/%s")},
		{"plugin", false, false, raw("/plugins/%s/json")},
		{"secret", false, true, raw("/secrets/%s")},
		{"config", false, true, raw("/configs/%s")},
	}
	isSwarmManager := func() bool {
		info, _, err := api.Info(ctx)
		if err != nil {
			fmt.Fprintln(c.err, err)
			return false
		}
		return info.Swarm.ControlAvailable
	}
	return func(ref string) (any, []byte, error) {
		swarmKnown, swarmOK := false, false // docker asks again for each name
		for _, k := range kinds {
			if typeConstraint != "" && k.objectType != typeConstraint {
				continue
			}
			if typeConstraint == "" && k.swarm {
				if !swarmKnown {
					swarmOK, swarmKnown = isSwarmManager(), true
				}
				if !swarmOK {
					continue
				}
			}
			v, raw, err := k.inspect(ref)
			if err != nil {
				if typeConstraint == "" && isErrSkippable(err) {
					continue
				}
				return v, raw, err
			}
			if size && !k.size {
				fmt.Fprintln(c.err, "WARNING: --size ignored for", k.objectType)
			}
			return v, raw, nil
		}
		return nil, nil, fmt.Errorf("Error: No such object: %s", ref)
	}
}

// isErrSkippable says inspect may try the next kind of object. A route the
// engine does not offer (501) counts as not found.
func isErrSkippable(err error) bool {
	var e *client.Error
	if errors.As(err, &e) && e.StatusCode == http.StatusNotImplemented {
		return true
	}
	return backend.IsNotFound(err) ||
		strings.Contains(err.Error(), "not supported") ||
		strings.Contains(err.Error(), "invalid reference format")
}
