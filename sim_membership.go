package hyparlist

import (
	"time"
	"unsafe"
)

// This file runs the membership core (membership.go) on every simulated
// node when SimConfig.Membership is set, wired as the runtime wires it
// (runtime_loop.go):
//
//   - HyParView's NeighborUp/NeighborDown go to Plumtree, then membership
//     ("Plumtree before membership", membership.go); LinkFailed notices go
//     to HyParView, Plumtree and membership;
//   - membership's BroadcastPayload goes to the node's Plumtree, and
//     Plumtree's Deliver of class ClassMembership comes back to membership;
//   - membership's Send travels on the simulated network, SetTimer comes
//     back as TimerFired, messages of types 32–47 are fed to membership;
//   - ProbeMember is answered at once from the network's reachability (the
//     runtime dials): a dead member that can be reached is joined through
//     (HyParView JoinCluster, as onProbeResult does); a live member that
//     cannot gets a LinkFailed notice after the detection delay;
//   - PushPullState is answered with an empty LocalStateReady (the
//     simulator has no application state).
//
// Membership events are queued and stepped after the event being
// dispatched, as the runtime's work queue does, so that no core is stepped
// while its own actions are being routed (a membership announcement that
// Plumtree delivers locally would otherwise re-enter membership).

// simCoreMembership marks a membership timer (simEvent.aux).
const simCoreMembership uint16 = 2

// streamMembership is the first random stream of the nodes' membership
// cores: node i uses streamMembership+i (the runtime, too, gives membership
// its own generator).
const streamMembership uint64 = 1 << 48

// simWork is one queued membership event.
type simWork struct {
	node int32
	ev   Event
}

// newSimMembership returns node i's membership core. Its identities come
// from the simulation's shared pool: N nodes listing N members then hold N
// identities, not N² (memberIdentPool; what a node sees and decides does
// not change).
func (s *Simulation) newSimMembership(i int, self Peer) (*Membership, error) {
	m, err := NewMembership(self, s.cfg.MembershipCore, simStreamRand(s.cfg.Seed, streamMembership+uint64(i)))
	if err != nil {
		return nil, err
	}
	if s.idents == nil {
		s.idents = newMemberIdentPool()
		s.decoded = newSimAnnouncementCache(simDecodedAnnouncements)
	}
	m.idents = s.idents
	m.decoder = s.decoded.decode
	return m, nil
}

// simDecodedAnnouncements bounds the announcements the simulator keeps
// decoded: more than are in flight at once at 10^4 nodes.
const simDecodedAnnouncements = 1 << 14

// simAnnouncementCache decodes each announcement payload once for all the
// nodes it reaches. Plumtree hands every node the very slice the origin
// broadcast (it never copies payloads), so the slice's address identifies
// the announcement; the cache holds the slice, so the address cannot be
// reused while the entry lives. The oldest entries go first.
type simAnnouncementCache struct {
	byData map[*byte]simDecoded
	order  []*byte // keys, oldest first, as a ring
	next   int
}

// simDecoded is one decoded announcement.
type simDecoded struct {
	payload []byte
	recs    []MemberRecord
	err     error
}

func newSimAnnouncementCache(n int) *simAnnouncementCache {
	return &simAnnouncementCache{byData: make(map[*byte]simDecoded, n), order: make([]*byte, n)}
}

// decode is decodeAnnouncement, remembered.
func (c *simAnnouncementCache) decode(b []byte) ([]MemberRecord, error) {
	key := unsafe.SliceData(b)
	if d, ok := c.byData[key]; ok && len(d.payload) == len(b) {
		return d.recs, d.err
	}
	recs, err := decodeAnnouncement(b)
	if key == nil {
		return recs, err
	}
	if old := c.order[c.next]; old != nil {
		delete(c.byData, old)
	}
	c.order[c.next] = key
	c.next = (c.next + 1) % len(c.order)
	c.byData[key] = simDecoded{payload: b, recs: recs, err: err}
	return recs, err
}

// feedMembership queues ev for node i's membership core, if it runs one.
func (s *Simulation) feedMembership(i int32, ev Event) {
	if s.nodes[i].ms == nil {
		return
	}
	s.msWork = append(s.msWork, simWork{node: i, ev: ev})
}

// runMembershipWork steps the queued membership events, in order, until
// none is left. Membership traffic is never part of a user broadcast, so
// it carries no broadcast tag.
func (s *Simulation) runMembershipWork() {
	if s.msRunning || len(s.msWork) == 0 {
		return
	}
	s.msRunning = true
	tag := s.curTag
	s.curTag = 0
	for k := 0; k < len(s.msWork); k++ {
		w := s.msWork[k]
		s.msWork[k] = simWork{}
		if s.net.up[w.node] {
			s.stepMembership(w.node, w.ev)
		}
	}
	s.msWork = s.msWork[:0]
	s.curTag = tag
	s.msRunning = false
}

// stepMembership feeds ev to node i's membership core and carries out its
// actions.
func (s *Simulation) stepMembership(i int32, ev Event) {
	m := s.nodes[i].ms
	m.Step(s.epoch.Add(time.Duration(s.now)), ev)
	for _, a := range m.Drain() {
		switch a := a.(type) {
		case Send:
			s.send(i, a.To, a.Msg)
		case SetTimer:
			// Periodic work like HyParView's timers: untagged.
			s.q.push(simEvent{at: s.now + int64(max(a.After, 0)), kind: evTimer, node: i, timer: a.Timer, aux: simCoreMembership})
		case BroadcastPayload:
			s.stepPlumtree(i, a)
		case ProbeMember:
			s.probeMember(i, a)
		case PushPullState:
			s.feedMembership(i, LocalStateReady{Peer: a.Peer, Join: a.Join})
		case MemberLeft:
			s.mv.memberLeft(s, a.Member)
		case MemberJoined, MemberUpdated, MergeRemoteState, LeaveAnnounced,
			AliveCheck, MergeCheck, MemberConflict:
			// No application: nothing to tell.
		default:
			s.stats.Invalid++
		}
	}
}

// probeMember acts on node i's ProbeMember as the runtime's
// onProbeResult does, with the network's reachability standing in for a
// dial.
func (s *Simulation) probeMember(i int32, a ProbeMember) {
	s.mv.probes++
	dst, ok := s.nodeIndex(a.Peer.Name)
	if !ok {
		s.stats.Invalid++
		return
	}
	reached := s.net.reachable(i, dst)
	switch {
	case reached && a.Dead:
		s.stepHyParView(i, JoinCluster{Contact: s.peers[dst]})
	case !reached && !a.Dead:
		s.notifyFailure(i, dst)
	}
}
