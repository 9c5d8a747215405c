package site

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"

	"github.com/twinbox-dev/twinbox/shared/lesson"
	"github.com/twinbox-dev/twinbox/shared/lesson/markdown"
)

// page is one rendered lesson.
type page struct {
	Slug    string // "01-first-container"
	Title   string
	Summary string
	Body    template.HTML
	Steps   int
}

// readLessons reads and renders every NN-slug.md in fsys, in name order. A
// file that is not a lesson (lessons/README.md explains the format) gets a
// page that shows its errors.
func readLessons(fsys fs.FS) ([]*page, error) {
	names, err := fs.Glob(fsys, "*.md")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var pages []*page
	for _, name := range names {
		if name == "README.md" {
			continue
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		p, err := renderLesson(name, src)
		if err != nil {
			// A lesson being written: its page shows what is wrong, and
			// the others are served.
			p = &page{
				Slug:  strings.TrimSuffix(path.Base(name), ".md"),
				Title: name + " (cannot be read)",
				Body:  template.HTML("<h1>This lesson cannot be read</h1>\n<pre class=\"code error\">" + html.EscapeString(err.Error()) + "</pre>\n"),
			}
		}
		pages = append(pages, p)
	}
	return pages, nil
}

// renderLesson renders one lesson file to HTML: prose as Markdown, steps
// with Run buttons (see stepRenderer).
func renderLesson(name string, src []byte) (*page, error) {
	sr := &stepRenderer{}
	md := goldmark.New(goldmark.WithExtensions(sr))
	doc, err := markdown.ParseWith(md, "lessons/"+name, src)
	if err != nil {
		return nil, err
	}
	sr.doc = doc
	var body bytes.Buffer
	if err := md.Renderer().Render(&body, doc.Body, doc.Root); err != nil {
		return nil, fmt.Errorf("lessons/%s: %w", name, err)
	}
	return &page{
		Slug:    strings.TrimSuffix(path.Base(name), ".md"),
		Title:   doc.Lesson.Meta.Title,
		Summary: doc.Lesson.Meta.Summary,
		Body:    template.HTML(body.String()),
		Steps:   len(doc.Lesson.Steps),
	}, nil
}

// stepRenderer is the goldmark extension that draws a lesson's steps: a
// console block becomes a step with a Run button that types its commands
// into the terminal, a file= block a step with a "Create file" button, a
// check block the list of what is checked, and a viz: image a picture the
// page draws from the simulator's state.
type stepRenderer struct {
	doc *markdown.Document // set after parsing, before rendering
}

// Extend registers the renderer ahead of goldmark's HTML renderer.
func (r *stepRenderer) Extend(m goldmark.Markdown) {
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(r, 100)))
}

// RegisterFuncs implements renderer.NodeRenderer.
func (r *stepRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, r.fence)
	reg.Register(ast.KindImage, r.image)
}

// typed is what a Run button types: each command's text with Enter, and
// what is typed into it once the screen shows what comes before.
type typed struct {
	Script string       `json:"script"`
	Inputs []typedInput `json:"inputs,omitempty"`
}

type typedInput struct {
	After string `json:"after"` // the screen's line shows this first
	Send  string `json:"send"`
}

