//go:build ignore

// Command record runs docker CLI commands against a real dockerd through a
// recording proxy and writes, for each command, the Engine API exchanges
// and what the docker CLI printed. shared/cli's replay test serves the same
// answers to twinbox's CLI and requires the same output, byte for byte.
//
// It is a development tool, not part of any package (it runs programs):
//
//	go run shared/cli/testdata/record/record.go -in shared/cli/testdata/replay/lifecycle.sh -out shared/cli/testdata/replay/lifecycle.json
//
// The scenario is one command per line. Lines starting with "docker " are
// recorded (the words are split by sh, so quotes work); other lines run
// with sh and are not recorded (setup, sleep). A "# stdin: TEXT" line gives
// the next command its standard input (\n escapes allowed).
//
// It needs the docker CLI 28.2.2 and dockerd 20.10.24 with the busybox image
// described in ../../../../../shared/reference/README.md.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Exchange is one request and its answer.
type Exchange struct {
	Method   string      `json:"method"`
	Path     string      `json:"path"`
	Request  *Body       `json:"request,omitempty"`
	Status   int         `json:"status"`
	Header   http.Header `json:"header"`
	Body     *Body       `json:"body,omitempty"`
	Hijacked bool        `json:"hijacked,omitempty"`
	Input    *Body       `json:"input,omitempty"` // what the client sent after the switch
	At       time.Time   `json:"at"`
	// Pending says the answer had not ended when the command did (a wait
	// for a container that still runs): replay never answers.
	Pending bool `json:"pending,omitempty"`
	done    bool
}

// Body is bytes kept readable: Text when valid UTF-8, else Base64.
type Body struct {
	Text   string `json:"text,omitempty"`
	Base64 []byte `json:"base64,omitempty"`
}

func newBody(b []byte) *Body {
	if len(b) == 0 {
		return nil
	}
	if utf8.Valid(b) && !bytes.ContainsAny(b, "\x00\x01\x02") {
		return &Body{Text: string(b)}
	}
	return &Body{Base64: b}
}

// Step is one recorded command.
type Step struct {
	Args      []string    `json:"args"`
	Stdin     string      `json:"stdin,omitempty"`
	Stdout    string      `json:"stdout"`
	Stdout64  []byte      `json:"stdout64,omitempty"` // stdout when it is not text
	Stderr    string      `json:"stderr"`
	Exit      int         `json:"exit"`
	Start     time.Time   `json:"start"`
	Exchanges []*Exchange `json:"exchanges"`
	// Files are the client's files when the command ran (--env-file...),
	// by path relative to its working directory.
	Files   map[string]string `json:"files,omitempty"`
	Files64 map[string][]byte `json:"files64,omitempty"` // the binary ones
	// Written are the files the command created or changed.
	Written   map[string]string `json:"written,omitempty"`
	Written64 map[string][]byte `json:"written64,omitempty"`
}

// split separates text and binary files.
func split(files map[string]string) (map[string]string, map[string][]byte) {
	var text map[string]string
	var bin map[string][]byte
	for k, v := range files {
		if utf8.ValidString(v) && !strings.ContainsAny(v, "\x00") {
			if text == nil {
				text = map[string]string{}
			}
			text[k] = v
		} else {
			if bin == nil {
				bin = map[string][]byte{}
			}
			bin[k] = []byte(v)
		}
	}
	return text, bin
}

// snapshot reads the small regular files below dir.
func snapshot(dir string) map[string]string {
	files := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.Size() > 64<<10 || d.Name() == "proxy.sock" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		files[rel] = string(b)
		return nil
	})
	if len(files) == 0 {
		return nil
	}
	return files
}

type recorder struct {
	upstream string
	mu       sync.Mutex
	log      []*Exchange
	conns    int
}

func (r *recorder) add(e *Exchange) {
	r.mu.Lock()
	r.log = append(r.log, e)
	r.mu.Unlock()
}

// take returns copies of the step's exchanges as they are now; answers
// still streaming are marked pending.
func (r *recorder) take() []*Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	var l []*Exchange
	for _, e := range r.log {
		c := *e
		if !e.done {
			c.Pending = true
			c.Body = nil
			c.At = time.Now()
		}
		l = append(l, &c)
	}
	r.log = nil
	return l
}

func (r *recorder) serve(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go r.handle(c)
	}
}

