package runtime

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// process is a container's or an exec'd process, as the daemon sees it.
type process struct {
	pid   int
	pidfd int // -1 when the process had ended before we could open it

	stdinMu sync.Mutex
	stdin   io.WriteCloser // nil without stdin
	pty     *os.File       // the terminal's master, nil without one

	outputs  sync.WaitGroup
	mu       sync.Mutex
	settleBy time.Time // before it, a signal first waits for the command to start (settle)
	ended    bool
	done     chan struct{}
	status   backend.ExitStatus
}

var _ backend.Process = (*process)(nil)

func newProcess(pid int, stdio backend.Stdio) *process {
	p := &process{pid: pid, pidfd: -1, done: make(chan struct{})}
	if fd, err := unix.PidfdOpen(pid, 0); err == nil {
		p.pidfd = fd
	}
	return p
}

// ended returns a Process that ended with status st (Restore of a
// container that stopped while the daemon was away).
func endedProcess(pid int, st backend.ExitStatus) *process {
	p := &process{pid: pid, pidfd: -1, ended: true, done: make(chan struct{}), status: st}
	close(p.done)
	return p
}

// copyOut copies r to w until the end of the output; w nil discards.
func (p *process) copyOut(r *os.File, w io.Writer) {
	if w == nil {
		w = io.Discard
	}
	p.outputs.Add(1)
	go func() {
		defer p.outputs.Done()
		io.Copy(w, r) // a terminal's master ends with EIO once the last slave is closed
		if r != p.pty {
			r.Close()
		}
	}()
}

// copyStreams copies a process's stdout and stderr pipes to their writers
// from one loop that reads whichever is ready, stdout first, so that lines
// a process writes in turn to both reach the engine in that order (two
// goroutines would race each other).
func (p *process) copyStreams(outR, errR *os.File, wOut, wErr io.Writer) {
	if wOut == nil {
		wOut = io.Discard
	}
	if wErr == nil {
		wErr = io.Discard
	}
	p.outputs.Add(1)
	go func() {
		defer p.outputs.Done()
		defer outR.Close()
		defer errR.Close()
		files := []*os.File{outR, errR}
		writers := []io.Writer{wOut, wErr}
		fds := []unix.PollFd{{Fd: int32(outR.Fd()), Events: unix.POLLIN}, {Fd: int32(errR.Fd()), Events: unix.POLLIN}}
		buf := make([]byte, 32<<10)
		open := 2
		for open > 0 {
			if _, err := unix.Poll(fds, -1); err != nil {
				if errors.Is(err, unix.EINTR) {
					continue
				}
				return
			}
			for i := range fds {
				if fds[i].Fd < 0 || fds[i].Revents == 0 {
					continue
				}
				n, err := unix.Read(int(files[i].Fd()), buf)
				if n > 0 {
					writers[i].Write(buf[:n])
					continue
				}
				if err != nil && (errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN)) {
					continue
				}
				fds[i].Fd = -1 // end of this stream
				open--
			}
		}
	}()
}

// waitStatus waits for the helper's wait status on statusR, reaps the
// helper, waits for the output, runs finish and marks the process ended.
func (p *process) waitStatus(statusR io.ReadCloser, reap func(), finish func(*backend.ExitStatus)) {
	ws, err := readStatus(statusR)
	statusR.Close()
	p.mu.Lock()
	p.ended = true
	if p.pidfd >= 0 {
		unix.Close(p.pidfd)
		p.pidfd = -1
	}
	p.mu.Unlock()
	if reap != nil {
		reap()
	}
	p.outputs.Wait()
	st := exitStatus(ws)
	if err != nil {
		// The monitor died without telling: nothing to report but failure.
		st = backend.ExitStatus{Code: 255, At: st.At}
	}
	if finish != nil {
		finish(&st)
	}
	p.stdinMu.Lock()
	if p.stdin != nil {
		p.stdin.Close()
		p.stdin = nil
	}
	p.stdinMu.Unlock()
	if p.pty != nil {
		p.pty.Close()
	}
	p.status = st
	close(p.done)
}

// Pid returns the process's PID on the machine.
func (p *process) Pid() int { return p.pid }

// Signal delivers sig. Errors: Conflict when the process has ended.
func (p *process) Signal(sig backend.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return backend.Errorf(backend.Conflict, "process %d has ended", p.pid)
	}
	if !p.settleBy.IsZero() {
		settle(p.pid, p.settleBy)
		p.settleBy = time.Time{}
	}
	var err error
	if p.pidfd >= 0 {
		err = unix.PidfdSendSignal(p.pidfd, unix.Signal(sig), nil, 0)
	} else {
		err = unix.Kill(p.pid, unix.Signal(sig))
	}
	if errors.Is(err, unix.ESRCH) {
		return backend.Errorf(backend.Conflict, "process %d has ended", p.pid)
	}
	return err
}

// Wait blocks until the process has ended and its output is written.
func (p *process) Wait(ctx context.Context) (backend.ExitStatus, error) {
	select {
	case <-p.done:
		return p.status, nil
	case <-ctx.Done():
		return backend.ExitStatus{}, ctx.Err()
	}
}

// Resize changes the terminal's size; without one it does nothing.
func (p *process) Resize(height, width uint) error {
	if p.pty == nil {
		return nil
	}
	select {
	case <-p.done:
		return nil
	default:
	}
	return pty.Setsize(p.pty, &pty.Winsize{Rows: uint16(height), Cols: uint16(width)})
}

// CloseStdin closes the process's standard input (with a terminal: sends
// the end-of-file character).
func (p *process) CloseStdin() error {
	if p.pty != nil {
		select {
		case <-p.done:
			return nil
		default:
		}
		_, err := p.pty.Write([]byte{4})
		return err
	}
	p.stdinMu.Lock()
	defer p.stdinMu.Unlock()
	if p.stdin != nil {
		err := p.stdin.Close()
		p.stdin = nil
		return err
	}
	return nil
}
