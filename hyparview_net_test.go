package hyparlist

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// This file is a tiny synchronous in-process network for HyParView cores:
// sends are delivered at once in FIFO order, a send to a crashed (or
// departed) node comes back to its sender as LinkFailed, and timers fire on
// the virtual clock of core_driver_test.go. Tests drive it step by step and
// may record a readable trace.

// hvSize returns full, or reduced under -short or -race so that the
// package's tests stay fast there.
func hvSize(full, reduced int) int {
	if testing.Short() || hvRaceEnabled {
		return reduced
	}
	return full
}

// hvEpoch is the virtual clock's origin.
var hvEpoch = time.Date(2007, 6, 25, 0, 0, 0, 0, time.UTC)

type hvNode struct {
	core    *HyParView
	crashed bool // crashed or left: sends to it fail
	gen     int  // incarnation: timers of an earlier one are dropped
}

type hvDelivery struct {
	to string
	ev Event
}

// hvNet is the test network. Its clock runs the timers; deliveries wait
// in queue, which every step drains before time moves on.
type hvNet struct {
	vclock
	cfg   HyParViewConfig
	seed  uint64
	nodes map[string]*hvNode
	names []string // creation order
	queue []hvDelivery
	head  int
	// trace, when non-nil, records every event and action.
	trace *strings.Builder
	// check, when non-nil, runs after every Step; a non-nil error stops
	// the run and is kept in err.
	check func(*HyParView) error
	err   error
	// steps counts Steps; maxSteps bounds a run (livelock guard).
	steps, maxSteps int
	// sent counts Sends by message type.
	sent map[MessageType]int
	// cut, when non-nil, partitions the network: a send for which it
	// returns true fails as if the target were down.
	cut func(from, to string) bool
}

func newHVNet(cfg HyParViewConfig, seed uint64) *hvNet {
	return &hvNet{
		vclock:   vclock{now: hvEpoch},
		cfg:      cfg,
		seed:     seed,
		nodes:    map[string]*hvNode{},
		check:    newHyParViewChecker(),
		maxSteps: 5_000_000,
		sent:     map[MessageType]int{},
	}
}

// add creates a node and gives it Start.
func (n *hvNet) add(name string) *HyParView {
	n.names = append(n.names, name)
	return n.boot(name, 0)
}

// addJoined adds the named nodes; each but the first joins through the
// contact the function returns for it (the first node if contact is nil).
func (n *hvNet) addJoined(names []string, contact func(i int) string) {
	for i, name := range names {
		n.add(name)
		if i == 0 {
			continue
		}
		via := names[0]
		if contact != nil {
			via = contact(i)
		}
		n.do(name, JoinCluster{Contact: hvPeer(via)})
	}
}

// hvNodeNames returns count node names "<prefix>0000", "<prefix>0001", ...
func hvNodeNames(prefix string, count int) []string {
	out := make([]string, count)
	for i := range out {
		out[i] = fmt.Sprintf("%s%04d", prefix, i)
	}
	return out
}

// restart replaces a crashed node by a fresh incarnation with empty views.
func (n *hvNet) restart(name string) *HyParView {
	n.logf("%s restarts", name)
	return n.boot(name, n.nodes[name].gen+1)
}

func (n *hvNet) boot(name string, gen int) *HyParView {
	// Seeded from the scheduling order, which every timer advances too.
	rng := rand.New(rand.NewPCG(n.seed, n.nextSeq()))
	core, err := NewHyParView(hvPeer(name), n.cfg, rng)
	if err != nil {
		panic(err)
	}
	n.nodes[name] = &hvNode{core: core, gen: gen}
	n.step(name, Start{})
	return core
}

func hvPeer(name string) Peer { return Peer{Name: name, Addr: name + ":7946"} }

func (n *hvNet) core(name string) *HyParView { return n.nodes[name].core }

// alive lists the names of the nodes that are neither crashed nor gone.
func (n *hvNet) alive() []string {
	var out []string
	for _, name := range n.names {
		if !n.nodes[name].crashed {
			out = append(out, name)
		}
	}
	return out
}

func (n *hvNet) logf(format string, args ...any) {
	if n.trace != nil {
		fmt.Fprintf(n.trace, "%7.3fs ", n.now.Sub(hvEpoch).Seconds())
		fmt.Fprintf(n.trace, format, args...)
		n.trace.WriteByte('\n')
	}
}

