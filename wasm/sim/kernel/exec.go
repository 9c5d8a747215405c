package kernel

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// DefaultPath is the search path used when the environment has no PATH,
// runc's and busybox's default.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// headerSize is how much of a file execve reads to decide how to run it
// (BINPRM_BUF_SIZE).
const headerSize = 256

// maxInterp bounds nested "#!" interpreters (BINPRM_MAX_RECURSION).
const maxInterp = 4

// execImage is what exec found to run.
type execImage struct {
	prog     sys.Program
	args     []string // argv the program gets
	path     string   // the file executed, as named to execve
	comm     string
	vsz, rss int64
}

// resolve does what the runtime's exec does for args[0]: a PATH lookup
// (exec.LookPath's rules: a candidate must be a file with an execute bit),
// then execve's checks and format handling. Errors are *backend.ExecError
// with the runtime's reasons.
func (k *Kernel) resolve(fsys vfs.FS, cred sys.Cred, dir string, args, env []string) (execImage, error) {
	if len(args) == 0 {
		return execImage{}, &backend.ExecError{Name: "", Reason: backend.ReasonNotInPath}
	}
	name := args[0]
	if fsys == nil {
		return execImage{}, &backend.ExecError{Name: name, Reason: backend.ReasonNoFile(name)}
	}
	file, err := lookPath(fsys, dir, name, env)
	if err != nil {
		return execImage{}, err
	}
	img, err := k.load(fsys, cred, dir, file, args, 0)
	if err != nil {
		return execImage{}, &backend.ExecError{Name: name, Reason: goErrorText(err)}
	}
	return img, nil
}

// lookPath finds the file name names, as Go's exec.LookPath (which runc
// uses) does: a name with a slash is used as it is, anything else is
// searched in PATH.
func lookPath(fsys vfs.FS, dir, name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		if err := findExecutable(fsys, abs(dir, name)); err != nil {
			reason := err.Error()
			if errors.Is(err, fs.ErrNotExist) {
				reason = backend.ReasonNoFile(name)
			} else if errno, ok := errnoErr(err).(syscall.Errno); ok && errno != syscall.EACCES {
				reason = "stat " + name + ": " + goErrorText(errno)
			} else {
				reason = backend.ReasonPermission
			}
			return "", &backend.ExecError{Name: name, Reason: reason}
		}
		return name, nil
	}
	pathVar, ok := lookupEnv(env, "PATH")
	if !ok {
		pathVar = DefaultPath
	}
	if name != "" {
		for _, d := range strings.Split(pathVar, ":") {
			if d == "" {
				d = "."
			}
			file := path.Join(d, name)
			if err := findExecutable(fsys, abs(dir, file)); err == nil {
				return file, nil
			}
		}
	}
	return "", &backend.ExecError{Name: name, Reason: backend.ReasonNotInPath}
}

// findExecutable is exec.LookPath's test: a non-directory with an execute bit.
func findExecutable(fsys vfs.FS, file string) error {
	fi, err := fsys.Stat(file)
	if err != nil {
		return err
	}
	if m := fi.Mode(); !m.IsDir() && m&0o111 != 0 {
		return nil
	}
	return fs.ErrPermission
}

// load is execve: it checks that cred may execute file and decides from its
// first bytes how to run it.
func (k *Kernel) load(fsys vfs.FS, cred sys.Cred, dir, file string, args []string, depth int) (execImage, error) {
	if depth > maxInterp {
		return execImage{}, syscall.ELOOP
	}
	full := abs(dir, file)
	fi, err := fsys.Stat(full)
	if err != nil {
		return execImage{}, errnoErr(err)
	}
	if fi.IsDir() {
		return execImage{}, syscall.EACCES
	}
	if !fi.Mode().IsRegular() || !mayExecute(fi, cred) {
		return execImage{}, syscall.EACCES
	}
	f, err := fsys.OpenFile(full, os.O_RDONLY, 0)
	if err != nil {
		return execImage{}, errnoErr(err)
	}
	head := make([]byte, headerSize)
	n, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return execImage{}, errnoErr(err)
	}
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("#!")):
		interp, arg, ok := parseShebang(head)
		if !ok {
			return execImage{}, syscall.ENOEXEC
		}
		iargs := []string{interp}
		if arg != "" {
			iargs = append(iargs, arg)
		}
		iargs = append(iargs, file)
		iargs = append(iargs, args[1:]...)
		img, err := k.load(fsys, cred, dir, interp, iargs, depth+1)
		if err != nil {
			return execImage{}, err
		}
		// The process is named after the script, as Linux names it.
		img.comm = path.Base(file)
		img.path = file
		return img, nil
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		img, err := k.binary(head, args)
		if err != nil {
			return execImage{}, err
		}
		img.path = file
		img.comm = path.Base(file)
		img.vsz, img.rss = memoryFor(fi.Size())
		return img, nil
	}
	return execImage{}, syscall.ENOEXEC
}

