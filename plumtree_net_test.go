package hyparlist

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// This file holds ptNet, a synchronous in-process network of Plumtree
// cores on the virtual clock of core_driver_test.go, used by the golden traces, the property tests
// and the fuzz target. Links are static (the test feeds NeighborUp and
// NeighborDown itself) and deliver each direction FIFO after a fixed
// per-link latency; a hook can drop chosen messages; timers fire in
// virtual time. Everything is deterministic: ties in time are broken by
// scheduling order.

// ptEpoch is the virtual time origin of every ptNet.
var ptEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

type ptNetNode struct {
	name         string
	pt           *Plumtree
	delivered    map[MessageID]int
	deliverOrder []MessageID
}

type ptLinkKey struct{ a, b string } // a < b

func ptKey(a, b string) ptLinkKey {
	if b < a {
		a, b = b, a
	}
	return ptLinkKey{a, b}
}

type ptLink struct {
	up      bool
	epoch   int // bumped when the link goes down: messages in flight are lost
	latency time.Duration
}

// ptNet is the test network. Tests name times as offsets from ptEpoch
// (at, run, elapsed).
type ptNet struct {
	vclock
	tb    testing.TB
	what  string // prefix of failure messages, e.g. the seed
	cfg   PlumtreeConfig
	nodes map[string]*ptNetNode
	names []string // sorted
	links map[ptLinkKey]*ptLink

	// drop, if set, is asked about every Send; true drops the message.
	drop func(from, to string, m Message) bool
	// onDeliver, if set, is called for every Deliver action.
	onDeliver func(node string, d Deliver)
	// afterStep, if set, is called after every Step of any node.
	afterStep func(node string)

	trace  *strings.Builder // nil: no trace
	labels map[MessageID]string
	counts map[string]int // broadcasts per origin, for labels

	sent map[MessageType]int
}

func newPtNet(tb testing.TB, cfg PlumtreeConfig, names ...string) *ptNet {
	tb.Helper()
	n := &ptNet{
		vclock: vclock{now: ptEpoch},
		tb:     tb,
		cfg:    cfg,
		nodes:  make(map[string]*ptNetNode),
		links:  make(map[ptLinkKey]*ptLink),
		labels: make(map[MessageID]string),
		counts: make(map[string]int),
		sent:   make(map[MessageType]int),
	}
	for i, name := range names {
		n.addNode(name, uint64(i+1))
	}
	return n
}

func (n *ptNet) addNode(name string, seed uint64) *ptNetNode {
	n.tb.Helper()
	pt, err := NewPlumtree(Peer{Name: name, Addr: name + ":7946"}, n.cfg, rand.New(rand.NewPCG(seed, 0x5eed)))
	if err != nil {
		n.tb.Fatalf("NewPlumtree(%s): %v", name, err)
	}
	node := &ptNetNode{name: name, pt: pt, delivered: make(map[MessageID]int)}
	n.nodes[name] = node
	n.names = append(n.names, name)
	slices.Sort(n.names)
	n.step(name, Start{})
	return node
}

func (n *ptNet) peer(name string) Peer { return Peer{Name: name, Addr: name + ":7946"} }

func (n *ptNet) tracef(format string, args ...any) {
	if n.trace == nil {
		return
	}
	fmt.Fprintf(n.trace, "%6s  ", n.elapsed().String())
	fmt.Fprintf(n.trace, format, args...)
	n.trace.WriteByte('\n')
}

// link connects a and b with the given one-way latency and tells both
// cores (NeighborUp at a first, then at b).
func (n *ptNet) link(a, b string, latency time.Duration) {
	l := n.links[ptKey(a, b)]
	if l == nil {
		l = &ptLink{}
		n.links[ptKey(a, b)] = l
	}
	l.latency = latency
	if l.up {
		return
	}
	l.up = true
	n.step(a, NeighborUp{Peer: n.peer(b)})
	n.step(b, NeighborUp{Peer: n.peer(a)})
}

// unlink takes the link a–b down: messages in flight on it are lost and
// both cores get NeighborDown.
func (n *ptNet) unlink(a, b string) {
	l := n.links[ptKey(a, b)]
	if l == nil || !l.up {
		return
	}
	l.up = false
	l.epoch++
	n.step(a, NeighborDown{Peer: n.peer(b)})
	n.step(b, NeighborDown{Peer: n.peer(a)})
}

func (n *ptNet) setLatency(a, b string, latency time.Duration) {
	n.links[ptKey(a, b)].latency = latency
}

