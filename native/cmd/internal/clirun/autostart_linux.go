package clirun

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// EnsureDaemon starts the native engine (`engine daemon --backend native`,
// engine a twinbox-engine binary) in the background when nothing answers
// on socket and we are root, and says so: the first docker command on a
// host just works.
func EnsureDaemon(socket, engine string) {
	if c, err := net.DialTimeout("unix", socket, time.Second); err == nil {
		c.Close()
		return
	}
	if os.Geteuid() != 0 {
		return // the CLI reports that it cannot connect
	}
	dir := filepath.Dir(socket)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	logPath := filepath.Join(dir, "daemon.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer logf.Close()
	cmd := exec.Command(engine, "daemon", "--backend", "native", "--host", "unix://"+socket)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "twinbox: could not start the native engine: %v\n", err)
		return
	}
	cmd.Process.Release()
	fmt.Fprintf(os.Stderr, "twinbox: started the native engine (twinbox daemon --backend native, log in %s)\n", logPath)
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.DialTimeout("unix", socket, time.Second); err == nil {
			c.Close()
			return
		}
	}
}
