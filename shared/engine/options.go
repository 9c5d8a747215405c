package engine

import (
	"io"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/network"
)

// CreateOptions are the parameters of POST /containers/create.
type CreateOptions struct {
	Name       string // "" for a generated name; a leading "/" is allowed
	Config     *container.Config
	HostConfig *container.HostConfig
	Networking *network.NetworkingConfig
}

// ListOptions are the parameters of GET /containers/json.
type ListOptions struct {
	All     bool
	Limit   int // 0: no limit; -1 is treated as 0
	Size    bool
	Filters Filters
}

// StopOptions are the parameters of stop and restart.
type StopOptions struct {
	Signal  string // "" for the container's stop signal
	Timeout *int   // seconds before SIGKILL; nil for the container's (default 10); -1 waits forever
}

// RemoveOptions are the parameters of DELETE /containers/{id}.
type RemoveOptions struct {
	Force         bool
	RemoveVolumes bool
	RemoveLink    bool
}

// LogsOptions are the parameters of GET /containers/{id}/logs.
type LogsOptions struct {
	Stdout, Stderr bool
	Follow         bool
	Timestamps     bool
	Since, Until   time.Time // zero: unbounded
	Tail           string    // "all" or "" for everything, else a number of lines
}

// LogMessage is one line (or, with a TTY, one chunk) a container wrote.
type LogMessage struct {
	Stream string // "stdout" or "stderr"
	Time   time.Time
	Line   []byte // with its trailing newline if it had one
}

// Streams is what GetStreams returns: where an attached client's input comes
// from and where the container's output goes. Stdin may be nil.
type Streams struct {
	Stdin  io.ReadCloser
	Stdout io.Writer
	Stderr io.Writer
}

// GetStreamsFunc is called once the engine has validated an attach or exec
// request, just before streaming. multiplexed is true when stdout and stderr
// must be told apart (no TTY): the router then frames them with stdcopy.
// The router hijacks the connection here, so errors before this call can
// still be HTTP errors.
type GetStreamsFunc func(multiplexed bool) (Streams, error)

// AttachOptions are the parameters of POST /containers/{id}/attach.
type AttachOptions struct {
	GetStreams                     GetStreamsFunc
	UseStdin, UseStdout, UseStderr bool
	Logs                           bool // replay what the container wrote so far
	Stream                         bool // then follow live output
	DetachKeys                     string
}

// ExecStartOptions are the parameters of POST /exec/{id}/start.
type ExecStartOptions struct {
	Detach      bool
	Tty         bool
	ConsoleSize *[2]uint
	GetStreams  GetStreamsFunc // unused when Detach
}

// CommitOptions are the parameters of POST /commit.
type CommitOptions struct {
	Repo    string // "" for an untagged image
	Tag     string
	Comment string
	Author  string
	Pause   bool
	Changes []string          // Dockerfile instructions: "CMD [\"sh\"]", "ENV A=1"
	Config  *container.Config // merged over the container's config
}

// ImageListOptions are the parameters of GET /images/json.
type ImageListOptions struct {
	All     bool
	Filters Filters
}

// ProgressFunc receives the messages of a JSON message stream (pull, load,
// build), in order.
type ProgressFunc func(jsonstream.Message)

// EventsOptions are the parameters of GET /events.
type EventsOptions struct {
	Since, Until time.Time
	Filters      Filters
}
