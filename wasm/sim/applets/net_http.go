package applets

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/twinbox-dev/twinbox/wasm/sim/netsim"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

// dial connects to host:port from the process's namespace, printing
// busybox's messages for a name nothing resolves or a failed connect.
func (c *cmd) dial(host string, port uint16) (*netsim.Conn, bool) {
	ip, ok := c.resolve(host)
	if !ok {
		c.errorf("bad address '%s'", host)
		return nil, false
	}
	s := c.stack()
	if s == nil {
		c.errorf("can't connect to remote host (%s): Network is unreachable", ip)
		return nil, false
	}
	done := c.blocked()
	conn, err := s.Dial(c.p.Context(), netip.AddrPortFrom(ip, port))
	done()
	if err != nil {
		c.errorf("can't connect to remote host (%s): %s", ip, Strerror(err))
		return nil, false
	}
	// A killed process's sockets close.
	context.AfterFunc(c.p.Context(), func() { conn.Close() })
	return conn, true
}

// wgetMain is busybox's wget for http URLs: one GET, the body to -O's
// file (the URL's base name by default, "-" for standard output), and
// the progress lines busybox prints on standard error unless -q.
func wgetMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "cqSO:o:P:Y:U:T:s",
		"continue", "quiet", "server-response", "output-document=", "output-file=",
		"directory-prefix=", "proxy=", "user-agent=", "timeout=", "spider", "header=", "no-check-certificate")
	if !ok {
		return 1
	}
	if len(o.args) == 0 {
		return c.usageError()
	}
	quiet := o.has("q") || o.has("quiet")
	stderr := c.p.Stderr()
	status := 0
	for _, url := range o.args {
		rest, found := strings.CutPrefix(url, "http://")
		if !found && strings.Contains(url, "://") {
			c.errorf("not an http or ftp url: %s", url)
			return 1
		}
		hostport, upath, _ := strings.Cut(rest, "/")
		upath = "/" + upath
		host, port := hostport, uint16(80)
		if h, p, ok := strings.Cut(hostport, ":"); ok {
			n, err := strconv.ParseUint(p, 10, 16)
			if err != nil {
				c.errorf("bad port spec '%s'", hostport)
				return 1
			}
			host, port = h, uint16(n)
		}
		ip, ok := c.resolve(host)
		if !ok {
			c.errorf("bad address '%s'", host)
			return 1
		}
		if !quiet {
			fmt.Fprintf(stderr, "Connecting to %s (%s:%d)\n", host, ip, port)
		}
		conn, ok := c.dial(ip.String(), port)
		if !ok {
			return 1
		}
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Wget\r\nConnection: close\r\n\r\n", upath, hostport)
		done := c.blocked()
		br := bufio.NewReader(conn)
		line, err := br.ReadString('\n')
		done()
		if err != nil {
			conn.Close()
			c.errorf("error getting response: Connection reset by peer")
			return 1
		}
		statusLine := strings.TrimRight(line, "\r\n")
		if o.has("S") || o.has("server-response") {
			fmt.Fprintf(stderr, "  %s\n", statusLine)
		}
		length := int64(-1)
		for {
			h, err := br.ReadString('\n')
			h = strings.TrimRight(h, "\r\n")
			if o.has("S") || o.has("server-response") {
				fmt.Fprintf(stderr, "  %s\n", h)
			}
			if err != nil || h == "" {
				break
			}
			if k, v, ok := strings.Cut(h, ":"); ok && strings.EqualFold(k, "Content-Length") {
				length, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			}
		}
		f := strings.Fields(statusLine)
		if len(f) < 2 || !strings.HasPrefix(f[1], "2") {
			conn.Close()
			c.errorf("server returned error: %s", statusLine)
			return 1
		}
		if o.has("s") || o.has("spider") {
			conn.Close()
			continue
		}
		name, toFile := "index.html", true
		if b := path.Base(upath); upath != "/" && b != "/" && b != "." {
			name = b
		}
		if v, ok := o.val("O"); ok {
			name = v
		} else if v, ok := o.val("output-document"); ok {
			name = v
		}
		var w io.Writer = c.out
		shown := name
		if name == "-" {
			toFile = false
			if !quiet {
				fmt.Fprintf(stderr, "writing to stdout\n")
			}
		} else {
			file, err := c.openFile(name, 0x241, 0o666) // O_WRONLY|O_CREATE|O_TRUNC
			if err != nil {
				conn.Close()
				c.errorf("can't open '%s': %s", name, Strerror(err))
				return 1
			}
			defer file.Close()
			w = file
			if !quiet {
				fmt.Fprintf(stderr, "saving to '%s'\n", name)
			}
		}
		var body io.Reader = br
		if length >= 0 {
			body = io.LimitReader(br, length)
		}
		done = c.blocked()
		n, err := io.Copy(w, body)
		done()
		conn.Close()
		if err != nil && c.killed() {
			return 1
		}
		if !quiet {
			fmt.Fprintf(stderr, "%s\n", progressLine(shown, n))
			if toFile {
				fmt.Fprintf(stderr, "'%s' saved\n", name)
			} else {
				c.out.Flush()
				fmt.Fprintf(stderr, "written to stdout\n")
			}
		}
	}
	return status
}

