package runtime

import (
	"encoding/json"
	"errors"
	"io"

	"golang.org/x/sys/unix"

	"github.com/twinbox-dev/twinbox/native/storage"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

// initConfig is what the daemon sends the init of a new container.
type initConfig struct {
	Root       string // storage root, for relative overlay mounts
	Layout     storage.Layout
	Process    backend.ProcessSpec
	Hostname   string
	Domainname string
	// Files maps paths in the container to host files bind-mounted there.
	Files          map[string]string
	Mounts         []mountConfig
	ReadonlyRootfs bool
	Privileged     bool
	Caps           []string
	LoopbackUp     bool // bring lo up: the container has a network namespace of its own
}

// mountConfig is a backend.Mount with its host source resolved.
type mountConfig struct {
	Type        string
	Source      string // host path ("" for tmpfs)
	Destination string
	ReadOnly    bool
	CopyUp      bool
}

// execConfig is what the daemon sends a process `docker exec` starts.
type execConfig struct {
	Process backend.ProcessSpec
	Caps    []string
}

// message is every message on the sync socket, in both directions.
type message struct {
	Kind string // "config", "ready", "go", "error"
	// Error, for "error": the text; Exec set when the command could not be
	// executed (then Error is its reason).
	Error string
	Exec  bool
	Init  *initConfig `json:",omitempty"`
	Proc  *execConfig `json:",omitempty"`
}

// send writes one message, with descriptors, on a SOCK_SEQPACKET socket.
func send(fd int, m message, fds ...int) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	return unix.Sendmsg(fd, data, oob, nil, 0)
}

// recv reads one message and the descriptors that came with it; io.EOF
// when the peer closed the socket (for the daemon: the init executed the
// command).
func recv(fd int) (message, []int, error) {
	buf := make([]byte, 1<<20)
	oob := make([]byte, unix.CmsgSpace(4*4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return message{}, nil, err
		}
		if n == 0 && oobn == 0 {
			return message{}, nil, io.EOF
		}
		var fds []int
		if oobn > 0 {
			scms, err := unix.ParseSocketControlMessage(oob[:oobn])
			if err == nil {
				for _, s := range scms {
					if f, err := unix.ParseUnixRights(&s); err == nil {
						fds = append(fds, f...)
					}
				}
			}
		}
		var m message
		if err := json.Unmarshal(buf[:n], &m); err != nil {
			return message{}, fds, err
		}
		return m, fds, nil
	}
}
