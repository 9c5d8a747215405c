// Package native is twinbox's Linux backend: backend.Backend done for real
// with overlayfs (storage), namespaces and a C monitor per container
// (runtime), control groups (cgroup) and bridges with veth pairs (network),
// plus a directory-backed store for the engine's records (store).
//
// The binary's main calls Init first, as with Docker's reexec.Init: the
// container side of twinbox runs in re-executed copies of the binary.
//
//	func main() {
//		native.Init()
//		...
//		b, err := native.New(native.Options{Root: "/var/lib/twinbox"})
//		st, err := b.RecordStore()
//		e, err := engine.New(ctx, b, engine.Options{Store: st})
//		defer b.Close()
//	}
//
// Layout of Options.Root (default /var/lib/twinbox): layers/, l/,
// containers/, volumes/, tmp/ (see package storage), networks/ (the bridges
// the engine created), records/ (the engine's store) and twinbox.lock, held
// by the daemon that owns the root.
//
// On systems other than Linux, New returns an error.
package native