// progressLine is busybox's final progress meter line for a finished
// transfer of n bytes of file name.
func progressLine(name string, n int64) string {
	unit := 0
	for n >= 100000 {
		n >>= 10
		unit++
	}
	return fmt.Sprintf("%-20.20s%4d%% |%s|%6d%c%2d:%02d:%02d ETA", name, 100, strings.Repeat("*", 32), n, " kMGTPEZY"[unit], 0, 0, 0)
}

// httpdMain is busybox's httpd serving static files from -h (the working
// directory by default) on -p (port 80 on all addresses by default). It
// answers GET and HEAD with the file, index.html for a directory, or
// busybox's 404 page. Without -f it goes to the background, as a daemon.
func httpdMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "fvip:h:c:u:r:", "")
	if !ok {
		return 1
	}
	// Without an address busybox binds "::", a dual-stack socket.
	addr := netip.AddrPortFrom(netip.IPv6Unspecified(), 80)
	if v, ok := o.val("p"); ok {
		host, port, found := strings.Cut(v, ":")
		if !found {
			host, port = "", v
		}
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			c.errorf("invalid number '%s'", port)
			return 1
		}
		a := netip.IPv6Unspecified()
		if host != "" {
			if a, err = netip.ParseAddr(host); err != nil {
				c.errorf("bad address '%s'", host)
				return 1
			}
		}
		addr = netip.AddrPortFrom(a, uint16(n))
	}
	home := c.p.Dir()
	if v, ok := o.val("h"); ok {
		home = c.abs(v)
	}
	s := c.stack()
	if s == nil {
		c.errorf("bind: Cannot assign requested address")
		return 1
	}
	l, err := s.Listen(addr)
	if err != nil {
		c.errorf("bind: %s", Strerror(err))
		return 1
	}
	if !o.has("f") {
		// Daemonise: the server goes on in a child the parent leaves
		// behind, as fork() does; the socket is the child's.
		l.Close()
		_, err := c.p.Spawn(sys.Cmd{Args: append(append([]string{c.args[0]}, c.args[1:]...), "-f"), Env: c.p.Environ(), Dir: c.p.Dir()})
		if err != nil {
			c.errorf("fork: %s", Strerror(err))
			return 1
		}
		return 0
	}
	defer l.Close()
	ctx := c.p.Context()
	for {
		done := c.blocked()
		conn, err := l.Accept(ctx)
		done()
		if err != nil {
			return 0
		}
		go c.serveHTTP(conn, home)
	}
}

