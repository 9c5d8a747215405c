package backend

import (
	"errors"
	"fmt"
	"net/http"
)

// Code classifies an error the way the Engine API does. Each code maps to one
// HTTP status (see Code.HTTPStatus); the message is Docker's text.
type Code int

// The error codes. Internal is the zero value: an error without a code is
// internal.
const (
	Internal         Code = iota // 500: a bug or an unexpected failure
	InvalidParameter             // 400: the request is wrong
	NotFound                     // 404: no such object
	Conflict                     // 409: the object's state forbids the operation
	NotModified                  // 304: nothing to do (start a running container)
	Forbidden                    // 403
	Unauthorized                 // 401
	Unavailable                  // 503: the engine cannot serve this now
	NotImplemented               // 501: the engine does not offer this
	Canceled                     // 499-ish: the caller went away; served as 500
)

var statuses = [...]int{
	Internal:         http.StatusInternalServerError,
	InvalidParameter: http.StatusBadRequest,
	NotFound:         http.StatusNotFound,
	Conflict:         http.StatusConflict,
	NotModified:      http.StatusNotModified,
	Forbidden:        http.StatusForbidden,
	Unauthorized:     http.StatusUnauthorized,
	Unavailable:      http.StatusServiceUnavailable,
	NotImplemented:   http.StatusNotImplemented,
	Canceled:         http.StatusInternalServerError,
}

// HTTPStatus is the status the Engine API answers with for an error of code c.
func (c Code) HTTPStatus() int {
	if c < 0 || int(c) >= len(statuses) {
		return http.StatusInternalServerError
	}
	return statuses[c]
}

// CodeForStatus is the inverse of HTTPStatus, for clients reading an error
// response.
func CodeForStatus(status int) Code {
	switch status {
	case http.StatusBadRequest:
		return InvalidParameter
	case http.StatusNotFound:
		return NotFound
	case http.StatusConflict:
		return Conflict
	case http.StatusNotModified:
		return NotModified
	case http.StatusForbidden:
		return Forbidden
	case http.StatusUnauthorized:
		return Unauthorized
	case http.StatusServiceUnavailable:
		return Unavailable
	case http.StatusNotImplemented:
		return NotImplemented
	}
	return Internal
}

// Error is an error with a code. Its message is exactly what Docker says.
type Error struct {
	Code Code
	Msg  string
	Err  error // the cause, if any; not part of the message
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an error of code c whose message is the formatted text. A %w
// verb wraps its operand as the cause, as fmt.Errorf does.
func Errorf(c Code, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: c, Msg: err.Error(), Err: errors.Unwrap(err)}
}

// WithCode gives err the code c, keeping its message. A nil err stays nil.
func WithCode(c Code, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: c, Msg: err.Error(), Err: err}
}

// CodeOf returns the code of the outermost coded error in err's chain, or
// Internal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var x *ExecError
	if errors.As(err, &x) {
		return InvalidParameter
	}
	return Internal
}

// IsNotFound reports whether err has code NotFound.
func IsNotFound(err error) bool { return err != nil && CodeOf(err) == NotFound }

// IsConflict reports whether err has code Conflict.
func IsConflict(err error) bool { return err != nil && CodeOf(err) == Conflict }

// ExecError says why a container's command could not be executed. The engine
// turns it into the daemon's message and the exit code Docker records (127 for
// a missing command, 126 for one that cannot be run).
type ExecError struct {
	Name string // the command as given (Args[0])
	// Reason is the runtime's text after `exec: "NAME": `, for example
	// "executable file not found in $PATH",
	// "stat /nosuch: no such file or directory", "permission denied",
	// "is a directory".
	Reason string
}

func (e *ExecError) Error() string {
	return fmt.Sprintf("exec: %q: %s", e.Name, e.Reason)
}

// ExitCode is the exit code Docker records for a container whose command
// failed this way: 127 when the file is missing, 126 otherwise.
func (e *ExecError) ExitCode() int {
	switch e.Reason {
	case "permission denied", "is a directory", "exec format error":
		return 126
	}
	return 127
}

// Common causes of ExecError, with the runtime's wording.
const (
	ReasonNotInPath  = "executable file not found in $PATH"
	ReasonPermission = "permission denied"
	ReasonIsDir      = "is a directory"
)

// ReasonNoFile is the reason for an absolute or relative command path that
// does not exist.
func ReasonNoFile(path string) string {
	return "stat " + path + ": no such file or directory"
}
