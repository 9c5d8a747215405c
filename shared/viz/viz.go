// Package viz draws pictures of a Docker engine's state as SVG: an image's
// layer stack, a container's filesystem (the image's read-only layers under
// its read-write layer and that layer's diff), the containers with their
// states, the host's networks (bridges, veth pairs, addresses, published
// ports) and the containers' namespaces with their processes. The state is read through the Engine API, so the same pictures
// come from the simulator in the browser and from a real engine:
//
//	c := client.New(dial)
//	stack, err := viz.FetchImage(ctx, c, "busybox")
//	svg := viz.Layers(stack)
//
// Fetching (Fetch*) and drawing (Layers, Container, Containers, Network,
// Processes) are apart:
// the drawing functions are pure, so tests compare them with golden files.
package viz

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"sort"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/api/client"
)

// Layer is one row of an image's history, bottom (oldest) first.
type Layer struct {
	CreatedBy string // the instruction that made it
	Size      int64  // bytes the layer adds
	Empty     bool   // a metadata-only row (CMD, ENV, ...): no filesystem layer
	Digest    string // the layer's diff ID, "" for an empty row
}

// Image is an image's layer stack.
type Image struct {
	Ref    string // as asked for
	ID     string
	Size   int64
	Layers []Layer // bottom first
}

// Change is one line of a container's diff.
type Change struct {
	Kind string // "A", "C" or "D"
	Path string
}

// ContainerFS is a container's filesystem: its image's layers under its
// read-write layer.
type ContainerFS struct {
	Name    string
	ID      string
	State   string
	Image   Image
	Changes []Change
}

// ContainerState is one container in a list.
type ContainerState struct {
	Name   string
	ID     string
	Image  string
	State  string // created, running, paused, restarting, exited, dead
	Status string // as docker ps shows it
}

// FetchImage reads an image's layers (GET /images/{name}/json and
// /images/{name}/history).
func FetchImage(ctx context.Context, c *client.Client, ref string) (Image, error) {
	ins, _, err := c.ImageInspectWithRaw(ctx, ref)
	if err != nil {
		return Image{}, err
	}
	hist, err := c.ImageHistory(ctx, ref)
	if err != nil {
		return Image{}, err
	}
	img := Image{Ref: ref, ID: ins.ID, Size: ins.Size}
	var diffIDs []string
	if ins.RootFS.Type != "" {
		diffIDs = ins.RootFS.Layers
	}
	// History is newest first; a row adds a layer when it has a size or
	// when it is the first row (the base's ADD of an empty tree).
	nonEmpty := 0
	for _, h := range hist {
		if h.Size > 0 {
			nonEmpty++
		}
	}
	exact := nonEmpty == len(diffIDs)
	li := 0
	for i := len(hist) - 1; i >= 0; i-- {
		h := hist[i]
		l := Layer{CreatedBy: h.CreatedBy, Size: h.Size, Empty: h.Size == 0}
		if !l.Empty && exact && li < len(diffIDs) {
			l.Digest = diffIDs[li]
			li++
		}
		img.Layers = append(img.Layers, l)
	}
	return img, nil
}

// FetchContainer reads a container's filesystem: its image's layers and
// its diff (GET /containers/{name}/json, /containers/{name}/changes).
func FetchContainer(ctx context.Context, c *client.Client, name string) (ContainerFS, error) {
	ins, err := c.ContainerInspect(ctx, name)
	if err != nil {
		return ContainerFS{}, err
	}
	fs := ContainerFS{Name: strings.TrimPrefix(ins.Name, "/"), ID: ins.ID}
	if ins.State != nil {
		fs.State = string(ins.State.Status)
	}
	if fs.Image, err = FetchImage(ctx, c, ins.Image); err != nil {
		return ContainerFS{}, err
	}
	fs.Image.Ref = ins.Config.Image
	changes, err := c.ContainerDiff(ctx, name)
	if err != nil {
		return ContainerFS{}, err
	}
	for _, ch := range changes {
		fs.Changes = append(fs.Changes, Change{Kind: kindLetter(ch.Kind), Path: ch.Path})
	}
	return fs, nil
}

