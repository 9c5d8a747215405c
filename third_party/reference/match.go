package reference

import "strings"

// Hand-written matchers for the grammar in regexp.go. Each gives what the
// anchored regular expression it is named after gives, submatches
// included (regexps_test.go compares them on upstream's cases, and
// FuzzMatchers on anything else). They exist because compiling the
// regular expressions at init cost every program that links this package
// 4 ms and 400 KB before main; a docker CLI starts once per command.

// matchIdentifier matches anchored(identifier): 64 lower-case hex digits.
func matchIdentifier(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLowerHex(s[i]) {
			return false
		}
	}
	return true
}

// matchTag matches anchored(tag): [\w][\w.-]{0,127}.
func matchTag(s string) bool {
	if len(s) == 0 || len(s) > 128 || !isWord(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isWord(c) && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// matchDigest matches anchored(digestPat): an algorithm
// ([A-Za-z][A-Za-z0-9]* joined by [-_+.]), ':', and 32 or more hex digits.
func matchDigest(s string) bool {
	alg, enc, ok := strings.Cut(s, ":")
	if !ok || len(enc) < 32 {
		return false
	}
	for i := 0; i < len(enc); i++ {
		if !isHex(enc[i]) {
			return false
		}
	}
	// Components start with a letter; a separator comes only between them.
	start := true
	for i := 0; i < len(alg); i++ {
		c := alg[i]
		switch {
		case isLetter(c):
			start = false
		case isDigit(c) && !start:
		case (c == '-' || c == '_' || c == '+' || c == '.') && !start:
			start = true
		default:
			return false
		}
	}
	return !start
}

// splitName matches anchoredNamePat: an optional domain (with its port)
// and '/', then the remote name. Like the regular expression, it prefers
// reading the first component as a domain when the rest is a valid
// remote name.
func splitName(s string) (domain, remote string, ok bool) {
	if d, r, found := strings.Cut(s, "/"); found && matchDomainAndPort(d) && matchRemoteName(r) {
		return d, r, true
	}
	if matchRemoteName(s) {
		return "", s, true
	}
	return "", "", false
}

// matchReference matches referencePat: a name, then an optional ':' and
// tag, then an optional '@' and digest.
func matchReference(s string) (name, tag, digest string, ok bool) {
	// Nothing before the digest has an '@', and a digest has none.
	if before, after, found := strings.Cut(s, "@"); found {
		if !matchDigest(after) {
			return "", "", "", false
		}
		s, digest = before, after
	}
	// A name has a ':' only in its domain's port, before the first '/';
	// a tag has no '/' and no ':'.
	name = s
	rest := s
	off := 0
	if i := strings.IndexByte(s, '/'); i >= 0 {
		rest, off = s[i:], i
	}
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		name, tag = s[:off+i], s[off+i+1:]
		if !matchTag(tag) {
			return "", "", "", false
		}
	}
	if _, _, ok := splitName(name); !ok {
		return "", "", "", false
	}
	return name, tag, digest, true
}

// matchDomainAndPort matches anchored(domainAndPort): a domain name (DNS
// labels of letters, digits and inner '-', joined by '.') or an IPv6
// address in brackets, then an optional ':' and port number.
func matchDomainAndPort(s string) bool {
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return false
		}
		host, port = s[:end+1], s[end+1:]
		if len(host) < 3 {
			return false
		}
		for i := 1; i < len(host)-1; i++ {
			if c := host[i]; !isHex(c) && c != ':' {
				return false
			}
		}
	} else {
		if i := strings.IndexByte(s, ':'); i >= 0 {
			host, port = s[:i], s[i:]
		}
		if !allParts(host, '.', matchDomainLabel) {
			return false
		}
	}
	if port == "" {
		return true
	}
	if port[0] != ':' || len(port) < 2 {
		return false
	}
	for i := 1; i < len(port); i++ {
		if !isDigit(port[i]) {
			return false
		}
	}
	return true
}

// matchDomainLabel matches domainNameComponent.
func matchDomainLabel(s string) bool {
	if s == "" || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

// matchRemoteName matches anchored(remoteName): path components joined
// by '/'.
func matchRemoteName(s string) bool {
	return allParts(s, '/', matchPathComponent)
}

// allParts reports whether every part of s between seps satisfies f.
func allParts(s string, sep byte, f func(string) bool) bool {
	for {
		i := strings.IndexByte(s, sep)
		if i < 0 {
			return f(s)
		}
		if !f(s[:i]) {
			return false
		}
		s = s[i+1:]
	}
}

// matchPathComponent matches anchored(pathComponent): runs of [a-z0-9]
// joined by a separator: one '.', one or two '_', or any number of '-'.
func matchPathComponent(s string) bool {
	i := 0
	for {
		j := i
		for j < len(s) && isLowerAlnum(s[j]) {
			j++
		}
		if j == i {
			return false // a run of [a-z0-9] must come here
		}
		if j == len(s) {
			return true
		}
		switch s[j] {
		case '.':
			j++
		case '_':
			j++
			if j < len(s) && s[j] == '_' {
				j++
			}
		case '-':
			for j < len(s) && s[j] == '-' {
				j++
			}
		default:
			return false
		}
		i = j
	}
}

func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isLetter(c byte) bool     { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isAlnum(c byte) bool      { return isDigit(c) || isLetter(c) }
func isLowerAlnum(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'z' }
func isLowerHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' }
func isHex(c byte) bool        { return isLowerHex(c) || 'A' <= c && c <= 'F' }
func isWord(c byte) bool       { return isAlnum(c) || c == '_' }
