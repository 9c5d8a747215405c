// Package storage is the native backend's storage driver: content-addressed
// layers stacked with overlayfs as dockerd's overlay2 does, one read-write
// layer per container, `docker diff` from the overlay upper directory, layer
// commits with OCI whiteouts, safe extraction of hostile tars, the archive
// operations of `docker cp` and `docker export`, and local volumes.
//
// Layout under the engine root (see Open):
//
//	layers/<chain-id hex>/diff       the layer's files, overlay whiteouts (0/0 char devices, trusted.overlay.opaque)
//	layers/<chain-id hex>/layer.tar  the tar as applied; its sha256 is the DiffID
//	layers/<chain-id hex>/meta.json  ChainID, DiffID, parent, size, short link
//	l/<26 chars>                     short symlinks to diff dirs, so many lower dirs fit one mount option page
//	containers/<id>/init             the init layer: mount points for /proc, /sys, /dev, /etc/hosts ... (not in diff)
//	containers/<id>/diff, work       the overlay upper and work directories
//	containers/<id>/merged           where the root filesystem is mounted (in the container's mount namespace)
//	volumes/<name>/_data             local volumes
//	tmp/                             layers being applied; emptied by Open
//
// Everything is Linux-only; on other systems the package is empty.
package storage
