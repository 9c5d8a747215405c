package stream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// frame builds one frame by hand, independently of NewStdWriter.
func frame(t StdType, payload string) []byte {
	b := []byte{byte(t), 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[4:], uint32(len(payload)))
	return append(b, payload...)
}

func TestStdWriterFrames(t *testing.T) {
	tests := []struct {
		name   string
		stream StdType
		writes []string
		want   []byte
	}{
		{"stdout", Stdout, []string{"hi\n"}, frame(Stdout, "hi\n")},
		{"stderr", Stderr, []string{"oops\n"}, frame(Stderr, "oops\n")},
		{"two writes two frames", Stdout, []string{"a", "bc"}, append(frame(Stdout, "a"), frame(Stdout, "bc")...)},
		{"empty write is an empty frame", Stdout, []string{""}, frame(Stdout, "")},
		{"systemerr", Systemerr, []string{"boom"}, frame(Systemerr, "boom")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewStdWriter(&buf, tt.stream)
			for _, s := range tt.writes {
				n, err := w.Write([]byte(s))
				if err != nil || n != len(s) {
					t.Fatalf("Write(%q) = %d, %v; want %d, nil", s, n, err, len(s))
				}
			}
			if !bytes.Equal(buf.Bytes(), tt.want) {
				t.Errorf("got %q, want %q", buf.Bytes(), tt.want)
			}
		})
	}
}

func TestStdWriterNil(t *testing.T) {
	var buf bytes.Buffer
	n, err := NewStdWriter(&buf, Stdout).Write(nil)
	if n != 0 || err != nil || buf.Len() != 0 {
		t.Errorf("got %d, %v and %d bytes, want 0, nil and no frame", n, err, buf.Len())
	}
	if _, err := NewStdWriter(nil, Stdout).Write([]byte("x")); err == nil {
		t.Errorf("got nil error writing to a nil writer, want an error")
	}
}

func TestStdCopy(t *testing.T) {
	big := strings.Repeat("x", 100*1024) // larger than the starting buffer
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	tests := []struct {
		name       string
		in         []byte
		wantOut    string
		wantErr    string
		wantStderr string
		wantN      int64
		wantErrMsg string
	}{
		{name: "empty", in: nil},
		{name: "stdout and stderr", in: cat(frame(Stdout, "out1\n"), frame(Stderr, "err1\n"), frame(Stdout, "out2\n")),
			wantOut: "out1\nout2\n", wantStderr: "err1\n", wantN: 15},
		{name: "stdin goes to stdout", in: frame(Stdin, "in"), wantOut: "in", wantN: 2},
		{name: "big frame", in: frame(Stdout, big), wantOut: big, wantN: int64(len(big))},
		{name: "truncated header", in: frame(Stdout, "abc")[:5], wantN: 0},
		{name: "truncated frame is dropped", in: cat(frame(Stdout, "ok"), frame(Stdout, "cut")[:9]), wantOut: "ok", wantN: 2},
		{name: "unknown stream", in: cat(frame(Stdout, "ok"), frame(7, "x")), wantOut: "ok", wantErrMsg: "Unrecognized input header: 7"},
		{name: "systemerr", in: cat(frame(Stdout, "ok"), frame(Systemerr, "disk full")), wantOut: "ok", wantN: 2,
			wantErrMsg: "error from daemon in stream: disk full"},
	}
	for _, tt := range tests {
		for _, reader := range []struct {
			name string
			wrap func(io.Reader) io.Reader
		}{
			{"whole", func(r io.Reader) io.Reader { return r }},
			{"one byte at a time", iotest.OneByteReader},
			{"data with EOF", iotest.DataErrReader},
		} {
			t.Run(tt.name+"/"+reader.name, func(t *testing.T) {
				var out, errb bytes.Buffer
				n, err := StdCopy(&out, &errb, reader.wrap(bytes.NewReader(tt.in)))
				if tt.wantErrMsg != "" {
					if err == nil || err.Error() != tt.wantErrMsg {
						t.Fatalf("got error %v, want %q", err, tt.wantErrMsg)
					}
				} else if err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				if tt.wantErrMsg == "" || tt.wantN != 0 {
					if n != tt.wantN {
						t.Errorf("got %d bytes written, want %d", n, tt.wantN)
					}
				}
				if out.String() != tt.wantOut {
					t.Errorf("got stdout %q, want %q", out.String(), tt.wantOut)
				}
				if errb.String() != tt.wantStderr {
					t.Errorf("got stderr %q, want %q", errb.String(), tt.wantStderr)
				}
			})
		}
	}
}