// neighbors returns the names linked to name, sorted.
func (n *ptNet) neighbors(name string) []string {
	var out []string
	for _, o := range n.names {
		if l := n.links[ptKey(name, o)]; o != name && l != nil && l.up {
			out = append(out, o)
		}
	}
	return out
}

// elapsed returns the virtual time since ptEpoch.
func (n *ptNet) elapsed() time.Duration { return n.now.Sub(ptEpoch) }

// at schedules fn at virtual time t (since ptEpoch).
func (n *ptNet) at(t time.Duration, fn func()) { n.scheduleAt(ptEpoch.Add(t), fn) }

// broadcast makes node origin broadcast payload.
func (n *ptNet) broadcast(origin, payload string) {
	n.tracef("%s  broadcast %q", origin, payload)
	n.step(origin, BroadcastPayload{Class: ClassUser, Payload: []byte(payload)})
}

// step feeds ev to node name and carries out its actions.
func (n *ptNet) step(name string, ev Event) {
	node := n.nodes[name]
	for _, a := range n.stepCore(node.pt, ev) {
		n.act(node, a)
	}
	if n.afterStep != nil {
		n.afterStep(name)
	}
}

func (n *ptNet) act(node *ptNetNode, a Action) {
	switch a := a.(type) {
	case Send:
		n.sent[a.Msg.Type()]++
		l := n.links[ptKey(node.name, a.To.Name)]
		if n.drop != nil && n.drop(node.name, a.To.Name, a.Msg) {
			n.tracef("%s→%s  %s  DROPPED", node.name, a.To.Name, n.fmtMsg(a.Msg))
			return
		}
		if l == nil || !l.up {
			n.tracef("%s→%s  %s  NO LINK", node.name, a.To.Name, n.fmtMsg(a.Msg))
			return
		}
		n.tracef("%s→%s  %s", node.name, a.To.Name, n.fmtMsg(a.Msg))
		n.schedule(l.latency, n.arrive(node.name, a.To.Name, a.Msg, l.epoch))
	case SetTimer:
		n.tracef("%s  set timer %v %s", node.name, a.After, n.fmtTimer(a.Timer))
		name, t := node.name, a.Timer
		n.schedule(a.After, func() {
			n.tracef("%s  timer %s", name, n.fmtTimer(t))
			n.step(name, TimerFired{Timer: t})
		})
	case Deliver:
		if a.From.Name == node.name {
			n.counts[node.name]++
			n.labels[a.ID] = fmt.Sprintf("%s#%d", node.name, n.counts[node.name])
		}
		node.delivered[a.ID]++
		node.deliverOrder = append(node.deliverOrder, a.ID)
		n.tracef("%s  deliver %s %q from %s hops %d", node.name, n.label(a.ID), a.Payload, a.From.Name, a.Hops)
		if n.onDeliver != nil {
			n.onDeliver(node.name, a)
		}
	default:
		n.tb.Fatalf("%s: unexpected action %T", node.name, a)
	}
}

// arrive returns the arrival of msg, sent from one node to another while
// the link between them was in epoch epoch: it is lost if the link has
// gone down since.
func (n *ptNet) arrive(from, to string, msg Message, epoch int) func() {
	return func() {
		l := n.links[ptKey(from, to)]
		if l == nil || !l.up || l.epoch != epoch {
			n.tracef("%s→%s  %s  LOST (link down)", from, to, n.fmtMsg(msg))
			return
		}
		n.tracef("%s  recv %s from %s", to, n.fmtMsg(msg), from)
		n.step(to, Receive{From: n.peer(from), Msg: msg})
	}
}

// run processes events until the queue is empty or virtual time passes
// until (0: no limit; the clock then stays at the last event). It returns
// the number of events processed.
func (n *ptNet) run(until time.Duration) int {
	count := 0
	for n.pending() > 0 {
		if end := ptEpoch.Add(until); until > 0 && n.nextAt().After(end) {
			n.now = end
			break
		}
		n.runNext()
		count++
		if count > 10_000_000 {
			n.tb.Fatalf("network does not quiesce")
		}
	}
	return count
}

func (n *ptNet) label(id MessageID) string {
	if l, ok := n.labels[id]; ok {
		return l
	}
	return fmt.Sprintf("%s/%d", id.Origin, id.Seq)
}

