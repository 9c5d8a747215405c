package digest

import (
	"regexp"
	"strings"
	"testing"
)

// The regular expressions upstream compiles at init, here only to check
// the hand-written matching against them.
var (
	digestRegexpAnchored  = regexp.MustCompile(`^` + digestPattern + `$`)
	anchoredEncodedRegexp = map[Algorithm]*regexp.Regexp{
		SHA256: regexp.MustCompile(`^[a-f0-9]{64}$`),
		SHA384: regexp.MustCompile(`^[a-f0-9]{96}$`),
		SHA512: regexp.MustCompile(`^[a-f0-9]{128}$`),
	}
)

func checkMatch(t *testing.T, s string) {
	t.Helper()
	if got, want := matchDigest(s), digestRegexpAnchored.MatchString(s); got != want {
		t.Errorf("matchDigest(%q) = %t; the regexp gives %t", s, got, want)
	}
	alg, enc, _ := strings.Cut(s, ":")
	a := Algorithm(alg)
	if r, ok := anchoredEncodedRegexp[a]; ok {
		if got, want := a.Validate(enc) == nil, r.MatchString(enc); got != want {
			t.Errorf("%s.Validate(%q) succeeds: %t; the regexp gives %t", a, enc, got, want)
		}
	}
}

func TestMatchDigest(t *testing.T) {
	h := strings.Repeat("a", 64)
	for _, s := range []string{
		"", ":", "a:", ":a", "a:b", "sha256:" + h, "sha256:" + strings.ToUpper(h), "sha256:" + h[:63] + "g",
		"sha384:" + strings.Repeat("0", 96), "sha512:" + strings.Repeat("f", 128), "sha256:" + h + "0",
		"sha256+b64:abc=", "a.b+c_d-e:x", "a..b:x", "a.:x", ".a:x", "A:x", "a:b:c", "a:b/c", "a:b~",
		"multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
	} {
		checkMatch(t, s)
	}
}

// FuzzMatchDigest: go test -fuzz FuzzMatchDigest github.com/opencontainers/go-digest
func FuzzMatchDigest(f *testing.F) {
	f.Add("sha256:" + strings.Repeat("a", 64))
	f.Add("a.b+c_d-e:Xy=_-")
	f.Fuzz(func(t *testing.T, s string) {
		checkMatch(t, s)
	})
}