func (r *stepRenderer) fence(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	fb := n.(*ast.FencedCodeBlock)
	var content bytes.Buffer
	for i := 0; i < fb.Lines().Len(); i++ {
		seg := fb.Lines().At(i)
		content.Write(seg.Value(src))
	}
	if checks := r.doc.Checks(n); checks != nil {
		w.WriteString(`<ul class="checks" title="What the lesson checks">`)
		for _, c := range checks {
			fmt.Fprintf(w, "<li>%s</li>", html.EscapeString(c.Text))
		}
		w.WriteString("</ul>\n")
		return ast.WalkSkipChildren, nil
	}
	st := r.doc.Step(n)
	if st == nil {
		lang := ""
		if l := fb.Language(src); l != nil {
			lang = string(l)
		}
		fmt.Fprintf(w, "<pre class=\"code\" data-lang=\"%s\"><code>%s</code></pre>\n", html.EscapeString(lang), html.EscapeString(content.String()))
		return ast.WalkSkipChildren, nil
	}
	var run []typed
	label := "Run"
	if st.File != nil {
		label = "Create file"
		run = []typed{{Script: fileScript(st.File)}}
	}
	for _, c := range st.Commands {
		t := typed{Script: strings.ReplaceAll(c.Script, "\n", "\r") + "\r"}
		for _, in := range c.Inputs {
			before := c.Want[:in.At]
			if i := strings.LastIndexByte(before, '\n'); i >= 0 {
				before = before[i+1:]
			}
			t.Inputs = append(t.Inputs, typedInput{After: before, Send: string(in.Send)})
		}
		run = append(run, t)
	}
	data, err := json.Marshal(run)
	if err != nil {
		return ast.WalkStop, err
	}
	fmt.Fprintf(w, "<div class=\"step\" id=\"step-%d\" data-step=\"%d\" data-run=\"%s\">\n", st.N, st.N, html.EscapeString(string(data)))
	fmt.Fprintf(w, "<div class=\"step-head\"><span class=\"step-n\">Step %d</span>", st.N)
	if st.File != nil {
		fmt.Fprintf(w, " <code class=\"file\">%s</code>", html.EscapeString(st.File.Path))
	}
	if simulated := len(st.Engines) == 0 || contains(st.Engines, lesson.EngineSim); simulated {
		fmt.Fprintf(w, "<button class=\"run\" type=\"button\">%s</button></div>\n", label)
	} else {
		// The simulator cannot do this step: no button to run it here.
		w.WriteString("<span class=\"elsewhere\">not in the browser</span></div>\n")
	}
	w.WriteString("<pre class=\"console\"><code>")
	if st.File != nil {
		w.WriteString(html.EscapeString(content.String()))
	} else {
		for _, line := range strings.SplitAfter(content.String(), "\n") {
			w.WriteString(consoleLine(line))
		}
	}
	w.WriteString("</code></pre>\n")
	if st.Differs != "" {
		fmt.Fprintf(w, "<p class=\"note differs\">Real Docker differs here: %s</p>\n", html.EscapeString(st.Differs))
	}
	switch {
	case len(st.Engines) > 0 && !contains(st.Engines, lesson.EngineSim):
		fmt.Fprintf(w, "<p class=\"note\">Only on %s: %s</p>\n", html.EscapeString(strings.Join(st.Engines, ", ")), html.EscapeString(st.Reason))
	case st.Reason != "":
		fmt.Fprintf(w, "<p class=\"note\">%s</p>\n", html.EscapeString(st.Reason))
	}
	w.WriteString("</div>\n")
	return ast.WalkSkipChildren, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// consoleLine draws one line of a console block: commands stand out, and
// what a learner types ([[...]]) is shown as typed keys.
func consoleLine(line string) string {
	if strings.HasPrefix(line, "$ ") || strings.HasPrefix(line, "> ") {
		return "<span class=\"prompt\">" + line[:2] + "</span><span class=\"cmd\">" + html.EscapeString(strings.TrimSuffix(line[2:], "\n")) + "</span>" + line[len(strings.TrimSuffix(line, "\n")):]
	}
	var b strings.Builder
	for {
		i := strings.Index(line, "[[")
		if i < 0 || i > 0 && line[i-1] == '\\' {
			break
		}
		j := strings.Index(line[i:], "]]")
		if j < 0 {
			break
		}
		b.WriteString(html.EscapeString(line[:i]))
		b.WriteString("<kbd>" + html.EscapeString(line[i+2:i+j]) + "</kbd>")
		line = line[i+j+2:]
	}
	b.WriteString(html.EscapeString(strings.ReplaceAll(line, `\[[`, "[[")))
	return b.String()
}

// fileScript is the host-shell command line that writes f: printf of its
// lines, each single-quoted. (One line, so nothing depends on how the
// shell reads a here-document typed at its prompt.)
func fileScript(f *lesson.File) string {
	var b strings.Builder
	if dir := path.Dir(f.Path); dir != "." {
		fmt.Fprintf(&b, "mkdir -p %s && ", shellQuote(dir))
	}
	// A fenced block's content is whole lines, each ending in a newline.
	if f.Content == "" {
		fmt.Fprintf(&b, ": > %s", shellQuote(f.Path))
	} else {
		b.WriteString(`printf '%s\n'`)
		for _, l := range strings.Split(strings.TrimSuffix(f.Content, "\n"), "\n") {
			b.WriteString(" " + shellQuote(l))
		}
		fmt.Fprintf(&b, " > %s", shellQuote(f.Path))
	}
	if f.Mode != 0 {
		fmt.Fprintf(&b, " && chmod %o %s", f.Mode, shellQuote(f.Path))
	}
	b.WriteString("\r")
	return b.String()
}

// shellQuote quotes s for sh: in single quotes, each quote inside closing
// them, escaped, and opening them again.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (r *stepRenderer) image(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	img := n.(*ast.Image)
	p := r.doc.Picture(n)
	if p == nil {
		// An ordinary image: only relative or https addresses.
		dest := string(img.Destination)
		if !strings.HasPrefix(dest, "https://") && strings.Contains(dest, ":") {
			dest = ""
		}
		fmt.Fprintf(w, "<img src=\"%s\" alt=\"%s\">", html.EscapeString(dest), html.EscapeString(altText(img, src)))
		return ast.WalkSkipChildren, nil
	}
	arg := p.Params.Get("image")
	if arg == "" {
		arg = p.Params.Get("name")
	}
	fmt.Fprintf(w, "<figure class=\"viz\" data-kind=\"%s\" data-arg=\"%s\"><div class=\"viz-body\"></div><figcaption>%s <button class=\"draw\" type=\"button\">Redraw</button></figcaption></figure>",
		html.EscapeString(p.Kind), html.EscapeString(arg), html.EscapeString(p.Alt))
	return ast.WalkSkipChildren, nil
}

func altText(n ast.Node, src []byte) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if t, ok := c.(*ast.Text); ok {
			b.Write(t.Segment.Value(src))
		}
	}
	return b.String()
}