func (n *ptNet) fmtMsg(m Message) string {
	switch m := m.(type) {
	case gossipMsg:
		return fmt.Sprintf("gossip %s round %d %q", n.label(m.ID), m.Round, m.Payload)
	case ihaveMsg:
		parts := make([]string, len(m.Entries))
		for i, e := range m.Entries {
			parts[i] = fmt.Sprintf("%s@%d", n.label(e.ID), e.Round)
		}
		return "ihave [" + strings.Join(parts, " ") + "]"
	case graftMsg:
		parts := make([]string, len(m.IDs))
		for i, id := range m.IDs {
			parts[i] = n.label(id)
		}
		return "graft" + ptTreeSuffix(m.Root, m.Shared) + " [" + strings.Join(parts, " ") + "]"
	case pruneMsg:
		return "prune" + ptTreeSuffix(m.Root, m.Shared)
	}
	return fmt.Sprintf("%T", m)
}

func (n *ptNet) fmtTimer(t Timer) string {
	if g, ok := t.(*ptGraftTimer); ok {
		parts := make([]string, len(g.ids))
		for i, id := range g.ids {
			parts[i] = n.label(id)
		}
		kind := "1"
		if g.second {
			kind = "2"
		}
		return "plumtree-graft" + kind + "[" + strings.Join(parts, " ") + "]"
	}
	return fmt.Sprint(t)
}

// fmtSets renders every node's eager and lazy peers, one line per node.
func (n *ptNet) fmtSets() string {
	var b strings.Builder
	for _, name := range n.names {
		pt := n.nodes[name].pt
		fmt.Fprintf(&b, "%s eager=%s lazy=%s\n", name, fmtPeers(pt.eagerPeers()), fmtPeers(pt.lazyPeers()))
	}
	return b.String()
}

// checkSets fails if a node's eager and lazy sets overlap or hold a peer
// that is not currently linked to it.
func (n *ptNet) checkSets(name string) {
	n.tb.Helper()
	pt := n.nodes[name].pt
	seen := make(map[string]bool)
	for _, p := range append(pt.eagerPeers(), pt.lazyPeers()...) {
		if seen[p.Name] {
			n.tb.Fatalf("%s t=%v %s: %s is both eager and lazy", n.what, n.elapsed(), name, p.Name)
		}
		seen[p.Name] = true
		if l := n.links[ptKey(name, p.Name)]; l == nil || !l.up {
			n.tb.Fatalf("%s t=%v %s: %s in eager/lazy sets but not a neighbour", n.what, n.elapsed(), name, p.Name)
		}
	}
	if err := pt.checkInvariants(); err != nil {
		n.tb.Fatalf("%s t=%v %s: %v", n.what, n.elapsed(), name, err)
	}
}

// checkSymmetric fails unless every link is eager at both ends or lazy at
// both ends, in the default tree and in every tree either end tracks (a
// root one end does not track uses its default tree there), and every
// neighbour is in one of the sets.
func (n *ptNet) checkSymmetric() {
	n.tb.Helper()
	for k, l := range n.links {
		if !l.up {
			continue
		}
		ea, la := ptHas(n.nodes[k.a].pt.eagerPeers(), k.b), ptHas(n.nodes[k.a].pt.lazyPeers(), k.b)
		eb, lb := ptHas(n.nodes[k.b].pt.eagerPeers(), k.a), ptHas(n.nodes[k.b].pt.lazyPeers(), k.a)
		if !(ea || la) || !(eb || lb) {
			n.tb.Fatalf("%s: link %s–%s missing from a set: %s eager=%v lazy=%v, %s eager=%v lazy=%v", n.what, k.a, k.b, k.a, ea, la, k.b, eb, lb)
		}
		if ea != eb {
			n.tb.Fatalf("%s: link %s–%s asymmetric: %s has %s eager=%v, %s has %s eager=%v", n.what, k.a, k.b, k.a, k.b, ea, k.b, k.a, eb)
		}
		pa, pb := n.nodes[k.a].pt, n.nodes[k.b].pt
		for _, root := range append(pa.TreeRoots(), pb.TreeRoots()...) {
			ea, eb := ptHas(pa.eagerPeersOf(root), k.b), ptHas(pb.eagerPeersOf(root), k.a)
			if ea != eb {
				n.tb.Fatalf("%s: link %s–%s asymmetric in the tree of %s: %s has %s eager=%v, %s has %s eager=%v", n.what, k.a, k.b, root, k.a, k.b, ea, k.b, k.a, eb)
			}
		}
	}
}

func ptHas(ps []Peer, name string) bool {
	for _, p := range ps {
		if p.Name == name {
			return true
		}
	}
	return false
}
