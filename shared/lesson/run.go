package lesson

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/twinbox-dev/twinbox/shared/api/client"
)

// Defaults of a Runner.
const (
	DefaultTimeout = 60 * time.Second // per command
	CheckWithin    = 2 * time.Second  // a check may take this long to hold
)

// Runner runs lessons, each against a fresh Target.
type Runner struct {
	// Engine is the kind of engine Open gives (EngineSim, ...); steps and
	// lessons that do not run on it are skipped.
	Engine string
	// Open returns a fresh target for a lesson.
	Open func(ctx context.Context) (Target, error)
	// Timeout is how long a command may run; 0 means DefaultTimeout. A
	// step's timeout= overrides it.
	Timeout time.Duration
	// OnStep, when set, is told about each step once it has run.
	OnStep func(*StepResult)
}

// Status is how a step went.
type Status string

// Step statuses.
const (
	Passed   Status = "pass"
	Failed   Status = "fail"
	Differed Status = "differs" // failed on real Docker where the lesson says Docker differs
	Skipped  Status = "skip"
	TimedOut Status = "timeout"
)

// Result is how a lesson went on one engine.
type Result struct {
	Lesson   *Lesson
	Engine   string
	Steps    []*StepResult
	Err      error  // the engine could not be set up or closed
	Skipped  string // why the whole lesson did not run
	Duration time.Duration
}

// Passed reports whether every step passed, differed as the lesson says, or
// was skipped as the lesson says, and the engine worked.
func (r *Result) Passed() bool {
	if r.Err != nil {
		return false
	}
	for _, s := range r.Steps {
		if s.Status == Failed || s.Status == TimedOut || s.Status == Skipped && s.Step.RunsOn(r.Engine) {
			return false
		}
	}
	return true
}

// Count returns how many steps have status st.
func (r *Result) Count(st Status) int {
	n := 0
	for _, s := range r.Steps {
		if s.Status == st {
			n++
		}
	}
	return n
}

// StepResult is how a step went.
type StepResult struct {
	Step     *Step
	Status   Status
	Note     string // why it was skipped, or how Docker differs
	Commands []*CommandResult
	Checks   []*CheckResult
	Duration time.Duration
}

// CommandResult is what a command printed and how it ended.
type CommandResult struct {
	Command  *Command // nil for a file step's write
	Script   string
	Output   string // as printed (the screen's bytes with a terminal)
	Exit     int
	Err      string // the runner's trouble: a timeout, typing that never happened
	TimedOut bool   // it ran longer than its timeout and was stopped
	Matched  bool   // the output matches the lesson's
}

// CheckResult is how a check went; Err is nil when it held.
type CheckResult struct {
	Check *Check
	Err   error
}

// Run runs the lesson's steps in order against a fresh target. A step that
// times out is stopped and the lesson's later steps are skipped; any other
// failure is recorded and the lesson goes on.
func (r *Runner) Run(ctx context.Context, l *Lesson) *Result {
	start := time.Now()
	res := &Result{Lesson: l, Engine: r.Engine}
	defer func() { res.Duration = time.Since(start) }()
	if !l.Meta.RunsOn(r.Engine) {
		res.Skipped = fmt.Sprintf("the lesson runs on %s, not %s", strings.Join(l.Meta.Engines, ", "), r.Engine)
		return res
	}
	t, err := r.Open(ctx)
	if err != nil {
		res.Err = fmt.Errorf("%s: start the %s engine: %w", l.File, r.Engine, err)
		return res
	}
	var skip string
	for _, st := range l.Steps {
		sr := &StepResult{Step: st}
		switch {
		case skip != "":
			sr.Status, sr.Note = Skipped, skip
		case !st.RunsOn(r.Engine):
			sr.Status, sr.Note = Skipped, st.Reason
		default:
			r.runStep(ctx, t, st, sr)
			if sr.Status == TimedOut {
				skip = fmt.Sprintf("step %d timed out", st.N)
			}
		}
		res.Steps = append(res.Steps, sr)
		if r.OnStep != nil {
			r.OnStep(sr)
		}
	}
	if err := t.Close(); err != nil {
		res.Err = fmt.Errorf("%s: close the %s engine: %w", l.File, r.Engine, err)
	}
	return res
}

func (r *Runner) runStep(ctx context.Context, t Target, st *Step, sr *StepResult) {
	start := time.Now()
	defer func() { sr.Duration = time.Since(start) }()
	timeout := st.Timeout
	if timeout == 0 {
		timeout = r.Timeout
	}
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	ok := true
	if f := st.File; f != nil {
		cr := runFile(ctx, t, f, timeout)
		sr.Commands = append(sr.Commands, cr)
		ok = cr.Matched
		if cr.TimedOut {
			sr.Status = TimedOut
			return
		}
	}
	tty := st.NeedsTTY()
	for _, c := range st.Commands {
		cr := runCommand(ctx, t, c, tty, timeout)
		sr.Commands = append(sr.Commands, cr)
		if !cr.Matched {
			ok = false
		}
		if cr.TimedOut {
			sr.Status = TimedOut
			return
		}
	}
	if len(st.Checks) > 0 {
		cl := client.New(t.Dial)
		defer cl.Close()
		for _, ch := range st.Checks {
			err := evalWithin(ctx, cl, ch)
			sr.Checks = append(sr.Checks, &CheckResult{Check: ch, Err: err})
			if err != nil {
				ok = false
			}
		}
	}
	switch {
	case ok:
		sr.Status = Passed
	case st.Differs != "" && t.Engine() == EngineDocker:
		sr.Status, sr.Note = Differed, st.Differs
	default:
		sr.Status = Failed
	}
}

