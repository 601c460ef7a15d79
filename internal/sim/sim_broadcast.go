package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/hyparlist/hyparlist"
)

// This file tracks the broadcasts a simulation sends: who delivered each
// one, at how many hops, how many payload copies it cost, when it settled;
// and it runs the flood baseline.
//
// # Settling
//
// A broadcast is settled when no queued event descends from it. Descent is
// causal: every queued event carries the tag of the broadcast it descends
// from, and an event scheduled while the simulator handles an event tagged
// b is tagged b too. The origin's BroadcastPayload is tagged b, so b's
// payload copies and announcements, the Plumtree timers they start (the
// IHAVE batching window, the GRAFT timers), the GRAFTs and re-sent
// payloads those cause, the LinkFailed notices of b's failed sends, and
// the view repairs HyParView starts on those notices (its NEIGHBOR
// requests and replies, and the announcements Plumtree sends on the new
// links) are all b's. HyParView's timers are the one exception: they are
// periodic membership work and are never tagged, so a self-rearming timer
// cannot keep a broadcast open forever (and a NEIGHBOR request timeout is
// not counted as b's). Nothing else is tagged: keepalives, shuffles and
// repairs they cause are membership work too.
//
// The tracker counts, per broadcast, the tagged events in the queue. When
// the count is zero, every timer the broadcast started has fired, every
// message it caused has arrived or been dropped, and every failure notice
// it caused has been handled.

// payloadMagic marks simulator payloads; the broadcast index follows it.
const payloadMagic = 0x686c736d // "hlsm"

// payloadHeader is the size of the marker and index at the start of every
// simulator payload.
const payloadHeader = 8

// ErrNodeDown is returned when an operation needs a node that is not up.
var ErrNodeDown = errors.New("node is not up")

// broadcastTracker records the broadcasts of one simulation.
type broadcastTracker struct {
	s    *Simulation
	list []bcastRecord
	// watched counts the tagged events of the broadcasts being waited for
	// by RunUntilSettled.
	watched int64
}

// bcastRecord is what is known about one broadcast.
type bcastRecord struct {
	origin      int32
	at          int64 // virtual time it was sent
	id          hyparlist.MessageID
	idKnown     bool
	outstanding int32 // queued events tagged with it
	watched     bool
	settledAt   int64 // -1 until settled after a wait
	payload     []byte

	seen        []uint64 // bit i: node i delivered it
	delivered   int32
	duplicates  int32
	payloadRecv uint64
	maxHops     int32
	sumHops     int64
	lastAt      int64
	earlyAt     int64 // deliveries up to this time are "early"
	early       int32

	flood          bool
	floodSeen      []uint64
	floodDelivered int32
	floodRecv      uint64
	floodMaxHops   int32
	floodSumHops   int64
}

func (t *broadcastTracker) init(s *Simulation) { t.s = s }

// scheduled and fired keep the per-broadcast counts of queued events.
func (t *broadcastTracker) scheduled(tag int32) {
	if tag > 0 {
		b := &t.list[tag-1]
		b.outstanding++
		if b.watched {
			t.watched++
		}
	}
}

func (t *broadcastTracker) fired(tag int32) {
	if tag > 0 {
		b := &t.list[tag-1]
		b.outstanding--
		if b.watched {
			t.watched--
		}
	}
}

// tagOfPayload returns the tag carried by a simulator payload, or 0.
func (t *broadcastTracker) tagOfPayload(p []byte) int32 {
	if len(p) < payloadHeader || binary.LittleEndian.Uint32(p) != payloadMagic {
		return 0
	}
	idx := binary.LittleEndian.Uint32(p[4:])
	if int(idx) >= len(t.list) {
		return 0
	}
	return int32(idx) + 1
}

// payloadReceived counts one payload copy arriving at a running node.
func (t *broadcastTracker) payloadReceived(p []byte) {
	if tag := t.tagOfPayload(p); tag != 0 {
		t.list[tag-1].payloadRecv++
	}
}

// delivered records a Deliver action of node i.
func (t *broadcastTracker) delivered(i int32, d hyparlist.Deliver) {
	tag := t.tagOfPayload(d.Payload)
	if tag == 0 {
		return
	}
	b := &t.list[tag-1]
	if i == b.origin && !b.idKnown {
		b.id, b.idKnown = d.ID, true
	}
	if !simSetBit(&b.seen, i) {
		b.duplicates++
		return
	}
	b.delivered++
	if t.s.now <= b.earlyAt {
		b.early++
	}
	b.sumHops += int64(d.Hops)
	b.maxHops = max(b.maxHops, int32(d.Hops))
	b.lastAt = t.s.now
}

