package lesson

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/twinbox-dev/twinbox/shared/api/client"
)

// Inventory is what an engine holds, so that a lesson run on an engine the
// runner does not own (real Docker) can remove exactly what it created.
type Inventory struct {
	Containers map[string]bool // IDs
	Images     map[string]bool // IDs, intermediate images included
	Tags       map[string]bool // repo:tag
	Volumes    map[string]bool // names
	Networks   map[string]bool // IDs
}

// TakeInventory lists what the engine behind dial holds.
func TakeInventory(ctx context.Context, dial func(context.Context) (net.Conn, error)) (*Inventory, error) {
	c := client.New(dial)
	defer c.Close()
	inv := &Inventory{map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}}
	cs, err := c.ContainerList(ctx, client.ListOptions{All: true})
	if err != nil {
		return nil, err
	}
	for _, x := range cs {
		inv.Containers[x.ID] = true
	}
	imgs, err := c.ImageList(ctx, client.ImageListOptions{All: true})
	if err != nil {
		return nil, err
	}
	for _, x := range imgs {
		inv.Images[x.ID] = true
		for _, t := range x.RepoTags {
			if t != "<none>:<none>" {
				inv.Tags[t] = true
			}
		}
	}
	h := rawClient(dial)
	var vols struct{ Volumes []struct{ Name string } }
	if err := getJSON(ctx, h, "/volumes", &vols); err != nil {
		return nil, err
	}
	for _, v := range vols.Volumes {
		inv.Volumes[v.Name] = true
	}
	var nets []struct {
		ID string `json:"Id"`
	}
	if err := getJSON(ctx, h, "/networks", &nets); err != nil {
		return nil, err
	}
	for _, n := range nets {
		inv.Networks[n.ID] = true
	}
	return inv, nil
}

// RemoveAdded removes what the engine holds now and did not when inv was
// taken: containers (forcibly, with their anonymous volumes), then tags
// and images, volumes and networks. It leaves everything else alone.
func (inv *Inventory) RemoveAdded(ctx context.Context, dial func(context.Context) (net.Conn, error)) error {
	now, err := TakeInventory(ctx, dial)
	if err != nil {
		return err
	}
	c := client.New(dial)
	defer c.Close()
	var errs []error
	for id := range now.Containers {
		if !inv.Containers[id] {
			if err := c.ContainerRemove(ctx, id, client.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && notFound(err) != nil {
				errs = append(errs, err)
			}
		}
	}
	for tag := range now.Tags {
		if !inv.Tags[tag] {
			if _, err := c.ImageRemove(ctx, tag, client.ImageRemoveOptions{}); err != nil && notFound(err) != nil {
				errs = append(errs, err)
			}
		}
	}
	// Images left: untagged builds and intermediate images, children
	// before parents; each round removes the ones without children.
	for round := 0; round < 50; round++ {
		left, err := TakeInventory(ctx, dial)
		if err != nil {
			return err
		}
		removed, remaining := 0, 0
		for id := range left.Images {
			if inv.Images[id] {
				continue
			}
			remaining++
			if _, err := c.ImageRemove(ctx, id, client.ImageRemoveOptions{Force: true}); err == nil {
				removed++
			}
		}
		if remaining == 0 {
			break
		}
		if removed == 0 {
			errs = append(errs, fmt.Errorf("%d images the lesson made could not be removed", remaining))
			break
		}
	}
	h := rawClient(dial)
	for name := range now.Volumes {
		if !inv.Volumes[name] {
			if err := del(ctx, h, "/volumes/"+url.PathEscape(name)); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for id := range now.Networks {
		if !inv.Networks[id] {
			if err := del(ctx, h, "/networks/"+id); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// rawClient speaks HTTP to the engine, for the few calls shared/api/client
// does not make.
func rawClient(dial func(context.Context) (net.Conn, error)) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
	}}
}

const rawBase = "http://api.moby.localhost/v1.41"

func getJSON(ctx context.Context, h *http.Client, p string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawBase+p, nil)
	if err != nil {
		return err
	}
	resp, err := h.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", p, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func del(ctx context.Context, h *http.Client, p string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, rawBase+p, nil)
	if err != nil {
		return err
	}
	resp, err := h.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("DELETE %s: %s", p, resp.Status)
	}
	return nil
}
