package applets

import (
	"regexp"
	"strings"
)

// compileRegex compiles a POSIX regular expression (basic unless ere) with
// glibc's GNU extensions (\+ \? \| \w \s \b \< \>) into a Go regexp with
// leftmost-longest matching, as regcomp(3) and regexec(3) match.
func compileRegex(pattern string, ere, icase bool) (*regexp.Regexp, error) {
	var b strings.Builder
	if icase {
		b.WriteString("(?i)")
	}
	b.WriteString("(?s)")
	inBracket := false
	atStart := true // where * is literal in a BRE
	for i := 0; i < len(pattern); i++ {
		ch := pattern[i]
		if inBracket {
			// Copy the bracket expression; a backslash is literal in it.
			if ch == '\\' {
				b.WriteString(`\\`)
			} else if ch == ']' {
				b.WriteByte(']')
				inBracket = false
			} else if ch == '[' && i+1 < len(pattern) && (pattern[i+1] == ':' || pattern[i+1] == '.' || pattern[i+1] == '=') {
				end := strings.Index(pattern[i+2:], string(pattern[i+1])+"]")
				if end < 0 {
					return nil, errBadRegex
				}
				b.WriteString(pattern[i : i+2+end+2])
				i += 2 + end + 1
			} else {
				b.WriteByte(ch)
			}
			continue
		}
		switch {
		case ch == '[':
			inBracket = true
			b.WriteByte('[')
			if i+1 < len(pattern) && pattern[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(pattern) && pattern[i+1] == ']' {
				b.WriteString(`\]`)
				i++
			}
			atStart = false
			continue
		case ch == '\\' && i+1 < len(pattern):
			i++
			n := pattern[i]
			switch {
			case !ere && (n == '(' || n == ')' || n == '{' || n == '}' || n == '|' || n == '+' || n == '?'):
				b.WriteByte(n)
				atStart = n == '(' || n == '|'
				continue
			case n == '<' || n == '>':
				b.WriteString(`\b`)
			case n == 'w' || n == 'W' || n == 's' || n == 'S' || n == 'b' || n == 'B':
				b.WriteByte('\\')
				b.WriteByte(n)
			case n >= '1' && n <= '9':
				// Back-references are not supported by the engine.
				return nil, errBadRegex
			case n == 'n':
				b.WriteString(`\n`)
			case n == 't':
				b.WriteString(`\t`)
			default:
				b.WriteString(regexp.QuoteMeta(string(n)))
			}
			atStart = false
			continue
		case !ere && (ch == '(' || ch == ')' || ch == '{' || ch == '}' || ch == '|' || ch == '+' || ch == '?'):
			b.WriteString(`\` + string(ch))
		case ch == '*' && atStart:
			b.WriteString(`\*`)
		case ere && ch == '{' && !validInterval(pattern[i:]):
			b.WriteString(`\{`)
		case ch == '^' && !ere && !atStart:
			b.WriteString(`\^`)
		default:
			b.WriteByte(ch)
		}
		atStart = ere && (ch == '(' || ch == '|')
		if ch == '^' && (i == 0 || atStart) {
			atStart = true
		}
	}
	if inBracket {
		return nil, errBadRegex
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, err
	}
	re.Longest()
	return re, nil
}

type regexError string

func (e regexError) Error() string { return string(e) }

const errBadRegex = regexError("bad regex")

func validInterval(s string) bool {
	j := strings.IndexByte(s, '}')
	if j < 0 {
		return false
	}
	body := s[1:j]
	if body == "" {
		return false
	}
	return strings.Trim(body, "0123456789,") == ""
}
