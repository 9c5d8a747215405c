package runtime

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// capNames numbers Linux capabilities (include/uapi/linux/capability.h).
var capNames = []string{
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
	"SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
	"IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
	"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
	"LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
	"WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
}

// defaultCaps is Docker's default capability set (oci/caps/defaults.go).
var defaultCaps = []string{
	"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
	"SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
}

// Capabilities returns the capability names a container gets: Docker's
// defaults (all with privileged) plus add, less drop; "ALL" works in both
// lists and names may carry the CAP_ prefix. Errors name an unknown
// capability as Docker does.
func Capabilities(privileged bool, add, drop []string) ([]string, error) {
	norm := func(list []string) ([]string, error) {
		var out []string
		for _, c := range list {
			c = strings.TrimPrefix(strings.ToUpper(c), "CAP_")
			if c != "ALL" && capIndex(c) < 0 {
				return nil, fmt.Errorf("unknown capability: %q", "CAP_"+c)
			}
			out = append(out, c)
		}
		return out, nil
	}
	add, err := norm(add)
	if err != nil {
		return nil, err
	}
	drop, err = norm(drop)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	base := defaultCaps
	if privileged || contains(add, "ALL") {
		base = capNames[:lastCap()+1]
	}
	for _, c := range base {
		set[c] = true
	}
	if contains(drop, "ALL") {
		set = map[string]bool{}
	}
	for _, c := range drop {
		delete(set, c)
	}
	for _, c := range add {
		if c != "ALL" {
			set[c] = true
		}
	}
	var out []string
	for _, c := range capNames {
		if set[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func capIndex(name string) int {
	for i, n := range capNames {
		if n == name {
			return i
		}
	}
	return -1
}

func lastCap() int {
	data, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return len(capNames) - 1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || n >= len(capNames) {
		return len(capNames) - 1
	}
	return n
}

// dropBounding removes every capability not in keep from the calling
// thread's bounding set, and clears the ambient set.
func dropBounding(keep []string) error {
	for i := 0; i <= lastCap(); i++ {
		if contains(keep, capNames[i]) {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(i), 0, 0, 0); err != nil {
			return fmt.Errorf("drop capability %s: %w", capNames[i], err)
		}
	}
	unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
	return nil
}

// setCaps sets the calling thread's effective, permitted and inheritable
// sets to keep.
func setCaps(keep []string) error {
	var data [2]unix.CapUserData
	for _, c := range keep {
		i := capIndex(c)
		data[i/32].Effective |= 1 << (i % 32)
	}
	for i := range data {
		data[i].Permitted = data[i].Effective
		data[i].Inheritable = data[i].Effective
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	_ = unsafe.Sizeof(data)
	return unix.Capset(&hdr, &data[0])
}
