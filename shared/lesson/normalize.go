// Package lesson holds twinbox's lessons: their format, the runner that
// checks them against an engine, and the normalisation that makes two
// transcripts of the same steps comparable.
package lesson

import (
	"regexp"
	"strings"

	"github.com/twinbox-dev/twinbox/shared/engine"
)

var (
	longID    = regexp.MustCompile(`\b[0-9a-f]{64}\b`)
	shortID   = regexp.MustCompile(`\b[0-9a-f]{12}\b`)
	timestamp = regexp.MustCompile(`\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	duration  = regexp.MustCompile(`\b(Less than a second|About a minute|About an hour|\d+ (second|minute|hour|day|week|month|year)s?)\b`)
	wordName  = regexp.MustCompile(`\b[a-z]+_[a-z]+[0-9]?\b`)
	spaces    = regexp.MustCompile(`  +`)
)

// Normalize replaces what legitimately differs between two runs of the same
// steps, as ../shared/reference's README prescribes: 64- and 12-hex IDs,
// generated container names, durations ("3 seconds ago", "Up 2 minutes") and
// timestamps — and, since those change the width of table columns, runs of
// two or more spaces become two. Everything else must match byte for byte.
func Normalize(s string) string {
	s = longID.ReplaceAllString(s, "<ID>")
	s = shortID.ReplaceAllString(s, "<SHORTID>")
	s = timestamp.ReplaceAllString(s, "<TIME>")
	s = duration.ReplaceAllString(s, "<DURATION>")
	s = wordName.ReplaceAllStringFunc(s, func(w string) string {
		if engine.IsGeneratedName(w) {
			return "<NAME>"
		}
		return w
	})
	return spaces.ReplaceAllString(s, "  ")
}

// NormalizeLines normalises each line of s.
func NormalizeLines(s string) []string {
	return strings.Split(Normalize(s), "\n")
}

// escape matches a terminal's escape sequences: CSI (colours, cursor
// queries such as ash's "\x1b[6n", erasing), OSC (titles) and two-byte ones.
var escape = regexp.MustCompile(`\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])`)

// Screen turns what a terminal was sent into the text it shows: escape
// sequences go, line ends ("\r\n", the "\n" of a raw terminal) become "\n",
// and a carriage return inside a line lets what follows overwrite the line
// from its start, as progress bars do.
func Screen(s string) string {
	s = escape.ReplaceAllString(s, "")
	if !strings.Contains(s, "\r") {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		l = strings.TrimRight(l, "\r")
		if !strings.Contains(l, "\r") {
			lines[i] = l
			continue
		}
		var line []byte
		for _, part := range strings.Split(l, "\r") {
			if len(part) >= len(line) {
				line = []byte(part)
			} else {
				copy(line, part)
			}
		}
		lines[i] = string(line)
	}
	return strings.Join(lines, "\n")
}

// padding is a table's column padding: two spaces or more.
var padding = regexp.MustCompile(`  +`)

// Canonical is the form in which lessons compare two outputs, as lines:
// the Screen of s, Normalized, each line's padding (runs of two or more
// spaces, which shift when a column's widest value changes, such as "Less
// than a second ago" against "2 seconds ago") made two spaces and its
// trailing blanks trimmed; trailing empty lines dropped. An empty output is
// no lines.
func Canonical(s string) []string {
	lines := strings.Split(Normalize(Screen(s)), "\n")
	for i, l := range lines {
		lines[i] = padding.ReplaceAllString(strings.TrimRight(l, " \t"), "  ")
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}