// evalWithin evaluates a check until it holds, for CheckWithin at most.
func evalWithin(ctx context.Context, cl *client.Client, ch *Check) error {
	deadline := time.Now().Add(CheckWithin)
	for {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := ch.Eval(cctx, cl)
		cancel()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// runFile writes a file step's file with the target's shell.
func runFile(ctx context.Context, t Target, f *File, timeout time.Duration) *CommandResult {
	mode := f.Mode
	if mode == 0 {
		mode = 0o644
	}
	script := fmt.Sprintf("mkdir -p %s && cat > %s && chmod %o %s", shellQuote(path.Dir(f.Path)), shellQuote(f.Path), mode, shellQuote(f.Path))
	cr := run(ctx, t, script, false, strings.NewReader(f.Content), nil, "", timeout)
	cr.Matched = cr.Err == "" && cr.Exit == 0 && cr.Output == ""
	return cr
}

// runCommand runs one command, types its inputs and compares its output.
func runCommand(ctx context.Context, t Target, c *Command, tty bool, timeout time.Duration) *CommandResult {
	cr := run(ctx, t, c.Script, tty, nil, c.Inputs, c.Want, timeout)
	cr.Command = c
	cr.Matched = cr.Err == "" && Match(Canonical(c.Want), Canonical(cr.Output))
	return cr
}

func run(ctx context.Context, t Target, script string, tty bool, stdin io.Reader, inputs []Input, want string, timeout time.Duration) *CommandResult {
	cr := &CommandResult{Script: script}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	scr := newScreen()
	var keys *io.PipeWriter
	if tty {
		var r *io.PipeReader
		r, keys = io.Pipe()
		stdin = r
	}
	p, err := t.Start(ctx, script, StartOptions{TTY: tty, Stdin: stdin, Output: scr})
	if err != nil {
		cr.Err = fmt.Sprintf("start: %v", err)
		cr.Exit = -1
		return cr
	}
	done := make(chan struct{})
	var (
		exit    int
		waitErr error
	)
	go func() {
		exit, waitErr = p.Wait()
		close(done)
	}()
	typed := make(chan string, 1)
	if keys != nil {
		go func() { typed <- typeInputs(ctx, p, scr, keys, inputs, want, done) }()
	} else {
		typed <- ""
	}
	ended := true
	select {
	case <-done:
	case <-ctx.Done():
		p.Kill()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			ended = false
		}
		cr.TimedOut = true
		cr.Err = fmt.Sprintf("timed out after %v, stopped", timeout)
	}
	if ended {
		cr.Exit = exit
		if waitErr != nil && cr.Err == "" {
			cr.Err = waitErr.Error()
		}
	} else {
		cr.Exit = -1
	}
	if keys != nil {
		keys.Close()
	}
	if msg := <-typed; msg != "" && cr.Err == "" {
		cr.Err = msg
	}
	cr.Output = scr.String()
	return cr
}

// typeInputs types each input once the screen shows its prompt and the
// terminal is raw. It returns what went wrong, or "".
func typeInputs(ctx context.Context, p Proc, scr *screen, keys io.Writer, inputs []Input, want string, done <-chan struct{}) string {
	raw, _ := p.(RawTerminal)
	cursor := 0
	for _, in := range inputs {
		prompt := in.Prompt(want)
		if prompt == "" && in.At > 0 {
			// Typing at the start of a line: wait for the line before.
			before := want[:in.At-1]
			prompt = before[strings.LastIndexByte(before, '\n')+1:] + "\n"
		}
		prompt = Normalize(prompt)
		for {
			ch := scr.changed()
			text := Normalize(Screen(scr.String()))
			if cursor > len(text) {
				cursor = len(text)
			}
			i := strings.Index(text[cursor:], prompt)
			if i >= 0 && (raw == nil || raw.TerminalRaw()) {
				cursor += i + len(prompt)
				break
			}
			select {
			case <-ch:
			case <-time.After(10 * time.Millisecond): // the terminal's mode has no event
			case <-done:
				return fmt.Sprintf("line %d: the command ended before [[%s]] could be typed (waiting for %q)", in.Line, in.Keys, prompt)
			case <-ctx.Done():
				return fmt.Sprintf("line %d: timed out waiting for %q to type [[%s]]", in.Line, prompt, in.Keys)
			}
		}
		if _, err := keys.Write(in.Send); err != nil {
			return fmt.Sprintf("line %d: typing [[%s]]: %v", in.Line, in.Keys, err)
		}
		cursor += len(Normalize(in.Echo))
	}
	return ""
}

// screen collects a command's output and tells waiters when it grows.
type screen struct {
	mu   sync.Mutex
	buf  strings.Builder
	wake chan struct{}
}

func newScreen() *screen { return &screen{wake: make(chan struct{})} }

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	close(s.wake)
	s.wake = make(chan struct{})
	return len(p), nil
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// changed returns a channel closed at the next write.
func (s *screen) changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wake
}

// shellQuote quotes s for sh and bash.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