// step feeds ev to node name and routes its actions.
func (n *hvNet) step(name string, ev Event) {
	node := n.nodes[name]
	if node == nil || node.crashed || n.err != nil {
		return
	}
	n.steps++
	if n.steps > n.maxSteps {
		n.err = fmt.Errorf("more than %d steps: livelock?", n.maxSteps)
		return
	}
	if n.trace != nil {
		if e, ok := ev.(Receive); ok {
			n.logf("%s <- %s %s", name, e.From.Name, hvFormatMsg(e.Msg))
		} else {
			n.logf("%s %s", name, hvFormatEvent(ev))
		}
	}
	for _, a := range n.stepCore(node.core, ev) {
		switch a := a.(type) {
		case Send:
			n.sent[a.Msg.Type()]++
			if to := n.nodes[a.To.Name]; to == nil || to.crashed || (n.cut != nil && n.cut(name, a.To.Name)) {
				n.queue = append(n.queue, hvDelivery{to: name, ev: LinkFailed{Peer: a.To}})
			} else {
				n.queue = append(n.queue, hvDelivery{to: a.To.Name, ev: Receive{From: node.core.selfPeer(), Msg: a.Msg}})
			}
		case SetTimer:
			n.schedule(a.After, n.timerFired(name, node.gen, a.Timer))
		case NeighborUp:
			n.logf("  %s up %s", name, a.Peer.Name)
		case NeighborDown:
			n.logf("  %s down %s", name, a.Peer.Name)
		}
	}
	if n.check != nil {
		if err := n.check(node.core); err != nil {
			n.err = fmt.Errorf("after %s at %s: %w", hvFormatEvent(ev), name, err)
		}
	}
}

// deliver runs queued deliveries until the queue is empty. Messages to a
// node that crashed after they were sent are dropped.
func (n *hvNet) deliver() {
	for n.head < len(n.queue) && n.err == nil {
		d := n.queue[n.head]
		n.queue[n.head] = hvDelivery{}
		n.head++
		n.step(d.to, d.ev)
	}
	n.queue, n.head = n.queue[:0], 0
}

// inject delivers msg from one node to another as if it had been sent.
func (n *hvNet) inject(from, to string, msg Message) {
	n.step(to, Receive{From: hvPeer(from), Msg: msg})
	n.deliver()
}

// do feeds a command to a node and delivers everything that follows.
func (n *hvNet) do(name string, ev Event) {
	n.step(name, ev)
	n.deliver()
}

// timerFired returns the event that fires t at incarnation gen of node
// name and delivers everything that follows; a later incarnation drops it.
func (n *hvNet) timerFired(name string, gen int, t Timer) func() {
	return func() {
		if n.nodes[name].gen != gen {
			return
		}
		n.step(name, TimerFired{Timer: t})
		n.deliver()
	}
}

// advance runs timers due within d, delivering after each, and leaves the
// clock at now+d. After an error nothing steps (see step).
func (n *hvNet) advance(d time.Duration) { n.runFor(d) }

// crash stops a node without a word; sends to it fail from now on.
func (n *hvNet) crash(name string) {
	n.logf("%s crashes", name)
	n.nodes[name].crashed = true
}

// leave makes a node leave gracefully.
func (n *hvNet) leave(name string) {
	n.do(name, leaveCluster{})
	n.nodes[name].crashed = true
}

// views returns one line per node: its sorted active and passive views.
func (n *hvNet) views() string {
	var b strings.Builder
	names := slices.Sorted(slices.Values(n.names))
	for _, name := range names {
		node := n.nodes[name]
		if node.crashed {
			fmt.Fprintf(&b, "%s crashed\n", name)
			continue
		}
		fmt.Fprintf(&b, "%s active=%v passive=%v\n", name, hvSortedNames(node.core.ActiveView()), hvSortedNames(node.core.PassiveView()))
	}
	return b.String()
}

// asymmetric lists the active links between live nodes that are not
// mirrored, and active links to dead nodes.
func (n *hvNet) asymmetric() []string {
	var bad []string
	for _, name := range n.alive() {
		for _, p := range n.core(name).ActiveView() {
			other := n.nodes[p.Name]
			switch {
			case other == nil || other.crashed:
				bad = append(bad, name+"->"+p.Name+" (dead)")
			case !other.core.isActive(name):
				bad = append(bad, name+"->"+p.Name)
			}
		}
	}
	return bad
}

func hvSortedNames(ps []Peer) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	slices.Sort(out)
	return out
}

