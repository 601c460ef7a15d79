package sim

import (
	"maps"
	"slices"
	"time"

	"github.com/hyparlist/hyparlist"
)

// This file is the simulator's CPU cost model (SimConfig.CPU). Without it
// every event takes no virtual time, so no node is ever behind. With it:
//
//   - an event addressed to a node (a frame, a timer, a failed link, the
//     node's start) does not run when it fires: it goes to the node's
//     inbox, and the node handles its inbox in order, one event at a
//     time, as the runtime's loop does;
//   - handling an event advances the node's own clock by its cost (frame
//     received, per KiB, timer, dial, failed link, member-table publish),
//     and every frame it sends advances it by the send cost before the
//     frame leaves: a node's sends and timers leave when its work is done,
//     so a busy node's inbox grows, its frames go out late and its timers
//     fire late;
//   - CPUPerNode gives each node its own core; CPUShared makes the nodes
//     wait for one of SimCPU.Cores cores in one FIFO run queue and keep it
//     for at most SimCPU.Slice, as goroutines on GOMAXPROCS processors;
//   - with SimCPU.InboxLimit, frames beyond the limit wait unread (and
//     unstamped: their senders are not heard) until the loop makes room,
//     as behind the runtime's bounded inbox; with SimCPU.TimersFirst the
//     node's other events go before the frames waiting in its inbox.
//
// Handling is done in a "slice": when a node gets a core at virtual time
// t, it handles the events of its inbox one after another (its clock, and
// the simulation's, running ahead from t by their costs) until the inbox is
// empty or the slice is used up; an evCPUDone event at the slice's end
// gives the core back and puts the node back in the run queue if work
// arrived meanwhile. Nothing outside the node sees its state before the
// frames it sent arrive, so handling a slice at once is exact.

// Events of the cost model and the silence judge.
const (
	// evCPUDone ends node node's slice (see simCPU).
	evCPUDone simEventKind = iota + 100
	// evAccept is node node's side of a connection dialled by peer.
	evAccept
	// evSilenceCheck is node node's silence-judge timer.
	evSilenceCheck
	// evHeartbeat is the writer of link peer→node checking whether it
	// must send a Keepalive of its own.
	evHeartbeat
	// evHeartbeatIn is such a Keepalive arriving at node node from peer.
	evHeartbeatIn
)

// simCPU is the state of the cost model.
type simCPU struct {
	cfg   SimCPU
	slice int64
	// freeCores counts idle shared cores (CPUShared).
	freeCores int
	// runq holds the nodes waiting for a shared core, FIFO from runqHead.
	runq     []int32
	runqHead int
	// runqWork is the work queued by the nodes in the run queue, each
	// counted up to one slice: how long a frame just read waits for a
	// core (CPUShared), see readerWait.
	runqWork int64
	nodes    []cpuNode
	// links holds, per ordered pair of nodes, the last time a frame was
	// sent on it: a connection unused for LinkIdle is dialled again.
	links map[uint64]int64
	// busy accumulates the CPU time charged; dials counts connections
	// opened, published the members published (CPUStats).
	busy      int64
	dials     uint64
	published uint64
	// bytes counts the encoded bytes sent, timers the timers fired.
	bytes, timers uint64
	// maxLag is the largest lag a silence check measured, maxReaderWait
	// the longest a frame waited for its reader (CPUStats).
	maxLag, maxReaderWait int64
	// inSlice is set while a node's slice is handled: sends outside one
	// (an experiment's Broadcast) cost their sender nothing.
	inSlice bool
	// dirty is set while handling an event that changed the node's member
	// table (charged SimCPUCosts.Member per member at the end).
	dirty bool
}

// cpuNode is one node's CPU state.
type cpuNode struct {
	// inbox holds the frames read and the node's other events in
	// order; with SimCPU.TimersFirst, ctl holds the other events, handled
	// before waiting frames; held holds frames not yet read because the
	// inbox was full (SimCPU.InboxLimit).
	inbox, ctl, held workFifo
	// queued is the receive-side cost of the events in the inbox.
	queued  int64
	running bool // handling a slice
	inRunq  bool
	// silence judge (sim_cpu_silence.go)
	heard []heardEntry
	lag   int64
	score int
}

// cpuWork is one event waiting in a node's inbox, with what handling it
// costs before what it sends.
type cpuWork struct {
	ev   simEvent
	cost int64
}

