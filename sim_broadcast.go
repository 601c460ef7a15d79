package hyparlist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// This file tracks the broadcasts a simulation sends: who delivered each
// one, at how many hops, how many payload copies it cost, when it settled;
// and it runs the flood baseline.
//
// # Settling
//
// A broadcast is settled when no queued event descends from it. Every
// queued event carries a tag naming the broadcast it descends from:
//   - a Gossip, IHave or Graft message is tagged with the broadcast it
//     carries or names (the first tracked one, for a batched IHave);
//   - any other event scheduled while the simulator handles an event tagged
//     b (a Plumtree timer set on receiving b's payload or announcement, a
//     LinkFailed notice for a send b caused, a flood copy) is tagged b too;
//   - HyParView's timers are never tagged: they are periodic membership
//     work and would otherwise keep a broadcast open forever.
//
// The tracker counts, per broadcast, the tagged events in the queue. When
// the count is zero every timer the broadcast started has fired, every
// message it caused has arrived or been dropped, and every failure notice
// it caused has been handled; nothing queued can deliver it any more.
// Plumtree could still hold an announcement of it in an internal buffer
// that an untagged periodic timer flushes later; SimConfig.SettleMin keeps
// waiting at least that long (see SimConfig).

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
	byID map[MessageID]int32
	// watched counts the tagged events of the broadcasts being waited for
	// by RunUntilSettled.
	watched int64
}

// bcastRecord is what is known about one broadcast.
type bcastRecord struct {
	origin      int32
	at          int64 // virtual time it was sent
	id          MessageID
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

	flood          bool
	floodSeen      []uint64
	floodDelivered int32
	floodRecv      uint64
	floodMaxHops   int32
	floodSumHops   int64
}

func (t *broadcastTracker) init(s *Simulation) {
	t.s = s
	t.byID = make(map[MessageID]int32)
}

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

// tagOfID returns the tag of the broadcast with the given ID, or 0.
func (t *broadcastTracker) tagOfID(id MessageID) int32 {
	if idx, ok := t.byID[id]; ok {
		return idx + 1
	}
	return 0
}

// contentTag returns the tag of the broadcast msg carries or names, or 0.
func (t *broadcastTracker) contentTag(msg Message) int32 {
	switch m := msg.(type) {
	case Gossip:
		return t.tagOfPayload(m.Payload)
	case IHave:
		for _, e := range m.Entries {
			if tag := t.tagOfID(e.ID); tag != 0 {
				return tag
			}
		}
	case Graft:
		for _, id := range m.IDs {
			if tag := t.tagOfID(id); tag != 0 {
				return tag
			}
		}
	}
	return 0
}

// payloadReceived counts one payload copy arriving at a running node.
func (t *broadcastTracker) payloadReceived(p []byte) {
	if tag := t.tagOfPayload(p); tag != 0 {
		t.list[tag-1].payloadRecv++
	}
}

// delivered records a Deliver action of node i.
func (t *broadcastTracker) delivered(i int32, d Deliver) {
	tag := t.tagOfPayload(d.Payload)
	if tag == 0 {
		return
	}
	b := &t.list[tag-1]
	if i == b.origin && !b.idKnown {
		b.id, b.idKnown = d.ID, true
		t.byID[d.ID] = tag - 1
	}
	if !setBit(&b.seen, i) {
		b.duplicates++
		return
	}
	b.delivered++
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
	if !setBit(&b.floodSeen, ev.node) {
		return
	}
	b.floodDelivered++
	b.floodSumHops += int64(ev.aux)
	b.floodMaxHops = max(b.floodMaxHops, int32(ev.aux))
	t.floodSend(ev.node, ev.peer, ev.tag, ev.aux+1)
}

// setBit sets bit i of *bits, growing it as needed, and reports whether
// the bit was clear.
func setBit(bits *[]uint64, i int32) bool {
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

// hasBit reports whether bit i of bits is set.
func hasBit(bits []uint64, i int) bool {
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
		seen: make([]uint64, words), flood: flood,
	})
	tag := int32(idx) + 1
	s.curTag = tag
	s.stepPlumtree(int32(origin), BroadcastPayload{Class: ClassUser, Payload: payload})
	if flood {
		b := &s.bc.list[idx]
		b.floodSeen = make([]uint64, words)
		setBit(&b.floodSeen, int32(origin))
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
	if settled {
		for _, idx := range broadcasts {
			s.bc.list[idx].settledAt = s.now
		}
	}
	return settled
}

// BroadcastStats describes one broadcast as measured so far.
type BroadcastStats struct {
	Origin int           // node that sent it
	ID     MessageID     // Plumtree's ID, as delivered at the origin
	SentAt time.Duration // virtual time it was sent
	// Settled is true once RunUntilSettled saw it settle, at SettledAt.
	Settled   bool
	SettledAt time.Duration
	// Up is the number of nodes up now; Delivered the number of them that
	// delivered the broadcast (the origin included).
	Up, Delivered int
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
		Duplicates: int(b.duplicates), PayloadReceived: b.payloadRecv,
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
		if hasBit(b.seen, i) {
			st.Delivered++
		}
		if hasBit(b.floodSeen, i) {
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
func (s *Simulation) DeliveredAt(idx, i int) bool { return hasBit(s.bc.list[idx].seen, i) }

// FloodDeliveredAt reports whether node i received the flood-baseline copy
// of broadcast idx.
func (s *Simulation) FloodDeliveredAt(idx, i int) bool {
	return hasBit(s.bc.list[idx].floodSeen, i)
}
