package site

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/twinbox-dev/twinbox/shared/lesson"
)

const lessonMD = "---\ntitle: First\nsummary: One container.\nobjectives:\n  - run one\nengines: [sim]\n---\n\n# First\n\nSome *prose*.\n\n" +
	"```console\n$ docker run --name hello busybox echo hello world\nhello world\n$ docker run -it busybox sh\n/ # [[hostname]]\n4f2c1a9b3d7e\n/ # [[<Ctrl-D>]]\n```\n\n" +
	"```check\ncontainer hello exited with code 0\n```\n\n" +
	"```dockerfile file=app/Dockerfile\nFROM busybox\nCMD [\"echo\", \"hi\"]\n```\n\n" +
	"```sh file=it's.sh mode=755\necho 'quoted'\n\n```\n\n" +
	"```console engines=native reason=\"needs a real kernel\"\n$ docker run --rm busybox dmesg\n```\n\n" +
	"![The layers of busybox](viz:layers?image=busybox)\n\n```text\n<not a step>\n```\n"

// testSite is a Site with a fake simulator and one lesson.
func testSite(t *testing.T) *Site {
	t.Helper()
	var wasm bytes.Buffer
	zw := gzip.NewWriter(&wasm)
	zw.Write([]byte("\x00asm\x01\x00\x00\x00 a simulator"))
	zw.Close()
	gen := fstest.MapFS{
		"twinbox.wasm.gz": {Data: wasm.Bytes()},
		"wasm_exec.js":    {Data: []byte("// wasm_exec")},
	}
	lessons := fstest.MapFS{"01-first.md": {Data: []byte(lessonMD)}, "README.md": {Data: []byte("not a lesson")}}
	s, err := newSite(staticFS(), gen, lessons)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(t *testing.T, h http.Handler, path string, header ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	var rd io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		rd = zr
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assetURL finds the URL a page gives a file.
func assetURL(t *testing.T, page, name string) string {
	t.Helper()
	m := regexp.MustCompile(`/assets/[0-9a-f]{16}/` + regexp.QuoteMeta(name)).FindString(page)
	if m == "" {
		t.Fatalf("the page does not link %s", name)
	}
	return m
}

func TestContentTypesAndCaching(t *testing.T) {
	s := testSite(t)
	page := body(t, get(t, s, "/lessons/01-first"))
	tests := []struct {
		name, ctype string
		gzip        bool
	}{
		{"app.js", "text/javascript; charset=utf-8", true},
		{"worker.js", "text/javascript; charset=utf-8", true},
		{"app.css", "text/css; charset=utf-8", true},
		{"vendor/xterm.js", "text/javascript; charset=utf-8", true},
		{"vendor/xterm.css", "text/css; charset=utf-8", true},
		{"wasm_exec.js", "text/javascript; charset=utf-8", false}, // too small to gain
		{"twinbox.wasm", "application/wasm", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := assetURL(t, page, tt.name)
			resp := get(t, s, u, "Accept-Encoding", "br, gzip;q=0.8")
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s: got %d, want 200", u, resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type: got %q, want %q", got, tt.ctype)
			}
			if got := resp.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("Cache-Control: got %q", got)
			}
			if got := resp.Header.Get("Content-Encoding") == "gzip"; got != tt.gzip {
				t.Errorf("gzipped: got %v, want %v", got, tt.gzip)
			}
			etag := resp.Header.Get("ETag")
			if !strings.Contains(u, strings.Trim(etag, `"`)) {
				t.Errorf("ETag %s is not the hash in %s", etag, u)
			}
			if r := get(t, s, u, "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match: got %d, want 304", r.StatusCode)
			}
			// Without gzip, the same bytes, uncompressed.
			plain := get(t, s, u, "Accept-Encoding", "gzip;q=0")
			if plain.Header.Get("Content-Encoding") != "" {
				t.Errorf("gzip;q=0: got Content-Encoding %q", plain.Header.Get("Content-Encoding"))
			}
			if a, b := body(t, resp), body(t, plain); a != b || a == "" {
				t.Errorf("gzipped and plain bodies differ (%d and %d bytes)", len(a), len(b))
			}
		})
	}
	if b := body(t, get(t, s, assetURL(t, page, "twinbox.wasm"))); !strings.HasPrefix(b, "\x00asm") {
		t.Errorf("the wasm, uncompressed: got %q", b)
	}
}

func TestPages(t *testing.T) {
	s := testSite(t)
	resp := get(t, s, "/lessons/01-first", "Accept-Encoding", "gzip")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("got %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("Cache-Control: got %q, want no-cache", got)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "'wasm-unsafe-eval'") {
		t.Errorf("Content-Security-Policy: got %q", csp)
	}
	if r := get(t, s, "/lessons/01-first", "If-None-Match", resp.Header.Get("ETag")); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: got %d, want 304", r.StatusCode)
	}
	index := body(t, get(t, s, "/"))
	if !strings.Contains(index, `<a href="/lessons/01-first">First</a>`) {
		t.Errorf("the index does not list the lesson:\n%s", index)
	}
	if strings.Contains(index, "README") {
		t.Errorf("the index lists README.md")
	}
}

