package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/hyparlist/hyparlist"
)

// Simulation runs the real HyParView and Plumtree cores of many nodes on a
// virtual clock and a simulated network. It is a deterministic
// discrete-event simulator: a queue of events ordered by (virtual time,
// insertion order) is drained one event at a time, each event is handed to
// the core it is addressed to, and the actions the core returns become new
// events. Nothing depends on wall-clock time or map iteration order, so the
// same SimConfig (including Seed) always produces the same run.
//
// # Network and failure model
//
// Every ordered pair of nodes has a fixed one-way latency, drawn once from
// [LatencyMin, LatencyMax] by hashing the seed and the pair; together with
// the queue's tie-break this makes every link FIFO, as a TCP connection is.
// A message is lost at random with probability Loss (no notice is given:
// the cores must cope, as over UDP).
//
// A crashed node stops at once: its queued timers never fire, messages to
// or from it are dropped. Nobody is told. A node notices a crashed peer
// only through a failed send: when a message reaches a crashed node, or
// must cross a partition, it is dropped and its sender receives a
// LinkFailed event after a detection delay drawn from [DetectionDelayMin,
// DetectionDelayMax] (a TCP RST or timeout). While such a notice is pending
// for a (sender, destination) pair, further sends on that pair are dropped
// without a second notice, as they would sit on the same dead connection.
// HyParView sends a Keepalive on every active link every keepalive
// interval, so a crashed neighbour is noticed within about one keepalive
// interval plus the detection delay. There is no global failure oracle.
//
// A partition splits the nodes into two sides; messages between the sides
// are treated exactly like messages to a crashed node. Healing the
// partition makes the sides reachable again; nodes must rediscover each
// other by themselves.
//
// # Driving the cores
//
// Each node has one HyParView and one Plumtree core and one *rand.Rand
// (PCG, derived from Seed and the node's index) shared by both. HyParView's
// Send actions travel on the network, SetTimer actions come back as
// TimerFired events, and NeighborUp/NeighborDown actions are fed at once to
// the same node's Plumtree. LinkFailed notices go to HyParView (which
// repairs its view and reports NeighborDown to Plumtree) and then to
// Plumtree. Plumtree's Deliver actions are recorded per broadcast.
//
// Node i is named "n<i>" (Peer.Addr equals Peer.Name); the simulator maps
// names to dense indices and never uses maps keyed by name on the hot path.
//
// # Measuring
//
// Broadcast sends a payload through Plumtree (and optionally through a
// flood baseline over the same active views); RunUntilSettled runs until
// nothing queued descends from it any more; BroadcastStats then reports
// deliveries, hops and redundancy. Overlay measures the graph of the
// active views. Fork copies a whole simulation, so that several
// experiments can start from one stable overlay; RunExperiments runs the
// standard ones.
type Simulation struct {
	cfg     SimConfig
	factory simCoreFactory
	q       eventQueue
	now     int64 // virtual nanoseconds since epoch
	epoch   time.Time
	net     *simNetwork
	scene   simRand // scenario choices: contacts, crashes, senders
	metrics simRand // path-length sampling
	nodes   []simNode
	peers   []hyparlist.Peer // peers[i] is node i's Peer
	upList  []int32          // nodes up, in no meaningful order
	upPos   []int32          // upPos[i] is i's position in upList, -1 if down

	// curTag is the broadcast tag of the event being processed; events it
	// schedules inherit it (see broadcastTracker).
	curTag int32
	bc     broadcastTracker

	// msWork queues membership events (sim_membership.go); msRunning is
	// set while they are stepped; mv measures membership.
	msWork    []simWork
	msRunning bool
	mv        simMemberView

	// broadcastOf reads a message's broadcast (hyparlist.BroadcastOf; the
	// engine tests' fake cores bring their own).
	broadcastOf func(hyparlist.Message) (hyparlist.Class, []byte, bool)

	stats    MessageStats
	events   uint64
	progress func(SimProgress)

	// cpu is the CPU cost model, nil when SimConfig.CPU is off
	// (sim_cpu.go); encBuf is its scratch buffer for frame sizes.
	cpu    *simCPU
	encBuf []byte
}