// workFifo is a FIFO of events.
type workFifo struct {
	items []cpuWork
	head  int
}

func (f *workFifo) len() int        { return len(f.items) - f.head }
func (f *workFifo) push(w cpuWork)  { f.items = append(f.items, w) }
func (f *workFifo) peek() *cpuWork  { return &f.items[f.head] }
func (f *workFifo) clone() workFifo { return workFifo{items: slices.Clone(f.items[f.head:])} }

// pop removes and returns the oldest event; f must not be empty.
func (f *workFifo) pop() cpuWork {
	w := f.items[f.head]
	f.items[f.head] = cpuWork{}
	f.head++
	if f.head == len(f.items) {
		f.items, f.head = f.items[:0], 0
	} else if f.head > 1024 && 2*f.head > len(f.items) {
		n := copy(f.items, f.items[f.head:])
		clear(f.items[n:])
		f.items, f.head = f.items[:n], 0
	}
	return w
}

// pending reports whether node n has events to handle (frames held
// unread count only once the inbox has room, which it then has).
func (n *cpuNode) pending() bool { return n.inbox.len() > 0 || n.ctl.len() > 0 }

// newSimCPU returns the cost model for n nodes, or nil when it is off.
func newSimCPU(cfg SimCPU, n int) *simCPU {
	if !cfg.Enabled() {
		return nil
	}
	c := &simCPU{cfg: cfg, slice: int64(cfg.Slice), freeCores: cfg.Cores, links: map[uint64]int64{}}
	if c.slice == 0 {
		c.slice = int64(defaultSimCPUSlice)
	}
	c.grow(n)
	return c
}

// grow makes room for node indices below n.
func (c *simCPU) grow(n int) {
	for len(c.nodes) < n {
		c.nodes = append(c.nodes, cpuNode{})
	}
}

// clone returns an independent copy for Simulation.Fork.
func (c *simCPU) clone() *simCPU {
	if c == nil {
		return nil
	}
	d := *c
	d.runq = slices.Clone(c.runq)
	d.links = maps.Clone(c.links)
	d.nodes = slices.Clone(c.nodes)
	for i := range d.nodes {
		d.nodes[i].inbox = c.nodes[i].inbox.clone()
		d.nodes[i].ctl = c.nodes[i].ctl.clone()
		d.nodes[i].held = c.nodes[i].held.clone()
		d.nodes[i].heard = slices.Clone(c.nodes[i].heard)
	}
	return &d
}

// shared reports whether nodes share cores.
func (c *simCPU) shared() bool { return c.cfg.Mode == CPUShared }

// CPUStats reports the cost model's counters.
type CPUStats struct {
	// Busy is the CPU time charged to all nodes, in nanoseconds.
	Busy int64
	// SilentFailures counts links failed by the silence judge.
	SilentFailures uint64
	// MaxHealthScore is the highest health score any node reached.
	MaxHealthScore int
	// Dials counts connections opened; PublishedMembers the members
	// listed by member-table publishes (SimCPUCosts.Member).
	Dials, PublishedMembers uint64
	// MaxLag is the largest lag of a node's loop a silence check
	// measured; MaxReaderWait the longest a frame waited for its reader
	// (shared cores).
	MaxLag, MaxReaderWait time.Duration
}

// CPUStats returns the cost model's counters (zero when it is off).
func (s *Simulation) CPUStats() CPUStats {
	if s.cpu == nil {
		return CPUStats{}
	}
	return CPUStats{Busy: s.cpu.busy, SilentFailures: s.stats.SilentFailures, MaxHealthScore: s.stats.maxScore,
		Dials: s.cpu.dials, PublishedMembers: s.cpu.published,
		MaxLag: time.Duration(s.cpu.maxLag), MaxReaderWait: time.Duration(s.cpu.maxReaderWait)}
}

