package applets

import (
	"errors"
	"io/fs"
	"strconv"
	"syscall"
)

// errnoText is strerror(3) of glibc, which the Debian busybox-static build
// links: busybox prints these texts, with their capitals.
var errnoText = map[syscall.Errno]string{
	syscall.EPERM:        "Operation not permitted",
	syscall.ENOENT:       "No such file or directory",
	syscall.ESRCH:        "No such process",
	syscall.EINTR:        "Interrupted system call",
	syscall.EIO:          "Input/output error",
	syscall.ENXIO:        "No such device or address",
	syscall.E2BIG:        "Argument list too long",
	syscall.ENOEXEC:      "Exec format error",
	syscall.EBADF:        "Bad file descriptor",
	syscall.ECHILD:       "No child processes",
	syscall.EAGAIN:       "Resource temporarily unavailable",
	syscall.ENOMEM:       "Cannot allocate memory",
	syscall.EACCES:       "Permission denied",
	syscall.EFAULT:       "Bad address",
	syscall.EBUSY:        "Device or resource busy",
	syscall.EEXIST:       "File exists",
	syscall.EXDEV:        "Invalid cross-device link",
	syscall.ENODEV:       "No such device",
	syscall.ENOTDIR:      "Not a directory",
	syscall.EISDIR:       "Is a directory",
	syscall.EINVAL:       "Invalid argument",
	syscall.ENFILE:       "Too many open files in system",
	syscall.EMFILE:       "Too many open files",
	syscall.ENOTTY:       "Inappropriate ioctl for device",
	syscall.EFBIG:        "File too large",
	syscall.ENOSPC:       "No space left on device",
	syscall.ESPIPE:       "Illegal seek",
	syscall.EROFS:        "Read-only file system",
	syscall.EMLINK:       "Too many links",
	syscall.EPIPE:        "Broken pipe",
	syscall.ERANGE:       "Numerical result out of range",
	syscall.ENAMETOOLONG: "File name too long",
	syscall.ENOSYS:       "Function not implemented",
	syscall.ENOTEMPTY:    "Directory not empty",
	syscall.ELOOP:        "Too many levels of symbolic links",
	syscall.ENOTSUP:      "Operation not supported",
	syscall.ECONNREFUSED: "Connection refused",
	syscall.EADDRINUSE:   "Address already in use",
	syscall.ETIMEDOUT:    "Connection timed out",
	syscall.EHOSTUNREACH: "No route to host",
	syscall.ENETUNREACH:  "Network is unreachable",
	syscall.EDQUOT:       "Disk quota exceeded",
}

// Errno returns the errno inside err: the syscall.Errno of a
// *fs.PathError, or err itself when it is one. It returns 0 for other
// errors.
func Errno(err error) syscall.Errno {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return syscall.ENOENT
	case errors.Is(err, fs.ErrExist):
		return syscall.EEXIST
	case errors.Is(err, fs.ErrPermission):
		return syscall.EACCES
	}
	return 0
}

// Strerror is what busybox prints for err: glibc's strerror text of its
// errno, or the error's own text when it carries no errno.
func Strerror(err error) string {
	if e := Errno(err); e != 0 {
		if s, ok := errnoText[e]; ok {
			return s
		}
		return "Unknown error " + strconv.Itoa(int(e))
	}
	if err == nil {
		return "Success"
	}
	return err.Error()
}
