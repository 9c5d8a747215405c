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
