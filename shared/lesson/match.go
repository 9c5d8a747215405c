package lesson

import "strings"

// Wildcards of expected output.
const (
	AnyText  = "<*>"   // any text within a line
	AnyLines = "<...>" // alone on a line: any number of lines, none included
)

// Match reports whether got, an output's Canonical lines, matches want, the
// Canonical lines a lesson expects, in which AnyText and AnyLines match
// what they say.
func Match(want, got []string) bool {
	memo := map[[2]int]bool{}
	var m func(i, j int) bool
	m = func(i, j int) bool {
		if i == len(want) {
			return j == len(got)
		}
		k := [2]int{i, j}
		if v, ok := memo[k]; ok {
			return v
		}
		var ok bool
		if want[i] == AnyLines {
			ok = m(i+1, j) || j < len(got) && m(i, j+1)
		} else {
			ok = j < len(got) && MatchLine(want[i], got[j]) && m(i+1, j+1)
		}
		memo[k] = ok
		return ok
	}
	return m(0, 0)
}

// MatchLine reports whether the line got matches want, in which AnyText
// matches any text.
func MatchLine(want, got string) bool {
	parts := strings.Split(want, AnyText)
	if len(parts) == 1 {
		return want == got
	}
	if !strings.HasPrefix(got, parts[0]) {
		return false
	}
	got = got[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(got, p)
		if i < 0 {
			return false
		}
		got = got[i+len(p):]
	}
	return strings.HasSuffix(got, last)
}

// Op says where a line of a diff comes from.
type Op byte

// Diff operations.
const (
	Same    Op = '=' // in both
	Removed Op = '-' // only in the first (expected, or the left side)
	Added   Op = '+' // only in the second (what ran, or the right side)
)

// DiffLine is one line of a diff. Left and Right are the lines of each
// side; a Same line has both (equal, or matching as MatchLine says).
type DiffLine struct {
	Op    Op
	Left  string
	Right string
}

// Diff aligns two lists of lines by their longest common subsequence, lines
// being equal when eq says so. Lines on one side only come out next to each
// other, removed before added, as in a unified diff.
func Diff(a, b []string, eq func(x, y string) bool) []DiffLine {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if eq(a[i], b[j]) {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []DiffLine
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && eq(a[i], b[j]):
			out = append(out, DiffLine{Same, a[i], b[j]})
			i++
			j++
		case j == m || i < n && lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, DiffLine{Op: Removed, Left: a[i]})
			i++
		default:
			out = append(out, DiffLine{Op: Added, Right: b[j]})
			j++
		}
	}
	return out
}
