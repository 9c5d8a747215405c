package kernel

import (
	"github.com/twinbox-dev/twinbox/wasm/sim/netsim"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

var (
	_ sys.Networker = (*Process)(nil)
	_ sys.Blocker   = (*Process)(nil)
	_ sys.NetAdmin  = (*Process)(nil)
)

// Network returns the network stack of the process's network namespace,
// nil when its owner gave it none.
func (p *Process) Network() *netsim.Stack {
	p.k.mu.Lock()
	n := p.ns.Net
	p.k.mu.Unlock()
	s, _ := n.Stack.(*netsim.Stack)
	return s
}

// NetAdmin reports whether the process may change its network
// namespace's links, addresses and routes: root with CAP_NET_ADMIN.
func (p *Process) NetAdmin() bool { return p.cred.UID == 0 && p.caps.NetAdmin }

// Block marks the process as sleeping in a kernel call until done is
// called, for programs that wait on a socket.
func (p *Process) Block() (done func()) { return p.block() }
