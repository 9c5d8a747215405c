package network

// The embedded DNS server of user-defined networks, as dockerd's at
// 127.0.0.11: a UDP and a TCP socket the daemon opens inside the
// container's network namespace (a socket stays in the namespace it was
// made in, whichever thread then uses it), answering A queries from the
// engine's resolver. dockerd listens on a random port and DNATs port 53
// to it; binding 127.0.0.11:53 itself needs no rule at all, so nothing can
// be left behind: the sockets close with the container or the daemon.
// There is no forwarding: these machines have no name servers to ask, so
// a name the engine does not know gets NXDOMAIN at once.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	goruntime "runtime"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// DNSAddr is the embedded DNS server's address in every container.
const DNSAddr = "127.0.0.11:53"

// dnsTTL is the TTL of the answers, dockerd's respTTL.
const dnsTTL = 600

// maxDNSConns bounds the TCP connections a server serves at once (each
// costs the daemon a goroutine).
const maxDNSConns = 64

// InNamespace runs fn on a thread that has entered the network namespace
// nsFd, then returns the thread to the daemon's namespace. Sockets fn
// creates belong to that namespace. The thread is never reused.
func InNamespace(nsFd int, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		goruntime.LockOSThread() // never unlocked: Go ends the thread
		errc <- func() error {
			orig, err := os.Open("/proc/thread-self/ns/net")
			if err != nil {
				return err
			}
			defer orig.Close()
			if err := unix.Setns(nsFd, unix.CLONE_NEWNET); err != nil {
				return fmt.Errorf("network: enter namespace: %w", err)
			}
			defer unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET)
			return fn()
		}()
	}()
	return <-errc
}

// LoopbackUp brings lo up in the network namespace nsFd.
func LoopbackUp(nsFd int) error {
	h, err := netlink.NewHandleAt(netns.NsHandle(nsFd))
	if err != nil {
		return fmt.Errorf("network: namespace handle: %w", err)
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("network: lo: %w", err)
	}
	return h.LinkSetUp(lo)
}

// DNSServer answers DNS queries at 127.0.0.11:53 in one network namespace.
type DNSServer struct {
	resolve func(name string) []netip.Addr
	udp     net.PacketConn
	tcp     net.Listener
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	closed  bool
}

// StartDNS opens the server's sockets in the network namespace nsFd (whose
// lo it brings up) and serves queries with resolve until Close.
func StartDNS(nsFd int, resolve func(name string) []netip.Addr) (*DNSServer, error) {
	s := &DNSServer{resolve: resolve, conns: map[net.Conn]struct{}{}}
	err := InNamespace(nsFd, func() error {
		// 127.0.0.11 is the namespace's once its lo is up, which the
		// container may not have done yet. On this thread, netlink is the
		// namespace's.
		lo, err := netlink.LinkByName("lo")
		if err != nil {
			return fmt.Errorf("lo: %w", err)
		}
		if err := netlink.LinkSetUp(lo); err != nil {
			return fmt.Errorf("lo up: %w", err)
		}
		if s.udp, err = net.ListenPacket("udp4", DNSAddr); err != nil {
			return err
		}
		if s.tcp, err = net.Listen("tcp4", DNSAddr); err != nil {
			s.udp.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("network: embedded DNS server: %w", err)
	}
	s.wg.Add(2)
	go s.serveUDP()
	go s.serveTCP()
	return s, nil
}

func (s *DNSServer) serveUDP() {
	defer s.wg.Done()
	buf := make([]byte, 4096)
	for {
		n, from, err := s.udp.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if resp := s.answer(buf[:n], 512); resp != nil {
			s.udp.WriteTo(resp, from)
		}
	}
}

func (s *DNSServer) serveTCP() {
	defer s.wg.Done()
	for {
		c, err := s.tcp.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		if len(s.conns) >= maxDNSConns {
			// A container may not make the daemon hold more.
			s.mu.Unlock()
			c.Close()
			continue
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			for {
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				var l [2]byte
				if _, err := io.ReadFull(c, l[:]); err != nil {
					return
				}
				msg := make([]byte, binary.BigEndian.Uint16(l[:]))
				if _, err := io.ReadFull(c, msg); err != nil {
					return
				}
				resp := s.answer(msg, 65535)
				if resp == nil {
					return
				}
				out := binary.BigEndian.AppendUint16(nil, uint16(len(resp)))
				if _, err := c.Write(append(out, resp...)); err != nil {
					return
				}
			}
		}()
	}
}

// Close closes the server's sockets and waits for its goroutines.
func (s *DNSServer) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.udp.Close()
	s.tcp.Close()
	s.wg.Wait()
	return nil
}

// DNS message constants (RFC 1035).
const (
	typeA     = 1
	typeAAAA  = 28
	classIN   = 1
	rcodeOK   = 0
	rcodeFail = 2 // SERVFAIL
	rcodeNX   = 3 // NXDOMAIN
	rcodeImp  = 4 // NOTIMP
)

// answer builds the response to query, or nil for a message that is not a
// query to answer (a response, or too short to carry an ID).
func (s *DNSServer) answer(q []byte, max int) []byte {
	if len(q) < 12 || q[2]&0x80 != 0 {
		return nil
	}
	opcode := (q[2] >> 3) & 0xf
	qd := binary.BigEndian.Uint16(q[4:])
	resp := make([]byte, 12, 512)
	copy(resp, q[:2])
	resp[2] = 0x80 | q[2]&0x79 // QR, opcode and RD echoed
	resp[3] = 0x80 | q[3]&0x10 // RA, as dockerd's resolver; CD echoed
	if opcode != 0 || qd != 1 {
		resp[3] |= rcodeImp
		return resp
	}
	name, end, ok := readName(q, 12)
	if !ok || end+4 > len(q) {
		resp[3] |= rcodeFail
		return resp
	}
	qtype := binary.BigEndian.Uint16(q[end:])
	qclass := binary.BigEndian.Uint16(q[end+2:])
	resp = append(resp, q[12:end+4]...)
	binary.BigEndian.PutUint16(resp[4:], 1)
	var addrs []netip.Addr
	if qclass == classIN {
		addrs = s.resolve(name)
	}
	switch {
	case len(addrs) == 0:
		resp[3] |= rcodeNX
	case qtype == typeA:
		rand.Shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
		n := 0
		for _, a := range addrs {
			if !a.Is4() || len(resp)+16 > max {
				continue
			}
			resp = append(resp, 0xc0, 12) // the question's name
			resp = binary.BigEndian.AppendUint16(resp, typeA)
			resp = binary.BigEndian.AppendUint16(resp, classIN)
			resp = binary.BigEndian.AppendUint32(resp, dnsTTL)
			resp = binary.BigEndian.AppendUint16(resp, 4)
			b := a.As4()
			resp = append(resp, b[:]...)
			n++
		}
		binary.BigEndian.PutUint16(resp[6:], uint16(n))
	default:
		// A known name without records of this type (AAAA: the networks
		// have no IPv6): an empty answer, as dockerd gives.
	}
	return resp
}

// readName reads a question's name at off (no compression pointers are
// allowed in a question) and returns it dotted, and the offset after it.
func readName(msg []byte, off int) (string, int, bool) {
	var labels []string
	for total := 0; off < len(msg); {
		l := int(msg[off])
		off++
		if l == 0 {
			return strings.Join(labels, "."), off, true
		}
		if l&0xc0 != 0 || off+l > len(msg) {
			return "", 0, false
		}
		total += l + 1
		if total > 255 {
			return "", 0, false
		}
		labels = append(labels, string(msg[off:off+l]))
		off += l
	}
	return "", 0, false
}