func kindLetter(k container.ChangeType) string {
	switch k {
	case container.ChangeAdd:
		return "A"
	case container.ChangeDelete:
		return "D"
	}
	return "C"
}

// FetchContainers reads every container (GET /containers/json?all=1),
// newest first as docker ps -a lists them.
func FetchContainers(ctx context.Context, c *client.Client) ([]ContainerState, error) {
	list, err := c.ContainerList(ctx, client.ListOptions{All: true})
	if err != nil {
		return nil, err
	}
	out := make([]ContainerState, 0, len(list))
	for _, s := range list {
		name := ""
		if len(s.Names) > 0 {
			name = strings.TrimPrefix(s.Names[0], "/")
		}
		out = append(out, ContainerState{Name: name, ID: s.ID, Image: s.Image, State: string(s.State), Status: s.Status})
	}
	return out, nil
}

// Layout constants, in SVG user units.
const (
	width    = 560
	rowH     = 34
	gap      = 6
	margin   = 12
	maxDiffs = 12 // diff lines drawn; the rest are counted
)

// svg builds a picture.
type svg struct {
	b   bytes.Buffer
	h   int
	css string // rules a picture adds to style
}

func (s *svg) rect(x, y, w, h int, class string) {
	fmt.Fprintf(&s.b, "<rect class=%q x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\"/>\n", class, x, y, w, h)
}

func (s *svg) text(x, y int, class, anchor, t string) {
	s.b.WriteString("<text")
	if class != "" {
		fmt.Fprintf(&s.b, " class=%q", class)
	}
	fmt.Fprintf(&s.b, " x=\"%d\" y=\"%d\" text-anchor=%q>%s</text>\n", x, y, anchor, html.EscapeString(t))
}

// line draws a straight line; its stroke comes from class.
func (s *svg) line(x1, y1, x2, y2 int, class string) {
	fmt.Fprintf(&s.b, "<line class=%q x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", class, x1, y1, x2, y2)
}

