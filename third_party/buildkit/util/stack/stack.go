// Package stack is a trimmed copy of github.com/moby/buildkit/util/stack:
// only Enable, which the Dockerfile parser calls. Upstream's Stack message
// (protobuf, registered with containerd/typeurl) and its traces are left
// out, so that the parser does not link the protobuf runtime.
package stack

import (
	"github.com/pkg/errors"
)

// Enable returns err with a stack trace (errors.WithStack) unless it, or
// an error it wraps, already has one.
func Enable(err error) error {
	if err == nil {
		return nil
	}
	if !hasLocalStackTrace(err) {
		return errors.WithStack(err)
	}
	return err
}

func hasLocalStackTrace(err error) bool {
	wrapped, ok := err.(interface {
		Unwrap() error
	})
	if ok && hasLocalStackTrace(wrapped.Unwrap()) {
		return true
	}

	_, ok = err.(interface {
		StackTrace() errors.StackTrace
	})
	return ok
}