// floodSend sends the flood copy of broadcast tag-1 from node i to all of
// i's active neighbours except node except, hops being the hop count the
// copies will have on arrival.
func (t *broadcastTracker) floodSend(i, except int32, tag int32, hops uint16) {
	s := t.s
	for _, p := range s.nodes[i].hv.ActiveView() {
		j, ok := s.nodeIndex(p.Name)
		if !ok || j == except {
			continue
		}
		if s.net.lost(s.net.floodRng) {
			continue
		}
		s.schedule(s.now+s.net.latency(i, j), simEvent{kind: evFlood, node: j, peer: i, tag: tag, aux: hops})
	}
}

// floodReceive handles a flood copy arriving at ev.node. The flood is a
// shadow of the real protocols: it uses the HyParView active views as they
// are, but its copies never reach the cores and its failed sends are not
// reported to them, so that running the baseline does not change the run.
func (t *broadcastTracker) floodReceive(ev *simEvent) {
	s := t.s
	if !s.net.reachable(ev.peer, ev.node) {
		return
	}
	b := &t.list[ev.tag-1]
	b.floodRecv++
	if !simSetBit(&b.floodSeen, ev.node) {
		return
	}
	b.floodDelivered++
	b.floodSumHops += int64(ev.aux)
	b.floodMaxHops = max(b.floodMaxHops, int32(ev.aux))
	t.floodSend(ev.node, ev.peer, ev.tag, ev.aux+1)
}

// setBit sets bit i of *bits, growing it as needed, and reports whether
// the bit was clear.
func simSetBit(bits *[]uint64, i int32) bool {
	w := int(i) / 64
	for len(*bits) <= w {
		*bits = append(*bits, 0)
	}
	m := uint64(1) << (uint(i) % 64)
	if (*bits)[w]&m != 0 {
		return false
	}
	(*bits)[w] |= m
	return true
}

// simHasBit reports whether bit i of bits is set.
func simHasBit(bits []uint64, i int) bool {
	w := i / 64
	return w < len(bits) && bits[w]&(uint64(1)<<(uint(i)%64)) != 0
}

// Broadcast makes node origin broadcast a new payload through Plumtree and
// returns the broadcast's index. With flood set, the same payload is also
// flooded by the baseline protocol from the same node at the same instant:
// every node forwards the first copy it receives to all its HyParView
// active neighbours except the one it came from. The baseline is a shadow:
// it does not touch the cores' state or random streams, so a run with it
// behaves exactly like a run without it.
func (s *Simulation) Broadcast(origin int, flood bool) (int, error) {
	if origin < 0 || origin >= len(s.nodes) || !s.net.up[origin] {
		return 0, fmt.Errorf("broadcast from node %d: %w", origin, ErrNodeDown)
	}
	idx := len(s.bc.list)
	payload := make([]byte, max(s.cfg.PayloadSize, payloadHeader))
	binary.LittleEndian.PutUint32(payload, payloadMagic)
	binary.LittleEndian.PutUint32(payload[4:], uint32(idx))
	words := (len(s.nodes) + 63) / 64
	s.bc.list = append(s.bc.list, bcastRecord{
		origin: int32(origin), at: s.now, settledAt: -1, payload: payload,
		earlyAt: s.now + int64(s.cfg.DetectionDelayMin),
		seen:    make([]uint64, words), flood: flood,
	})
	tag := int32(idx) + 1
	s.curTag = tag
	s.stepPlumtree(int32(origin), hyparlist.BroadcastPayload{Class: hyparlist.ClassUser, Payload: payload})
	if flood {
		b := &s.bc.list[idx]
		b.floodSeen = make([]uint64, words)
		simSetBit(&b.floodSeen, int32(origin))
		b.floodDelivered = 1
		s.bc.floodSend(int32(origin), -1, tag, 1)
	}
	s.curTag = 0
	return idx, nil
}