func (s *svg) done(title string) []byte {
	var out bytes.Buffer
	fmt.Fprintf(&out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"viz\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">\n", width, s.h, width, s.h, html.EscapeString(title))
	fmt.Fprintf(&out, "<title>%s</title>\n", html.EscapeString(title))
	if s.css == "" {
		out.WriteString(style)
	} else {
		out.WriteString(strings.TrimSuffix(style, "</style>\n") + s.css + "</style>\n")
	}
	out.Write(s.b.Bytes())
	out.WriteString("</svg>\n")
	return out.Bytes()
}

// style is the pictures' stylesheet, inside each picture so a saved file
// looks the same.
const style = `<style>
text{font:12px ui-monospace,Menlo,Consolas,monospace;fill:#1b1f24}
.title{font-weight:bold;font-size:13px}
.ro{fill:#dbe9f7;stroke:#5b8bc0}
.empty{fill:#f3f4f6;stroke:#c4c8cf;stroke-dasharray:4 3}
.rw{fill:#fff3d6;stroke:#d49a1f}
.dim{fill:#6a737d}
.A{fill:#1a7f37}.C{fill:#9a6700}.D{fill:#cf222e}
.s-running{fill:#dafbe1;stroke:#1a7f37}
.s-exited,.s-dead{fill:#f3f4f6;stroke:#6a737d}
.s-created{fill:#ddf4ff;stroke:#0969da}
.s-paused,.s-restarting{fill:#fff8c5;stroke:#9a6700}
</style>
`

// clip shortens t to n runes with an ellipsis.
func clip(t string, n int) string {
	r := []rune(t)
	if len(r) <= n {
		return t
	}
	return string(r[:n-1]) + "…"
}

// instruction is a history row's CreatedBy as docker history shows it:
// "/bin/sh -c #(nop) " dropped.
func instruction(createdBy string) string {
	s := strings.TrimSpace(createdBy)
	s = strings.TrimPrefix(s, "/bin/sh -c #(nop) ")
	s = strings.TrimSpace(s)
	return s
}

func size(n int64) string { return units.HumanSizeWithPrecision(float64(n), 3) }

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

// stack draws an image's layers from y down, top (newest) first, and
// returns the y below them.
func (s *svg) stack(img Image, y int) int {
	for i := len(img.Layers) - 1; i >= 0; i-- {
		l := img.Layers[i]
		class, right := "ro", size(l.Size)
		if l.Empty {
			class, right = "empty", "no layer"
		}
		s.rect(margin, y, width-2*margin, rowH, class)
		s.text(margin+10, y+21, "", "start", clip(instruction(l.CreatedBy), 52))
		label := right
		if l.Digest != "" {
			label = shortID(l.Digest) + "  " + right
		}
		s.text(width-margin-10, y+21, "dim", "end", label)
		y += rowH + gap
	}
	return y
}

// Layers draws an image's layer stack, newest on top: one box per history
// row with its instruction and size; rows that add no layer are dashed.
func Layers(img Image) []byte {
	s := &svg{}
	y := margin + 14
	s.text(margin, y, "title", "start", fmt.Sprintf("image %s  %s  %s", img.Ref, shortID(img.ID), size(img.Size)))
	y = s.stack(img, y+10)
	s.text(margin, y+12, "dim", "start", plural(countLayers(img), "layer")+", read-only, shared by every container of this image")
	s.h = y + 12 + margin
	return s.done("Layers of image " + img.Ref)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func countLayers(img Image) int {
	n := 0
	for _, l := range img.Layers {
		if !l.Empty {
			n++
		}
	}
	return n
}

// Container draws a container's filesystem: its read-write layer with the
// diff's A/C/D lines on top of its image's read-only layers.
func Container(fs ContainerFS) []byte {
	s := &svg{}
	y := margin + 14
	s.text(margin, y, "title", "start", fmt.Sprintf("container %s  %s  (%s)", fs.Name, shortID(fs.ID), fs.State))
	y += 10
	shown := fs.Changes
	if len(shown) > maxDiffs {
		shown = shown[:maxDiffs]
	}
	rwH := rowH + 16*len(shown)
	if len(fs.Changes) > len(shown) {
		rwH += 16
	}
	s.rect(margin, y, width-2*margin, rwH, "rw")
	s.text(margin+10, y+21, "", "start", "read-write layer (docker diff)")
	s.text(width-margin-10, y+21, "dim", "end", changesSummary(fs.Changes))
	ly := y + rowH + 4
	for _, c := range shown {
		s.text(margin+24, ly, c.Kind, "start", c.Kind+" "+clip(c.Path, 60))
		ly += 16
	}
	if n := len(fs.Changes) - len(shown); n > 0 {
		s.text(margin+24, ly, "dim", "start", fmt.Sprintf("… and %d more", n))
	}
	y += rwH + gap
	s.text(margin, y+14, "dim", "start", fmt.Sprintf("image %s (read-only)", fs.Image.Ref))
	y = s.stack(fs.Image, y+22)
	s.h = y + margin
	return s.done("Filesystem of container " + fs.Name)
}

func changesSummary(cs []Change) string {
	if len(cs) == 0 {
		return "no changes"
	}
	n := map[string]int{}
	for _, c := range cs {
		n[c.Kind]++
	}
	var parts []string
	for _, k := range []string{"A", "C", "D"} {
		if n[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[k], k))
		}
	}
	return strings.Join(parts, ", ")
}

