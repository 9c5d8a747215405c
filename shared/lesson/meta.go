package lesson

import (
	"bytes"
	"strings"
)

// SplitFrontMatter parses the front matter at the top of a lesson file and
// returns it with the Markdown after it and the line that Markdown starts
// at. Errors are *Error values in an ErrorList, at the lines they concern.
func SplitFrontMatter(file string, src []byte) (meta Meta, body []byte, bodyLine int, err error) {
	var errs ErrorList
	first, rest, _ := bytes.Cut(src, []byte("\n"))
	if strings.TrimRight(string(first), " \t\r") != "---" {
		errs.Add(file, 1, "missing front matter: the file must start with a --- line, then title, objectives and engines, then ---")
		return Meta{}, nil, 0, errs.Err()
	}
	var lines []string
	closed := false
	n := 1
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		n++
		s := strings.TrimRight(string(line), " \t\r")
		if s == "---" {
			closed = true
			break
		}
		lines = append(lines, s)
	}
	if !closed {
		errs.Add(file, 1, "front matter not closed: no --- line after it")
		return Meta{}, nil, 0, errs.Err()
	}
	meta = parseMeta(file, lines, &errs)
	return meta, rest, n + 1, errs.Err()
}

// parseMeta reads the front matter's lines (the first is line 2).
func parseMeta(file string, lines []string, errs *ErrorList) Meta {
	var m Meta
	seen := map[string]int{}
	var listKey string // the key whose "- item" lines follow
	items := map[string][]string{}
	for i, s := range lines {
		line := i + 2
		trimmed := strings.TrimSpace(s)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			continue
		case strings.HasPrefix(trimmed, "- ") || trimmed == "-":
			if listKey == "" || s == trimmed {
				errs.Add(file, line, "front matter: list item %q outside a list (indent it under a key with no value)", trimmed)
				continue
			}
			v, ok := unquote(strings.TrimSpace(strings.TrimPrefix(trimmed, "-")))
			if !ok || v == "" {
				errs.Add(file, line, "front matter: %s: bad item %q", listKey, trimmed)
				continue
			}
			items[listKey] = append(items[listKey], v)
			continue
		}
		listKey = ""
		if s != trimmed {
			errs.Add(file, line, "front matter: unexpected indented line %q", trimmed)
			continue
		}
		key, value, ok := strings.Cut(s, ":")
		key = strings.TrimSpace(key)
		value = strings.TrimSpace(value)
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			errs.Add(file, line, "front matter: want key: value, got %q", s)
			continue
		}
		if prev, dup := seen[key]; dup {
			errs.Add(file, line, "front matter: %s given twice (first on line %d)", key, prev)
			continue
		}
		seen[key] = line
		switch key {
		case "title", "summary":
			v, ok := unquote(value)
			if !ok {
				errs.Add(file, line, "front matter: %s: unclosed quote", key)
				continue
			}
			if key == "title" {
				m.Title = v
			} else {
				m.Summary = v
			}
		case "objectives", "engines":
			if value == "" {
				listKey = key
				items[key] = []string{}
				continue
			}
			list, ok := inlineList(value)
			if !ok {
				errs.Add(file, line, "front matter: %s: want [a, b] or - items on the lines below, got %q", key, value)
				continue
			}
			items[key] = list
		default:
			errs.Add(file, line, "front matter: unknown key %q (want title, summary, objectives, engines)", key)
		}
	}
	m.Objectives = items["objectives"]
	m.Engines = items["engines"]
	if m.Title == "" {
		errs.Add(file, 1, "front matter: missing title")
	}
	if len(m.Objectives) == 0 {
		errs.Add(file, at(seen, "objectives"), "front matter: missing objectives (what the learner can do afterwards)")
	}
	if len(m.Engines) == 0 {
		errs.Add(file, at(seen, "engines"), "front matter: missing engines (any of sim, native, docker)")
	}
	for _, e := range m.Engines {
		if e != EngineSim && e != EngineNative && e != EngineDocker {
			errs.Add(file, seen["engines"], "front matter: engines: unknown engine %q (want sim, native or docker)", e)
		}
	}
	return m
}

// at is the line key was given on, or 1.
func at(seen map[string]int, key string) int {
	if n, ok := seen[key]; ok {
		return n
	}
	return 1
}

// inlineList parses "[a, b, c]" or a bare "a, b".
func inlineList(v string) ([]string, bool) {
	if strings.HasPrefix(v, "[") {
		if !strings.HasSuffix(v, "]") {
			return nil, false
		}
		v = v[1 : len(v)-1]
	}
	var out []string
	for _, f := range strings.Split(v, ",") {
		s, ok := unquote(strings.TrimSpace(f))
		if !ok || s == "" {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// unquote removes a pair of double quotes around v.
func unquote(v string) (string, bool) {
	if strings.HasPrefix(v, `"`) {
		if len(v) < 2 || !strings.HasSuffix(v, `"`) {
			return "", false
		}
		return v[1 : len(v)-1], true
	}
	return v, true
}
