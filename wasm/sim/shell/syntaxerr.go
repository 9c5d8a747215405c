package shell

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// ashError is a syntax error already worded as ash words it.
type ashError struct {
	line int    // 0: the line of the statement
	text string // after "syntax error: ", or the whole text when bare
	bare bool   // printed without "syntax error: "
}

func (e *ashError) Error() string { return e.text }

var (
	reFollowed = regexp.MustCompile("^`([^`]+)` must be followed by")
	reOnlyUsed = regexp.MustCompile("^`([^`]+)` can only")
	reMustEnd  = regexp.MustCompile("^`([^`]+)` statement must end with `([^`]+)`")
	reMatching = regexp.MustCompile("^reached EOF without matching `([^`]+)` with `([^`]+)`")
	reHeredoc  = regexp.MustCompile("^unclosed here-document `([^`]*)`")
)

// closers is what ash expects after an opening word when the input ends.
var closers = map[string]string{
	"if": "then", "then": "fi", "else": "fi", "elif": "then", "while": "do",
	"until": "do", "do": "done", "(": ")", "{": "}", "$(": ")", "case": "word",
	"for": "do", "in": "",
}

// translate words a parse error of mvdan.cc/sh the way ash words the same
// mistake. src is the text parsed.
func translate(src string, err error) *ashError {
	var ae *ashError
	if errors.As(err, &ae) {
		return ae
	}
	var pe syntax.ParseError
	if !errors.As(err, &pe) {
		var le syntax.LangError
		if errors.As(err, &le) {
			return &ashError{line: int(le.Pos.Line()), text: "bad substitution"}
		}
		return &ashError{text: err.Error()}
	}
	line := int(pe.Pos.Line())
	eofLine := strings.Count(strings.TrimSuffix(src, "\n"), "\n") + 2
	next, atEOF := nextToken(src, int(pe.Pos.Offset()))
	text := pe.Text
	unexpected := func(tok string) *ashError {
		return &ashError{line: line, text: fmt.Sprintf("unexpected %q", tok)}
	}
	eof := func(expect string) *ashError {
		t := "unexpected end of file"
		if expect == "word" {
			t += " (expecting word)"
		} else if expect != "" {
			t += fmt.Sprintf(" (expecting %q)", expect)
		}
		return &ashError{line: eofLine, text: t}
	}
	switch {
	case strings.HasPrefix(text, "reached EOF without closing quote"):
		if strings.Contains(text, "`\"`") || strings.Contains(text, "`'`") {
			return &ashError{line: eofLine, text: "unterminated quoted string"}
		}
		return &ashError{line: eofLine, text: "EOF in backquote substitution"}
	case reMatching.MatchString(text):
		m := reMatching.FindStringSubmatch(text)
		switch m[1] {
		case "${":
			return &ashError{line: eofLine, text: "missing '}'"}
		case "[[":
			return &ashError{line: eofLine, text: "missing ]]", bare: true}
		case "$((", "((":
			return &ashError{line: eofLine, text: "missing '))'"}
		}
		return eof(m[2])
	case reMustEnd.MatchString(text):
		m := reMustEnd.FindStringSubmatch(text)
		if m[1] == "case" {
			return eof(")")
		}
		return eof(m[2])
	case reFollowed.MatchString(text):
		m := reFollowed.FindStringSubmatch(text)
		kw := m[1]
		// The word after the keyword is what ash trips on.
		after, afterEOF := nextToken(src, int(pe.Pos.Offset())+len(kw))
		if strings.Contains(text, "expression") {
			return &ashError{line: line, text: "arithmetic syntax error", bare: true}
		}
		if afterEOF {
			return eof(closers[kw])
		}
		return unexpected(after)
	case strings.HasPrefix(text, "not a valid parameter expansion operator"):
		if strings.HasSuffix(text, `"\n"`) || atEOF {
			return &ashError{line: eofLine, text: "missing '}'"}
		}
		return &ashError{line: line, text: "bad substitution"}
	case reOnlyUsed.MatchString(text):
		m := reOnlyUsed.FindStringSubmatch(text)
		return unexpected(m[1])
	case strings.Contains(text, "a command can only contain words and redirects"):
		if atEOF {
			return eof("")
		}
		return unexpected(next)
	}
	if atEOF {
		return eof("")
	}
	return unexpected(next)
}

// nextToken is the shell token at or after offset in src: an operator or
// a word, and whether the input ended first.
func nextToken(src string, off int) (string, bool) {
	i := off
	for i < len(src) {
		c := src[i]
		if c == ' ' || c == '\t' || c == '\n' {
			i++
			continue
		}
		if c == '#' {
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		}
		break
	}
	if i >= len(src) {
		return "", true
	}
	for _, op := range []string{";;", "&&", "||", ">>", "<<", "<&", ">&", "<>", ";", "&", "|", "(", ")", "<", ">"} {
		if strings.HasPrefix(src[i:], op) {
			return op, false
		}
	}
	j := i
	for j < len(src) && !strings.ContainsRune(" \t\n;&|()<>", rune(src[j])) {
		j++
	}
	return src[i:j], false
}

// heredocDelim returns the delimiter of an unclosed here-document error:
// ash ends such a document at the end of the input.
func heredocDelim(err error) (string, bool) {
	var pe syntax.ParseError
	if !errors.As(err, &pe) {
		return "", false
	}
	m := reHeredoc.FindStringSubmatch(pe.Text)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// syntaxError prints a parse error as ash does and records it as the
// shell's line.
func (sh *shell) syntaxError(builtin, src string, err error) {
	ae := translate(src, err)
	if ae.line > 0 && builtin == "" {
		sh.setLine(ae.line)
	}
	text := ae.text
	if !ae.bare {
		text = "syntax error: " + text
	}
	sh.cmdMsg(builtin, "%s", text)
}
