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

	"net"
	"net/netip"

	"github.com/vishvananda/netlink"

	"golang.org/x/sys/unix"

	"github.com/twinbox-dev/twinbox/native/network"
	"github.com/twinbox-dev/twinbox/shared/api/transport"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/lesson"
)

// nativeDaemons numbers the native daemons this process starts, for their
// bridges' names.
var nativeDaemons atomic.Int32

// openNative starts `twinbox daemon --backend native` on a private socket,
// root and bridge, and loads the base image into it.
func openNative(ctx context.Context, self, base string) (lesson.Target, error) {
	t, err := startNative(ctx, self, base, false)
	if err != nil && strings.Contains(err.Error(), "no free subnet") {
		// Another engine took the last free 172.x range between our look
		// and the daemon's: give this one a bridge of its own on 10.x.
		t, err = startNative(ctx, self, base, true)
	}
	return t, err
}

// startNative is openNative; own10 makes the bridge on 10.x beforehand in
// any case.
func startNative(ctx context.Context, self, base string, own10 bool) (lesson.Target, error) {
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
	if err := ensureBridge(bridge, own10); err != nil {
		log.Close()
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

// ensureBridge makes the lesson daemon's bridge beforehand, on a free
// 10.x.y.0/24, when the engine could not find a subnet of its own (the
// machine's 172.17-31 ranges are all taken by other engines on a shared
// test machine) or when force is set. The engine reuses a bridge that has
// an address, and the runner removes it at the end as always.
func ensureBridge(bridge string, force bool) error {
	if _, err := network.FreeSubnet(bridge); err == nil && !force {
		return nil
	}
	var taken []netip.Prefix
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return err
	}
	for _, r := range routes {
		if r.Dst != nil && ipPrefix(r.Dst).Bits() > 0 { // not the default route
			taken = append(taken, ipPrefix(r.Dst))
		}
	}
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		taken = append(taken, ipPrefix(a.IPNet))
	}
	for i := 0; i < 64*256; i++ {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(200 + i/256), byte(i % 256), 0}), 24)
		free := true
		for _, t := range taken {
			free = free && !t.Overlaps(p)
		}
		if !free {
			continue
		}
		err := network.CreateBridge(backend.Network{Bridge: bridge, Subnet: p, Gateway: p.Addr().Next(), ICC: true})
		if err != nil {
			return fmt.Errorf("bridge %s on %s: %w", bridge, p, err)
		}
		return nil
	}
	return errors.New("no free subnet for the lesson's bridge in 172.17-31.0.0/16 or 10.200-255.x.0/24")
}

func ipPrefix(n *net.IPNet) netip.Prefix {
	a, _ := netip.AddrFromSlice(n.IP.To4())
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a, ones).Masked()
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
