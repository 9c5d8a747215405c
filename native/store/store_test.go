package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

func TestStore(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		op      func() error
		bucket  string
		wantKey []string
		get     string // key to read after the step
		want    string // "" with wantErr NotFound
	}{
		{"put", func() error { return s.Put("c", "abc", []byte("one")) }, "c", []string{"abc"}, "abc", "one"},
		{"replace", func() error { return s.Put("c", "abc", []byte("two")) }, "c", []string{"abc"}, "abc", "two"},
		{"odd key", func() error { return s.Put("c", "../x/.y", []byte("odd")) }, "c", []string{"../x/.y", "abc"}, "../x/.y", "odd"},
		{"dot key", func() error { return s.Put("c", ".", []byte("dot")) }, "c", []string{".", "../x/.y", "abc"}, ".", "dot"},
		{"append new", func() error { return s.Append("logs", "l1", []byte("a\n")) }, "logs", []string{"l1"}, "", ""},
		{"append more", func() error { return s.Append("logs", "l1", []byte("b\n")) }, "logs", []string{"l1"}, "", ""},
		{"delete", func() error { return s.Delete("c", "abc") }, "c", []string{".", "../x/.y"}, "abc", ""},
		{"delete absent", func() error { return s.Delete("c", "abc") }, "c", []string{".", "../x/.y"}, "", ""},
		{"empty bucket", func() error { return nil }, "nothing", []string{}, "", ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.op(); err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			keys, err := s.Keys(st.bucket)
			if err != nil || !slices.Equal(keys, st.wantKey) {
				t.Errorf("Keys(%q): got %q, %v, want %q", st.bucket, keys, err, st.wantKey)
			}
			if st.get == "" {
				return
			}
			got, err := s.Get(st.bucket, st.get)
			if st.want == "" {
				if !backend.IsNotFound(err) {
					t.Errorf("Get: got %q, %v, want NotFound", got, err)
				}
				return
			}
			if err != nil || string(got) != st.want {
				t.Errorf("Get: got %q, %v, want %q", got, err, st.want)
			}
		})
	}
	got, err := s.Get("logs", "l1")
	if err != nil || string(got) != "a\nb\n" {
		t.Errorf("appended log: got %q, %v, want %q", got, err, "a\nb\n")
	}
	if err := s.Put("c", "", nil); backend.CodeOf(err) != backend.InvalidParameter {
		t.Errorf("Put with empty key: got %v, want InvalidParameter", err)
	}
}

// TestCrash kills a process that keeps replacing documents at arbitrary
// moments and checks the store still opens, lists and holds whole documents.
func TestCrash(t *testing.T) {
	if os.Getenv("STORE_CRASH_DIR") != "" {
		crashWriter(os.Getenv("STORE_CRASH_DIR"))
		return
	}
	dir := t.TempDir()
	for round := range 20 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrash$")
		cmd.Env = append(os.Environ(), "STORE_CRASH_DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the writer has done some work, then kill it mid-way.
		buf := make([]byte, 1+round*50)
		if _, err := ioReadFull(out, buf); err != nil {
			t.Fatalf("round %d: reading progress: %v", round, err)
		}
		cmd.Process.Kill()
		cmd.Wait()

		s, err := Open(dir)
		if err != nil {
			t.Fatalf("round %d: Open after kill: %v", round, err)
		}
		keys, err := s.Keys("docs")
		if err != nil {
			t.Fatalf("round %d: Keys after kill: %v", round, err)
		}
		for _, k := range keys {
			d, err := s.Get("docs", k)
			if err != nil {
				t.Fatalf("round %d: Get %s: %v", round, k, err)
			}
			if !wholeDoc(k, d) {
				t.Fatalf("round %d: document %s is torn: got %d bytes starting %q", round, k, len(d), d[:min(len(d), 20)])
			}
		}
		ents, _ := os.ReadDir(dir + "/docs")
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), tmpPrefix) {
				t.Errorf("round %d: got leftover %s after Open, want none", round, e.Name())
			}
		}
	}
}

func ioReadFull(f interface{ Read([]byte) (int, error) }, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// wholeDoc reports whether d is one of the documents crashWriter writes under
// key k: a header naming k and a version, then that many bytes of filler.
func wholeDoc(k string, d []byte) bool {
	var key string
	var v int
	head, body, ok := bytes.Cut(d, []byte("\n"))
	if !ok {
		return false
	}
	if _, err := fmt.Sscanf(string(head), "%s %d", &key, &v); err != nil || key != k {
		return false
	}
	return bytes.Equal(body, bytes.Repeat([]byte{byte('a' + v%26)}, 1000+v*37%5000))
}

func crashWriter(dir string) {
	s, err := Open(dir)
	if err != nil {
		panic(err)
	}
	for v := 0; ; v++ {
		k := fmt.Sprintf("k%d", v%7)
		d := fmt.Appendf(nil, "%s %d\n", k, v)
		d = append(d, bytes.Repeat([]byte{byte('a' + v%26)}, 1000+v*37%5000)...)
		if err := s.Put("docs", k, d); err != nil && !errors.Is(err, os.ErrClosed) {
			panic(err)
		}
		os.Stdout.Write([]byte{'.'})
	}
}

// TestSync: changes wait for a sync, which comes by itself after
// flushDelay, or at Sync and Close; a document removed before its sync is
// no error.
func TestSync(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pending := func() int {
		s.pendMu.Lock()
		defer s.pendMu.Unlock()
		return len(s.files) + len(s.folders)
	}
	if err := s.Put("c", "a", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("c", "b", []byte("2")); err != nil {
		t.Fatal(err)
	}
	if n := pending(); n != 3 {
		t.Fatalf("after two Puts: %d paths pending, want 3 (two documents, one folder)", n)
	}
	if err := s.Delete("c", "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatalf("Sync with a document removed since its Put: %v", err)
	}
	if n := pending(); n != 0 {
		t.Fatalf("after Sync: %d paths pending, want 0", n)
	}
	if err := s.Put("c", "b", []byte("3")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for pending() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no sync %v after a Put", 5*time.Second)
		}
		time.Sleep(flushDelay / 5)
	}
	if err := s.Delete("c", "b"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil || pending() != 0 {
		t.Fatalf("Close: %v, %d paths pending", err, pending())
	}
	if keys, err := s.Keys("c"); err != nil || len(keys) != 0 {
		t.Fatalf("Keys after the deletes: %v, %v", keys, err)
	}
}
