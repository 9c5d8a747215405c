package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// maxLogBytes bounds the log a container keeps in memory; older lines are
// dropped first. Docker's json-file driver keeps everything by default; the
// bound protects the browser from `yes` in a detached container.
const maxLogBytes = 16 << 20

// output is the stdout and stderr of a container (or an exec session): it
// copies bytes to attached clients as they come and, for containers, records
// them line by line as the json-file log driver does.
type output struct {
	e     *Engine
	logID string // container ID whose log this is; "" for exec sessions

	wmu sync.Mutex // serialises writes so clients see bytes in order

	mu        sync.Mutex
	logs      []LogMessage
	logBytes  int
	dropped   int // lines dropped from the front of logs
	partial   [2][]byte
	attached  map[*attachment]struct{}
	running   bool
	changed   chan struct{} // closed and replaced when logs or running change
	stdinR    *io.PipeReader
	stdinW    *io.PipeWriter
	stdinOpen bool
}

// attachment is one client attached to an output.
type attachment struct {
	stdout, stderr io.Writer // nil when the client did not ask for it
	done           chan struct{}
	once           sync.Once
}

func (a *attachment) end() { a.once.Do(func() { close(a.done) }) }

func (e *Engine) newOutput(c *Container) *output {
	return &output{e: e, logID: c.ID, attached: make(map[*attachment]struct{}), changed: make(chan struct{})}
}

func (e *Engine) newExecOutput() *output {
	return &output{e: e, attached: make(map[*attachment]struct{}), changed: make(chan struct{})}
}

// stdio returns the streams for a new run of the process. withStdin gives
// the process a stdin pipe that attached clients write to.
func (o *output) stdio(tty bool, stdin io.Reader) backend.Stdio {
	o.mu.Lock()
	o.running = true
	o.notify()
	o.mu.Unlock()
	s := backend.Stdio{Stdin: stdin, Stdout: &streamWriter{o: o, stream: 0}}
	if !tty {
		s.Stderr = &streamWriter{o: o, stream: 1}
	}
	return s
}

// openStdin returns the reading end of the process's stdin pipe, making it
// if needed; clients that attach with stdin write to the other end.
func (o *output) openStdin() io.Reader {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.stdinR == nil {
		o.stdinR, o.stdinW = io.Pipe()
		o.stdinOpen = true
	}
	return o.stdinR
}

// stdinWriter returns the writing end of the stdin pipe, making it if
// needed (a client may attach before the process starts).
func (o *output) stdinWriter() *io.PipeWriter {
	o.openStdin()
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.stdinW
}

// closeStdin closes the process's stdin: it reads end-of-file.
func (o *output) closeStdin() {
	o.mu.Lock()
	w := o.stdinW
	o.stdinOpen = false
	o.mu.Unlock()
	if w != nil {
		w.Close()
	}
}

// endRun flushes partial lines, ends every attachment and forgets the stdin
// pipe: the next run gets a new one.
func (o *output) endRun() {
	o.wmu.Lock()
	o.mu.Lock()
	now := o.e.now()
	for i, p := range o.partial {
		if len(p) > 0 {
			o.appendLog(LogMessage{Stream: streamName(i), Time: now, Line: p})
			o.partial[i] = nil
		}
	}
	for a := range o.attached {
		a.end()
	}
	clear(o.attached)
	o.running = false
	if o.stdinR != nil {
		o.stdinR.CloseWithError(io.EOF)
		o.stdinW.Close()
	}
	o.stdinR, o.stdinW = nil, nil
	o.notify()
	o.mu.Unlock()
	o.wmu.Unlock()
}

func (o *output) notify() {
	close(o.changed)
	o.changed = make(chan struct{})
}

func streamName(i int) string {
	if i == 1 {
		return "stderr"
	}
	return "stdout"
}

// attach adds a client; the returned attachment ends when the current (or
// next) run of the process ends.
func (o *output) attach(stdout, stderr io.Writer) *attachment {
	a := &attachment{stdout: stdout, stderr: stderr, done: make(chan struct{})}
	o.mu.Lock()
	o.attached[a] = struct{}{}
	o.mu.Unlock()
	return a
}

// attachSnapshot adds a client and returns the log so far, atomically, so
// that replayed and live output neither overlap nor leave a gap.
func (o *output) attachSnapshot(stdout, stderr io.Writer) (*attachment, []LogMessage) {
	a := &attachment{stdout: stdout, stderr: stderr, done: make(chan struct{})}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.attached[a] = struct{}{}
	return a, o.logs[:len(o.logs):len(o.logs)]
}

