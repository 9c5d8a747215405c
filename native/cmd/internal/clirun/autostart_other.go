//go:build !linux

package clirun

// EnsureDaemon does nothing: the native engine needs Linux.
func EnsureDaemon(socket, engine string) {}