func (r *recorder) handle(client net.Conn) {
	defer client.Close()
	up, err := net.Dial("unix", r.upstream)
	if err != nil {
		log.Print(err)
		return
	}
	defer up.Close()
	cr := bufio.NewReader(client)
	ur := bufio.NewReader(up)
	for {
		req, err := http.ReadRequest(cr)
		if err != nil {
			return
		}
		reqBody, _ := io.ReadAll(req.Body)
		req.Body = http.NoBody
		if len(reqBody) > 0 {
			req.Body = io.NopCloser(bytes.NewReader(reqBody))
			req.ContentLength = int64(len(reqBody))
			req.TransferEncoding = nil
		}
		e := &Exchange{Method: req.Method, Path: req.URL.RequestURI(), Request: newBody(reqBody)}
		if os.Getenv("RECORD_DEBUG") != "" {
			log.Printf("%s %s", req.Method, req.URL.RequestURI())
		}
		r.add(e)
		if err := req.Write(up); err != nil {
			return
		}
		resp, err := http.ReadResponse(ur, req)
		if err != nil {
			return
		}
		r.mu.Lock()
		e.Status = resp.StatusCode
		e.Header = resp.Header.Clone()
		e.Header.Del("Date")
		r.mu.Unlock()
		if resp.StatusCode == http.StatusSwitchingProtocols {
			e.Hijacked = true
			// Forward the head, then raw bytes both ways.
			var head bytes.Buffer
			fmt.Fprintf(&head, "HTTP/1.1 101 UPGRADED\r\n")
			resp.Header.Write(&head)
			head.WriteString("\r\n")
			client.Write(head.Bytes())
			var out, in bytes.Buffer
			done := make(chan struct{})
			go func() {
				io.Copy(io.MultiWriter(client, &out), ur)
				if cw, ok := client.(interface{ CloseWrite() error }); ok {
					cw.CloseWrite()
				}
				close(done)
			}()
			go func() {
				io.Copy(io.MultiWriter(up, &in), cr)
				if cw, ok := up.(interface{ CloseWrite() error }); ok {
					cw.CloseWrite()
				}
			}()
			<-done
			r.mu.Lock()
			e.Body = newBody(out.Bytes())
			e.Input = newBody(in.Bytes())
			e.At = time.Now()
			e.done = true
			r.mu.Unlock()
			return
		}
		// Forward the head at once and the body as it comes: the CLI
		// waits for the head of /wait before it starts the container.
		var head bytes.Buffer
		fmt.Fprintf(&head, "HTTP/%d.%d %s\r\n", resp.ProtoMajor, resp.ProtoMinor, resp.Status)
		h := resp.Header.Clone()
		chunked := len(resp.TransferEncoding) > 0
		if chunked {
			h.Set("Transfer-Encoding", "chunked")
		} else if resp.ContentLength >= 0 {
			h.Set("Content-Length", fmt.Sprint(resp.ContentLength))
		}
		h.Write(&head)
		head.WriteString("\r\n")
		if _, err := client.Write(head.Bytes()); err != nil {
			return
		}
		var body bytes.Buffer
		var copyErr error
		if chunked {
			cw := httputil.NewChunkedWriter(client)
			_, copyErr = io.Copy(io.MultiWriter(&body, cw), resp.Body)
			cw.Close()
			client.Write([]byte("\r\n"))
		} else {
			_, copyErr = io.Copy(io.MultiWriter(&body, client), resp.Body)
		}
		if copyErr != nil {
			log.Printf("%s %s: %v (after %d bytes)", e.Method, e.Path, copyErr, body.Len())
		}
		r.mu.Lock()
		e.Body = newBody(body.Bytes())
		e.At = time.Now()
		e.done = true
		r.mu.Unlock()
		if resp.Close {
			return
		}
	}
}

// splitWords splits a shell line into words with sh.
func splitWords(line string) ([]string, error) {
	out, err := exec.Command("sh", "-c", `for a in `+line+`; do printf '%s\0' "$a"; done`).Output()
	if err != nil {
		return nil, fmt.Errorf("split %q: %w", line, err)
	}
	words := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	return words, nil
}

func main() {
	in := flag.String("in", "", "scenario file")
	outFile := flag.String("out", "", "output JSON")
	upstream := flag.String("upstream", "/var/run/docker.sock", "dockerd socket")
	dir := flag.String("dir", "/tmp/record", "working directory and HOME of the commands, made empty first")
	flag.Parse()

	wd := *dir
	if err := os.RemoveAll(wd); err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(wd, 0o755); err != nil {
		log.Fatal(err)
	}
	sock := filepath.Join(wd, "proxy.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		log.Fatal(err)
	}
	rec := &recorder{upstream: *upstream}
	go rec.serve(l)

	f, err := os.Open(*in)
	if err != nil {
		log.Fatal(err)
	}
	var steps []*Step
	var stdin string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if s, ok := strings.CutPrefix(line, "# stdin: "); ok {
			stdin = strings.ReplaceAll(s, `\n`, "\n")
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		if line != "docker" && !strings.HasPrefix(line, "docker ") {
			cmd := exec.Command("sh", "-c", line)
			cmd.Dir = wd
			cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+*upstream)
			if out, err := cmd.CombinedOutput(); err != nil {
				log.Printf("setup %q: %v: %s", line, err, out)
			}
			continue
		}
		words, err := splitWords(line + " ")
		if err != nil {
			log.Fatal(err)
		}
		cmd := exec.Command("docker", words[1:]...)
		cmd.Dir = wd
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + wd, "DOCKER_HOST=unix://" + sock}
		cmd.Stdin = strings.NewReader(stdin)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		before := snapshot(wd)
		step := &Step{Args: words[1:], Stdin: stdin, Start: time.Now()}
		// Keep the files the command names: those are all it reads.
		named := map[string]string{}
		for k, v := range before {
			for _, a := range words[1:] {
				if strings.Contains(a, k) {
					named[k] = v
				}
			}
		}
		step.Files, step.Files64 = split(named)
		err = cmd.Run()
		step.Exit = cmd.ProcessState.ExitCode()
		if err != nil && step.Exit < 0 {
			log.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond) // let hijacked streams finish recording
		step.Stdout, step.Stderr = stdout.String(), stderr.String()
		if !utf8.Valid(stdout.Bytes()) || bytes.ContainsRune(stdout.Bytes(), 0) {
			step.Stdout, step.Stdout64 = "", stdout.Bytes()
		}
		written := map[string]string{}
		for k, v := range snapshot(wd) {
			if old, ok := before[k]; !ok || old != v {
				written[k] = v
			}
		}
		step.Written, step.Written64 = split(written)
		step.Exchanges = rec.take()
		steps = append(steps, step)
		stdin = ""
		fmt.Fprintf(os.Stderr, "$ %s\n%s%s[exit %d]\n", line, step.Stdout, step.Stderr, step.Exit)
	}
	b, err := json.MarshalIndent(map[string]any{"steps": steps}, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*outFile, append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
}