// RunUntilSettled runs the simulation until every listed broadcast is
// settled (see the package comment of sim_broadcast.go: no queued event
// descends from it) and at least SimConfig.SettleMin has passed since each
// was sent, or until SimConfig.SettleMax has passed; it reports whether all
// settled.
func (s *Simulation) RunUntilSettled(broadcasts ...int) bool {
	var latest int64
	for _, idx := range broadcasts {
		b := &s.bc.list[idx]
		if !b.watched {
			b.watched = true
			s.bc.watched += int64(b.outstanding)
		}
		latest = max(latest, b.at)
	}
	defer func() {
		for _, idx := range broadcasts {
			b := &s.bc.list[idx]
			if b.watched {
				b.watched = false
				s.bc.watched -= int64(b.outstanding)
			}
		}
	}()
	minEnd := latest + int64(s.cfg.SettleMin)
	s.runUntil(minEnd, nil)
	deadline := s.now + int64(s.cfg.SettleMax)
	settled := s.bc.watched == 0 || s.runUntil(deadline, func() bool { return s.bc.watched == 0 })
	for _, idx := range broadcasts {
		if b := &s.bc.list[idx]; b.outstanding == 0 && b.settledAt < 0 {
			b.settledAt = s.now
		}
	}
	return settled
}

// BroadcastStats describes one broadcast as measured so far.
type BroadcastStats struct {
	Origin int                 // node that sent it
	ID     hyparlist.MessageID // Plumtree's ID, as delivered at the origin
	SentAt time.Duration       // virtual time it was sent
	// Settled is true once RunUntilSettled saw it settle, at SettledAt.
	Settled   bool
	SettledAt time.Duration
	// Up is the number of nodes up now; Delivered the number of them that
	// delivered the broadcast (the origin included).
	Up, Delivered int
	// EarlyDelivered counts the deliveries made within
	// SimConfig.DetectionDelayMin of sending (at nodes up or not now):
	// before any node could learn of a crash that happened at the sending
	// instant.
	EarlyDelivered int
	// Duplicates counts Deliver actions beyond the first at a node; the
	// cores promise zero.
	Duplicates int
	// PayloadReceived counts payload (Gossip) copies that reached running
	// nodes.
	PayloadReceived uint64
	// RMR is the relative message redundancy, PayloadReceived / (n − 1)
	// − 1 where n counts every node that delivered it, up now or not
	// (Plumtree §4); 0 when n < 2.
	RMR float64
	// LDH is the last delivery hop: the largest hop count of a delivery.
	LDH int
	// LastDelivery is the time from sending to the last delivery.
	LastDelivery time.Duration
	// Flood* describe the flood-baseline copy, when one was sent.
	Flood                bool
	FloodDelivered       int
	FloodPayloadReceived uint64
	FloodLDH             int
}

// BroadcastStats returns what is known about broadcast idx.
func (s *Simulation) BroadcastStats(idx int) BroadcastStats {
	b := &s.bc.list[idx]
	st := BroadcastStats{
		Origin: int(b.origin), ID: b.id, SentAt: time.Duration(b.at),
		Settled: b.settledAt >= 0, SettledAt: time.Duration(max(b.settledAt, 0)),
		Duplicates: int(b.duplicates), PayloadReceived: b.payloadRecv, EarlyDelivered: int(b.early),
		LDH: int(b.maxHops), Flood: b.flood, FloodPayloadReceived: b.floodRecv,
		FloodLDH: int(b.floodMaxHops),
	}
	if b.delivered > 0 {
		st.LastDelivery = time.Duration(b.lastAt - b.at)
	}
	for i, up := range s.net.up {
		if !up {
			continue
		}
		st.Up++
		if simHasBit(b.seen, i) {
			st.Delivered++
		}
		if simHasBit(b.floodSeen, i) {
			st.FloodDelivered++
		}
	}
	if b.delivered > 1 {
		st.RMR = float64(b.payloadRecv)/float64(b.delivered-1) - 1
	}
	return st
}

// DeliveredAt reports whether node i delivered broadcast idx (through
// Plumtree).
func (s *Simulation) DeliveredAt(idx, i int) bool { return simHasBit(s.bc.list[idx].seen, i) }

// FloodDeliveredAt reports whether node i received the flood-baseline copy
// of broadcast idx.
func (s *Simulation) FloodDeliveredAt(idx, i int) bool {
	return simHasBit(s.bc.list[idx].floodSeen, i)
}

// deliveredEver returns how many nodes delivered broadcast idx, including
// nodes that have crashed since.
func (s *Simulation) deliveredEver(idx int) int { return int(s.bc.list[idx].delivered) }

// reachedAll reports whether every node in mask delivered broadcast idx.
func (s *Simulation) reachedAll(idx int, mask []bool) bool {
	seen := s.bc.list[idx].seen
	for i, in := range mask {
		if in && !simHasBit(seen, i) {
			return false
		}
	}
	return true
}
