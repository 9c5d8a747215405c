// Package markdown reads lesson files (see lessons/README.md) with
// goldmark: the front matter, then the Markdown, whose console blocks are
// steps, file= blocks are files to write, check blocks are checks of the step
// before, and viz: images are pictures of the engine's state.
//
//	doc, err := markdown.Parse("lessons/01-first-container.md", src)
//	doc.Lesson             // a *lesson.Lesson, for lesson.Runner
//	doc.Root               // goldmark's AST of doc.Body, for rendering the prose
//	doc.Step(node)         // the step a fenced code block is, or nil
//
// A web app renders doc.Body with the goldmark.Markdown it parsed with
// (ParseWith) and, in its renderer, replaces the nodes that are steps with
// Run buttons.
//
// It is kept apart from package lesson so that the browser build, which
// runs lessons but does not read Markdown, does not carry goldmark.
package markdown

import (
	"bytes"
	"os"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"

	"github.com/twinbox-dev/twinbox/shared/lesson"
)

// Document is a lesson file read with goldmark.
type Document struct {
	Lesson *lesson.Lesson
	Source []byte   // the whole file
	Body   []byte   // the Markdown after the front matter; Root's segments index it
	Line   int      // the line of the file Body starts at
	Root   ast.Node // the AST of Body

	steps    map[ast.Node]*lesson.Step
	checks   map[ast.Node][]*lesson.Check
	pictures map[ast.Node]*lesson.Picture
}

// Step returns the step a fenced code block is, or nil.
func (d *Document) Step(n ast.Node) *lesson.Step { return d.steps[n] }

// Checks returns the checks of a check block, or nil.
func (d *Document) Checks(n ast.Node) []*lesson.Check { return d.checks[n] }

// Picture returns the picture a viz: image is, or nil.
func (d *Document) Picture(n ast.Node) *lesson.Picture { return d.pictures[n] }

// ReadFile reads and parses the lesson in file.
func ReadFile(file string) (*lesson.Lesson, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	doc, err := Parse(file, src)
	if err != nil {
		return nil, err
	}
	return doc.Lesson, nil
}

// Parse reads a lesson file with goldmark's CommonMark parser. name is
// the file's name in messages. The error is a lesson.ErrorList of every
// problem found, each at its line.
func Parse(name string, src []byte) (*Document, error) {
	return ParseWith(goldmark.New(), name, src)
}

// ParseWith reads a lesson file with md's parser (with its extensions).
func ParseWith(md goldmark.Markdown, name string, src []byte) (*Document, error) {
	meta, body, bodyLine, err := lesson.SplitFrontMatter(name, src)
	if err != nil {
		return nil, err
	}
	d := &Document{
		Lesson:   &lesson.Lesson{File: name, Meta: meta},
		Source:   src,
		Body:     body,
		Line:     bodyLine,
		Root:     md.Parser().Parse(text.NewReader(body)),
		steps:    map[ast.Node]*lesson.Step{},
		checks:   map[ast.Node][]*lesson.Check{},
		pictures: map[ast.Node]*lesson.Picture{},
	}
	w := &walker{d: d, name: name, lines: lineStarts(body)}
	ast.Walk(d.Root, w.visit)
	return d, w.errs.Err()
}

// walker collects a document's steps, checks and pictures in order.
type walker struct {
	d       *Document
	name    string
	lines   []int // offsets in Body where lines start
	section string
	errs    lesson.ErrorList
}

func (w *walker) visit(n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	switch n := n.(type) {
	case *ast.Heading:
		w.section = plainText(n, w.d.Body)
	case *ast.FencedCodeBlock:
		w.fence(n)
		return ast.WalkSkipChildren, nil
	case *ast.Image:
		if dest := string(n.Destination); strings.HasPrefix(dest, "viz:") {
			w.picture(n, dest)
		}
	}
	return ast.WalkContinue, nil
}

func (w *walker) fence(n *ast.FencedCodeBlock) {
	body := w.d.Body
	open := w.openingLine(n)
	if open >= 0 && !w.closed(n, open) {
		w.errs.Add(w.name, w.line(w.lines[open]), "code block never closed: no closing fence after it")
		return
	}
	var info string
	if n.Info != nil {
		info = string(n.Info.Segment.Value(body))
	}
	var content bytes.Buffer
	for i := 0; i < n.Lines().Len(); i++ {
		seg := n.Lines().At(i)
		content.Write(seg.Value(body))
	}
	line := 0
	if open >= 0 {
		line = w.line(w.lines[open])
	}
	lang, _, _ := strings.Cut(strings.TrimSpace(info), " ")
	if lang == lesson.LangCheck {
		w.checkBlock(n, line, strings.TrimSpace(info), content.String())
		return
	}
	st, err := lesson.ParseFence(w.name, line, info, content.String())
	if err != nil {
		w.errs = append(w.errs, err.(lesson.ErrorList)...)
	}
	if st == nil {
		return
	}
	l := w.d.Lesson
	st.N = len(l.Steps) + 1
	st.Section = w.section
	l.Steps = append(l.Steps, st)
	w.d.steps[n] = st
}

