// Membership core: the state machine, its events and actions, its Step and the
// read-only API (Members, Member, NumMembers).

package hyparlist

import (
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
// when the suspicion times out (membership_suspicion.go); a node that
// leaves announces left. Records merge by SWIM precedence (membership_merge.go).
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
//   - LocalStateReady to answer a PushPullState (empty without an
//     application), LocalHealth as the driver's health changes;
//   - MemberUnreachable to answer a ProbeMember's confirmation check
//     (membership_confirm.go);
//
// and act on what Drain returns: BroadcastPayload goes to Plumtree, Send and
// SetTimer as for the other cores, MemberChanged to the application,
// PushPullState as above, ProbeMember to HyParView (a contact attempt).
// Ignore the other actions: they are the runtime's own, which alone feeds
// the commands that ask for them (updateMeta, leaveCluster, joinVia, the
// delegate checks' verdicts) and tells the application's delegates:
// mergeRemoteState to the Delegate, leaveAnnounced to Leave,
// aliveCheck/mergeCheck to the application's filters (answered by
// aliveVerdict/mergeVerdict), memberConflict to the ConflictDelegate.
// Feed NeighborUp to Plumtree before Membership, so that an announcement
// made on NeighborUp travels on the new link.
//
// Like the other cores it never reads the clock, starts goroutines, locks
// or does I/O; randomness comes from the injected *rand.Rand; no map order
// reaches an output; every list is bounded (MembershipConfig, limits in
// membership_state.go and membership_antientropy_messages.go).
type Membership struct {
	self     Peer
	selfHash uint64 // nameHash(self.Name)
	cfg      MembershipConfig
	rng      *rand.Rand
	now      time.Time
	// epoch is the time of the first Step; clock is now as nanoseconds
	// since then (the core clock, on which entries keep their times).
	epoch    time.Time
	epochSet bool
	clock    int64

	started bool
	leaving bool
	// joined is set once the first join exchange started.
	joined bool
	// joinChecks counts the MergeChecks of join exchanges not answered
	// yet, and joinChecksUntil is when the last one asked gives up
	// waiting (onDeliver).
	joinChecks      int
	joinChecksUntil int64
	// leaveAnnounced is set when leaveAnnounced is due at the end of the
	// step.
	leaveAnnounced bool
	// selfSent says the local record's latest announcement was made while
	// the node had a neighbour to send it to (membership_announce.go).
	selfSent bool
	// selfSentAt is when (core clock) the local record was last announced
	// with a neighbour.
	selfSentAt int64
	// meta is the metadata set before Start.
	meta []byte

	table memberTable
	// localIdx is the arena index of the local node's entry, in table
	// after Start (see local). Entries are referred to by index wherever a
	// reference is kept, so that Clone, which copies the arena's chunks,
	// does not split an entry in two.
	localIdx uint32
	// deadlines holds the entries with a deadline; the timer for the
	// earliest is pending until deadlineAt if deadlineArmed
	// (membership_deadlines.go).
	deadlines deadlineHeap
	// healthMult is the local health multiplier of the last LocalHealth
	// (membership_suspicion.go); 0 or 1 when healthy.
	healthMult    int
	deadlineArmed bool
	deadlineAt    int64
	// neighbors is the active view, sorted by name, at most
	// maxMembershipNeighbors.
	neighbors []Peer
	// neighborCredit is the new-member allowance of each neighbour, at the
	// same index as in neighbors, and strangerCredit the one shared by
	// every other sender (membership_ratelimit.go).
	neighborCredit []newMemberBucket
	strangerCredit newMemberBucket
	// joinPeer is the neighbour of the node's join exchange, whose join
	// records may still add joinCredit names without the rate limit until
	// joinUntil (core clock; membership_ratelimit.go).
	joinPeer   string
	joinCredit int
	joinUntil  int64
	// joinAttempts counts the join exchanges started, and joinAnswered
	// says the latest one was answered (membership_join.go).
	joinAttempts int
	joinAnswered bool
	// followUps counts the follow-up exchanges since the last periodic
	// one, and followUpArmed says one is due (membership_followup.go).
	followUps     int
	followUpArmed bool

	pending []memberRecord // announcements of this step, one per name
	nudges  []Peer         // exchanges to start at the end of this step
	actions []Action
	// drained is the length of the slice last returned by Drain, cleared
	// when the next Step reuses the array: a drained Send of a thousand
	// anti-entropy records must not stay reachable until overwritten.
	drained int

	stats membershipStats
}

// membershipStats counts what a membership core did, for metrics.
type membershipStats struct {
	// Announcements is the number of BroadcastPayload actions emitted.
	Announcements uint64
	// AnnouncedRecords counts the records queued for announcement, per
	// reason (membership_announce_kinds.go).
	AnnouncedRecords [numAnnounceKinds]uint64
	// Refutations counts the times the local node refuted a record about
	// itself.
	Refutations uint64
	// BadAnnouncements counts ClassMembership deliveries that failed to
	// decode and were dropped.
	BadAnnouncements uint64
	// Exchanges counts the anti-entropy exchanges the node started.
	Exchanges uint64
	// NewMembersDropped counts records of names not in the table that
	// were dropped because their sender was over its allowance
	// (MembershipConfig.MaxNewMembersPerSecond).
	NewMembersDropped uint64
	// UnconfirmedRemoved counts members learned second-hand that were
	// marked dead because their confirmation check failed
	// (MembershipConfig.ConfirmTimeout, membership_confirm.go).
	UnconfirmedRemoved uint64
	// ChecksRetried counts confirmation checks that failed without strong
	// evidence while the node was behind, and were put off instead of
	// marking the member dead (membership_confirm_retry.go).
	ChecksRetried uint64
	// ChecksPutOff counts confirmation checks that fell due while the node
	// was behind and were put off without a dial
	// (membership_confirm_retry.go).
	ChecksPutOff uint64
	// Accusations counts live members the local node suspected because
	// its link to them failed (LinkFailed while alive).
	Accusations uint64
	// SuspicionsExpired counts suspected members the local node declared
	// dead because their suspicion timed out unrefuted.
	SuspicionsExpired uint64
	// DeadFromAnnouncements counts live members the local node marked
	// dead or left because an announcement said so. With
	// SuspicionsExpired and UnconfirmedRemoved it makes up every live
	// member the node lost (the causes of NotifyLeave): an anti-entropy
	// exchange cannot remove a live member, since its dead records make
	// the member suspect (ExchangedDeathsSuspected) and its "left"
	// records are the member's own word only in the member's own
	// announcement (ForeignLeavesRefused).
	DeadFromAnnouncements uint64
	// ExchangedDeathsSuspected counts dead records of live members that
	// an exchange brought and that made the member suspect instead
	// (membership_exchange_dead.go).
	ExchangedDeathsSuspected uint64
	// AccusationsWithheld counts weak link failures of live members that
	// the node did not accuse because it was behind
	// (membership_accuse_behind.go).
	AccusationsWithheld uint64
	// ForeignLeavesRefused counts "left" records about a live member that
	// did not come in the member's own announcement, and were dropped
	// (membership_sign.go).
	ForeignLeavesRefused uint64
	// IncarnationsRefused counts records above incarnationCeiling that
	// did not come in their member's own announcement, and were dropped
	// (membership_incarnation.go).
	IncarnationsRefused uint64
}

// updateMeta is the command "the local metadata is now Meta". Before Start
// it only sets the initial metadata; afterwards the node announces itself
// at a new incarnation. Metadata over maxMemberMetaLen is ignored (the
// runtime rejects it first).
type updateMeta struct {
	Meta []byte
}

// LocalStateReady answers PushPullState: State is the application's
// Delegate.LocalState(Join) for the exchange with Peer. A State over
// MaxLocalStateSize is not sent, nor an empty one except in a join
// exchange, where it tells the peer that the exchange's state has come
// (feed it even without a Delegate). The core does not copy State:
// the memberUserStateMsg it sends refers to the same bytes, so that a driver
// can answer many exchanges with one buffer. The driver must not modify
// State afterwards.
type LocalStateReady struct {
	Peer  Peer
	Join  bool
	State []byte
}

// MemberChanged reports a change of the member table that memberlist's
// EventDelegate is told of. Event says which:
//   - NodeJoin: Member became a member (alive or suspect) from unknown,
//     dead or left (NotifyJoin). The local node is reported at Start.
//   - NodeUpdate: a member changed its address or metadata (NotifyUpdate).
//     Alive↔suspect changes are not reported, as in memberlist.
//   - NodeLeave: a member is dead or left, Member.State says which
//     (NotifyLeave). The local node is reported when it leaves.
type MemberChanged struct {
	Event  NodeEventType
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
//
// With Confirm set, it is the check of a new member nobody vouched for
// (membership_confirm.go): if Peer cannot be reached, feed
// MemberUnreachable{Peer} (not LinkFailed); if it can, report nothing.
// Emitted at most once per member learned second-hand.
type ProbeMember struct {
	Peer    Peer
	Dead    bool
	Confirm bool
}

// PushPullState asks the driver for the application's state for an
// exchange with Peer: call Delegate.LocalState(Join) and feed the result
// back as LocalStateReady.
type PushPullState struct {
	Peer Peer
	Join bool
}

// mergeRemoteState hands the application state From sent to
// Delegate.MergeRemoteState(State, Join). In a join exchange State may be
// empty: the peer had none (memberlist calls MergeRemoteState only with a
// state), and the exchange's state part is done.
type mergeRemoteState struct {
	From  Peer
	Join  bool
	State []byte
}

// leaveAnnounced reports that the left announcement requested by
// leaveCluster has been handed to Plumtree (the BroadcastPayload precedes
// it in the same Drain). After it the core ignores every event.
type leaveAnnounced struct{}

func (updateMeta) isEvent()      {}
func (LocalStateReady) isEvent() {}
func (joinVia) isEvent()         {}

func (MemberChanged) isAction()    {}
func (ProbeMember) isAction()      {}
func (PushPullState) isAction()    {}
func (mergeRemoteState) isAction() {}
func (leaveAnnounced) isAction()   {}

// errInvalidMembershipSelf reports a local peer NewMembership cannot use;
// it wraps ErrInvalidArgument.
var errInvalidMembershipSelf = fmt.Errorf("%w (membership core): invalid local member", ErrInvalidArgument)

// NewMembership returns a membership core for the local node self. It does
// nothing until Start.
func NewMembership(self Peer, cfg MembershipConfig, rng *rand.Rand) (*Membership, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if rng == nil {
		return nil, fmt.Errorf("new membership: nil rand: %w", errInvalidMembershipSelf)
	}
	if err := (memberRecord{Name: self.Name, Addr: self.Addr}).validate(); err != nil {
		return nil, fmt.Errorf("new membership %q: %w: %w", self.Name, errInvalidMembershipSelf, err)
	}
	return &Membership{self: self, selfHash: nameHash(self.Name), cfg: cfg, rng: rng, table: newMemberTable()}, nil
}

// Step feeds one event at time now. Unknown or invalid input is ignored.
func (m *Membership) Step(now time.Time, ev Event) {
	if !m.epochSet {
		m.epoch, m.epochSet = now, true
	}
	m.now, m.clock = now, int64(now.Sub(m.epoch))
	if m.drained > 0 {
		clear(m.actions[:m.drained])
		m.drained = 0
	}
	if m.leaving {
		return
	}
	switch ev := ev.(type) {
	case Start:
		m.start()
	case updateMeta:
		m.updateMeta(ev.Meta)
	case leaveCluster:
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
		m.onLinkFailed(ev)
	case aliveVerdict:
		m.onAliveVerdict(ev)
	case mergeVerdict:
		m.onMergeVerdict(ev)
	case LocalHealth:
		m.healthMult = ev.Multiplier
	case LocalStateReady:
		if (len(ev.State) > 0 || ev.Join) && len(ev.State) <= m.cfg.MaxLocalStateSize {
			m.emit(Send{To: ev.Peer, Msg: memberUserStateMsg{Join: ev.Join, State: ev.State}})
		}
	case joinVia:
		m.onJoinVia(ev.Contact)
	case MemberUnreachable:
		m.onMemberUnreachable(ev)
	}
}

// local returns the local node's entry, nil before Start.
func (m *Membership) local() *memberEntry {
	if !m.started {
		return nil
	}
	return m.table.arena.at(m.localIdx)
}

// Drain returns the actions produced since the last Drain. The slice is
// valid until the next Step.
func (m *Membership) Drain() []Action {
	out := m.actions
	m.actions = m.actions[:0]
	m.drained = max(m.drained, len(out))
	return out
}

// selfPeer returns the local peer.
func (m *Membership) selfPeer() Peer { return m.self }

// Members returns the alive and suspect members, the local node included
// until it leaves, sorted by name. The members are copies.
func (m *Membership) Members() []Member {
	out := make([]Member, 0, m.table.nLive)
	for i := range m.table.buckets {
		for _, k := range m.table.buckets[i].keys {
			if e := m.table.arena.at(k.idx); e.state.live() {
				out = append(out, m.member(e))
			}
		}
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// eachLive calls fn with every alive or suspect entry, in table order
// (not sorted): the runtime's snapshot (runLoop.publish) reads the table
// so instead of sorting a copy of every record on each change.
func (m *Membership) eachLive(fn func(e *memberEntry)) {
	for i := range m.table.buckets {
		for _, k := range m.table.buckets[i].keys {
			if e := m.table.arena.at(k.idx); e.state.live() {
				fn(e)
			}
		}
	}
}

// member returns a copy of e's record.
func (m *Membership) member(e *memberEntry) Member {
	return Member{Name: e.id.name, Addr: e.id.addr, Meta: cloneBytes(e.id.meta), Incarnation: e.inc, State: e.state,
		StateChange: m.epoch.Add(time.Duration(e.changed)), Versions: e.id.vsn}
}

// recordsVersion changes whenever a member record changes (a new member,
// a new incarnation, state or metadata, a forgotten tombstone): Members
// may differ only if it changed.
func (m *Membership) recordsVersion() uint64 { return m.table.version }

// NumMembers returns the number of alive and suspect members.
func (m *Membership) NumMembers() int { return m.table.nLive }

// Member returns a copy of the record held for name in any state,
// tombstones included.
func (m *Membership) Member(name string) (Member, bool) {
	e := m.table.get(name)
	if e == nil {
		return Member{}, false
	}
	return m.member(e), true
}

// localMember returns a copy of the local node's record (zero before
// Start).
func (m *Membership) localMember() Member {
	if m.local() == nil {
		return Member{}
	}
	return m.member(m.local())
}

// neighborList returns the neighbours the core knows of, sorted by name.
func (m *Membership) neighborList() []Peer { return slices.Clone(m.neighbors) }

// counters returns the core's counters.
func (m *Membership) counters() membershipStats { return m.stats }

func (m *Membership) emit(a Action) { m.actions = append(m.actions, a) }

// finishStep turns the step's record changes into announcements and starts
// the exchanges the step asked for.
func (m *Membership) finishStep() {
	m.flushAnnouncements()
	if m.started && !m.leaving {
		m.armDeadlineTimer()
	}
	if m.leaveAnnounced {
		m.leaveAnnounced = false
		m.emit(leaveAnnounced{})
	}
	for _, p := range m.nudges {
		m.startExchange(p, false)
	}
	clear(m.nudges)
	m.nudges = m.nudges[:0]
}

// start creates the local record and reports it, and arms the periodic
// timers at a random phase so that nodes do not synchronise. It does not
// announce the record: a node starts without neighbours (events before
// Start are ignored), so the announcement would reach nobody now, and
// Plumtree would replay it to the first neighbour (NeighborUpAnnounce),
// which then broadcasts it to the whole cluster beside the announcement
// that first neighbour triggers (onNeighborUp) — every join would cost
// two broadcasts instead of one.
func (m *Membership) start() {
	if m.started {
		return
	}
	m.started = true
	m.strangerCredit = m.newBucket()
	me := m.table.insert(m.identFor(memberRecord{Name: m.self.Name, Addr: m.self.Addr, Meta: m.meta, Versions: m.cfg.Versions}, nil),
		0, memberStateAlive, m.clock)
	m.localIdx = me.idx
	m.meta = nil
	m.emit(MemberChanged{Event: NodeJoin, Member: m.member(me)})
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
	if len(meta) > maxMemberMetaLen {
		return
	}
	if !m.started {
		m.meta = cloneBytes(meta)
		return
	}
	me := m.local()
	if me.inc == math.MaxUint32 {
		return
	}
	id := m.identFor(memberRecord{Name: me.id.name, Addr: me.id.addr, Meta: meta, Versions: me.id.vsn}, me.id)
	m.table.set(me, id, me.inc+1, me.state, m.clock)
	m.emit(MemberChanged{Event: NodeUpdate, Member: m.member(me)})
	m.announce(announceMeta, me.record())
}

// leave announces the local node left at its current incarnation; left is
// final for that incarnation.
func (m *Membership) leave() {
	m.leaving = true
	m.leaveAnnounced = true
	if !m.started {
		return
	}
	me := m.local()
	m.table.set(me, me.id, me.inc, memberStateLeft, m.clock)
	m.emit(MemberChanged{Event: NodeLeave, Member: m.member(me)})
	m.announce(announceLeave, me.record())
}

// onDeliver merges a membership announcement delivered by Plumtree.
// Announcements that fail to decode are dropped whole.
//
// With MembershipConfig.checkMerge, broadcast records are not merged
// before the node's join exchange has started, nor while a mergeCheck of a
// join exchange waits for its verdict (at most joinCheckWait): the
// application's MergeDelegate vetoes a cluster before any of its records
// is listed, as memberlist's does. Records dropped here come back by
// anti-entropy once the join is accepted.
func (m *Membership) onDeliver(d Deliver) {
	if d.Class != ClassMembership {
		return
	}
	if m.cfg.checkMerge && (!m.joined || m.joinChecks > 0 && m.clock < m.joinChecksUntil) {
		return
	}
	recs, err := decodeAnnouncement(d.Payload)
	if err != nil {
		m.stats.BadAnnouncements++
		return
	}
	for _, r := range recs {
		m.merge(r, mergeSource{origin: d.ID.Origin, broadcast: true, peer: d.From.Name})
	}
}

// onReceive dispatches the anti-entropy messages.
func (m *Membership) onReceive(r Receive) {
	m.confirm(r.From.Name)
	switch msg := memberMessageValue(r.Msg).(type) {
	case memberDigestMsg:
		m.onDigest(r.From, msg)
	case memberBucketsMsg:
		m.onBuckets(r.From, msg)
	case memberRecordsMsg:
		m.onRecords(r.From, msg)
	case memberUserStateMsg:
		m.onUserState(r.From, msg)
	}
}

// memberMessageValue accepts the membership messages by value or by
// pointer, whichever a decoder produces: it returns the value (nil for a
// nil pointer).
func memberMessageValue(msg Message) Message {
	switch p := msg.(type) {
	case *memberDigestMsg:
		return derefMessage(p)
	case *memberBucketsMsg:
		return derefMessage(p)
	case *memberRecordsMsg:
		return derefMessage(p)
	case *memberUserStateMsg:
		return derefMessage(p)
	}
	return msg
}

func derefMessage[T Message](p *T) Message {
	if p == nil {
		return nil
	}
	return *p
}

// onUserState hands the peer's application state to the driver; in a
// join exchange an empty one too, which tells the driver that the
// exchange's state has arrived.
func (m *Membership) onUserState(from Peer, msg memberUserStateMsg) {
	if (len(msg.State) > 0 || msg.Join) && len(msg.State) <= m.cfg.MaxLocalStateSize {
		m.emit(mergeRemoteState{From: from, Join: msg.Join, State: msg.State})
	}
}

func (m *Membership) onTimer(t Timer) {
	switch t := t.(type) {
	case memberPushPullTimer:
		m.onPushPullTimer()
	case memberLinkExchangeTimer:
		m.onLinkExchangeTimer(t)
	case memberJoinRetryTimer:
		m.onJoinRetryTimer(t)
	case memberFollowUpTimer:
		m.onFollowUpTimer()
	case memberDeadProbeTimer:
		m.onDeadProbeTimer()
	case memberLivenessProbeTimer:
		m.onLivenessProbeTimer()
	case memberDeadlineTimer:
		m.onDeadlineTimer()
	}
}
