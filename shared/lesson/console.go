package lesson

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

// Fence info strings that mean something to lessons.
const (
	LangConsole = "console" // a step of commands
	LangCheck   = "check"   // checks of the step before
)

// ParseFence reads a fenced code block of a lesson: info is its info string,
// text its content, line the line of its opening fence. It returns the step
// a console block or a file= block is, or nil for a block that is only
// shown. Check blocks are read by ParseChecks. Errors are an ErrorList.
func ParseFence(file string, line int, info, text string) (*Step, error) {
	var errs ErrorList
	lang, attrs, err := ParseInfo(info)
	if err != nil {
		errs.Add(file, line, "%v", err)
		return nil, errs.Err()
	}
	if lang == LangCheck {
		return nil, nil
	}
	_, isFile := attrs.get("file")
	if lang != LangConsole && !isFile {
		return nil, nil
	}
	st := &Step{Line: line}
	if lang == LangConsole {
		st.Commands = parseConsole(file, line+1, text, &errs)
		if len(st.Commands) == 0 && len(errs) == 0 {
			errs.Add(file, line, "console block without a $ command")
		}
	} else {
		st.File = &File{Content: text}
	}
	for _, a := range attrs {
		switch {
		case a.Key == "file" && st.File != nil:
			p := a.Value
			if p == "" || strings.HasPrefix(p, "/") || strings.Contains("/"+p+"/", "/../") || path.Clean(p) != p {
				errs.Add(file, line, "file=%q: want a clean relative path without ..", p)
			}
			st.File.Path = p
		case a.Key == "mode" && st.File != nil:
			m, err := strconv.ParseUint(a.Value, 8, 32)
			if err != nil || m > 0o7777 || m == 0 {
				errs.Add(file, line, "mode=%q: want octal permission bits such as 755", a.Value)
			}
			st.File.Mode = uint32(m)
		case a.Key == "tty" && st.File == nil && a.Value == "":
			st.TTY = true
		case a.Key == "timeout":
			d, err := time.ParseDuration(a.Value)
			if err != nil || d <= 0 {
				errs.Add(file, line, "timeout=%q: want a duration such as 90s", a.Value)
			}
			st.Timeout = d
		case a.Key == "differs":
			if strings.TrimSpace(a.Value) == "" {
				errs.Add(file, line, "differs= needs the reason, shown to learners")
			}
			st.Differs = a.Value
		case a.Key == "engines":
			for _, e := range strings.Split(a.Value, ",") {
				if e != EngineSim && e != EngineNative && e != EngineDocker {
					errs.Add(file, line, "engines=%q: unknown engine %q (want sim, native or docker)", a.Value, e)
				}
				st.Engines = append(st.Engines, e)
			}
		case a.Key == "reason":
			st.Reason = a.Value
		default:
			errs.Add(file, line, "unknown attribute %q on a %s block", a.Key, blockKind(st))
		}
	}
	if len(st.Engines) > 0 && strings.TrimSpace(st.Reason) == "" {
		errs.Add(file, line, "engines= needs reason=\"...\": why the step does not run everywhere, shown to learners")
	}
	if st.Reason != "" && len(st.Engines) == 0 {
		errs.Add(file, line, "reason= without engines=")
	}
	return st, errs.Err()
}

func blockKind(st *Step) string {
	if st.File != nil {
		return "file="
	}
	return "console"
}