func TestStdCopyErrors(t *testing.T) {
	readErr := errors.New("connection reset")
	t.Run("read error", func(t *testing.T) {
		r := io.MultiReader(bytes.NewReader(frame(Stdout, "ok")), iotest.ErrReader(readErr))
		n, err := StdCopy(io.Discard, io.Discard, r)
		if !errors.Is(err, readErr) || n != 0 {
			t.Errorf("got %d, %v; want 0, %v", n, err, readErr)
		}
	})
	t.Run("write error", func(t *testing.T) {
		writeErr := errors.New("broken pipe")
		_, err := StdCopy(errWriter{writeErr}, io.Discard, bytes.NewReader(frame(Stdout, "ok")))
		if !errors.Is(err, writeErr) {
			t.Errorf("got %v, want %v", err, writeErr)
		}
	})
	t.Run("short write", func(t *testing.T) {
		_, err := StdCopy(shortWriter{}, io.Discard, bytes.NewReader(frame(Stdout, "ok")))
		if !errors.Is(err, io.ErrShortWrite) {
			t.Errorf("got %v, want %v", err, io.ErrShortWrite)
		}
	})
	t.Run("huge header allocates only what arrives", func(t *testing.T) {
		in := []byte{byte(Stdout), 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 'a'}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		StdCopy(io.Discard, io.Discard, bytes.NewReader(in))
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
			t.Errorf("got %d bytes allocated for a 9-byte input, want less than 1MiB", got)
		}
	})
}

type errWriter struct{ err error }

func (w errWriter) Write(p []byte) (int, error) { return 0, w.err }

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) - 1, nil }

func TestStdCopyRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		writes []struct {
			s    StdType
			text string
		}
	}{
		{"interleaved", []struct {
			s    StdType
			text string
		}{{Stdout, "a"}, {Stderr, "b"}, {Stdout, "c\n"}, {Stderr, strings.Repeat("e", 70000)}}},
		{"stdout only", []struct {
			s    StdType
			text string
		}{{Stdout, "hello\n"}, {Stdout, "world\n"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mux bytes.Buffer
			outW, errW := NewStdWriter(&mux, Stdout), NewStdWriter(&mux, Stderr)
			var wantOut, wantErr string
			for _, w := range tt.writes {
				if w.s == Stdout {
					outW.Write([]byte(w.text))
					wantOut += w.text
				} else {
					errW.Write([]byte(w.text))
					wantErr += w.text
				}
			}
			var out, errb bytes.Buffer
			n, err := StdCopy(&out, &errb, &mux)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(wantOut)+len(wantErr)) {
				t.Errorf("got %d bytes, want %d", n, len(wantOut)+len(wantErr))
			}
			if out.String() != wantOut || errb.String() != wantErr {
				t.Errorf("got %q/%q, want %q/%q", out.String(), errb.String(), wantOut, wantErr)
			}
		})
	}
}

// refDemux is an independent, obviously correct demultiplexer over a whole
// byte slice: the oracle for the fuzz test.
func refDemux(in []byte) (out, errb []byte, err error) {
	for len(in) >= 8 {
		size := int(binary.BigEndian.Uint32(in[4:8]))
		if in[0] > 3 {
			return out, errb, fmt.Errorf("Unrecognized input header: %d", in[0])
		}
		if len(in) < 8+size {
			return out, errb, nil
		}
		payload := in[8 : 8+size]
		switch StdType(in[0]) {
		case Stdin, Stdout:
			out = append(out, payload...)
		case Stderr:
			errb = append(errb, payload...)
		case Systemerr:
			return out, errb, fmt.Errorf("error from daemon in stream: %s", payload)
		}
		in = in[8+size:]
	}
	return out, errb, nil
}

func FuzzStdCopy(f *testing.F) {
	f.Add(frame(Stdout, "hello\n"))
	f.Add(append(frame(Stderr, "e"), frame(Stdout, "o")...))
	f.Add(frame(Systemerr, "boom"))
	f.Add([]byte{9, 0, 0, 0, 0, 0, 0, 1, 'x'})
	f.Add([]byte{1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, r := range []io.Reader{bytes.NewReader(in), iotest.OneByteReader(bytes.NewReader(in))} {
			var out, errb bytes.Buffer
			n, err := StdCopy(&out, &errb, r)
			wantOut, wantErr, wantE := refDemux(in)
			if (err == nil) != (wantE == nil) || (err != nil && err.Error() != wantE.Error()) {
				t.Fatalf("got error %v, want %v", err, wantE)
			}
			if !bytes.Equal(out.Bytes(), wantOut) || !bytes.Equal(errb.Bytes(), wantErr) {
				t.Fatalf("got %q/%q, want %q/%q", out.Bytes(), errb.Bytes(), wantOut, wantErr)
			}
			if strings.HasPrefix(fmt.Sprint(err), "Unrecognized") {
				continue // StdCopy reports 0 bytes on a bad header, as pkg/stdcopy does
			}
			if n != int64(out.Len()+errb.Len()) {
				t.Fatalf("got %d bytes written, want %d", n, out.Len()+errb.Len())
			}
		}
	})
}

func BenchmarkStdCopy(b *testing.B) {
	var mux bytes.Buffer
	w := NewStdWriter(&mux, Stdout)
	line := []byte(strings.Repeat("x", 79) + "\n")
	for range 1000 {
		w.Write(line)
	}
	data := mux.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		StdCopy(io.Discard, io.Discard, bytes.NewReader(data))
	}
}