func TestNotFound(t *testing.T) {
	s := testSite(t)
	for _, p := range []string{
		"/lessons/02-none", "/static/app.js", "/app.js", "/assets/0000000000000000/app.js",
		"/assets/../site.go", "/../../etc/passwd", "/lessons/../site.go", "/gen/README.md", "/lessons/01-first.md",
	} {
		if resp := get(t, s, p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: got %d, want 404", p, resp.StatusCode)
		}
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader("x")))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: got %d, want 405", w.Code)
	}
}

func TestLessonRendering(t *testing.T) {
	s := testSite(t)
	page := body(t, get(t, s, "/lessons/01-first"))
	for _, want := range []string{
		"<h1>First</h1>",
		"<em>prose</em>",
		// A console step with its Run button and what it types.
		`<div class="step" id="step-1" data-step="1" data-run="[{&#34;script&#34;:&#34;docker run --name hello busybox echo hello world\r&#34;},` +
			`{&#34;script&#34;:&#34;docker run -it busybox sh\r&#34;,&#34;inputs&#34;:[{&#34;after&#34;:&#34;/ # &#34;,&#34;send&#34;:&#34;hostname\r&#34;},{&#34;after&#34;:&#34;/ # &#34;,&#34;send&#34;:&#34;\u0004&#34;}]}]">`,
		`<button class="run" type="button">Run</button>`,
		`<span class="prompt">$ </span><span class="cmd">docker run --name hello busybox echo hello world</span>`,
		`/ # <kbd>hostname</kbd>`,
		// The check block, the file step, the picture, an ordinary block.
		`<ul class="checks" title="What the lesson checks"><li>container hello exited with code 0</li></ul>`,
		`<code class="file">app/Dockerfile</code><button class="run" type="button">Create file</button>`,
		`{&#34;script&#34;:&#34;mkdir -p &#39;app&#39; \u0026\u0026 printf &#39;%s\\n&#39; &#39;FROM busybox&#39; &#39;CMD [\&#34;echo\&#34;, \&#34;hi\&#34;]&#39; \u003e &#39;app/Dockerfile&#39;\r&#34;}]">`,
		`<figure class="viz" data-kind="layers" data-arg="busybox">`,
		// A step the simulator cannot run has no Run button.
		`<span class="step-n">Step 4</span><span class="elsewhere">not in the browser</span></div>`,
		`<p class="note">Only on native: needs a real kernel</p>`,
		// Quotes in names and content, an empty line, a mode.
		`{&#34;script&#34;:&#34;printf &#39;%s\\n&#39; &#39;echo &#39;\\&#39;&#39;quoted&#39;\\&#39;&#39;&#39; &#39;&#39; \u003e &#39;it&#39;\\&#39;&#39;s.sh&#39; \u0026\u0026 chmod 755 &#39;it&#39;\\&#39;&#39;s.sh&#39;\r&#34;}]">`,
		`<pre class="code" data-lang="text"><code>&lt;not a step&gt;`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks\n%s\n---- page:\n%s", want, page)
		}
	}
}

func TestBadLesson(t *testing.T) {
	s, err := newSite(staticFS(), fstest.MapFS{}, fstest.MapFS{
		"01-bad.md":  {Data: []byte("no front matter\n")},
		"02-good.md": {Data: []byte(lessonMD)},
	})
	if err != nil {
		t.Fatal(err)
	}
	bad := body(t, get(t, s, "/lessons/01-bad"))
	if !strings.Contains(bad, "lessons/01-bad.md:1: missing front matter") {
		t.Errorf("the bad lesson's page does not show its error:\n%s", bad)
	}
	if resp := get(t, s, "/lessons/02-good"); resp.StatusCode != 200 {
		t.Errorf("the good lesson: got %d, want 200", resp.StatusCode)
	}
}

func TestWithoutSimulator(t *testing.T) {
	s, err := newSite(staticFS(), fstest.MapFS{}, fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	if s.HasSimulator() {
		t.Error("HasSimulator: got true without a wasm")
	}
	page := body(t, get(t, s, "/"))
	if !strings.Contains(page, "make run") || strings.Contains(page, "twinbox.wasm") {
		t.Errorf("the page does not say how to build the simulator:\n%s", page)
	}
}

// TestFileScript runs what a "Create file" button types in a real sh and
// checks the files it writes.
func TestFileScript(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to run the scripts in")
	}
	tests := []lesson.File{
		{Path: "app/Dockerfile", Content: "FROM busybox\nCMD [\"echo\", \"hi\"]\n"},
		{Path: "it's here.sh", Content: "#!/bin/sh\necho \"$GREETING from $(hostname)\" 'x' %s \\n\n\n", Mode: 0o755},
		{Path: "deep/er/empty", Content: ""},
	}
	dir := t.TempDir()
	for _, f := range tests {
		script := fileScript(&f)
		if !strings.HasSuffix(script, "\r") || strings.Count(script, "\r") != 1 {
			t.Errorf("%s: the script is not one line with Enter: %q", f.Path, script)
		}
		cmd := exec.Command(sh, "-c", strings.TrimSuffix(script, "\r"))
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", f.Path, err, out)
		}
		got, err := os.ReadFile(filepath.Join(dir, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != f.Content {
			t.Errorf("%s: got %q, want %q", f.Path, got, f.Content)
		}
		if f.Mode != 0 {
			if st, _ := os.Stat(filepath.Join(dir, f.Path)); st.Mode().Perm() != 0o755 {
				t.Errorf("%s: mode %v, want 0755", f.Path, st.Mode().Perm())
			}
		}
	}
}