func (o *output) detach(a *attachment) {
	o.mu.Lock()
	delete(o.attached, a)
	o.mu.Unlock()
	a.end()
}

type streamWriter struct {
	o      *output
	stream int // 0 stdout, 1 stderr
}

func (w *streamWriter) Write(p []byte) (int, error) {
	o := w.o
	o.wmu.Lock()
	defer o.wmu.Unlock()

	o.mu.Lock()
	targets := make([]*attachment, 0, len(o.attached))
	for a := range o.attached {
		targets = append(targets, a)
	}
	if o.logID != "" {
		o.logBytesLocked(w.stream, p)
	}
	o.mu.Unlock()

	for _, a := range targets {
		dst := a.stdout
		if w.stream == 1 {
			dst = a.stderr
		}
		if dst == nil {
			continue
		}
		if _, err := dst.Write(p); err != nil {
			o.detach(a) // the client went away; the container goes on
		}
	}
	return len(p), nil
}

// logBytesLocked splits p into lines and logs the complete ones. o.mu held.
func (o *output) logBytesLocked(stream int, p []byte) {
	now := o.e.now()
	buf := append(o.partial[stream], p...)
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		line := make([]byte, i+1)
		copy(line, buf[:i+1])
		o.appendLog(LogMessage{Stream: streamName(stream), Time: now, Line: line})
		buf = buf[i+1:]
	}
	// json-file flushes a partial line once it reaches 16 KiB.
	if len(buf) >= 16<<10 {
		o.appendLog(LogMessage{Stream: streamName(stream), Time: now, Line: bytes.Clone(buf)})
		buf = nil
	}
	o.partial[stream] = bytes.Clone(buf)
}

// jsonLogLine is one line of Docker's json-file log.
type jsonLogLine struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

// appendLog records m in memory and in the store. o.mu held.
func (o *output) appendLog(m LogMessage) {
	o.logs = append(o.logs, m)
	o.logBytes += len(m.Line)
	for o.logBytes > maxLogBytes && len(o.logs) > 1 {
		o.logBytes -= len(o.logs[0].Line)
		o.logs[0] = LogMessage{}
		o.logs = o.logs[1:]
		o.dropped++
	}
	data, err := json.Marshal(jsonLogLine{Log: string(m.Line), Stream: m.Stream, Time: m.Time.UTC()})
	if err == nil {
		data = append(data, '\n')
		if err := o.e.store.Append("logs", o.logID, data); err != nil {
			o.e.logf("log container %s: %v", o.logID, err)
		}
	}
	o.notify()
}

// load reads the container's persisted log.
func (o *output) load() {
	data, err := o.e.store.Get("logs", o.logID)
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var l jsonLogLine
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		o.logs = append(o.logs, LogMessage{Stream: l.Stream, Time: l.Time, Line: []byte(l.Log)})
		o.logBytes += len(l.Log)
	}
}

// snapshot returns the log lines from index i on, whether the process is
// running, and a channel closed on the next change.
func (o *output) snapshot(i int) ([]LogMessage, int, bool, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	i -= o.dropped
	if i < 0 {
		i = 0
	}
	if i > len(o.logs) {
		i = len(o.logs)
	}
	msgs := o.logs[i:len(o.logs):len(o.logs)]
	return msgs, o.dropped + len(o.logs), o.running, o.changed
}

// errDetached ends an attachment when the client typed the detach keys.
var errDetached = errors.New("read escape sequence")

// copyStdin copies a client's input to w until end-of-file, the detach keys
// (then it returns errDetached), or a write error.
func copyStdin(w io.Writer, r io.Reader, keys []byte) error {
	buf := make([]byte, 32<<10)
	matched := 0
	for {
		n, err := r.Read(buf)
		if n > 0 {
			out := make([]byte, 0, n+matched)
			for _, b := range buf[:n] {
				if len(keys) > 0 && b == keys[matched] {
					matched++
					if matched == len(keys) {
						if len(out) > 0 {
							w.Write(out)
						}
						return errDetached
					}
					continue
				}
				if matched > 0 {
					out = append(out, keys[:matched]...)
					matched = 0
					if len(keys) > 0 && b == keys[0] {
						matched = 1
						continue
					}
				}
				out = append(out, b)
			}
			if len(out) > 0 {
				if _, werr := w.Write(out); werr != nil {
					return werr
				}
			}
		}
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}