// simNode is one simulated node.
type simNode struct {
	hv simMembership
	pt simCore
	// rng is the random stream of hv and pt (Plumtree draws only when it
	// is created), msRng membership's.
	rng     simRand
	ms      *hyparlist.Membership // nil unless SimConfig.Membership
	msRng   simRand
	started bool
	crashed bool
}

// simCore is what the simulator needs from any core, and all it needs
// from Plumtree.
type simCore interface {
	Step(now time.Time, ev hyparlist.Event)
	Drain() []hyparlist.Action
}

// simMembership is what the simulator needs from a HyParView core.
type simMembership interface {
	simCore
	ActiveView() []hyparlist.Peer
	PassiveView() []hyparlist.Peer
}

// simCoreFactory builds the two cores of one node. Tests substitute small
// fakes to check the engine on its own.
type simCoreFactory func(self hyparlist.Peer, rng *rand.Rand) (simMembership, simCore, error)

// SimProgress is a periodic report on a running simulation.
type SimProgress struct {
	Now    time.Duration // virtual time since the start
	Events uint64        // events processed so far
	Queued int           // events waiting in the queue
}

// progressEvery is how many events pass between two progress reports.
const progressEvery = 1 << 20

// ErrSimConfig is wrapped by every error about an invalid SimConfig.
var ErrSimConfig = errors.New("invalid simulation config")

// newSimulation builds a simulation of cfg.Nodes nodes, none started yet,
// with cores from factory.
func newSimulation(cfg SimConfig, factory simCoreFactory) (*Simulation, error) {
	if err := cfg.validateNetwork(); err != nil {
		return nil, err
	}
	s := &Simulation{
		cfg:     cfg,
		factory: factory,
		epoch:   time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		net:     newSimNetwork(&cfg, cfg.Nodes),
		scene:   newSimRand(cfg.Seed, streamScene),
		metrics: newSimRand(cfg.Seed, streamMetrics),

		broadcastOf: hyparlist.BroadcastOf,
	}
	s.bc.init(s)
	s.cpu = newSimCPU(cfg.CPU, cfg.Nodes)
	s.q.heap = make([]queueKey, 0, 8*cfg.Nodes)
	s.q.pool = make([]simEvent, 0, 8*cfg.Nodes)
	if err := s.addNodes(cfg.Nodes); err != nil {
		return nil, err
	}
	return s, nil
}

// addNodes creates k more nodes, not started.
func (s *Simulation) addNodes(k int) error {
	first := len(s.nodes)
	s.net.grow(first + k)
	if s.cpu != nil {
		s.cpu.grow(first + k)
	}
	for i := first; i < first+k; i++ {
		name := "n" + strconv.Itoa(i)
		p := hyparlist.Peer{Name: name, Addr: name}
		rng := newSimRand(s.cfg.Seed, streamNode+uint64(i))
		hv, pt, err := s.factory(p, rng.Rand)
		if err != nil {
			return fmt.Errorf("create cores of node %s: %w", name, err)
		}
		n := simNode{hv: hv, pt: pt, rng: rng}
		if s.cfg.Membership {
			n.msRng = newSimRand(s.cfg.Seed, streamMembership+uint64(i))
			if n.ms, err = hyparlist.NewMembership(p, s.cfg.MembershipCore, n.msRng.Rand); err != nil {
				return fmt.Errorf("create membership of node %s: %w", name, err)
			}
		}
		s.peers = append(s.peers, p)
		s.nodes = append(s.nodes, n)
		s.upPos = append(s.upPos, -1)
	}
	return nil
}

