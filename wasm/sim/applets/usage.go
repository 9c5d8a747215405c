package applets

import (
	_ "embed"
	"sort"
	"strings"
	"sync"
)

// Banner is the first line of busybox's usage messages.
const Banner = "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.\n"

// usageData is what `busybox NAME --help` prints after the banner, for
// every applet of the real build, recorded from Debian's busybox-static
// 1.35.0 (see TestUsageData). Each applet starts with a line "== NAME".
//
//go:embed usage.txt
var usageData string

var parsedUsage = sync.OnceValues(func() (map[string]string, []string) {
	m := map[string]string{}
	var names []string
	for _, sec := range strings.Split(usageData, "== ")[1:] {
		name, text, _ := strings.Cut(sec, "\n")
		m[name] = text
		names = append(names, name)
	}
	sort.Strings(names)
	return m, names
})

// usageText is the message bb_show_usage prints for the applet.
func usageText(name string) string {
	m, _ := parsedUsage()
	text, ok := m[name]
	if !ok || text == "" {
		return Banner + "\nNo help available\n"
	}
	return Banner + text
}

// BusyboxApplets lists the applets of the real busybox build, as
// `busybox --list` prints them, sorted.
func BusyboxApplets() []string {
	_, names := parsedUsage()
	return append([]string(nil), names...)
}
