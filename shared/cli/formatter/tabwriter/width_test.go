package tabwriter

import (
	"bytes"
	"testing"
)

func TestDisplayWidth(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"abc", 3},
		{"日本", 4},
		{"e\u0301", 1},
		{"…", 1},
		{"\t", 0},
		{"한국어", 6},
	}
	for _, tt := range tests {
		if got := DisplayWidth([]byte(tt.in)); got != tt.want {
			t.Errorf("DisplayWidth(%q): got %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestWideCellsAlign aligns columns by display width, as docker's copy of
// the tabwriter does with go-runewidth.
func TestWideCellsAlign(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b, 10, 1, 3, ' ', 0)
	w.Write([]byte("NAME\tX\n日本語\ty\nab\tz\n"))
	w.Flush()
	want := "NAME      X\n日本語    y\nab        z\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
