//go:build linux && !cgo

package runtime

// haveHelpers says the C helpers are linked in: not without cgo, and then
// Start and Exec fail with errNoCgo.
const haveHelpers = false
