package lesson

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Comparison puts two runs of the same lesson side by side, step by step
// and command by command, in canonical form.
type Comparison struct {
	File  string            `json:"file"`
	Title string            `json:"title"`
	Left  string            `json:"left"`  // the engine of the left side
	Right string            `json:"right"` // the engine of the right side
	Same  bool              `json:"same"`  // every command printed the same and ended the same
	Steps []*StepComparison `json:"steps"`
	Error []string          `json:"errors,omitempty"`
}

// StepComparison is one step on both engines.
type StepComparison struct {
	N           int                  `json:"n"`
	Line        int                  `json:"line"`
	Section     string               `json:"section,omitempty"`
	LeftStatus  Status               `json:"leftStatus"`
	RightStatus Status               `json:"rightStatus"`
	Same        bool                 `json:"same"`
	Commands    []*CommandComparison `json:"commands"`
}

// CommandComparison is one command's output on both engines.
type CommandComparison struct {
	Script    string     `json:"script"`
	LeftExit  int        `json:"leftExit"`
	RightExit int        `json:"rightExit"`
	Same      bool       `json:"same"`
	Lines     []DiffLine `json:"lines"` // the two outputs aligned
}

// MarshalJSON writes a DiffLine as {"op":"=","left":"...","right":"..."}.
func (d DiffLine) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"op":%q,"left":%q,"right":%q}`, string(d.Op), d.Left, d.Right), nil
}

// Compare aligns two results of the same lesson. Outputs are compared in
// Canonical form, line by line; exit statuses must be equal too.
func Compare(left, right *Result) *Comparison {
	c := &Comparison{File: left.Lesson.File, Title: left.Lesson.Meta.Title, Left: left.Engine, Right: right.Engine, Same: true, Steps: []*StepComparison{}}
	for _, r := range []*Result{left, right} {
		if r.Err != nil {
			c.Error = append(c.Error, r.Err.Error())
			c.Same = false
		}
		if r.Skipped != "" {
			c.Error = append(c.Error, r.Engine+": skipped: "+r.Skipped)
			c.Same = false
		}
	}
	for i, st := range left.Lesson.Steps {
		sc := &StepComparison{N: st.N, Line: st.Line, Section: st.Section, Same: true, Commands: []*CommandComparison{}}
		ls, rs := stepAt(left, i), stepAt(right, i)
		if ls != nil {
			sc.LeftStatus = ls.Status
		}
		if rs != nil {
			sc.RightStatus = rs.Status
		}
		n := 0
		if ls != nil {
			n = len(ls.Commands)
		}
		if rs != nil {
			n = max(n, len(rs.Commands))
		}
		for k := 0; k < n; k++ {
			lc, rc := commandAt(ls, k), commandAt(rs, k)
			cc := &CommandComparison{LeftExit: -1, RightExit: -1}
			var a, b []string
			if lc != nil {
				cc.Script, cc.LeftExit, a = lc.Script, lc.Exit, Canonical(lc.Output)
			}
			if rc != nil {
				cc.Script, cc.RightExit, b = rc.Script, rc.Exit, Canonical(rc.Output)
			}
			cc.Lines = Diff(a, b, func(x, y string) bool { return x == y })
			cc.Same = lc != nil && rc != nil && cc.LeftExit == cc.RightExit && strings.Join(a, "\n") == strings.Join(b, "\n") && len(a) == len(b)
			if !cc.Same {
				sc.Same = false
			}
			sc.Commands = append(sc.Commands, cc)
		}
		if !sc.Same {
			c.Same = false
		}
		c.Steps = append(c.Steps, sc)
	}
	return c
}

func stepAt(r *Result, i int) *StepResult {
	if i < len(r.Steps) {
		return r.Steps[i]
	}
	return nil
}

func commandAt(s *StepResult, k int) *CommandResult {
	if s != nil && k < len(s.Commands) {
		return s.Commands[k]
	}
	return nil
}

// WriteText writes the comparison in two columns that fit width, with a
// mark between them on each line: " " the same, "|" different, "<" only on
// the left, ">" only on the right; and "=" or "≠" before each command.
func (c *Comparison) WriteText(w io.Writer, width int) {
	col := (width - 3) / 2
	if col < 20 {
		col = 20
	}
	fmt.Fprintf(w, "%s: %s\n", c.File, c.Title)
	for _, e := range c.Error {
		fmt.Fprintf(w, "error: %s\n", e)
	}
	for _, s := range c.Steps {
		fmt.Fprintf(w, "\nstep %d (line %d)", s.N, s.Line)
		if s.Section != "" {
			fmt.Fprintf(w, ", %s", s.Section)
		}
		fmt.Fprintf(w, ": %s %s | %s %s\n", c.Left, s.LeftStatus, c.Right, s.RightStatus)
		for _, cc := range s.Commands {
			mark := "="
			if !cc.Same {
				mark = "≠"
			}
			fmt.Fprintf(w, "%s $ %s\n", mark, strings.ReplaceAll(cc.Script, "\n", "\n  > "))
			if cc.LeftExit != cc.RightExit {
				writeRow(w, col, fmt.Sprintf("[exit %d]", cc.LeftExit), "|", fmt.Sprintf("[exit %d]", cc.RightExit))
			}
			writeDiffRows(w, col, cc.Lines)
		}
	}
	verdict := "the same on both engines"
	if !c.Same {
		verdict = "DIFFERENT"
	}
	fmt.Fprintf(w, "\n%s: %s (%s | %s)\n", c.File, verdict, c.Left, c.Right)
}

// writeDiffRows writes aligned lines, pairing a run of removed lines with
// the run of added lines after it as changed lines.
func writeDiffRows(w io.Writer, col int, lines []DiffLine) {
	for i := 0; i < len(lines); {
		if lines[i].Op == Same {
			writeRow(w, col, lines[i].Left, " ", lines[i].Right)
			i++
			continue
		}
		var rem, add []string
		for ; i < len(lines) && lines[i].Op == Removed; i++ {
			rem = append(rem, lines[i].Left)
		}
		for ; i < len(lines) && lines[i].Op == Added; i++ {
			add = append(add, lines[i].Right)
		}
		for k := 0; k < max(len(rem), len(add)); k++ {
			switch {
			case k < len(rem) && k < len(add):
				writeRow(w, col, rem[k], "|", add[k])
			case k < len(rem):
				writeRow(w, col, rem[k], "<", "")
			default:
				writeRow(w, col, "", ">", add[k])
			}
		}
	}
}

// writeRow writes one row, wrapping text longer than a column.
func writeRow(w io.Writer, col int, left, mark, right string) {
	l, r := wrap(left, col), wrap(right, col)
	for k := 0; k < max(len(l), len(r)); k++ {
		var a, b string
		if k < len(l) {
			a = l[k]
		}
		if k < len(r) {
			b = r[k]
		}
		line := a + strings.Repeat(" ", col-utf8.RuneCountInString(a)) + " " + mark + " " + b
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

func wrap(s string, col int) []string {
	var out []string
	for utf8.RuneCountInString(s) > col {
		r := []rune(s)
		out = append(out, string(r[:col]))
		s = string(r[col:])
	}
	return append(out, s)
}
