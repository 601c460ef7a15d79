package hyparlist

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// This file is a small deterministic harness for many membership cores:
// the virtual clock of core_driver_test.go, a fake broadcast that hands every BroadcastPayload to
// every other running node on the same side of a partition after a seeded
// delay (standing in for Plumtree), point-to-point messages over a
// neighbour graph that the harness maintains the way HyParView would
// (links fail on crash and partition, are repaired from random nodes, and
// are created by ProbeMember when the target is reachable).

const (
	hJoinDegree = 4 // links a joining node makes
	hMinDegree  = 3 // below this a node repairs after a failure
	hMaxDegree  = 8 // above this a random link is dropped
)

type mnode struct {
	name, addr string
	core       *Membership
	gen        int  // bumped by restart; events for an older gen are dropped
	up         bool // running
	side       int  // partition side
	links      []string
	// Member events seen by this node, by member name.
	joined, left map[string]int
}

func (n *mnode) peer() Peer { return Peer{Name: n.name, Addr: n.addr} }

type mnet struct {
	vclock
	t     testing.TB
	seed  uint64
	rng   *rand.Rand
	cfg   MembershipConfig
	nodes map[string]*mnode // lookup only
	order []*mnode          // creation order: every iteration uses it
	bseq  uint64

	// Counters.
	msgs, msgBytes, deliveries, probes int
	probedLeft                         int
	// trace, when set, receives every action of every node.
	trace func(n *mnode, a Action)
}

func newMnet(t testing.TB, seed uint64, cfg MembershipConfig) *mnet {
	return &mnet{vclock: vclock{now: mt0}, t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, 0x6d656d)), cfg: cfg,
		nodes: make(map[string]*mnode)}
}

// runUntilTrue advances in steps of 1s until cond holds or limit passes;
// it returns the time it took and whether cond held.
func (h *mnet) runUntilTrue(limit time.Duration, cond func() bool) (time.Duration, bool) {
	start := h.now
	for h.now.Sub(start) <= limit {
		if cond() {
			return h.now.Sub(start), true
		}
		h.runFor(time.Second)
	}
	return h.now.Sub(start), cond()
}

func (h *mnet) jitter(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(h.rng.Int64N(int64(hi-lo)+1))
}

// stepLater feeds ev to n after d, if n still runs the same generation.
func (h *mnet) stepLater(n *mnode, d time.Duration, ev Event) {
	gen := n.gen
	h.schedule(d, func() {
		if n.up && n.gen == gen {
			h.step(n, ev)
		}
	})
}

func (h *mnet) step(n *mnode, ev Event) {
	for _, a := range h.stepCore(n.core, ev) {
		if h.trace != nil {
			h.trace(n, a)
		}
		h.act(n, a)
	}
}

func (h *mnet) reachable(a, b *mnode) bool { return a != b && b.up && a.side == b.side }

func (h *mnet) act(n *mnode, a Action) {
	switch a := a.(type) {
	case SetTimer:
		h.stepLater(n, a.After, TimerFired{Timer: a.Timer})
	case BroadcastPayload:
		h.bseq++
		id := MessageID{Origin: n.name, Seq: h.bseq}
		h.stepLater(n, 0, Deliver{ID: id, Class: a.Class, Payload: a.Payload, From: n.peer()})
		if len(n.links) == 0 {
			return // Plumtree with no neighbour reaches nobody
		}
		for _, o := range h.order {
			if !h.reachable(n, o) {
				continue
			}
			h.deliveries++
			gen := o.gen
			from := n.peer()
			h.schedule(h.jitter(5*time.Millisecond, 50*time.Millisecond), func() {
				if o.up && o.gen == gen && o.side == n.side {
					h.step(o, Deliver{ID: id, Class: a.Class, Payload: a.Payload, From: from, Hops: 1})
				}
			})
		}
	case Send:
		h.msgs++
		h.msgBytes += memberMsgSize(a.Msg)
		to := h.nodes[a.To.Name]
		from := n.peer()
		h.schedule(h.jitter(time.Millisecond, 10*time.Millisecond), func() {
			if to != nil && h.reachable(n, to) {
				h.step(to, Receive{From: from, Msg: a.Msg})
			} else if n.up {
				h.stepLater(n, 100*time.Millisecond, LinkFailed{Peer: a.To})
			}
		})
	case ProbeMember:
		h.probes++
		to := h.nodes[a.Peer.Name]
		if to == nil {
			if a.Confirm { // a name no node runs
				h.stepLater(n, 50*time.Millisecond, MemberUnreachable{Peer: a.Peer})
			}
			return
		}
		if m, ok := n.core.Member(a.Peer.Name); ok && m.State == memberStateLeft {
			h.probedLeft++
		}
		h.schedule(50*time.Millisecond, func() {
			switch {
			case !n.up:
			case a.Dead && h.reachable(n, to) && to.addr == a.Peer.Addr:
				h.link(n, to)
			case a.Confirm && (!h.reachable(n, to) || to.addr != a.Peer.Addr):
				h.step(n, MemberUnreachable{Peer: a.Peer})
			case a.Confirm:
			case !a.Dead && (!h.reachable(n, to) || to.addr != a.Peer.Addr):
				h.step(n, LinkFailed{Peer: a.Peer})
			}
		})
	case MemberChanged:
		switch a.Event {
		case NodeJoin:
			n.joined[a.Member.Name]++
		case NodeLeave:
			n.left[a.Member.Name]++
		}
	case leaveAnnounced:
		h.schedule(time.Second, func() { h.depart(n) })
	}
}