// serveHTTP answers one request on conn and closes it.
func (c *cmd) serveHTTP(conn *netsim.Conn, home string) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil {
		return
	}
	for {
		h, err := br.ReadString('\n')
		if err != nil || strings.TrimRight(h, "\r\n") == "" {
			break
		}
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return
	}
	now := c.p.Now().UTC().Format(httpTime)
	name := path.Join(home, path.Clean("/"+f[1]))
	fi, err := c.stat(name)
	if err == nil && fi.IsDir() {
		name = path.Join(name, "index.html")
		fi, err = c.stat(name)
	}
	var data string
	if err == nil {
		data, err = c.readFile(name)
	}
	if err != nil || fi.IsDir() {
		body := "<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD>\n<BODY><H1>404 Not Found</H1>\nThe requested URL was not found\n</BODY></HTML>\n"
		fmt.Fprintf(conn, "HTTP/1.1 404 Not Found\r\nDate: %s\r\nConnection: close\r\nContent-type: text/html\r\n\r\n%s", now, body)
		return
	}
	fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nDate: %s\r\nConnection: close\r\nContent-type: %s\r\nAccept-Ranges: bytes\r\nLast-Modified: %s\r\nETag: \"%x-%x\"\r\nContent-Length: %d\r\n\r\n",
		now, contentType(name), fi.ModTime().UTC().Format(httpTime), fi.ModTime().Unix(), fi.Size(), len(data))
	if f[0] != "HEAD" {
		io.WriteString(conn, data)
	}
}

const httpTime = "Mon, 02 Jan 2006 15:04:05 GMT"

// contentType is busybox httpd's MIME type for a file name.
func contentType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".htm", ".html":
		return "text/html"
	case ".txt", ".h", ".c", ".cc", ".cpp":
		return "text/plain"
	case ".css":
		return "text/css"
	case ".js":
		return "application/javascript"
	case ".json":
		return "application/json"
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".xml":
		return "text/xml"
	}
	return "application/octet-stream"
}

// ncDrain is how long nc, once the other side has finished, lets input
// that is ready go out.
const ncDrain = 50 * time.Millisecond

// ncMain is busybox's small nc: connect to HOST PORT (or, with -l, wait
// for one connection on -p PORT) and copy standard input to the socket and
// the socket to standard output until the other side closes.
func ncMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "lp:w:i:")
	if !ok {
		return 1
	}
	var conn *netsim.Conn
	if o.has("l") {
		v, ok := o.val("p")
		if !ok {
			return c.usageError()
		}
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil {
			c.errorf("invalid number '%s'", v)
			return 1
		}
		s := c.stack()
		if s == nil {
			c.errorf("bind: Cannot assign requested address")
			return 1
		}
		l, err := s.Listen(netip.AddrPortFrom(netip.IPv6Unspecified(), uint16(n)))
		if err != nil {
			c.errorf("bind: %s", Strerror(err))
			return 1
		}
		done := c.blocked()
		conn, err = l.Accept(c.p.Context())
		done()
		l.Close()
		if err != nil {
			return 1
		}
		context.AfterFunc(c.p.Context(), func() { conn.Close() })
	} else {
		if len(o.args) != 2 {
			return c.usageError()
		}
		n, err := strconv.ParseUint(o.args[1], 10, 16)
		if err != nil {
			c.errorf("invalid number '%s'", o.args[1])
			return 1
		}
		if conn, ok = c.dial(o.args[0], uint16(n)); !ok {
			return 1
		}
	}
	defer conn.Close()
	sent := make(chan struct{})
	go func() {
		// At the end of its input nc shuts down its sending half, so
		// that the other side reads end-of-file, and goes on reading.
		io.Copy(conn, c.stdin())
		conn.CloseWrite()
		close(sent)
	}()
	done := c.blocked()
	io.Copy(c.out, conn)
	// The other side has finished. busybox's poll loop serves standard
	// input before the socket, so input already there goes out before
	// nc exits; input that is not there yet (a terminal) does not keep
	// it waiting.
	select {
	case <-sent:
	case <-time.After(ncDrain):
	}
	done()
	return 0
}