func hvFormatMsg(m Message) string {
	switch m := m.(type) {
	case joinMsg:
		return "Join"
	case forwardJoinMsg:
		return fmt.Sprintf("ForwardJoin joiner=%s ttl=%d", m.Joiner.Name, m.TTL)
	case neighborMsg:
		if m.HighPriority {
			return "Neighbor high"
		}
		return "Neighbor low"
	case neighborReplyMsg:
		if m.Accepted {
			return "NeighborReply accepted"
		}
		return "NeighborReply rejected"
	case disconnectMsg:
		if m.Alive {
			return "Disconnect alive"
		}
		return "Disconnect leaving"
	case shuffleMsg:
		return fmt.Sprintf("Shuffle origin=%s ttl=%d peers=%s", m.Origin.Name, m.TTL, fmtPeers(m.Peers))
	case shuffleReplyMsg:
		return fmt.Sprintf("ShuffleReply peers=%s", fmtPeers(m.Peers))
	case keepaliveMsg:
		return "Keepalive"
	}
	return fmt.Sprintf("%T", m)
}

func hvFormatTimer(t Timer) string {
	switch t := t.(type) {
	case shuffleTimer:
		return "shuffle"
	case repairTimer:
		return "repair"
	case keepaliveTimer:
		return "keepalive"
	case rejoinTimer:
		return "rejoin"
	case lostPeerTimer:
		return "lost-peer"
	case neighborTimeout:
		return fmt.Sprintf("neighbor-timeout %s #%d", t.name, t.id)
	}
	return fmt.Sprintf("%T", t)
}

func hvFormatEvent(ev Event) string {
	switch e := ev.(type) {
	case Receive:
		return "receive " + hvFormatMsg(e.Msg) + " from " + e.From.Name
	case TimerFired:
		return "timer " + hvFormatTimer(e.Timer)
	case LinkFailed:
		return "link-failed " + e.Peer.Name
	case Start:
		return "start"
	case JoinCluster:
		return "join-cluster via " + e.Contact.Name
	case leaveCluster:
		return "leave-cluster"
	}
	return fmt.Sprintf("%T", ev)
}

// hvFormatActions renders actions one per line, for exact comparisons in
// unit tests.
func hvFormatActions(as []Action) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		switch a := a.(type) {
		case Send:
			out = append(out, "send "+a.To.Name+" "+hvFormatMsg(a.Msg))
		case SetTimer:
			out = append(out, "timer "+hvFormatTimer(a.Timer))
		case NeighborUp:
			out = append(out, "up "+a.Peer.Name)
		case NeighborDown:
			out = append(out, "down "+a.Peer.Name)
		default:
			out = append(out, fmt.Sprintf("%T", a))
		}
	}
	return out
}

// checkHyParView checks the invariants a core keeps after every Step.
func checkHyParView(h *HyParView) error { return newHyParViewChecker()(h) }

// newHyParViewChecker returns checkHyParView with its own reusable
// scratch space, for checks after every Step of long runs.
func newHyParViewChecker() func(*HyParView) error {
	seen := map[string]string{}
	return func(h *HyParView) error {
		cfg := h.cfg
		switch {
		case len(h.active) > cfg.ActiveViewSize:
			return fmt.Errorf("active view has %d > %d peers", len(h.active), cfg.ActiveViewSize)
		case len(h.passive.entries) > cfg.PassiveViewSize:
			return fmt.Errorf("passive view has %d > %d peers", len(h.passive.entries), cfg.PassiveViewSize)
		case len(h.pending) > cfg.ActiveViewSize*cfg.RepairFanout:
			return fmt.Errorf("%d > %d pending requests", len(h.pending), cfg.ActiveViewSize*cfg.RepairFanout)
		case len(h.unconfirmed) > len(h.active):
			return fmt.Errorf("%d unconfirmed > %d active peers", len(h.unconfirmed), len(h.active))
		case len(h.lost) > cfg.MaxLostPeers:
			return fmt.Errorf("%d > %d lost peers", len(h.lost), cfg.MaxLostPeers)
		}
		clear(seen)
		for _, p := range h.active {
			if p.Name == "" || p.Name == h.self.Name || seen[p.Name] != "" {
				return fmt.Errorf("bad active entry %q (self %q, also %s)", p.Name, h.self.Name, seen[p.Name])
			}
			seen[p.Name] = "active"
		}
		for _, e := range h.passive.entries {
			if e.peer.Name == "" || e.peer.Name == h.self.Name || seen[e.peer.Name] != "" {
				return fmt.Errorf("bad passive entry %q (self %q, also %s)", e.peer.Name, h.self.Name, seen[e.peer.Name])
			}
			seen[e.peer.Name] = "passive"
		}
		for _, name := range h.unconfirmed {
			if seen[name] != "active" {
				return fmt.Errorf("unconfirmed peer %q is not active", name)
			}
		}
		return nil
	}
}
