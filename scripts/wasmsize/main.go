// Command wasmsize breaks a Go js/wasm binary's size down by module: the
// code of each function (named in the binary's "name" section) is added to
// the module its package belongs to, and each module's code is gzipped on
// its own to estimate what it costs over the wire. Data (strings, type
// descriptors, the pc tables) is one more row.
//
//	go run ./scripts/wasmsize -mod go.mod site/static/gen/twinbox.wasm
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

func main() {
	pkg := flag.String("pkg", "./wasm/cmd/twinbox", "the main package the binary was built from (for its packages and modules)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: wasmsize [-pkg ./wasm/cmd/twinbox] FILE.wasm")
		os.Exit(2)
	}
	data, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pkgs, err := packages(*pkg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	b, err := parse(data)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", flag.Arg(0), err)
		os.Exit(1)
	}
	groups := map[string]*bytes.Buffer{}
	add := func(g string, p []byte) {
		if groups[g] == nil {
			groups[g] = new(bytes.Buffer)
		}
		groups[g].Write(p)
	}
	if os.Getenv("WASMSIZE_NAMES") != "" {
		for i := range b.bodies {
			fmt.Println(b.names[b.imported+i])
		}
		return
	}
	for i, body := range b.bodies {
		add(pkgs.group(b.names[b.imported+i]), body)
	}
	add("(data: strings, types, pc tables)", b.data)
	add("(other sections)", b.other)
	type row struct {
		name     string
		raw, gzd int
	}
	var rows []row
	for g, buf := range groups {
		rows = append(rows, row{g, buf.Len(), gzipLen(buf.Bytes())})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].gzd > rows[j].gzd })
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintf(w, "%-52s %10s %10s\n", "module", "raw", "gzip")
	var raw, gzd int
	for _, r := range rows {
		raw += r.raw
		gzd += r.gzd
		fmt.Fprintf(w, "%-52s %10s %10s\n", r.name, kb(r.raw), kb(r.gzd))
	}
	fmt.Fprintf(w, "%-52s %10s %10s\n", "sum of the rows", kb(raw), kb(gzd))
	fmt.Fprintf(w, "%-52s %10s %10s\n", "the whole file", kb(len(data)), kb(gzipLen(data)))
}

func kb(n int) string { return fmt.Sprintf("%.1f KB", float64(n)/1000) }

func gzipLen(p []byte) int {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(p)
	zw.Close()
	return buf.Len()
}

// pkgTable maps the names of a binary's functions to groups: a module
// for dependencies, a package (two path elements) for the main module,
// and the first path element for the standard library.
type pkgTable struct {
	mangled []string          // packages as the linker names them, longest first
	groups  map[string]string // mangled package → group
}

// packages lists the packages main imports, as `go list -deps` does for
// js/wasm.
func packages(main string) (*pkgTable, error) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{with .Module}}{{.Path}} {{.Main}}{{end}}", main)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	t := &pkgTable{groups: map[string]string{}}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		g := ""
		switch {
		case len(f) == 1:
			g = "std: " + firstElems(f[0], 1)
		case f[2] == "true":
			g = f[1] + "/" + firstElems(strings.TrimPrefix(f[0], f[1]+"/"), 2)
		default:
			g = f[1]
		}
		m := mangle(f[0])
		t.mangled = append(t.mangled, m)
		t.groups[m] = g
	}
	t.groups["main"] = "main"
	t.mangled = append(t.mangled, "main")
	sort.Slice(t.mangled, func(i, j int) bool { return len(t.mangled[i]) > len(t.mangled[j]) })
	return t, nil
}

// mangle spells a package path as the wasm linker does in function names:
// "github.com/twinbox-dev/twinbox/shared/cli" is
// "github.com_twinbox_dev_twinbox_shared_cli".
func mangle(p string) string {
	last := strings.LastIndexByte(p, '/')
	b := []byte(p)
	for i, c := range b {
		if c == '/' || c == '-' || c == '.' && i > last {
			b[i] = '_'
		}
	}
	return string(b)
}

func (t *pkgTable) group(fn string) string {
	for _, m := range t.mangled {
		if strings.HasPrefix(fn, m+".") {
			return t.groups[m]
		}
	}
	if strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "_rt0") || !strings.Contains(fn, ".") {
		return "std: runtime"
	}
	if os.Getenv("WASMSIZE_DEBUG") != "" {
		fmt.Fprintln(os.Stderr, fn)
	}
	return "(unattributed)"
}

func firstElems(p string, n int) string {
	parts := strings.Split(p, "/")
	if len(parts) > n {
		parts = parts[:n]
	}
	return strings.Join(parts, "/")
}

// binary is what wasmsize reads from a module.
type binary struct {
	imported int      // functions imported: they come first in the index space
	bodies   [][]byte // the code of the defined functions
	names    map[int]string
	data     []byte
	other    []byte
}

func parse(p []byte) (*binary, error) {
	if len(p) < 8 || string(p[:4]) != "\x00asm" {
		return nil, errors.New("not a wasm module")
	}
	b := &binary{names: map[int]string{}}
	r := &reader{p: p[8:]}
	for len(r.p) > 0 {
		id := r.byte()
		size := int(r.uleb())
		sec := r.bytes(size)
		if r.err != nil {
			return nil, r.err
		}
		s := &reader{p: sec}
		switch id {
		case 2: // imports
			n := int(s.uleb())
			for i := 0; i < n && s.err == nil; i++ {
				s.bytes(int(s.uleb()))
				s.bytes(int(s.uleb()))
				switch s.byte() {
				case 0:
					s.uleb()
					b.imported++
				case 1:
					s.byte()
					s.limits()
				case 2:
					s.limits()
				case 3:
					s.byte()
					s.byte()
				}
			}
			b.other = append(b.other, sec...)
		case 10: // code
			n := int(s.uleb())
			for i := 0; i < n && s.err == nil; i++ {
				b.bodies = append(b.bodies, s.bytes(int(s.uleb())))
			}
		case 11: // data
			b.data = append(b.data, sec...)
		case 0: // custom
			name := string(s.bytes(int(s.uleb())))
			if name != "name" {
				b.other = append(b.other, sec...)
				break
			}
			for len(s.p) > 0 && s.err == nil {
				sub := s.byte()
				body := &reader{p: s.bytes(int(s.uleb()))}
				if sub != 1 {
					continue
				}
				n := int(body.uleb())
				for i := 0; i < n && body.err == nil; i++ {
					idx := int(body.uleb())
					b.names[idx] = string(body.bytes(int(body.uleb())))
				}
			}
		default:
			b.other = append(b.other, sec...)
		}
		if s.err != nil {
			return nil, fmt.Errorf("section %d: %w", id, s.err)
		}
	}
	return b, nil
}

type reader struct {
	p   []byte
	err error
}

func (r *reader) byte() byte {
	if len(r.p) == 0 {
		r.err = io.ErrUnexpectedEOF
		return 0
	}
	c := r.p[0]
	r.p = r.p[1:]
	return c
}

func (r *reader) bytes(n int) []byte {
	if n > len(r.p) || n < 0 {
		r.err = io.ErrUnexpectedEOF
		r.p = nil
		return nil
	}
	b := r.p[:n]
	r.p = r.p[n:]
	return b
}

func (r *reader) uleb() uint64 {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		c := r.byte()
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 || r.err != nil {
			break
		}
	}
	return v
}

func (r *reader) limits() {
	if r.byte() == 0 {
		r.uleb()
		return
	}
	r.uleb()
	r.uleb()
}
