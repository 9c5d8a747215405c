package network

// The packet filter rules a daemon keeps for its bridges, with
// github.com/google/nftables (netlink, no nft binary):
//   - its own table, inet "twinbox-<tag>", whose forward chain drops what
//     the machine would route from one of the daemon's bridges to another
//     (dockerd's DOCKER-ISOLATION chains: a container on one network cannot
//     reach one on another), and everything in or out of an internal
//     network's bridge but within it;
//   - on a machine where Docker (iptables) made a FORWARD chain in the ip
//     "filter" table, whose policy is drop, a rule at its head per bridge
//     accepting what stays within the bridge: with br_netfilter loaded,
//     frames bridged between two containers pass that chain too, and
//     without the rule two containers on one network could not talk.
//     dockerd adds the same rules. Each carries the comment "twinbox-<tag>",
//     by which a restarted daemon finds and removes those it left.
//   - in that table's postrouting chain, a masquerade of what leaves a
//     bridge of a network that is not internal for another interface
//     (dockerd's POSTROUTING MASQUERADE): containers reach the machine's
//     other networks, and beyond, with the machine's address;
//   - on a machine with Docker's FORWARD chain, also rules accepting what
//     leaves such a bridge and the replies that come back to it (dockerd's
//     own), without which that chain's drop policy would stop them.
// OpenFirewall turns IPv4 forwarding on, as dockerd does.
// Published ports need no rule (see proxy_linux.go); ICC off is the
// bridge ports' "isolated" flag (see AddEndpoint).

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// Firewall holds one daemon's rules.
type Firewall struct {
	tag   string
	mu    sync.Mutex
	table *nftables.Table
	chain *nftables.Chain
	nat   *nftables.Chain
	set   *nftables.Set
	// bridges maps each bridge to whether its network is internal.
	bridges map[string]bool
}

// OpenFirewall removes the rules a previous daemon with the same tag left
// and creates the daemon's table. The engine then adds its bridges again.
func OpenFirewall(tag string) (*Firewall, error) {
	f := &Firewall{tag: tag, bridges: map[string]bool{}}
	if err := f.reset(); err != nil {
		return nil, err
	}
	if data, err := os.ReadFile(ipForward); err == nil && strings.TrimSpace(string(data)) != "1" {
		if err := os.WriteFile(ipForward, []byte("1"), 0); err != nil {
			return nil, fmt.Errorf("network: enable IPv4 forwarding: %w", err)
		}
	}
	return f, nil
}

const ipForward = "/proc/sys/net/ipv4/ip_forward"

func (f *Firewall) tableName() string { return "twinbox-" + f.tag }

// comment is the user data of the rules the daemon adds to other tables.
func (f *Firewall) comment() []byte {
	return userdata.AppendString(nil, userdata.TypeComment, f.tableName())
}

// removeOwn deletes the daemon's table and its rules in ip filter FORWARD.
func (f *Firewall) removeOwn(c *nftables.Conn) error {
	tables, err := c.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return fmt.Errorf("network: nftables: %w", err)
	}
	for _, t := range tables {
		if t.Name == f.tableName() {
			c.DelTable(t)
		}
	}
	fwd, filter := dockerForward(c)
	if fwd != nil {
		rules, err := c.GetRules(filter, fwd)
		if err != nil {
			return fmt.Errorf("network: nftables: %w", err)
		}
		for _, r := range rules {
			if bytes.Equal(r.UserData, f.comment()) {
				c.DelRule(r)
			}
		}
	}
	return nil
}

// dockerForward returns the ip filter table's FORWARD chain when it
// exists.
func dockerForward(c *nftables.Conn) (*nftables.Chain, *nftables.Table) {
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyIPv4)
	if err != nil {
		return nil, nil
	}
	for _, ch := range chains {
		if ch.Table.Name == "filter" && ch.Name == "FORWARD" {
			return ch, ch.Table
		}
	}
	return nil, nil
}

func (f *Firewall) reset() error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("network: nftables: %w", err)
	}
	if err := f.removeOwn(c); err != nil {
		return err
	}
	f.table = c.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: f.tableName()})
	f.chain = c.AddChain(&nftables.Chain{
		Name: "forward", Table: f.table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter,
	})
	f.nat = c.AddChain(&nftables.Chain{
		Name: "postrouting", Table: f.table, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource,
	})
	// Host byte order, as nft stores strings: `nft list` then shows the
	// names.
	f.set = &nftables.Set{Table: f.table, Name: "bridges", KeyType: nftables.TypeIFName, KeyByteOrder: binaryutil.NativeEndian}
	if err := c.AddSet(f.set, nil); err != nil {
		return fmt.Errorf("network: nftables: %w", err)
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("network: nftables: create table %s: %w", f.tableName(), err)
	}
	return nil
}

// ifname is an interface name as nftables compares it.
func ifname(n string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, n)
	return b
}

func metaIs(key expr.MetaKey, op expr.CmpOp, name string) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: key, Register: 1},
		&expr.Cmp{Op: op, Register: 1, Data: ifname(name)},
	}
}