// cpuIntercept takes an event that fired at s.now and, if it is a node's
// work, puts it in the node's inbox instead of handling it; it reports
// whether it did.
func (s *Simulation) cpuIntercept(ev *simEvent) bool {
	c := s.cpu
	switch ev.kind {
	case evCPUDone:
		s.cpuDone(ev.node)
		return true
	case evHeartbeat:
		s.writerHeartbeat(ev)
		return true
	case evMessage:
		if !s.net.reachable(ev.peer, ev.node) {
			return false // dropped at once, as without the model
		}
	case evHeartbeatIn, evTimer, evLinkFailed, evJoin, evSilenceCheck, evAccept:
	default:
		return false
	}
	n := &c.nodes[ev.node]
	cost := s.receiveCost(ev)
	w := cpuWork{ev: *ev, cost: cost}
	switch {
	case !isFrame(ev.kind) && c.cfg.TimersFirst:
		n.ctl.push(w)
	case !isFrame(ev.kind):
		n.inbox.push(w)
	case c.cfg.InboxLimit > 0 && n.inbox.len() >= c.cfg.InboxLimit:
		// The inbox is full: the reader waits, and the frame waits in
		// the connection unread (TCP back-pressure), not yet stamped.
		n.held.push(w)
	default:
		s.readFrame(ev.node, &w)
		n.inbox.push(w)
	}
	if n.inRunq {
		c.runqWork -= min(n.queued, c.slice)
	}
	n.queued += cost
	if n.inRunq {
		c.runqWork += min(n.queued, c.slice)
	}
	if !n.running && !n.inRunq {
		s.cpuReady(ev.node)
	}
	return true
}

// readFrame stamps the frame of w as read by node i's reader now: the
// loop's lag is measured from there (noteLag) and the sender counts as
// heard, as in the runtime.
func (s *Simulation) readFrame(i int32, w *cpuWork) {
	w.ev.at = s.now + s.readerWait()
	s.heardAt(i, w.ev.peer, w.ev.at)
}

// readerWait is how long a frame just arrived waits before its reader
// runs and stamps it: nothing with a core per node, the queued work
// ahead of it divided among the cores when they are shared.
func (s *Simulation) readerWait() int64 {
	c := s.cpu
	if !c.shared() {
		return 0
	}
	w := c.runqWork / int64(c.cfg.Cores)
	c.maxReaderWait = max(c.maxReaderWait, w)
	return w
}

// cpuReady makes node i, which has work, run now or wait for a core.
func (s *Simulation) cpuReady(i int32) {
	c := s.cpu
	if !c.shared() {
		s.cpuRun(i)
		return
	}
	n := &c.nodes[i]
	n.inRunq = true
	c.runq = append(c.runq, i)
	c.runqWork += min(n.queued, c.slice)
	s.cpuSchedule()
}

// cpuSchedule gives idle shared cores to the nodes at the head of the run
// queue.
func (s *Simulation) cpuSchedule() {
	c := s.cpu
	for c.freeCores > 0 && c.runqHead < len(c.runq) {
		i := c.runq[c.runqHead]
		c.runq[c.runqHead] = 0
		c.runqHead++
		if c.runqHead > 1024 && 2*c.runqHead > len(c.runq) {
			c.runq = append(c.runq[:0], c.runq[c.runqHead:]...)
			c.runqHead = 0
		}
		n := &c.nodes[i]
		n.inRunq = false
		c.runqWork -= min(n.queued, c.slice)
		c.freeCores--
		s.cpuRun(i)
	}
}

// cpuRun handles one slice of node i's inbox from s.now and schedules its
// end.
func (s *Simulation) cpuRun(i int32) {
	c := s.cpu
	n := &c.nodes[i]
	start := s.now
	n.running = true
	c.inSlice = true
	defer func() { c.inSlice = false }()
	c.dirty = false
	batch := 0 // frames handled since the last publish
	for n.pending() && s.now-start < c.slice {
		var w cpuWork
		if n.ctl.len() > 0 {
			w = n.ctl.pop()
		} else {
			w = n.inbox.pop()
			if n.held.len() > 0 {
				// Room in the inbox: a waiting reader hands its frame.
				h := n.held.pop()
				s.readFrame(i, &h)
				n.inbox.push(h)
			}
		}
		ev := w.ev
		n.queued -= w.cost
		if !s.net.up[i] && ev.kind != evJoin {
			continue // crashed: its inbox is lost
		}
		s.noteLag(i, ev)
		s.now += w.cost
		s.cpuDispatch(&ev)
		s.events++
		// The runtime's loop publishes its member table once per
		// iteration: after a frame and up to maxInboundBatch−1 more that
		// wait, or after a timer (runtime_loop.go).
		batch++
		if isFrame(ev.kind) && batch < runtimeInboundBatch && n.ctl.len() == 0 && n.inbox.len() > 0 && isFrame(n.inbox.peek().ev.kind) {
			continue
		}
		batch = 0
		s.cpuPublish(i)
	}
	s.cpuPublish(i)
	if !n.pending() {
		n.queued = 0
	}
	end := max(s.now, start+1)
	c.busy += end - start
	s.now = start
	s.q.push(simEvent{at: end, kind: evCPUDone, node: i})
}