// nodeIndex maps a simulator node name "n<i>" back to i.
func (s *Simulation) nodeIndex(name string) (int32, bool) {
	if len(name) < 2 || name[0] != 'n' || len(name) > 11 {
		return 0, false
	}
	var v int64
	for i := 1; i < len(name); i++ {
		c := name[i]
		if c < '0' || c > '9' || (i == 1 && c == '0' && len(name) > 2) {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if v >= int64(len(s.nodes)) {
		return 0, false
	}
	return int32(v), true
}

// Now returns the virtual time elapsed since the simulation began.
func (s *Simulation) Now() time.Duration { return time.Duration(s.now) }

// Nodes returns the number of nodes ever created (started or not, crashed
// or not). Node indices run from 0 to Nodes()-1.
func (s *Simulation) Nodes() int { return len(s.nodes) }

// Peer returns node i's Peer.
func (s *Simulation) Peer(i int) hyparlist.Peer { return s.peers[i] }

// Up reports whether node i has started and has not crashed.
func (s *Simulation) Up(i int) bool { return s.net.up[i] }

// UpCount returns the number of nodes that are up.
func (s *Simulation) UpCount() int { return len(s.upList) }

// Events returns the number of events processed so far.
func (s *Simulation) Events() uint64 { return s.events }

// SetProgress installs a function called every million or so events (nil
// to stop).
func (s *Simulation) SetProgress(f func(SimProgress)) { s.progress = f }

// Stats returns the message counters accumulated so far.
func (s *Simulation) Stats() MessageStats { return s.stats }

// RunFor processes every event scheduled within the next d of virtual time
// and leaves the clock at exactly now+d.
func (s *Simulation) RunFor(d time.Duration) {
	s.runUntil(s.now+int64(d), nil)
}

// runUntil processes events up to virtual time end, or until stop returns
// true after an event; the clock is left at end unless stop ended the run.
// It reports whether stop ended the run.
func (s *Simulation) runUntil(end int64, stop func() bool) bool {
	for s.q.len() > 0 && s.q.peekTime() <= end {
		ev := s.q.pop()
		s.now = ev.at
		if s.cpu == nil || !s.cpuIntercept(&ev) {
			s.dispatch(&ev)
		}
		s.events++
		if s.progress != nil && s.events%progressEvery == 0 {
			s.progress(SimProgress{Now: s.Now(), Events: s.events, Queued: s.q.len()})
		}
		if stop != nil && stop() {
			return true
		}
	}
	if end > s.now {
		s.now = end
	}
	return false
}

// schedule queues ev at virtual time at, tagging it with the current
// broadcast tag unless it already has one.
func (s *Simulation) schedule(at int64, ev simEvent) {
	ev.at = at
	if ev.tag == 0 {
		ev.tag = s.curTag
	}
	s.bc.scheduled(ev.tag)
	s.q.push(ev)
}

// dispatch handles one event at the current virtual time.
func (s *Simulation) dispatch(ev *simEvent) {
	s.bc.fired(ev.tag)
	s.curTag = ev.tag
	switch ev.kind {
	case evMessage:
		s.receive(ev)
	case evTimer:
		if !s.net.up[ev.node] {
			return
		}
		switch ev.aux {
		case simCoreHyParView:
			s.stepHyParView(ev.node, hyparlist.TimerFired{Timer: ev.timer})
		case simCoreMembership:
			s.feedMembership(ev.node, hyparlist.TimerFired{Timer: ev.timer})
		default:
			s.stepPlumtree(ev.node, hyparlist.TimerFired{Timer: ev.timer})
		}
	case evLinkFailed:
		delete(s.net.pendingFail, simFailKey(ev.node, ev.peer))
		if !s.net.up[ev.node] {
			return
		}
		s.stats.LinkFailures++
		lf := hyparlist.LinkFailed{Peer: s.peers[ev.peer]}
		s.stepHyParView(ev.node, lf)
		s.stepPlumtree(ev.node, lf)
		s.feedMembership(ev.node, lf)
	case evFlood:
		s.bc.floodReceive(ev)
	case evJoin:
		s.start(ev.node, ev.peer)
	}
	s.runMembershipWork()
	s.curTag = 0
}

// receive delivers a network message, or drops it and arranges the
// sender's failure notice.
func (s *Simulation) receive(ev *simEvent) {
	if !s.net.reachable(ev.peer, ev.node) {
		s.stats.Unreachable++
		s.notifyFailure(ev.peer, ev.node)
		return
	}
	s.stats.Received[ev.msg.Type()]++
	if class, payload, ok := s.broadcastOf(ev.msg); ok && class == hyparlist.ClassUser {
		s.bc.payloadReceived(payload)
	}
	rcv := hyparlist.Receive{From: s.peers[ev.peer], Msg: ev.msg}
	// A message goes to the core of the kind that sent it (simEvent.aux).
	switch ev.aux {
	case simCorePlumtree:
		s.stepPlumtree(ev.node, rcv)
	case simCoreMembership:
		s.feedMembership(ev.node, rcv)
	default:
		s.stepHyParView(ev.node, rcv)
	}
}

// notifyFailure schedules, unless one is pending, a LinkFailed notice for
// sender about dest after the detection delay. A sender that is down gets
// nothing.
func (s *Simulation) notifyFailure(sender, dest int32) {
	if !s.net.up[sender] {
		return
	}
	k := simFailKey(sender, dest)
	if _, pending := s.net.pendingFail[k]; pending {
		return
	}
	s.net.pendingFail[k] = struct{}{}
	s.schedule(s.now+s.net.detectionDelay(), simEvent{kind: evLinkFailed, node: sender, peer: dest})
}

// send puts msg, emitted by core core of node from, to peer to on the
// network.
func (s *Simulation) send(from int32, core uint16, to hyparlist.Peer, msg hyparlist.Message) {
	if msg == nil {
		s.stats.Invalid++
		return
	}
	s.stats.Sent[msg.Type()]++
	s.stats.countSent(core, msg, s.broadcastOf)
	if s.cfg.Membership {
		s.mv.sent(core, msg, s.broadcastOf)
	}
	dst, ok := s.nodeIndex(to.Name)
	if !ok {
		// Not a simulator node: only a core bug can produce this, so it
		// is counted (Invalid) rather than answered.
		s.stats.Invalid++
		return
	}
	if s.cpu != nil {
		s.chargeSend(from, dst, msg)
	}
	if _, pending := s.net.pendingFail[simFailKey(from, dst)]; pending {
		s.stats.Unreachable++
		return
	}
	if s.net.lost(s.net.rng) {
		s.stats.Lost++
		return
	}
	s.schedule(s.now+s.net.latency(from, dst), simEvent{
		kind: evMessage, node: dst, peer: from, msg: msg, aux: core,
	})
}

// stepHyParView feeds ev to node i's HyParView and carries out its actions.
func (s *Simulation) stepHyParView(i int32, ev hyparlist.Event) {
	s.step(i, simCoreHyParView, s.nodes[i].hv, ev)
}

// stepPlumtree feeds ev to node i's Plumtree and carries out its actions.
func (s *Simulation) stepPlumtree(i int32, ev hyparlist.Event) {
	s.step(i, simCorePlumtree, s.nodes[i].pt, ev)
}

// step feeds ev to one core of node i and carries out its actions.
// NeighborUp and NeighborDown come from HyParView and go on to Plumtree;
// Deliver comes from Plumtree.
func (s *Simulation) step(i int32, core uint16, c simCore, ev hyparlist.Event) {
	c.Step(s.epoch.Add(time.Duration(s.now)), ev)
	for _, a := range c.Drain() {
		switch a := a.(type) {
		case hyparlist.Send:
			s.send(i, core, a.To, a.Msg)
		case hyparlist.SetTimer:
			timer := simEvent{kind: evTimer, node: i, timer: a.Timer, aux: core}
			at := s.now + int64(max(a.After, 0))
			if core == simCoreHyParView {
				// HyParView's timers are periodic membership work, never
				// a consequence of one broadcast: they carry no tag, so
				// that a self-rearming timer cannot keep a broadcast
				// unsettled (see sim_broadcast.go).
				timer.at = at
				s.q.push(timer)
			} else {
				s.schedule(at, timer)
			}
		case hyparlist.NeighborUp:
			s.stats.NeighborUps++
			s.onNeighbor(i, a.Peer, true)
			s.stepPlumtree(i, a)
			s.feedMembership(i, a)
		case hyparlist.NeighborDown:
			s.stats.NeighborDowns++
			s.onNeighbor(i, a.Peer, false)
			s.stepPlumtree(i, a)
			s.feedMembership(i, a)
		case hyparlist.Deliver:
			if a.Class == hyparlist.ClassMembership {
				s.feedMembership(i, a)
			} else {
				s.bc.delivered(i, a)
			}
		default:
			s.stats.Invalid++
		}
	}
}

// start starts node i and, if contact ≥ 0, makes it join through contact
// (see joinPickOnFire).
func (s *Simulation) start(i, contact int32) {
	n := &s.nodes[i]
	if n.started || n.crashed {
		return
	}
	if contact == joinPickOnFire {
		contact = s.pickContact(i)
	}
	n.started = true
	s.markUp(i)
	s.startSilenceCheck(i)
	s.stepHyParView(i, hyparlist.Start{})
	s.stepPlumtree(i, hyparlist.Start{})
	s.feedMembership(i, hyparlist.Start{})
	if contact >= 0 {
		s.stepHyParView(i, hyparlist.JoinCluster{Contact: s.peers[contact]})
	}
}

// MessageStats counts messages by type and what happened to them.
type MessageStats struct {
	// Sent and Received count messages by MessageType: handed to the
	// network, and delivered to a running node.
	Sent, Received [48]uint64
	// Lost counts messages dropped by random loss.
	Lost uint64
	// Unreachable counts messages dropped because an end was down or the
	// ends were on different sides of a partition.
	Unreachable uint64
	// LinkFailures counts LinkFailed notices delivered to running nodes.
	LinkFailures uint64
	// NeighborUps and NeighborDowns count HyParView's view-change actions.
	NeighborUps, NeighborDowns uint64
	// Invalid counts actions the simulator could not carry out (unknown
	// destination, nil message, unknown action type).
	Invalid uint64
	// SilentFailures counts links failed by the silence judge and
	// Heartbeats the Keepalives links' writers sent of their own (both
	// only with SimConfig.CPU's judge, sim_cpu_silence.go).
	SilentFailures, Heartbeats uint64
	// maxScore is the highest health score of any node.
	maxScore int

	// Messages sent, by the core that sent them: HyParView's, Plumtree's
	// payload (GOSSIP) and control (IHAVE, GRAFT, PRUNE) messages, and
	// the membership core's own.
	hyparviewSent, payloadSent, controlSent, memberSent uint64
}

// countSent counts msg, sent by core core, in the per-core counters.
func (m *MessageStats) countSent(core uint16, msg hyparlist.Message,
	broadcastOf func(hyparlist.Message) (hyparlist.Class, []byte, bool)) {
	switch core {
	case simCoreHyParView:
		m.hyparviewSent++
	case simCoreMembership:
		m.memberSent++
	default:
		if _, _, ok := broadcastOf(msg); ok {
			m.payloadSent++
		} else {
			m.controlSent++
		}
	}
}

// Sub returns the counters accumulated between an earlier snapshot and m.
func (m MessageStats) Sub(earlier MessageStats) MessageStats {
	for t := range m.Sent {
		m.Sent[t] -= earlier.Sent[t]
		m.Received[t] -= earlier.Received[t]
	}
	m.Lost -= earlier.Lost
	m.Unreachable -= earlier.Unreachable
	m.LinkFailures -= earlier.LinkFailures
	m.NeighborUps -= earlier.NeighborUps
	m.NeighborDowns -= earlier.NeighborDowns
	m.Invalid -= earlier.Invalid
	m.SilentFailures -= earlier.SilentFailures
	m.Heartbeats -= earlier.Heartbeats
	m.hyparviewSent -= earlier.hyparviewSent
	m.payloadSent -= earlier.payloadSent
	m.controlSent -= earlier.controlSent
	m.memberSent -= earlier.memberSent
	return m
}

// PayloadSent returns the number of payload (GOSSIP) messages sent.
func (m MessageStats) PayloadSent() uint64 { return m.payloadSent }

// ControlSent returns the number of Plumtree control messages (IHAVE,
// GRAFT, PRUNE) sent.
func (m MessageStats) ControlSent() uint64 { return m.controlSent }

// MemberCoreSent returns the number of the membership core's own messages
// (digests, buckets, records, user state) sent.
func (m MessageStats) MemberCoreSent() uint64 { return m.memberSent }

// MembershipSent returns the number of HyParView messages sent.
func (m MessageStats) MembershipSent() uint64 { return m.hyparviewSent }