func (w *walker) checkBlock(n *ast.FencedCodeBlock, line int, info, content string) {
	if info != lesson.LangCheck {
		w.errs.Add(w.name, line, "a check block takes no attributes, got %q", info)
		return
	}
	checks, err := lesson.ParseChecks(w.name, line+1, content)
	if err != nil {
		w.errs = append(w.errs, err.(lesson.ErrorList)...)
	}
	steps := w.d.Lesson.Steps
	if len(steps) == 0 {
		w.errs.Add(w.name, line, "check block before any step: checks follow the console or file= block they check")
		return
	}
	if len(checks) == 0 && err == nil {
		w.errs.Add(w.name, line, "empty check block")
		return
	}
	st := steps[len(steps)-1]
	st.Checks = append(st.Checks, checks...)
	w.d.checks[n] = checks
}

func (w *walker) picture(n *ast.Image, dest string) {
	line := 0
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Type() == ast.TypeBlock && p.Lines().Len() > 0 {
			line = w.line(p.Lines().At(0).Start)
			break
		}
	}
	kind, params, err := lesson.ParsePicture(dest)
	if err != nil {
		w.errs.Add(w.name, line, "%v", err)
		return
	}
	p := &lesson.Picture{Line: line, Kind: kind, Params: params, Alt: plainText(n, w.d.Body), After: len(w.d.Lesson.Steps)}
	w.d.Lesson.Pictures = append(w.d.Lesson.Pictures, p)
	w.d.pictures[n] = p
}

// openingLine finds the index (in w.lines) of a fenced block's opening
// fence, or -1 when it cannot be told (an empty block without info).
func (w *walker) openingLine(n *ast.FencedCodeBlock) int {
	if n.Info != nil {
		return w.index(n.Info.Segment.Start)
	}
	if n.Lines().Len() > 0 {
		return w.index(n.Lines().At(0).Start) - 1
	}
	return -1
}

// closed reports whether a closing fence follows the block.
func (w *walker) closed(n *ast.FencedCodeBlock, open int) bool {
	body := w.d.Body
	openText := strings.TrimLeft(string(lineAt(body, w.lines, open)), " ")
	fc := openText[0]
	width := len(openText) - len(strings.TrimLeft(openText, string(fc)))
	next := open + 1
	if k := n.Lines().Len(); k > 0 {
		next = w.index(n.Lines().At(k-1).Start) + 1
	}
	if next >= len(w.lines) {
		return false
	}
	s := strings.TrimRight(string(lineAt(body, w.lines, next)), " \t\r")
	trimmed := strings.TrimLeft(s, " ")
	if len(s)-len(trimmed) > 3 {
		return false
	}
	return len(trimmed) >= width && strings.Trim(trimmed, string(fc)) == ""
}

// index is the index of the line holding offset off.
func (w *walker) index(off int) int {
	lo, hi := 0, len(w.lines)
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if w.lines[mid] <= off {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// line is the file's line number of offset off in Body.
func (w *walker) line(off int) int { return w.d.Line + w.index(off) }

func lineStarts(b []byte) []int {
	starts := []int{0}
	for i, c := range b {
		if c == '\n' && i+1 < len(b) {
			starts = append(starts, i+1)
		}
	}
	return starts
}

func lineAt(b []byte, starts []int, i int) []byte {
	end := len(b)
	if i+1 < len(starts) {
		end = starts[i+1]
	}
	return bytes.TrimSuffix(b[starts[i]:end], []byte("\n"))
}

// plainText is the text of an inline container, without its markup.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := c.(type) {
		case *ast.Text:
			b.Write(t.Value(src))
			if t.SoftLineBreak() || t.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(t.Value)
		case *ast.CodeSpan:
			for cc := t.FirstChild(); cc != nil; cc = cc.NextSibling() {
				if tt, ok := cc.(*ast.Text); ok {
					b.Write(tt.Value(src))
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(b.String())
}
