package hyparlist

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Membership is the pure state machine that keeps the list of the whole
// cluster on every node (HyParView only knows neighbours).
//
// Each node announces its own record (alive, incarnation, metadata) as a
// Plumtree broadcast of class ClassMembership; a neighbour that loses its
// link to a node announces it suspect; the suspected node hears that over
// its other links and refutes with a higher incarnation, or is declared dead
// when the suspicion times out (membership_suspicion.go); LeaveCluster
// announces left. Records merge by SWIM precedence (membership_merge.go).
// Periodic anti-entropy with one random neighbour repairs anything missed at
// O(1) bytes when nothing is (membership_digest.go), and dead members are
// re-contacted now and then so that healed partitions merge back, while
// random live non-neighbours are checked now and then so that no crash
// goes unnoticed (membership_probe.go).
//
// Driving it (see core.go): feed Start once, then
//
//   - from HyParView: NeighborUp, NeighborDown, LinkFailed;
//   - from Plumtree: every Deliver (other classes are ignored);
//   - Receive for message types 32–47, TimerFired for its timers;
//   - commands: UpdateMeta, LeaveCluster, LocalStateReady.
//
// and act on what Drain returns: BroadcastPayload goes to Plumtree, Send and
// SetTimer as for the other cores, MemberJoined/MemberUpdated/MemberLeft to
// the EventDelegate, PushPullState/MergeRemoteState to the Delegate,
// ProbeMember to HyParView (a contact attempt), LeaveAnnounced to Leave.
// Feed NeighborUp to Plumtree before Membership, so that an announcement
// made on NeighborUp travels on the new link.
//
// Like the other cores it never reads the clock, starts goroutines, locks
// or does I/O; randomness comes from the injected *rand.Rand; no map order
// reaches an output; every list is bounded (MembershipConfig, limits in
// membership_state.go and membership_messages.go).
type Membership struct {
	self Peer
	cfg  MembershipConfig
	rng  *rand.Rand
	now  time.Time

	started bool
	leaving bool
	// joined is set once the first exchange (the join exchange) started.
	joined bool
	// leaveAnnounced is set when LeaveAnnounced is due at the end of the
	// step.
	leaveAnnounced bool
	// meta is the metadata set before Start.
	meta []byte

	table memberTable
	local *memberEntry // the local node's entry, in table after Start
	// neighbors is the active view, sorted by name, at most
	// maxMembershipNeighbors.
	neighbors []Peer

	pending []MemberRecord // announcements of this step, one per name
	nudges  []Peer         // exchanges to start at the end of this step
	actions []Action

	stats MembershipStats
}

// MembershipStats counts what a membership core did, for metrics.
type MembershipStats struct {
	// Announcements is the number of BroadcastPayload actions emitted.
	Announcements uint64
	// Refutations counts the times the local node refuted a record about
	// itself.
	Refutations uint64
	// BadAnnouncements counts ClassMembership deliveries that failed to
	// decode and were dropped.
	BadAnnouncements uint64
	// Exchanges counts the anti-entropy exchanges the node started.
	Exchanges uint64
}

// maxMembershipNeighbors bounds the neighbours the core tracks; HyParView's
// active view is far smaller (5 by default, HyParView §5.1).
const maxMembershipNeighbors = 256

// UpdateMeta is the command "the local metadata is now Meta". Before Start
// it only sets the initial metadata; afterwards the node announces itself
// at a new incarnation. Metadata over MaxMemberMetaLen is ignored (the
// runtime rejects it first).
type UpdateMeta struct {
	Meta []byte
}

// LocalStateReady answers PushPullState: State is the application's
// Delegate.LocalState(Join) for the exchange with Peer. An empty State, or
// one over MaxLocalStateSize, is not sent.
type LocalStateReady struct {
	Peer  Peer
	Join  bool
	State []byte
}

// MemberJoined reports that Member became a member (alive or suspect) from
// unknown, dead or left: EventDelegate.NotifyJoin. The local node is
// reported at Start.
type MemberJoined struct {
	Member Member
}

// MemberUpdated reports that a member changed its address or metadata:
// EventDelegate.NotifyUpdate. Alive↔suspect changes are not reported, as in
// memberlist.
type MemberUpdated struct {
	Member Member
}

