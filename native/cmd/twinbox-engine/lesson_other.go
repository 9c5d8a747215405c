//go:build !linux

package main

import (
	"context"
	"errors"
	"os"

	"github.com/twinbox-dev/twinbox/shared/lesson"
)

// openNative fails: the native engine needs Linux.
func openNative(ctx context.Context, self, base string) (lesson.Target, error) {
	return nil, errors.New("the native engine needs Linux")
}

// terminalRaw cannot tell here; the runner then types once the prompt shows.
func terminalRaw(f *os.File) bool { return true }
