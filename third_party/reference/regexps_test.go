package reference

import (
	"regexp"
	"strings"
	"testing"
)

// The regular expressions upstream compiles at init, here only to check
// the hand-written matchers of match.go against them.
var (
	DomainRegexp             = regexp.MustCompile(domainAndPort)
	ReferenceRegexp          = regexp.MustCompile(referencePat)
	anchoredNameRegexp       = regexp.MustCompile(anchoredNamePat)
	anchoredIdentifierRegexp = regexp.MustCompile(anchored(identifier))
	anchoredTagRegexp        = regexp.MustCompile(anchored(tag))
	anchoredDigestRegexp     = regexp.MustCompile(anchored(digestPat))
	anchoredDomainRegexp     = regexp.MustCompile(anchored(domainAndPort))
)

// checkMatcher checks that the matchers agree with the regular
// expressions on s: whether it matches, and the submatches.
func checkMatcher(t *testing.T, r *regexp.Regexp, s string) {
	t.Helper()
	sub := func(m []string) []string {
		if m == nil {
			return nil
		}
		return m[1:]
	}
	if r == nil || r == anchoredNameRegexp {
		want := sub(anchoredNameRegexp.FindStringSubmatch(s))
		domain, remote, ok := splitName(s)
		if ok != (want != nil) || ok && (domain != want[0] || remote != want[1]) {
			t.Errorf("splitName(%q) = %q, %q, %t; the regexp gives %q", s, domain, remote, ok, want)
		}
	}
	if r == nil || r == ReferenceRegexp {
		want := sub(ReferenceRegexp.FindStringSubmatch(s))
		name, tag, digest, ok := matchReference(s)
		if ok != (want != nil) || ok && (name != want[0] || tag != want[1] || digest != want[2]) {
			t.Errorf("matchReference(%q) = %q, %q, %q, %t; the regexp gives %q", s, name, tag, digest, ok, want)
		}
	}
	if r != nil {
		return
	}
	for _, c := range []struct {
		name string
		re   *regexp.Regexp
		f    func(string) bool
	}{
		{"matchIdentifier", anchoredIdentifierRegexp, matchIdentifier},
		{"matchTag", anchoredTagRegexp, matchTag},
		{"matchDigest", anchoredDigestRegexp, matchDigest},
		{"matchDomainAndPort", anchoredDomainRegexp, matchDomainAndPort},
	} {
		if got, want := c.f(s), c.re.MatchString(s); got != want {
			t.Errorf("%s(%q) = %t; the regexp gives %t", c.name, s, got, want)
		}
	}
}

func TestMatchers(t *testing.T) {
	long := func(n int, c string) string { return strings.Repeat(c, n) }
	hex64 := long(64, "a")
	for _, s := range []string{
		"", "a", "A", "busybox", "busybox:latest", "library/busybox", "docker.io/library/busybox:1.36",
		"localhost", "localhost:5000", "localhost:5000/a", "localhost:5000/a:b", "localhost:5000/a:b:c",
		"a:b/c", "a/b:c/d", "a:1/b:2", "a::b", "a:", ":a", "/a", "a/", "a//b", "a/b/c/d",
		"a.b", "a..b", "a_b", "a__b", "a___b", "a-b", "a---b", "a._b", "a-_b", "a-", "-a", "_a", ".a",
		"Ab/c", "ab/C", "AB.com/c", "a-b.com:80/c", "-a.com/c", "a-.com/c", "a.com./c", ".a.com/c",
		"[::1]/a", "[::1]:80/a", "[::1]:/a", "[]/a", "[g::1]/a", "[::1/a", "::1/a", "[::1]x/a",
		"a@sha256:" + hex64, "a:t@sha256:" + hex64, "a@sha256:abc", "a@@sha256:" + hex64,
		"a@sha256+b64:" + hex64, "a@sha256.x:" + hex64, "a@1sha:" + hex64, "a@sha-:" + hex64, "a@:" + hex64,
		"a@SHA256:" + long(64, "F"), "a@sha256:" + hex64 + ":" + hex64, "a@sha256:" + hex64 + "/b",
		hex64, long(64, "A"), long(63, "a"), long(65, "a"), "sha256:" + hex64,
		"a:" + long(128, "t"), "a:" + long(129, "t"), "a:_t", "a:.t", "a:-t", "a:t.-_", "a:t~",
		"a/b:" + long(128, "t") + "@sha256:" + hex64,
		"example.com:8080/a/b/c:tag@sha256:" + hex64, "1.2.3.4:5/x", "1.2.3.4:x/y",
	} {
		checkMatcher(t, nil, s)
	}
}

// FuzzMatchers checks the matchers against the regular expressions on
// any input: go test -fuzz FuzzMatchers github.com/distribution/reference
func FuzzMatchers(f *testing.F) {
	for _, s := range []string{"busybox", "localhost:5000/a/b:c@sha256:" + "0123456789abcdef0123456789abcdef", "[::1]:80/a__b", "a-b.c:1/d.e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkMatcher(t, nil, s)
	})
}
