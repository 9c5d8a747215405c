//go:build !linux

package native

import (
	"errors"

	"github.com/twinbox-dev/twinbox/native/store"
)

// Options configure the native backend.
type Options struct {
	Root         string
	CgroupParent string
}

// Backend is the native backend; it exists only on Linux.
type Backend struct{}

var errNeedsLinux = errors.New("native backend: needs Linux (namespaces, overlayfs, cgroups)")

// New returns an error: the native backend needs Linux.
func New(opts Options) (*Backend, error) { return nil, errNeedsLinux }

// Init does nothing outside Linux.
func Init() {}

// RecordStore returns an error outside Linux.
func (b *Backend) RecordStore() (*store.Store, error) { return nil, errNeedsLinux }

// Close does nothing outside Linux.
func (b *Backend) Close() error { return nil }
