package kernel

import (
	"testing"

	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

// BenchmarkSpawn measures fork+exec+exit+wait of a trivial program found
// through PATH, as a shell runs a command.
func BenchmarkSpawn(b *testing.B) {
	m := newMachine(b)
	b.ReportAllocs()
	for b.Loop() {
		p, err := m.k.Spawn(Attr{Args: []string{"true"}, Env: testEnv})
		if err != nil {
			b.Fatal(err)
		}
		if code := p.Wait(); code != 0 {
			b.Fatalf("got %d", code)
		}
	}
}

// BenchmarkSpawnFromProgram measures a program spawning and waiting for a
// child through sys.Proc, as the shell does.
func BenchmarkSpawnFromProgram(b *testing.B) {
	m := newMachine(b)
	n := b.N
	m.reg["loop"] = func(p sys.Proc) int {
		for i := 0; i < n; i++ {
			c, err := p.Spawn(sys.Cmd{Args: []string{"true"}})
			if err != nil {
				return 1
			}
			c.Wait()
		}
		return 0
	}
	m.fs.Symlink("testbox", "/bin/loop")
	b.ResetTimer()
	b.ReportAllocs()
	p, err := m.k.Spawn(Attr{Args: []string{"loop"}, Env: testEnv})
	if err != nil {
		b.Fatal(err)
	}
	if code := p.Wait(); code != 0 {
		b.Fatalf("got %d", code)
	}
}