func (h *mnet) linked(a, b *mnode) bool {
	_, ok := slices.BinarySearch(a.links, b.name)
	return ok
}

// link connects a and b (HyParView NeighborUp on both sides) and enforces
// the degree cap.
func (h *mnet) link(a, b *mnode) {
	if a == b || h.linked(a, b) {
		return
	}
	a.links = insertSorted(a.links, b.name)
	b.links = insertSorted(b.links, a.name)
	h.stepLater(a, 0, NeighborUp{Peer: b.peer()})
	h.stepLater(b, 0, NeighborUp{Peer: a.peer()})
	for _, n := range []*mnode{a, b} {
		if len(n.links) > hMaxDegree {
			victim := n.links[h.rng.IntN(len(n.links))]
			if v := h.nodes[victim]; v != a && v != b {
				h.unlink(n, v, false)
			}
		}
	}
}

// unlink removes the link between a and b: a failure (LinkFailed, then
// repair) or a graceful drop (NeighborDown).
func (h *mnet) unlink(a, b *mnode, failed bool) {
	if !h.linked(a, b) {
		return
	}
	a.links = removeSorted(a.links, b.name)
	b.links = removeSorted(b.links, a.name)
	for _, p := range [][2]*mnode{{a, b}, {b, a}} {
		n, other := p[0], p[1]
		if !n.up {
			continue
		}
		if failed {
			h.stepLater(n, h.jitter(500*time.Millisecond, 2*time.Second), LinkFailed{Peer: other.peer()})
			h.schedule(3*time.Second, func() { h.repair(n) })
		} else {
			h.stepLater(n, 0, NeighborDown{Peer: other.peer()})
		}
	}
}

// repair links n to random reachable nodes until it has hMinDegree links
// (HyParView's passive view promotion).
func (h *mnet) repair(n *mnode) {
	for tries := 0; n.up && len(n.links) < hMinDegree && tries < 50; tries++ {
		o := h.order[h.rng.IntN(len(h.order))]
		if h.reachable(n, o) {
			h.link(n, o)
		}
	}
}

// addNode starts a node and joins it through hJoinDegree random running
// nodes.
func (h *mnet) addNode(name, addr string) *mnode {
	n := &mnode{name: name, addr: addr}
	h.nodes[name] = n
	h.order = append(h.order, n)
	h.boot(n)
	return n
}

func (h *mnet) boot(n *mnode) {
	core, err := NewMembership(n.peer(), h.cfg, rand.New(rand.NewPCG(h.seed, uint64(len(h.order))<<20|uint64(n.gen))))
	if err != nil {
		h.t.Fatalf("NewMembership: %v", err)
	}
	n.core, n.up, n.links = core, true, nil
	n.joined, n.left = make(map[string]int), make(map[string]int)
	h.step(n, Start{})
	h.schedule(10*time.Millisecond, func() {
		for tries := 0; len(n.links) < hJoinDegree && tries < 50; tries++ {
			o := h.order[h.rng.IntN(len(h.order))]
			if h.reachable(n, o) {
				h.link(n, o)
			}
		}
	})
}

// crash stops n without a word; its neighbours see LinkFailed.
func (h *mnet) crash(n *mnode) {
	n.up = false
	for _, l := range slices.Clone(n.links) {
		h.unlink(n, h.nodes[l], true)
	}
}