// AddBridge adds bridge's rules (see the file's comment).
func (f *Firewall) AddBridge(bridge string, internal bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.bridges[bridge]; ok {
		return nil
	}
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("network: nftables: %w", err)
	}
	drop := &expr.Verdict{Kind: expr.VerdictDrop}
	if err := c.SetAddElements(f.set, []nftables.SetElement{{Key: ifname(bridge)}}); err != nil {
		return fmt.Errorf("network: nftables: %w", err)
	}
	ud := []byte(bridge)
	// iifname BR oifname != BR oifname @bridges drop
	isolate := append(metaIs(expr.MetaKeyIIFNAME, expr.CmpOpEq, bridge), metaIs(expr.MetaKeyOIFNAME, expr.CmpOpNeq, bridge)...)
	isolate = append(isolate, &expr.Lookup{SourceRegister: 1, SetName: f.set.Name, SetID: f.set.ID}, drop)
	c.AddRule(&nftables.Rule{Table: f.table, Chain: f.chain, Exprs: isolate, UserData: ud})
	if internal {
		c.AddRule(&nftables.Rule{Table: f.table, Chain: f.chain, UserData: ud,
			Exprs: append(append(metaIs(expr.MetaKeyIIFNAME, expr.CmpOpEq, bridge), metaIs(expr.MetaKeyOIFNAME, expr.CmpOpNeq, bridge)...), drop)})
		c.AddRule(&nftables.Rule{Table: f.table, Chain: f.chain, UserData: ud,
			Exprs: append(append(metaIs(expr.MetaKeyOIFNAME, expr.CmpOpEq, bridge), metaIs(expr.MetaKeyIIFNAME, expr.CmpOpNeq, bridge)...), drop)})
	}
	if !internal {
		// iifname BR oifname != BR masquerade
		masq := append(metaIs(expr.MetaKeyIIFNAME, expr.CmpOpEq, bridge), metaIs(expr.MetaKeyOIFNAME, expr.CmpOpNeq, bridge)...)
		c.AddRule(&nftables.Rule{Table: f.table, Chain: f.nat, Exprs: append(masq, &expr.Masq{}), UserData: ud})
	}
	if fwd, filter := dockerForward(c); fwd != nil {
		accept := &expr.Verdict{Kind: expr.VerdictAccept}
		rules := [][]expr.Any{append(append(metaIs(expr.MetaKeyIIFNAME, expr.CmpOpEq, bridge), metaIs(expr.MetaKeyOIFNAME, expr.CmpOpEq, bridge)...), accept)}
		if !internal {
			// iifname BR oifname != BR accept;
			// oifname BR ct state established,related accept
			out := append(append(metaIs(expr.MetaKeyIIFNAME, expr.CmpOpEq, bridge), metaIs(expr.MetaKeyOIFNAME, expr.CmpOpNeq, bridge)...), accept)
			back := append(metaIs(expr.MetaKeyOIFNAME, expr.CmpOpEq, bridge),
				&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
				&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
					Mask: binaryutil.NativeEndian.PutUint32(expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED),
					Xor:  binaryutil.NativeEndian.PutUint32(0)},
				&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: []byte{0, 0, 0, 0}},
				accept)
			rules = append(rules, out, back)
		}
		for _, r := range rules {
			c.InsertRule(&nftables.Rule{Table: filter, Chain: fwd, Exprs: r, UserData: f.comment()})
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("network: nftables: rules of %s: %w", bridge, err)
	}
	f.bridges[bridge] = internal
	return nil
}

// RemoveBridge deletes bridge's rules.
func (f *Firewall) RemoveBridge(bridge string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.bridges[bridge]; !ok {
		return nil
	}
	delete(f.bridges, bridge)
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("network: nftables: %w", err)
	}
	for _, ch := range []*nftables.Chain{f.chain, f.nat} {
		rules, err := c.GetRules(f.table, ch)
		if err != nil {
			return fmt.Errorf("network: nftables: %w", err)
		}
		for _, r := range rules {
			if string(r.UserData) == bridge {
				c.DelRule(r)
			}
		}
	}
	if err := c.SetDeleteElements(f.set, []nftables.SetElement{{Key: ifname(bridge)}}); err != nil {
		return fmt.Errorf("network: nftables: %w", err)
	}
	if fwd, filter := dockerForward(c); fwd != nil {
		rules, err := c.GetRules(filter, fwd)
		if err == nil {
			for _, r := range rules {
				if bytes.Equal(r.UserData, f.comment()) && ruleNamesBridge(r, bridge) {
					c.DelRule(r)
				}
			}
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("network: nftables: remove rules of %s: %w", bridge, err)
	}
	return nil
}

// ruleNamesBridge reports whether r compares an interface name with
// bridge.
func ruleNamesBridge(r *nftables.Rule, bridge string) bool {
	for _, e := range r.Exprs {
		if c, ok := e.(*expr.Cmp); ok && bytes.Equal(c.Data, ifname(bridge)) {
			return true
		}
	}
	return false
}

// Close deletes all of the daemon's rules.
func (f *Firewall) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := nftables.New()
	if err != nil {
		return err
	}
	if err := f.removeOwn(c); err != nil {
		return err
	}
	f.bridges = map[string]bool{}
	return c.Flush()
}