// binary finds the program of a simulated multi-call binary (see
// sys.BinaryMagic).
func (k *Kernel) binary(head []byte, args []string) (execImage, error) {
	if len(head) < 8 || !bytes.HasPrefix(head[8:], []byte(sys.BinaryMagic)) {
		return execImage{}, syscall.ENOEXEC
	}
	rest := head[8+len(sys.BinaryMagic):]
	end := bytes.IndexByte(rest, '\n')
	if end <= 0 || k.cfg.Registry == nil {
		return execImage{}, syscall.ENOEXEC
	}
	bin := string(rest[:end])
	if br, ok := k.cfg.Registry.(sys.BinaryRegistry); ok {
		if prog, ok := br.LookupBinary(bin); ok {
			return execImage{prog: prog, args: args}, nil
		}
	}
	applet := path.Base(args[0])
	argv := args
	if applet == bin {
		// Invoked by its own name: a binary with a main of its own (docker,
		// busybox's multi-call main) gets its whole command line; otherwise
		// argv[1] names the applet.
		if prog, ok := k.cfg.Registry.Lookup(bin); ok {
			return execImage{prog: prog, args: args}, nil
		}
		if len(args) > 1 {
			applet, argv = path.Base(args[1]), args[1:]
		}
	}
	if prog, ok := k.cfg.Registry.Lookup(applet); ok {
		return execImage{prog: prog, args: argv}, nil
	}
	// The binary itself reports an applet it does not have.
	if prog, ok := k.cfg.Registry.Lookup(bin); ok {
		return execImage{prog: prog, args: args}, nil
	}
	return execImage{}, syscall.ENOEXEC
}

// memoryFor returns plausible virtual and resident sizes of a process running
// a binary of the given size, scaled from busybox 1.35 (a 1.9 MB static
// binary: VSZ 2268 KiB, RSS 1380 KiB while sleeping).
func memoryFor(size int64) (vsz, rss int64) {
	pages := (size + 4095) &^ 4095
	return pages + 332<<10, pages*5/8 + 170<<10
}

// parseShebang reads "#!interpreter [argument]": the argument is everything
// after the interpreter, trimmed, as one string, as Linux passes it.
func parseShebang(head []byte) (interp, arg string, ok bool) {
	line := head[2:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	s := strings.Trim(string(line), " \t")
	if s == "" {
		return "", "", false
	}
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, "", true
	}
	return s[:i], strings.Trim(s[i:], " \t"), true
}

// mayExecute checks the execute permission bits for cred; root needs any
// execute bit.
func mayExecute(fi fs.FileInfo, cred sys.Cred) bool {
	mode := fi.Mode().Perm()
	if cred.UID == 0 {
		return mode&0o111 != 0
	}
	st := vfs.StatOf(fi)
	switch {
	case st.UID == cred.UID:
		return mode&0o100 != 0
	case inGroup(cred, st.GID):
		return mode&0o010 != 0
	}
	return mode&0o001 != 0
}

func inGroup(cred sys.Cred, gid int) bool {
	if cred.GID == gid {
		return true
	}
	for _, g := range cred.Groups {
		if g == gid {
			return true
		}
	}
	return false
}

func abs(dir, name string) string {
	if path.IsAbs(name) {
		return path.Clean(name)
	}
	return path.Join("/", dir, name)
}

func lookupEnv(env []string, key string) (string, bool) {
	for _, kv := range env {
		if k, v := splitEnv(kv); k == key {
			return v, true
		}
	}
	return "", false
}

// goErrorText is the text Go on Linux gives an error, which the runtime's
// messages quote. (On js/wasm, syscall.Errno's texts are capitalised like
// libc's strerror, so they cannot be used as they are.)
func goErrorText(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	switch errno {
	case syscall.ENOENT:
		return "no such file or directory"
	case syscall.EACCES:
		return "permission denied"
	case syscall.ENOEXEC:
		return "exec format error"
	case syscall.ENOTDIR:
		return "not a directory"
	case syscall.ELOOP:
		return "too many levels of symbolic links"
	case syscall.EISDIR:
		return "is a directory"
	case syscall.ENAMETOOLONG:
		return "file name too long"
	case syscall.EIO:
		return "input/output error"
	}
	s := errno.Error()
	if s != "" {
		s = strings.ToLower(s[:1]) + s[1:]
	}
	return s
}
