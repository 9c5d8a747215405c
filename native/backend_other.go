//go:build !linux

package native

import (
	"errors"

	"github.com/twinbox-dev/twinbox/native/store"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Options configure the native backend.
type Options struct {
	Root          string
	CgroupParent  string
	DefaultBridge string
}

// Backend is the native backend; it exists only on Linux. Elsewhere New
// never returns one; the embedded interface only lets code that uses it
// compile everywhere.
type Backend struct{ backend.Backend }

var errNeedsLinux = errors.New("native backend: needs Linux (namespaces, overlayfs, cgroups)")

// New returns an error: the native backend needs Linux.
func New(opts Options) (*Backend, error) { return nil, errNeedsLinux }

// Init does nothing outside Linux.
func Init() {}

// RecordStore returns an error outside Linux.
func (b *Backend) RecordStore() (*store.Store, error) { return nil, errNeedsLinux }

// Close does nothing outside Linux.
func (b *Backend) Close() error { return nil }
