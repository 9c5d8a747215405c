//go:build !linux

package main

// ensureDaemon does nothing: the native engine needs Linux.
func ensureDaemon(string) {}
