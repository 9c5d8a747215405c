package busybox

import (
	"bytes"
	"testing"

	"github.com/twinbox-dev/twinbox/wasm/sim/applets/proctest"
)

func TestSmoke(t *testing.T) {
	sys, _, err := proctest.NewTree(NewRegistry(), proctest.BaseImage())
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"echo hello world",
		"echo a; nosuch; echo st=$?",
		"echo $$ $PPID $0",
		"cd /tmp; pwd; cd /nosuch",
		"if then",
		"x=1; echo ${x:-y} $((x+2))",
		"echo a | cat",
		"sleep 1 & echo $!; wait; echo done",
		"printf '%s-%d\n' a 5 b 6",
		"[ 1 -eq 1 ] && echo yes",
		"exit 3",
		"trap 'echo bye' EXIT; echo hi",
		"f() { echo in f $1; }; f x",
		"echo {1..3} ~root ~nosuch",
		"uname -a; hostname; id; whoami",
		"read x <<EOF\nhello there\nEOF\necho got $x",
	} {
		var out, errb bytes.Buffer
		st, err := sys.Run(proctest.Cmd{Args: []string{"sh", "-c", line}, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"}, Stdout: &out, Stderr: &errb})
		t.Logf("$ %s\n%s%s[exit %d %v]", line, out.String(), errb.String(), st, err)
	}
}
