// Package lesson holds twinbox's lessons: their format, the runner that
// checks them against an engine, and the normalisation that makes two
// transcripts of the same steps comparable.
//
// A lesson is a Markdown file (see lessons/README.md); package
// shared/lesson/markdown reads one into a Lesson with goldmark. This package
// has no Markdown parser of its own, so the browser build can import it:
// the types, the pieces of the format that are plain text (front matter,
// console blocks, typing, checks, attributes), the runner, the normaliser
// and the comparison.
//
//	l, err := markdown.ReadFile("lessons/01-first-container.md")
//	r := &lesson.Runner{Open: func(ctx context.Context) (lesson.Target, error) { ... }}
//	res := r.Run(ctx, l)
//	lesson.WriteReport(os.Stdout, res)
//
// A Target is an engine with a shell to run the commands in: the simulator's
// host (HostTarget), or bash on Linux with docker on the PATH (in
// native/cmd/twinbox-engine).
package lesson

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Engines a lesson may run on.
const (
	EngineSim    = "sim"    // the simulator
	EngineNative = "native" // twinbox's native Linux engine
	EngineDocker = "docker" // real Docker, with the stock docker CLI
)

// Lesson is one lesson: its front matter and its steps, in file order.
type Lesson struct {
	File     string // the name it was read from, for messages
	Meta     Meta
	Steps    []*Step
	Pictures []*Picture
}

// Meta is a lesson's front matter.
type Meta struct {
	Title      string
	Summary    string
	Objectives []string
	Engines    []string // EngineSim, EngineNative, EngineDocker
}

// RunsOn reports whether the lesson runs on engine.
func (m Meta) RunsOn(engine string) bool { return contains(m.Engines, engine) }

// Step is one thing a learner does: the commands of a console block, or
// the file of a file= block; then its checks.
type Step struct {
	N       int    // 1-based, in file order
	Line    int    // the line of the opening fence
	Section string // the text of the heading the step is under ("" before any)

	Commands []*Command // of a console block
	File     *File      // of a file= block

	Checks []*Check

	TTY     bool          // run the commands with a terminal
	Timeout time.Duration // per command; 0 means the runner's default
	// Differs says what real Docker prints differently here, and why; shown
	// to learners. On real Docker a mismatch is reported, not failed.
	Differs string
	// Engines, when set, are the only engines the step runs on; Reason says
	// why, to learners.
	Engines []string
	Reason  string
}

// RunsOn reports whether the step runs on engine.
func (s *Step) RunsOn(engine string) bool { return len(s.Engines) == 0 || contains(s.Engines, engine) }

// NeedsTTY reports whether the step's commands run with a terminal: when
// the lesson says so or a learner types into one of them.
func (s *Step) NeedsTTY() bool {
	if s.TTY {
		return true
	}
	for _, c := range s.Commands {
		if len(c.Inputs) > 0 {
			return true
		}
	}
	return false
}

// Command is one "$ " line of a console block and what it should print.
type Command struct {
	Line   int    // the line of its "$ "
	Script string // what the shell runs: the text after "$ ", continuation lines joined by "\n"
	// Want is the expected output as the screen shows it, lines joined by
	// "\n" without a final one: the printed text and the echo of what the
	// learner types, without the [[ ]] marks.
	Want   string
	Inputs []Input // what the learner types, in order
}

// Input is something a learner types while a command runs.
type Input struct {
	Line int    // the line of its [[
	At   int    // the offset in Command.Want where typing starts: the screen shows Want[:At] first
	Keys string // as written between [[ and ]]: "hostname", "<Ctrl-P><Ctrl-Q>"
	Echo string // the text typed, as the program echoes it into Want at At
	Send []byte // the bytes sent to the terminal, with the implied Enter ("hostname\r")
}

// Prompt is the text on Want's line before the input: what the runner waits
// to see before typing.
func (in Input) Prompt(want string) string {
	start := strings.LastIndexByte(want[:in.At], '\n') + 1
	return want[start:in.At]
}

// File is a file a step writes into the lesson's working folder.
type File struct {
	Path    string // relative, slash-separated, without ".."
	Content string
	Mode    uint32 // permission bits; 0 means 0644
}

// Picture is a viz: image of the engine's state at a point of the lesson.
type Picture struct {
	Line   int
	Kind   string     // "layers", "container", "lifecycle", "network", "processes"
	Params url.Values // the address's query
	Alt    string
	After  int // the number of steps before it
}

// PictureKinds are the kinds of viz: pictures and the parameters each
// needs.
var PictureKinds = map[string][]string{
	"layers":    {"image"},
	"container": {"name"},
	"lifecycle": nil,
	"network":   nil,
	"processes": nil,
}

// ParsePicture parses a viz: address ("viz:layers?image=greet").
func ParsePicture(addr string) (kind string, params url.Values, err error) {
	u, err := url.Parse(addr)
	if err != nil || u.Scheme != "viz" || u.Opaque == "" {
		return "", nil, fmt.Errorf("picture %q: want viz:KIND?PARAM=VALUE", addr)
	}
	need, ok := PictureKinds[u.Opaque]
	if !ok {
		return "", nil, fmt.Errorf("picture %q: unknown kind %q (want one of %s)", addr, u.Opaque, strings.Join(sortedKeys(PictureKinds), ", "))
	}
	params, err = url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", nil, fmt.Errorf("picture %q: %v", addr, err)
	}
	for _, p := range need {
		if params.Get(p) == "" {
			return "", nil, fmt.Errorf("picture %q: missing %s=", addr, p)
		}
	}
	for p := range params {
		if !contains(need, p) {
			return "", nil, fmt.Errorf("picture %q: unknown parameter %q", addr, p)
		}
	}
	return u.Opaque, params, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
