package busybox

import (
	"io/fs"
	"strings"
	"time"

	"github.com/twinbox-dev/twinbox/wasm/sim/applets/internal/testroot"
)

// dataTime is the date of the fixture's /data files: older than six months
// whenever the goldens are recorded, so ls shows the year.
var dataTime = time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)

// fixture is the tree every comparison case starts from: the base image,
// /dev's null and zero, and some files under /data.
func fixture() map[string]testroot.File {
	m := testroot.BaseImage()
	add := func(name string, mode fs.FileMode, content string) {
		m[name] = testroot.File{Mode: mode, Content: content, MTime: dataTime}
	}
	m["/dev"] = testroot.File{Mode: fs.ModeDir | 0o755}
	m["/dev/null"] = testroot.File{Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666, Content: "1,3"}
	m["/dev/zero"] = testroot.File{Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666, Content: "1,5"}
	add("/data", fs.ModeDir|0o755, "")
	add("/data/hello.txt", 0o644, "hello\n")
	add("/data/lines.txt", 0o644, "banana 3\napple 10\ncherry 1\napple 10\nBlueberry 7\n\ndate 22\n")
	add("/data/big.bin", 0o644, strings.Repeat("x", 5000))
	add("/data/empty", 0o644, "")
	add("/data/script.sh", 0o755, "#!/bin/sh\necho script ran with $# args: $*\nexit 4\n")
	add("/data/nosheb.sh", 0o755, "echo no shebang $0 $1\n")
	add("/data/noexec.txt", 0o644, "echo hi\n")
	add("/data/sub", fs.ModeDir|0o755, "")
	add("/data/sub/nested.txt", 0o600, "nested\nfile\n")
	add("/data/sub/deeper", fs.ModeDir|0o700, "")
	add("/data/sub/deeper/leaf", 0o644, "leaf\n")
	add("/data/tabs.txt", 0o644, "a\tb\tc\n1\t2\t3\n")
	add("/data/words.txt", 0o644, "the quick brown fox\njumps over the lazy dog\nThe End\n")
	add("/data/passwd.csv", 0o644, "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n")
	m["/data/link"] = testroot.File{Mode: fs.ModeSymlink | 0o777, Content: "hello.txt"}
	m["/data/dangling"] = testroot.File{Mode: fs.ModeSymlink | 0o777, Content: "/nonexistent"}
	m["/data/owned"] = testroot.File{Mode: 0o640, Content: "x\n", UID: 65534, GID: 65534, MTime: dataTime}
	return m
}
