package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/twinbox-dev/twinbox/native/network"
	"github.com/twinbox-dev/twinbox/shared/api/transport"
	"github.com/twinbox-dev/twinbox/shared/lesson"
)

// nativeDaemons numbers the native daemons this process starts, for their
// bridges' names.
var nativeDaemons atomic.Int32

// openNative starts `twinbox daemon --backend native` on a private socket,
// root and bridge, and loads the base image into it.
func openNative(ctx context.Context, self, base string) (lesson.Target, error) {
	dir, err := os.MkdirTemp("", "twinbox-lesson-")
	if err != nil {
		return nil, err
	}
	sock := filepath.Join(dir, "engine.sock")
	bridge := fmt.Sprintf("tbl%d-%d", os.Getpid()%100000, nativeDaemons.Add(1))
	log, err := os.Create(filepath.Join(dir, "daemon.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command(self, "daemon", "--backend", "native", "--host", "unix://"+sock, "--root", filepath.Join(dir, "root"), "--bridge", bridge)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	t := &execTarget{engine: lesson.EngineNative, dir: dir, dockerPath: self}
	exited := make(chan struct{})
	go func() { cmd.Wait(); log.Close(); close(exited) }()
	t.cleanup = func() error {
		var errs []error
		if d, err := transport.Parse("unix://" + sock); err == nil {
			cctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			errs = append(errs, removeAllContainers(cctx, d))
			cancel()
		}
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
			errs = append(errs, errors.New("the native daemon did not stop in 15s; killed"))
		}
		if err := network.RemoveBridge(bridge); err != nil && !strings.Contains(err.Error(), "not found") {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
	if err := waitSocket(ctx, sock, exited); err != nil {
		logText, _ := os.ReadFile(filepath.Join(dir, "daemon.log"))
		t.Close()
		return nil, fmt.Errorf("%v\n%s", err, logText)
	}
	t.host = "unix://" + sock
	t.dial, _ = transport.Parse(t.host)
	if err := loadBase(ctx, t.dial, base); err != nil {
		t.Close()
		return nil, err
	}
	if err := t.prepare(); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// terminalRaw reports whether the terminal whose master is f is off
// canonical mode and echo.
func terminalRaw(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	raw := false
	rc.Control(func(fd uintptr) {
		tio, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		raw = err == nil && tio.Lflag&(unix.ICANON|unix.ECHO) == 0
	})
	return raw
}