// runtimeInboundBatch is the runtime's maxInboundBatch: frames handled
// per loop iteration, one member-table publish each.
const runtimeInboundBatch = 64

// isFrame reports whether events of kind k are frames read from a link.
func isFrame(k simEventKind) bool { return k == evMessage || k == evHeartbeatIn }

// cpuPublish charges node i a member-table publish if its table changed
// since the last one.
func (s *Simulation) cpuPublish(i int32) {
	c := s.cpu
	if !c.dirty || s.nodes[i].ms == nil {
		c.dirty = false
		return
	}
	c.dirty = false
	m := s.nodes[i].ms.NumMembers()
	c.published += uint64(m)
	s.now += int64(c.cfg.Costs.Member) * int64(m)
}

// cpuDispatch handles one event taken from a node's inbox.
func (s *Simulation) cpuDispatch(ev *simEvent) {
	switch ev.kind {
	case evSilenceCheck:
		s.silenceCheck(ev.node)
	case evHeartbeatIn, evAccept:
		// Heard when read (cpuIntercept), or a handshake: nothing for
		// the cores.
	default:
		s.dispatch(ev)
	}
}

// cpuDone ends node i's slice: it gives its core back and runs again, or
// waits in the queue, if work arrived meanwhile.
func (s *Simulation) cpuDone(i int32) {
	c := s.cpu
	n := &c.nodes[i]
	n.running = false
	if c.shared() {
		c.freeCores++
	}
	if n.pending() {
		s.cpuReady(i)
	} else if c.shared() {
		s.cpuSchedule()
	}
}

// receiveCost is what handling ev costs its node, before what it sends.
func (s *Simulation) receiveCost(ev *simEvent) int64 {
	k := &s.cpu.cfg.Costs
	switch ev.kind {
	case evMessage:
		return int64(k.Frame) + s.frameBytesCost(ev.msg)
	case evHeartbeatIn:
		return int64(k.Frame)
	case evTimer, evSilenceCheck:
		s.cpu.timers++
		return int64(k.Timer)
	case evLinkFailed:
		return int64(k.LinkFailed)
	case evAccept:
		return int64(k.Dial)
	case evJoin:
		return int64(k.Start)
	}
	return 0
}

// frameBytesCost is the per-KiB cost of msg's encoding.
func (s *Simulation) frameBytesCost(msg hyparlist.Message) int64 {
	if msg == nil {
		return 0
	}
	return int64(s.cpu.cfg.Costs.PerKiB) * int64(s.frameSize(msg)) / 1024
}

// frameSize returns the encoded size of msg.
func (s *Simulation) frameSize(msg hyparlist.Message) int {
	b, err := hyparlist.AppendMessage(s.encBuf[:0], msg)
	if err != nil {
		return 0
	}
	s.encBuf = b[:0]
	return len(b)
}

// chargeSend advances node from's clock by the cost of sending msg to
// dst, dialling first if their connection is not open; the receiver pays
// its side of the handshake with the frame (see receiveCost's caller).
func (s *Simulation) chargeSend(from, dst int32, msg hyparlist.Message) {
	c := s.cpu
	size := s.frameSize(msg)
	c.bytes += uint64(size)
	cost := int64(c.cfg.Costs.Send) + int64(c.cfg.Costs.PerKiB)*int64(size)/1024
	k := simFailKey(min(from, dst), max(from, dst))
	if last, ok := c.links[k]; !ok || s.now-last > int64(c.cfg.Costs.LinkIdle) {
		cost += int64(c.cfg.Costs.Dial)
		c.dials++
		// The accepting side's handshake, queued at it when the
		// connection arrives, ahead of the frame.
		if c.cfg.Costs.Dial > 0 {
			s.q.push(simEvent{at: s.now + s.net.latency(from, dst), kind: evAccept, node: dst, peer: from})
		}
	}
	if c.inSlice {
		s.now += cost
	}
	c.links[k] = s.now
	if s.cpu.cfg.HeartbeatAfter > 0 {
		s.noteWrite(from, dst)
	}
}

// memberTableChanged notes that the event being handled changed the
// node's member table, which the runtime then publishes.
func (s *Simulation) memberTableChanged() {
	if s.cpu != nil {
		s.cpu.dirty = true
	}
}