// Containers draws every container as a box coloured by its state, with
// its name, image and status.
func Containers(list []ContainerState) []byte {
	s := &svg{}
	y := margin + 14
	s.text(margin, y, "title", "start", plural(len(list), "container"))
	y += 10
	if len(list) == 0 {
		s.text(margin, y+20, "dim", "start", "none yet: docker run creates one")
		y += 30
	}
	counts := map[string]int{}
	for _, c := range list {
		counts[c.State]++
		s.rect(margin, y, width-2*margin, rowH, "s-"+c.State)
		s.text(margin+10, y+21, "", "start", clip(c.Name, 24)+"  "+shortID(c.ID))
		s.text(width/2+20, y+21, "dim", "start", clip(c.Image, 16))
		s.text(width-margin-10, y+21, "", "end", clip(c.Status, 26))
		y += rowH + gap
	}
	states := make([]string, 0, len(counts))
	for st := range counts {
		states = append(states, st)
	}
	sort.Strings(states)
	var parts []string
	for _, st := range states {
		parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
	}
	if len(parts) > 0 {
		s.text(margin, y+12, "dim", "start", strings.Join(parts, ", "))
		y += 18
	}
	s.h = y + margin
	return s.done("Containers")
}

// Lifecycle draws the container state machine — created, running, paused,
// exited — with the commands that move a container between the states,
// and in each state the containers that are in it now.
func Lifecycle(list []ContainerState) []byte {
	s := &svg{}
	type box struct{ x, y int }
	const bw, bh = 124, 96
	boxes := map[string]box{"created": {margin, 76}, "running": {218, 76}, "exited": {width - margin - bw, 76}, "paused": {218, 262}}
	s.b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/></marker></defs>` + "\n")
	s.text(margin, margin+14, "title", "start", "The life of a container")
	arrow := func(x1, y1, x2, y2 int, label string, lx, ly int) {
		fmt.Fprintf(&s.b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#57606a\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>\n", x1, y1, x2, y2)
		s.text(lx, ly, "dim", "middle", label)
	}
	c, r, e, p := boxes["created"], boxes["running"], boxes["exited"], boxes["paused"]
	arrow(c.x+bw, r.y+30, r.x, r.y+30, "start", (c.x+bw+r.x)/2, r.y+24)
	arrow(r.x+bw, r.y+30, e.x, e.y+30, "stop, kill", (r.x+bw+e.x)/2, r.y+24)
	arrow(e.x, e.y+64, r.x+bw, r.y+64, "start", (r.x+bw+e.x)/2, r.y+80)
	arrow(r.x+50, r.y+bh, p.x+50, p.y, "pause", r.x+24, (r.y+bh+p.y)/2)
	arrow(p.x+100, p.y, r.x+100, r.y+bh, "unpause", r.x+136, (r.y+bh+p.y)/2)
	arrow(c.x+bw/2, c.y-22, c.x+bw/2, c.y, "", 0, 0)
	s.text(c.x, c.y-28, "dim", "start", "create (run = create + start)")
	arrow(e.x+bw/2, e.y+bh, e.x+bw/2, e.y+bh+40, "", 0, 0)
	s.text(e.x+bw, e.y+bh+56, "dim", "end", "rm: gone, with its layer")
	in := map[string][]string{}
	for _, ct := range list {
		st := ct.State
		switch st {
		case "dead":
			st = "exited"
		case "restarting":
			st = "running"
		}
		in[st] = append(in[st], ct.Name)
	}
	for _, st := range []string{"created", "running", "exited", "paused"} {
		b := boxes[st]
		s.rect(b.x, b.y, bw, bh, "s-"+st)
		s.text(b.x+bw/2, b.y+20, "title", "middle", st)
		names := in[st]
		for i, n := range names {
			if i == 3 && len(names) > 4 {
				s.text(b.x+bw/2, b.y+38+16*i, "dim", "middle", fmt.Sprintf("and %d more", len(names)-3))
				break
			}
			s.text(b.x+bw/2, b.y+38+16*i, "", "middle", clip(n, 18))
		}
	}
	s.h = p.y + bh + margin
	return s.done("The life of a container")
}