// MemberLeft reports that a member is dead or left (Member.State says
// which): EventDelegate.NotifyLeave. The local node is reported on
// LeaveCluster.
type MemberLeft struct {
	Member Member
}

// ProbeMember asks the driver to contact Peer, a member outside the active
// view (membership_probe.go).
//
// With Dead set, Peer is believed dead: if it can be reached, connect to
// it (HyParView's Neighbor request to a lost peer) so that the link's
// NeighborUp starts an exchange that lets both sides refute; if it cannot,
// report nothing. Emitted at most once per DeadProbeInterval.
//
// Without Dead, it is a liveness check: if Peer cannot be reached, feed
// LinkFailed{Peer}; if it can, report nothing (the contact need not become
// a link). Emitted at most once per LivenessProbeInterval.
type ProbeMember struct {
	Peer Peer
	Dead bool
}

// PushPullState asks the driver for the application's state for an
// exchange with Peer: call Delegate.LocalState(Join) and feed the result
// back as LocalStateReady.
type PushPullState struct {
	Peer Peer
	Join bool
}

// MergeRemoteState hands the application state From sent to
// Delegate.MergeRemoteState(State, Join).
type MergeRemoteState struct {
	From  Peer
	Join  bool
	State []byte
}

// LeaveAnnounced reports that the left announcement requested by
// LeaveCluster has been handed to Plumtree (the BroadcastPayload precedes
// it in the same Drain). After it the core ignores every event.
type LeaveAnnounced struct{}

// memberPushPullTimer is the periodic anti-entropy timer.
type memberPushPullTimer struct{}

func (memberPushPullTimer) isTimer() {}

func (UpdateMeta) isEvent()      {}
func (LocalStateReady) isEvent() {}

// Deliver is also an event: Plumtree's deliveries are the membership
// core's input. BroadcastPayload is also an action: the membership core's
// announcements are Plumtree's input.
func (Deliver) isEvent()           {}
func (BroadcastPayload) isAction() {}

func (MemberJoined) isAction()     {}
func (MemberUpdated) isAction()    {}
func (MemberLeft) isAction()       {}
func (ProbeMember) isAction()      {}
func (PushPullState) isAction()    {}
func (MergeRemoteState) isAction() {}
func (LeaveAnnounced) isAction()   {}

// ErrInvalidMembershipSelf reports a local peer NewMembership cannot use.
var ErrInvalidMembershipSelf = errors.New("invalid local member")

// NewMembership returns a membership core for the local node self. It does
// nothing until Start.
func NewMembership(self Peer, cfg MembershipConfig, rng *rand.Rand) (*Membership, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if rng == nil {
		return nil, fmt.Errorf("new membership: nil rand: %w", ErrInvalidMembershipSelf)
	}
	if err := (MemberRecord{Name: self.Name, Addr: self.Addr}).validate(); err != nil {
		return nil, fmt.Errorf("new membership %q: %w: %w", self.Name, ErrInvalidMembershipSelf, err)
	}
	return &Membership{self: self, cfg: cfg, rng: rng, table: newMemberTable()}, nil
}

// Step feeds one event at time now. Unknown or invalid input is ignored.
func (m *Membership) Step(now time.Time, ev Event) {
	m.now = now
	if m.leaving {
		return
	}
	switch ev := ev.(type) {
	case Start:
		m.start()
	case UpdateMeta:
		m.updateMeta(ev.Meta)
	case LeaveCluster:
		m.leave()
	default:
		if m.started {
			m.handle(ev)
		}
	}
	m.finishStep()
}

// handle dispatches the events of a started node.
func (m *Membership) handle(ev Event) {
	switch ev := ev.(type) {
	case Deliver:
		m.onDeliver(ev)
	case Receive:
		m.onReceive(ev)
	case TimerFired:
		m.onTimer(ev.Timer)
	case NeighborUp:
		m.onNeighborUp(ev.Peer)
	case NeighborDown:
		m.removeNeighbor(ev.Peer)
	case LinkFailed:
		m.removeNeighbor(ev.Peer)
		m.accuse(ev.Peer)
	case LocalStateReady:
		if len(ev.State) > 0 && len(ev.State) <= m.cfg.MaxLocalStateSize {
			m.emit(Send{To: ev.Peer, Msg: MemberUserState{Join: ev.Join, State: cloneBytes(ev.State)}})
		}
	}
}

