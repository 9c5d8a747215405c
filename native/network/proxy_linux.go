package network

// Published ports go through a userland proxy, as dockerd's docker-proxy
// does by default, rather than nftables DNAT. The reasons (RATIONALE.md):
//   - the machine's own 127.0.0.1:PORT must work, and DNAT of locally
//     made connections to loopback needs route_localnet and a masquerade
//     of 127.0.0.1 on every bridge, machine-wide settings that outlive us;
//   - a listener belongs to the daemon's process: when the daemon ends or
//     crashes the kernel closes it, so no rule can be left behind, and a
//     port already in use fails at bind with dockerd's very error;
//   - it costs a goroutine and a socket per port, nothing on the path of a
//     container that publishes none.
// The price is dockerd's too: the container sees connections come from its
// gateway, not from the client.

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// udpIdle is how long a UDP flow lives without traffic (docker-proxy's
// UDPConnTrackTimeout).
const udpIdle = 90 * time.Second

// Proxy forwards one published port to a container.
type Proxy struct {
	m    backend.PortMapping
	ln   net.Listener
	pc   net.PacketConn
	wg   sync.WaitGroup
	mu   sync.Mutex
	done bool
	live map[io.Closer]struct{}
}

// StartProxy listens on m.HostIP:m.HostPort (tcp or udp) and forwards what
// arrives to m.ContainerIP:m.ContainerPort. An unspecified IPv6 host
// address listens on IPv6 only, beside the IPv4 mapping the engine sends
// with it; a machine without IPv6 skips it (nil, nil). Errors: Conflict
// "Error starting userland proxy: ..." when the port cannot be bound.
func StartProxy(m backend.PortMapping) (*Proxy, error) {
	p := &Proxy{m: m, live: map[io.Closer]struct{}{}}
	family := "4"
	if m.HostIP.Is6() && !m.HostIP.Is4In6() {
		family = "6"
	}
	addr := net.JoinHostPort(m.HostIP.Unmap().String(), strconv.Itoa(int(m.HostPort)))
	var err error
	switch m.Proto {
	case "tcp":
		p.ln, err = net.Listen("tcp"+family, addr)
	case "udp":
		p.pc, err = net.ListenPacket("udp"+family, addr)
	default:
		return nil, backend.Errorf(backend.InvalidParameter, "Error starting userland proxy: protocol not supported")
	}
	if err != nil {
		if family == "6" && m.HostIP.IsUnspecified() && (errors.Is(err, syscall.EAFNOSUPPORT) || errors.Is(err, syscall.EADDRNOTAVAIL)) {
			return nil, nil // no IPv6 here
		}
		return nil, backend.Errorf(backend.Conflict, "Error starting userland proxy: %v", err)
	}
	p.wg.Add(1)
	if p.ln != nil {
		go p.serveTCP()
	} else {
		go p.serveUDP()
	}
	return p, nil
}

// PortFree reports whether a proxy could listen on proto port of hostIP
// now (an unspecified IPv6 address on a machine without IPv6 counts as
// free: StartProxy skips it).
func PortFree(proto string, hostIP netip.Addr, port uint16) bool {
	p, err := StartProxy(backend.PortMapping{Proto: proto, HostIP: hostIP, HostPort: port})
	if err != nil {
		return false
	}
	p.Close()
	return true
}

func (p *Proxy) target() string {
	return net.JoinHostPort(p.m.ContainerIP.String(), strconv.Itoa(int(p.m.ContainerPort)))
}

// track records an open connection to close with the proxy; false when the
// proxy is closing.
func (p *Proxy) track(c io.Closer) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return false
	}
	p.live[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c io.Closer) {
	p.mu.Lock()
	delete(p.live, c)
	p.mu.Unlock()
}

func (p *Proxy) serveTCP() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.pipeTCP(in.(*net.TCPConn))
		}()
	}
}

// pipeTCP copies both ways, passing half-closes on, until both sides end.
func (p *Proxy) pipeTCP(in *net.TCPConn) {
	defer in.Close()
	if !p.track(in) {
		return
	}
	defer p.untrack(in)
	c, err := net.DialTimeout("tcp4", p.target(), 5*time.Second)
	if err != nil {
		return // the client sees the connection close, as with docker-proxy
	}
	out := c.(*net.TCPConn)
	defer out.Close()
	if !p.track(out) {
		return
	}
	defer p.untrack(out)
	var wg sync.WaitGroup
	wg.Add(2)
	half := func(dst, src *net.TCPConn) {
		defer wg.Done()
		io.Copy(dst, src)
		dst.CloseWrite()
		src.CloseRead()
	}
	go half(out, in)
	go half(in, out)
	wg.Wait()
}

func (p *Proxy) serveUDP() {
	defer p.wg.Done()
	flows := map[string]*net.UDPConn{}
	var mu sync.Mutex
	buf := make([]byte, 65535)
	for {
		n, from, err := p.pc.ReadFrom(buf)
		if err != nil {
			mu.Lock()
			for _, c := range flows {
				c.Close()
			}
			mu.Unlock()
			return
		}
		key := from.String()
		mu.Lock()
		out := flows[key]
		mu.Unlock()
		if out == nil {
			raddr, _ := net.ResolveUDPAddr("udp4", p.target())
			if out, err = net.DialUDP("udp4", nil, raddr); err != nil {
				continue
			}
			mu.Lock()
			flows[key] = out
			mu.Unlock()
			p.wg.Add(1)
			go func(from net.Addr, out *net.UDPConn) {
				defer p.wg.Done()
				reply := make([]byte, 65535)
				for {
					out.SetReadDeadline(time.Now().Add(udpIdle))
					n, err := out.Read(reply)
					if err != nil {
						break
					}
					p.pc.WriteTo(reply[:n], from)
				}
				mu.Lock()
				delete(flows, from.String())
				mu.Unlock()
				out.Close()
			}(from, out)
		}
		out.Write(buf[:n])
	}
}

// Close stops listening, ends the proxy's connections and waits for its
// goroutines.
func (p *Proxy) Close() error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	p.done = true
	for c := range p.live {
		c.Close()
	}
	p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
	}
	if p.pc != nil {
		p.pc.Close()
	}
	p.wg.Wait()
	return nil
}

// StartProxies starts a proxy per mapping; on an error it closes those it
// started and returns the error.
func StartProxies(ms []backend.PortMapping) ([]io.Closer, error) {
	var out []io.Closer
	for _, m := range ms {
		p, err := StartProxy(m)
		if err != nil {
			for _, c := range out {
				c.Close()
			}
			return nil, err
		}
		if p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// String describes the proxy as docker-proxy's arguments would.
func (p *Proxy) String() string {
	return fmt.Sprintf("%s %s -> %s", p.m.Proto, net.JoinHostPort(p.m.HostIP.String(), strconv.Itoa(int(p.m.HostPort))), p.target())
}
