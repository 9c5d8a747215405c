package lesson

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteReport writes a readable report of a lesson's run: one line per
// step, and for each step that did not pass, what went wrong with a diff of
// the expected and the actual output (normalised: "-" expected, "+" got).
// With verbose, every command's output is shown.
func WriteReport(w io.Writer, r *Result, verbose bool) {
	fmt.Fprintf(w, "%s (%s): %s\n", r.Lesson.File, r.Engine, r.Lesson.Meta.Title)
	if r.Skipped != "" {
		fmt.Fprintf(w, "  skipped: %s\n", r.Skipped)
		return
	}
	for _, s := range r.Steps {
		fmt.Fprintf(w, "  %-7s %2d  %s\n", statusWord(s.Status), s.Step.N, stepLabel(s.Step))
		if s.Note != "" {
			fmt.Fprintf(w, "%s%s\n", indent(12), s.Note)
		}
		if s.Status == Passed && !verbose || s.Status == Skipped {
			continue
		}
		for _, c := range s.Commands {
			writeCommand(w, c, verbose || !c.Matched)
		}
		for _, c := range s.Checks {
			if c.Err != nil {
				fmt.Fprintf(w, "%scheck failed (line %d): %s: %v\n", indent(12), c.Check.Line, c.Check.Text, c.Err)
			} else if verbose {
				fmt.Fprintf(w, "%scheck ok: %s\n", indent(12), c.Check.Text)
			}
		}
	}
	if r.Err != nil {
		fmt.Fprintf(w, "  error: %v\n", r.Err)
	}
	fmt.Fprintf(w, "  %s\n", Summary(r))
}

// Summary is one line about a lesson's run: "12 steps: 11 passed, 1 failed (3.2s)".
func Summary(r *Result) string {
	if r.Skipped != "" {
		return "skipped: " + r.Skipped
	}
	var parts []string
	for _, st := range []Status{Passed, Failed, TimedOut, Differed, Skipped} {
		if n := r.Count(st); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, statusPast[st]))
		}
	}
	verdict := "PASS"
	if !r.Passed() {
		verdict = "FAIL"
	}
	return fmt.Sprintf("%s: %d steps: %s (%s)", verdict, len(r.Steps), strings.Join(parts, ", "), r.Duration.Round(10*time.Millisecond))
}

var statusPast = map[Status]string{Passed: "passed", Failed: "failed", TimedOut: "timed out", Differed: "differ from Docker", Skipped: "skipped"}

func statusWord(s Status) string {
	switch s {
	case Passed:
		return "ok"
	case Failed:
		return "FAIL"
	case TimedOut:
		return "TIMEOUT"
	case Differed:
		return "differs"
	}
	return string(s)
}

// stepLabel names a step in one line: its first command, or its file.
func stepLabel(s *Step) string {
	if s.File != nil {
		return "file " + s.File.Path
	}
	if len(s.Commands) == 0 {
		return ""
	}
	label := "$ " + firstLine(s.Commands[0].Script)
	if n := len(s.Commands); n > 1 {
		label += fmt.Sprintf("  (+%d more)", n-1)
	}
	return label
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

func indent(n int) string { return strings.Repeat(" ", n) }

func writeCommand(w io.Writer, c *CommandResult, full bool) {
	pad := indent(12)
	if c.Command == nil {
		fmt.Fprintf(w, "%swriting the file: exit %d %s%s\n", pad, c.Exit, c.Err, c.Output)
		return
	}
	fmt.Fprintf(w, "%s$ %s   (line %d, exit %d)\n", pad, strings.ReplaceAll(c.Script, "\n", "\n"+pad+"> "), c.Command.Line, c.Exit)
	if c.Err != "" {
		fmt.Fprintf(w, "%s! %s\n", pad, c.Err)
	}
	if !full {
		return
	}
	want, got := Canonical(c.Command.Want), Canonical(c.Output)
	if c.Matched {
		for _, l := range got {
			fmt.Fprintf(w, "%s  %s\n", pad, l)
		}
		return
	}
	for _, d := range Diff(want, got, MatchLine) {
		switch d.Op {
		case Same:
			fmt.Fprintf(w, "%s  %s\n", pad, d.Right)
		case Removed:
			fmt.Fprintf(w, "%s- %s\n", pad, d.Left)
		case Added:
			fmt.Fprintf(w, "%s+ %s\n", pad, d.Right)
		}
	}
}

// jsonResult is a Result as JSON.
type jsonResult struct {
	File       string      `json:"file"`
	Title      string      `json:"title"`
	Engine     string      `json:"engine"`
	Passed     bool        `json:"passed"`
	Skipped    string      `json:"skipped,omitempty"`
	Error      string      `json:"error,omitempty"`
	DurationMS int64       `json:"durationMs"`
	Steps      []*jsonStep `json:"steps"`
}

type jsonStep struct {
	N        int            `json:"n"`
	Line     int            `json:"line"`
	Section  string         `json:"section,omitempty"`
	Status   Status         `json:"status"`
	Note     string         `json:"note,omitempty"`
	Commands []*jsonCommand `json:"commands,omitempty"`
	Checks   []*jsonCheck   `json:"checks,omitempty"`
}

type jsonCommand struct {
	Line    int      `json:"line,omitempty"`
	Script  string   `json:"script"`
	Exit    int      `json:"exit"`
	Error   string   `json:"error,omitempty"`
	Matched bool     `json:"matched"`
	Want    []string `json:"want"`
	Got     []string `json:"got"`
}

type jsonCheck struct {
	Line  int    `json:"line"`
	Check string `json:"check"`
	Error string `json:"error,omitempty"`
}

// MarshalJSON writes the result with the outputs in canonical form.
func (r *Result) MarshalJSON() ([]byte, error) {
	j := &jsonResult{File: r.Lesson.File, Title: r.Lesson.Meta.Title, Engine: r.Engine, Passed: r.Passed(), Skipped: r.Skipped, DurationMS: r.Duration.Milliseconds(), Steps: []*jsonStep{}}
	if r.Err != nil {
		j.Error = r.Err.Error()
	}
	for _, s := range r.Steps {
		js := &jsonStep{N: s.Step.N, Line: s.Step.Line, Section: s.Step.Section, Status: s.Status, Note: s.Note}
		for _, c := range s.Commands {
			jc := &jsonCommand{Script: c.Script, Exit: c.Exit, Error: c.Err, Matched: c.Matched, Want: []string{}, Got: nonNil(Canonical(c.Output))}
			if c.Command != nil {
				jc.Line = c.Command.Line
				jc.Want = nonNil(Canonical(c.Command.Want))
			}
			js.Commands = append(js.Commands, jc)
		}
		for _, c := range s.Checks {
			jc := &jsonCheck{Line: c.Check.Line, Check: c.Check.Text}
			if c.Err != nil {
				jc.Error = c.Err.Error()
			}
			js.Checks = append(js.Checks, jc)
		}
		j.Steps = append(j.Steps, js)
	}
	return json.Marshal(j)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