// Drain returns the actions produced since the last Drain. The slice is
// valid until the next Step.
func (m *Membership) Drain() []Action {
	out := m.actions
	m.actions = m.actions[:0]
	return out
}

// Self returns the local peer.
func (m *Membership) Self() Peer { return m.self }

// Members returns the alive and suspect members, the local node included
// until it leaves, sorted by name. The members are copies.
func (m *Membership) Members() []Member { return m.table.liveMembers() }

// NumMembers returns the number of alive and suspect members.
func (m *Membership) NumMembers() int { return len(m.table.live) }

// Member returns a copy of the record held for name in any state,
// tombstones included.
func (m *Membership) Member(name string) (Member, bool) {
	e := m.table.get(name)
	if e == nil {
		return Member{}, false
	}
	return e.m.clone(), true
}

// LocalMember returns a copy of the local node's record (zero before
// Start).
func (m *Membership) LocalMember() Member {
	if m.local == nil {
		return Member{}
	}
	return m.local.m.clone()
}

// Neighbors returns the neighbours the core knows of, sorted by name.
func (m *Membership) Neighbors() []Peer { return slices.Clone(m.neighbors) }

// Stats returns the core's counters.
func (m *Membership) Stats() MembershipStats { return m.stats }

func (m *Membership) emit(a Action) { m.actions = append(m.actions, a) }

// finishStep turns the step's record changes into announcements and starts
// the exchanges the step asked for.
func (m *Membership) finishStep() {
	m.flushAnnouncements()
	if m.leaveAnnounced {
		m.leaveAnnounced = false
		m.emit(LeaveAnnounced{})
	}
	for _, p := range m.nudges {
		m.startExchange(p, false)
	}
	clear(m.nudges)
	m.nudges = m.nudges[:0]
}

// start creates the local record, reports it and announces it, and arms the
// periodic timers at a random phase so that nodes do not synchronise.
func (m *Membership) start() {
	if m.started {
		return
	}
	m.started = true
	me := Member{Name: m.self.Name, Addr: m.self.Addr, Meta: m.meta, State: MemberStateAlive, StateChange: m.now}
	m.meta = nil
	m.local = m.table.insert(me)
	m.emit(MemberJoined{Member: me.clone()})
	m.announce(me.record())
	if d := m.cfg.PushPullInterval; d > 0 {
		m.emit(SetTimer{After: 1 + time.Duration(m.rng.Int64N(int64(d))), Timer: memberPushPullTimer{}})
	}
	if d := m.cfg.DeadProbeInterval; d > 0 {
		m.emit(SetTimer{After: 1 + time.Duration(m.rng.Int64N(int64(d))), Timer: memberDeadProbeTimer{}})
	}
	if d := m.cfg.LivenessProbeInterval; d > 0 {
		m.emit(SetTimer{After: 1 + time.Duration(m.rng.Int64N(int64(d))), Timer: memberLivenessProbeTimer{}})
	}
}

// updateMeta sets the local metadata; after Start it announces a new
// incarnation.
func (m *Membership) updateMeta(meta []byte) {
	if len(meta) > MaxMemberMetaLen {
		return
	}
	if !m.started {
		m.meta = cloneBytes(meta)
		return
	}
	me := m.local.m
	if me.Incarnation == math.MaxUint32 {
		return
	}
	me.Meta = cloneBytes(meta)
	me.Incarnation++
	m.table.update(m.local, me)
	m.emit(MemberUpdated{Member: me.clone()})
	m.announce(me.record())
}

// leave announces the local node left at its current incarnation; left is
// final for that incarnation.
func (m *Membership) leave() {
	m.leaving = true
	m.leaveAnnounced = true
	if !m.started {
		return
	}
	me := m.local.m
	me.State = MemberStateLeft
	me.StateChange = m.now
	m.table.update(m.local, me)
	m.emit(MemberLeft{Member: me.clone()})
	m.announce(me.record())
}

// onDeliver merges a membership announcement delivered by Plumtree.
// Announcements that fail to decode are dropped whole.
func (m *Membership) onDeliver(d Deliver) {
	if d.Class != ClassMembership {
		return
	}
	recs, err := DecodeAnnouncement(d.Payload)
	if err != nil {
		m.stats.BadAnnouncements++
		return
	}
	for _, r := range recs {
		m.merge(r, mergeSource{origin: d.ID.Origin, broadcast: true})
	}
}