// restart boots a crashed node again under the same name.
func (h *mnet) restart(n *mnode, addr string) {
	n.gen++
	n.addr = addr
	h.boot(n)
}

// depart stops a node that left; its neighbours see NeighborDown.
func (h *mnet) depart(n *mnode) {
	for _, l := range slices.Clone(n.links) {
		h.unlink(n, h.nodes[l], false)
	}
	n.up = false
}

// partition moves nodes to sides; links across sides fail.
func (h *mnet) partition(side func(*mnode) int) {
	for _, n := range h.order {
		n.side = side(n)
	}
	for _, n := range h.order {
		for _, l := range slices.Clone(n.links) {
			if o := h.nodes[l]; o.side != n.side {
				h.unlink(n, o, true)
			}
		}
	}
}

func (h *mnet) upNodes() []*mnode {
	var out []*mnode
	for _, n := range h.order {
		if n.up {
			out = append(out, n)
		}
	}
	return out
}

// converged reports whether every running node holds the same table (by
// digest) with want live members.
func (h *mnet) converged(want int) bool {
	up := h.upNodes()
	for _, n := range up {
		if n.core.NumMembers() != want || n.core.table.root != up[0].core.table.root ||
			n.core.table.len() != up[0].core.table.len() {
			return false
		}
	}
	return true
}

// checkIdenticalLists fails unless every running node's Members() is the
// same list of want alive members.
func (h *mnet) checkIdenticalLists(want int) {
	h.t.Helper()
	up := h.upNodes()
	ref := memberKeys(up[0].core.Members())
	if len(ref) != want {
		h.t.Fatalf("%s lists %d members, want %d", up[0].name, len(ref), want)
	}
	for _, n := range up {
		checkMembershipInvariants(h.t, n.core)
		got := memberKeys(n.core.Members())
		if !slices.Equal(got, ref) {
			h.t.Fatalf("%s lists a different member list than %s", n.name, up[0].name)
		}
	}
	for _, m := range up[0].core.Members() {
		if m.State != memberStateAlive {
			h.t.Fatalf("%s is %v", m.Name, m.State)
		}
		if n := h.nodes[m.Name]; m.Addr != n.addr {
			h.t.Fatalf("%s listed at %s, runs at %s", m.Name, m.Addr, n.addr)
		}
	}
}

func memberKeys(ms []Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = fmt.Sprintf("%s/%s/%d/%v/%x", m.Name, m.Addr, m.Incarnation, m.State, m.Meta)
	}
	return out
}

// startCluster adds n nodes over the spread and waits until their lists
// converge; it returns the convergence time after the last join.
func (h *mnet) startCluster(n int, spread time.Duration) time.Duration {
	h.t.Helper()
	for i := range n {
		name := fmt.Sprintf("node-%04d", i)
		h.schedule(time.Duration(int64(spread)*int64(i)/int64(n)), func() { h.addNode(name, name+":7946") })
	}
	h.runFor(spread)
	took, ok := h.runUntilTrue(5*time.Minute, func() bool { return h.converged(n) })
	if !ok {
		h.t.Fatalf("%d nodes did not converge within 5m of the last join", n)
	}
	h.checkIdenticalLists(n)
	return took
}

// pick returns k distinct running nodes chosen at random.
func (h *mnet) pick(k int) []*mnode {
	up := h.upNodes()
	h.rng.Shuffle(len(up), func(i, j int) { up[i], up[j] = up[j], up[i] })
	return up[:k]
}

// heldState returns the state observer holds for name ("absent" if none).
func heldState(observer *mnode, name string) string {
	m, ok := observer.core.Member(name)
	if !ok {
		return "absent"
	}
	return m.State.String()
}

// traceHash returns a hash of every action of a run.
func traceHash(h *mnet) func() uint64 {
	f := fnv.New64a()
	h.trace = func(n *mnode, a Action) { fmt.Fprintf(f, "%v %s %#v\n", h.now.UnixNano(), n.name, a) }
	return f.Sum64
}

func insertSorted(s []string, v string) []string {
	i, found := slices.BinarySearch(s, v)
	if found {
		return s
	}
	return slices.Insert(s, i, v)
}

func removeSorted(s []string, v string) []string {
	i, found := slices.BinarySearch(s, v)
	if !found {
		return s
	}
	return slices.Delete(s, i, i+1)
}