// parseConsole reads a console block's lines, the first being line first.
func parseConsole(file string, first int, text string, errs *ErrorList) []*Command {
	var cmds []*Command
	var cur *Command
	var want []string
	continuing := false
	flush := func() {
		if cur != nil {
			cur.Want = strings.Join(want, "\n")
			cmds = append(cmds, cur)
		}
		cur, want = nil, nil
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if text == "" {
		lines = nil
	}
	for i, l := range lines {
		n := first + i
		l = strings.TrimSuffix(l, "\r")
		switch {
		case strings.HasPrefix(l, "$ ") || l == "$":
			flush()
			script := strings.TrimPrefix(strings.TrimPrefix(l, "$"), " ")
			if strings.TrimSpace(script) == "" {
				errs.Add(file, n, "empty command after $")
			}
			cur = &Command{Line: n, Script: script}
			continuing = true
		case continuing && (strings.HasPrefix(l, "> ") || l == ">"):
			cur.Script += "\n" + strings.TrimPrefix(strings.TrimPrefix(l, ">"), " ")
		case cur == nil:
			if strings.TrimSpace(l) != "" {
				errs.Add(file, n, "output before the first $ command: %q", l)
			}
		default:
			continuing = false
			out, inputs, err := parseTyping(l)
			if err != nil {
				errs.Add(file, n, "%v", err)
				continue
			}
			base := len(strings.Join(want, "\n"))
			if len(want) > 0 {
				base++
			}
			for _, in := range inputs {
				in.Line = n
				in.At += base
				cur.Inputs = append(cur.Inputs, in)
			}
			want = append(want, out)
		}
	}
	flush()
	return cmds
}

// keyNames are the keys that may be typed by name.
var keyNames = map[string]byte{"Enter": '\r', "Tab": '\t', "Esc": 0x1b}

func init() {
	for c := byte('A'); c <= 'Z'; c++ {
		keyNames["Ctrl-"+string(c)] = c - 'A' + 1
	}
}

// parseTyping takes the [[...]] typing out of an output line: it returns the
// line as the screen shows it and the inputs, At being offsets in it.
func parseTyping(line string) (string, []Input, error) {
	var out strings.Builder
	var inputs []Input
	for i := 0; i < len(line); {
		switch {
		case strings.HasPrefix(line[i:], `\[[`):
			out.WriteString("[[")
			i += 3
		case strings.HasPrefix(line[i:], "[["):
			end := strings.Index(line[i+2:], "]]")
			if end < 0 {
				return "", nil, fmt.Errorf("unclosed [[ in %q: typing ends with ]]", line)
			}
			keys := line[i+2 : i+2+end]
			in, err := parseKeys(keys)
			if err != nil {
				return "", nil, err
			}
			i += 2 + end + 2
			if i == len(line) && !in.endsWithKey {
				in.Send = append(in.Send, '\r')
			}
			in.At = out.Len()
			out.WriteString(in.Echo)
			inputs = append(inputs, in.Input)
		default:
			out.WriteByte(line[i])
			i++
		}
	}
	return out.String(), inputs, nil
}

type parsedKeys struct {
	Input
	endsWithKey bool
}

// parseKeys reads what is between [[ and ]]: text and <Key> names.
func parseKeys(keys string) (parsedKeys, error) {
	p := parsedKeys{Input: Input{Keys: keys}}
	if keys == "" {
		return p, fmt.Errorf("[[]] types nothing")
	}
	var echo strings.Builder
	for i := 0; i < len(keys); {
		if keys[i] == '<' {
			if end := strings.IndexByte(keys[i:], '>'); end > 1 && isKeyName(keys[i+1:i+end]) {
				name := keys[i+1 : i+end]
				b, ok := keyNames[name]
				if !ok {
					return p, fmt.Errorf("unknown key <%s> in [[%s]] (want <Enter>, <Tab>, <Esc> or <Ctrl-A> to <Ctrl-Z>)", name, keys)
				}
				p.Send = append(p.Send, b)
				p.endsWithKey = true
				i += end + 1
				continue
			}
		}
		p.Send = append(p.Send, keys[i])
		echo.WriteByte(keys[i])
		p.endsWithKey = false
		i++
	}
	p.Echo = echo.String()
	return p, nil
}

// isKeyName reports whether s looks like a key's name: a capital letter,
// then letters, digits and dashes.
func isKeyName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Attr is one key=value of a fence's info string; a bare word has no value.
type Attr struct{ Key, Value string }

// Attrs are a fence's attributes in order.
type Attrs []Attr

func (as Attrs) get(key string) (string, bool) {
	for _, a := range as {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// ParseInfo splits a fence's info string into its language and attributes:
// `console timeout=90s differs="real Docker says so"`.
func ParseInfo(info string) (lang string, attrs Attrs, err error) {
	s := strings.TrimSpace(info)
	lang, s, _ = strings.Cut(s, " ")
	seen := map[string]bool{}
	for s = strings.TrimLeft(s, " \t"); s != ""; s = strings.TrimLeft(s, " \t") {
		i := strings.IndexAny(s, "= \t")
		if i < 0 {
			i = len(s)
		}
		key := s[:i]
		if key == "" || !isAttrName(key) {
			return "", nil, fmt.Errorf("bad attribute %q in info string %q", strings.Fields(s)[0], info)
		}
		s = s[i:]
		var value string
		if strings.HasPrefix(s, "=") {
			s = s[1:]
			if strings.HasPrefix(s, `"`) {
				end := strings.IndexByte(s[1:], '"')
				if end < 0 {
					return "", nil, fmt.Errorf("%s: unclosed quote in info string %q", key, info)
				}
				value, s = s[1:1+end], s[2+end:]
				if s != "" && s[0] != ' ' && s[0] != '\t' {
					return "", nil, fmt.Errorf("%s: want a space after the closing quote in info string %q", key, info)
				}
			} else {
				j := strings.IndexAny(s, " \t")
				if j < 0 {
					j = len(s)
				}
				value, s = s[:j], s[j:]
				if value == "" {
					return "", nil, fmt.Errorf("%s= without a value in info string %q", key, info)
				}
			}
		}
		if seen[key] {
			return "", nil, fmt.Errorf("%s given twice in info string %q", key, info)
		}
		seen[key] = true
		attrs = append(attrs, Attr{key, value})
	}
	return lang, attrs, nil
}

func isAttrName(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