// onReceive dispatches the anti-entropy messages.
func (m *Membership) onReceive(r Receive) {
	switch msg := r.Msg.(type) {
	case MemberDigest:
		m.onDigest(r.From, msg)
	case MemberBuckets:
		m.onBuckets(r.From, msg)
	case MemberRecords:
		m.onRecords(r.From, msg)
	case MemberUserState:
		if len(msg.State) > 0 && len(msg.State) <= m.cfg.MaxLocalStateSize {
			m.emit(MergeRemoteState{From: r.From, Join: msg.Join, State: msg.State})
		}
	}
}

func (m *Membership) onTimer(t Timer) {
	switch t := t.(type) {
	case memberPushPullTimer:
		if len(m.neighbors) > 0 {
			m.exchangeWith(m.neighbors[m.rng.IntN(len(m.neighbors))])
		}
		m.emit(SetTimer{After: m.cfg.PushPullInterval, Timer: memberPushPullTimer{}})
	case memberLinkExchangeTimer:
		if p, ok := m.neighbor(t.Name); ok {
			m.exchangeWith(p)
		}
	case memberDeadProbeTimer:
		m.onDeadProbeTimer()
	case memberLivenessProbeTimer:
		m.onLivenessProbeTimer()
	case memberSuspicionTimer:
		m.onSuspicionTimer(t)
	case memberReclaimTimer:
		m.onReclaimTimer(t)
	}
}

// exchangeWith starts an exchange; the node's first one is its join
// exchange.
func (m *Membership) exchangeWith(p Peer) {
	join := !m.joined
	m.joined = true
	m.startExchange(p, join)
}

// onNeighborUp tracks a new neighbour. A live link is evidence of life but
// cannot raise the peer's incarnation (only the peer can), so it only
// leads to an exchange. With the first neighbour after isolation the node
// exchanges at once (its join exchange) and re-announces itself, since its
// earlier announcements may have reached nobody. Otherwise the side with
// the smaller name exchanges after linkExchangeDelay, so that a link is not
// synchronised twice and a node that just joined through another link is
// already in sync (O(1) digest) when its other new neighbours check.
func (m *Membership) onNeighborUp(p Peer) {
	if p.Name == m.self.Name || p.Name == "" {
		return
	}
	wasAlone := len(m.neighbors) == 0
	if !m.addNeighbor(p) {
		return
	}
	if wasAlone {
		m.announce(m.local.m.record())
		m.exchangeWith(p)
		return
	}
	if m.self.Name < p.Name {
		after := linkExchangeDelay + time.Duration(m.rng.Int64N(int64(linkExchangeDelay)))
		m.emit(SetTimer{After: after, Timer: memberLinkExchangeTimer{Name: p.Name}})
	}
}

// linkExchangeDelay is the least delay between a new link and its
// exchange (up to twice that with jitter). Not from a paper: long enough for
// a joining node's join exchange (a few round trips) to finish.
const linkExchangeDelay = time.Second

// memberLinkExchangeTimer fires when the exchange with a new neighbour is
// due.
type memberLinkExchangeTimer struct {
	Name string
}

func (memberLinkExchangeTimer) isTimer() {}

// addNeighbor inserts p in the sorted neighbour list; false if it was
// there or the list is full.
func (m *Membership) addNeighbor(p Peer) bool {
	i, found := slices.BinarySearchFunc(m.neighbors, p.Name, func(q Peer, name string) int { return strings.Compare(q.Name, name) })
	if found {
		m.neighbors[i] = p
		return false
	}
	if len(m.neighbors) >= maxMembershipNeighbors {
		return false
	}
	m.neighbors = slices.Insert(m.neighbors, i, p)
	return true
}

func (m *Membership) removeNeighbor(p Peer) {
	i, found := slices.BinarySearchFunc(m.neighbors, p.Name, func(q Peer, name string) int { return strings.Compare(q.Name, name) })
	if found {
		m.neighbors = slices.Delete(m.neighbors, i, i+1)
	}
}

// neighbor returns the tracked neighbour called name.
func (m *Membership) neighbor(name string) (Peer, bool) {
	i, found := slices.BinarySearchFunc(m.neighbors, name, func(q Peer, name string) int { return strings.Compare(q.Name, name) })
	if !found {
		return Peer{}, false
	}
	return m.neighbors[i], true
}
