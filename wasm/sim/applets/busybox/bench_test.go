package busybox

import (
	"io"
	"io/fs"
	"strconv"
	"testing"

	"github.com/twinbox-dev/twinbox/wasm/sim/applets/internal/testroot"
)

// BenchmarkShTouch is `sh -c 'touch /a'` end to end on the simulated
// kernel: spawn, parse, exec of the tail command, the applet, exit.
func BenchmarkShTouch(b *testing.B) {
	m := newMachine(b, fixture(), start)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.container()
		p := m.start([]string{"sh", "-c", "touch /a"}, nil, io.Discard, io.Discard)
		if st := p.Wait(); st != 0 {
			b.Fatalf("status %d", st)
		}
	}
}

// BenchmarkLsLongBin is `ls -l /bin` over a /bin of about 400 entries.
func BenchmarkLsLongBin(b *testing.B) {
	files := fixture()
	for i := 0; len(files) < 400+30; i++ {
		files["/bin/extra"+strconv.Itoa(i)] = testroot.File{Mode: fs.ModeSymlink | 0o777, Content: "busybox"}
	}
	m := newMachine(b, files, start)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.container()
		p := m.start([]string{"ls", "-l", "/bin"}, nil, io.Discard, io.Discard)
		if st := p.Wait(); st != 0 {
			b.Fatalf("status %d", st)
		}
	}
}
