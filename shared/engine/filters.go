package engine

import (
	"path"
	"strings"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// invalidFilter is dockerd's error for an unknown filter key.
func invalidFilter(key string) error {
	return backend.Errorf(backend.InvalidParameter, "Invalid filter '%s'", key)
}

// matchLabels reports whether labels satisfy every "key" or "key=value"
// filter.
func matchLabels(filters []string, labels map[string]string) bool {
	for _, f := range filters {
		k, want, hasValue := strings.Cut(f, "=")
		got, ok := labels[k]
		if !ok || (hasValue && got != want) {
			return false
		}
	}
	return true
}

// matchReference matches a familiar reference ("busybox:latest") against a
// `reference=` filter pattern, as dockerd: the pattern may name the
// repository alone or repository:tag, with shell wildcards.
func matchReference(pattern, ref string) bool {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return false
	}
	familiar := reference.FamiliarName(named)
	if ok, _ := path.Match(pattern, familiar); ok {
		return true
	}
	if ok, _ := path.Match(pattern, reference.FamiliarString(named)); ok {
		return true
	}
	return false
}

func digestOf(s string) digest.Digest { return digest.Digest(s) }
