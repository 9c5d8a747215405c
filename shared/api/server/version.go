package server

import (
	"strconv"
	"strings"
)

// compareVersions compares API versions ("1.41") as dockerd does: dot by
// dot, numerically, a missing or malformed part counting as 0. It returns
// -1, 0 or 1.
func compareVersions(v1, v2 string) int {
	a, b := strings.Split(v1, "."), strings.Split(v2, ".")
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y int
		if i < len(a) {
			x, _ = strconv.Atoi(a[i])
		}
		if i < len(b) {
			y, _ = strconv.Atoi(b[i])
		}
		switch {
		case x > y:
			return 1
		case x < y:
			return -1
		}
	}
	return 0
}

func versionLess(v, other string) bool { return compareVersions(v, other) < 0 }

func versionAtLeast(v, other string) bool { return compareVersions(v, other) >= 0 }
