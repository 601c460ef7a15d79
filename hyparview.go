// HyParView core: the state machine, its Step, the join walk (JOIN,
// FORWARDJOIN), the active view and DISCONNECT.

package hyparlist

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// HyParView is the pure state machine of the HyParView membership protocol
// (Leitão, Pereira, Rodrigues, "HyParView: a membership protocol for
// reliable gossip-based broadcast", DSN 2007).
//
// Each node keeps a small active view of neighbours it holds links to
// (the overlay that broadcasts travel on; links are symmetric) and a
// larger passive view of backup peers used to repair the active view when
// a neighbour fails. Joins spread the new node by random walks
// (FORWARD_JOIN); a periodic SHUFFLE random walk mixes the passive views.
//
// A HyParView is not safe for concurrent use: one goroutine (or the
// simulator) drives it with Step and collects its actions with Drain. It
// never reads the clock and draws randomness only from the *rand.Rand it
// was created with, so a run is reproducible from its seed and events.
//
// The actions it emits obey these rules, which drivers rely on:
//   - NeighborUp{P} is emitted whenever P enters the active view and
//     NeighborDown{P} whenever it leaves, after the Send of a Disconnect
//     to P if one is sent. Sends to P that follow a NeighborUp travel on
//     the link to P.
//   - The active and passive views are disjoint, never hold the local
//     node, and stay within their configured sizes.
type HyParView struct {
	self Peer
	cfg  HyParViewConfig
	rng  *rand.Rand

	active  []Peer
	passive passiveView
	// pending are the outstanding low-priority NEIGHBOR requests, at most
	// ActiveViewSize × RepairFanout of them.
	pending []neighborRequest
	// unconfirmed names the active peers added by a high-priority NEIGHBOR
	// request that have not sent anything since (at most ActiveViewSize).
	// After a crash wave most of them are dead; a surplus acceptance
	// replaces one of them (see onNeighborReply).
	unconfirmed []string
	// acceptedUnheard names the active peers added by accepting their
	// low-priority NEIGHBOR request that have not sent anything since (at
	// most ActiveViewSize); a DISCONNECT from one is a decline
	// (hyparview_decline.go).
	acceptedUnheard []string
	// lost are recently lost peers, at most MaxLostPeers of them.
	lost []lostPeer
	// lastShuffle is the mark of the passive entries sent in the latest
	// shuffle sample (see passiveEntry.mark).
	lastShuffle uint64

	// lastContact is the contact of the latest JoinCluster, a re-bootstrap
	// target besides cfg.Seeds; nextSeed rotates through them.
	lastContact Peer
	nextSeed    int
	// rejoinTarget is the seed the current rejoin round sent JOIN to;
	// rejoinLeft counts the seeds the round may still try.
	rejoinTarget string
	rejoinLeft   int

	// Time is kept as offsets from epoch, the now of the first Step.
	epoch      time.Time
	clockSet   bool
	now        time.Duration
	emptySince time.Duration

	// forcedAt is when a rejected lost-peer retry last forced a link
	// (forcedAny: ever).
	forcedAt  time.Duration
	forcedAny bool

	// probedAt is when a rejected NEIGHBOR request last made this node
	// probe its active view (probedAny: ever); see onNeighbor.
	probedAt  time.Duration
	probedAny bool

	// repairBackoff slows the periodic top-up while it is turned away
	// (hyparview_repairbackoff.go).
	repairBackoff repairBackoff

	nextRequest uint64
	started     bool
	left        bool

	out     []Action
	scratch []int
}

// neighborRequest is an outstanding low-priority NEIGHBOR request.
type neighborRequest struct {
	peer Peer
	id   uint64
	// chain: on reject or timeout, go on with the next passive peer
	// (HyParView §4.3). Periodic top-ups and lost-peer retries do not.
	chain bool
	// probe: the request retries a lost peer.
	probe bool
}

// lostPeer is a peer whose link failed, kept for a while to be retried.
type lostPeer struct {
	peer Peer
	at   time.Duration
}

// errInvalidHyParViewArgument is wrapped by the errors NewHyParView
// returns for a local peer without a name or a nil random source; it wraps
// ErrInvalidArgument.
var errInvalidHyParViewArgument = fmt.Errorf("%w (HyParView core)", ErrInvalidArgument)

// NewHyParView returns a HyParView core for the local peer self. The core
// does nothing until it is given Start (periodic timers) and JoinCluster
// (or a JOIN from another node). rng is its only source of randomness.
func NewHyParView(self Peer, cfg HyParViewConfig, rng *rand.Rand) (*HyParView, error) {
	if self.Name == "" {
		return nil, fmt.Errorf("new HyParView: %w: local peer has an empty Name", errInvalidHyParViewArgument)
	}
	if rng == nil {
		return nil, fmt.Errorf("new HyParView: %w: nil *rand.Rand", errInvalidHyParViewArgument)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new HyParView: %w", err)
	}
	cfg.Seeds = append([]Peer(nil), cfg.Seeds...)
	return &HyParView{
		self:    self,
		cfg:     cfg,
		rng:     rng,
		active:  make([]Peer, 0, cfg.ActiveViewSize),
		passive: newPassiveView(cfg.PassiveViewSize, !cfg.PaperPassiveView),
	}, nil
}

// selfPeer returns the local peer.
func (h *HyParView) selfPeer() Peer { return h.self }

// ActiveView returns a copy of the active view, in view order (which is
// deterministic for a given seed and event sequence).
func (h *HyParView) ActiveView() []Peer { return append([]Peer(nil), h.active...) }

// PassiveView returns a copy of the passive view, in view order.
func (h *HyParView) PassiveView() []Peer { return h.passive.peers() }

// appendViewAddrs appends the addresses of the active view's peers, then
// of the passive view's, in view order, to dst and returns it; it
// allocates nothing when dst has room.
func (h *HyParView) appendViewAddrs(dst []string) []string {
	for _, p := range h.active {
		dst = append(dst, p.Addr)
	}
	for i := range h.passive.entries {
		dst = append(dst, h.passive.entries[i].peer.Addr)
	}
	return dst
}

// numActive returns the size of the active view.
func (h *HyParView) numActive() int { return len(h.active) }

// numPassive returns the size of the passive view.
func (h *HyParView) numPassive() int { return len(h.passive.entries) }

// isActive reports whether the peer called name is in the active view.
func (h *HyParView) isActive(name string) bool { return peerIndex(h.active, name) >= 0 }

// isPassive reports whether the peer called name is in the passive view.
func (h *HyParView) isPassive(name string) bool { return h.passive.index(name) >= 0 }

// Drain returns the actions produced since the previous Drain. The slice
// is reused: it is valid until the next Step.
func (h *HyParView) Drain() []Action {
	out := h.out
	h.out = h.out[:0]
	return out
}

// Step feeds one event to the core at time now. Events that make no sense
// (a message from the local node, a nil message, an unknown timer, any
// event after the core left the overlay) are ignored.
func (h *HyParView) Step(now time.Time, ev Event) {
	if h.left {
		return
	}
	h.setClock(now)
	switch e := ev.(type) {
	case Start:
		if !h.started {
			h.started = true
			if len(h.active) == 0 {
				h.emptySince = h.now
			}
			h.startTimers()
		}
	case Receive:
		h.receive(e.From, e.Msg)
	case TimerFired:
		h.onTimer(e.Timer)
	case LinkFailed:
		h.linkFailed(e.Peer)
	case JoinCluster:
		h.joinCluster(e.Contact)
	case leaveCluster:
		h.leave()
	}
}

// setClock records now as an offset from the first Step's time.
func (h *HyParView) setClock(now time.Time) {
	if !h.clockSet {
		h.epoch, h.clockSet = now, true
	}
	h.now = now.Sub(h.epoch)
}

func (h *HyParView) send(to Peer, m Message) { h.out = append(h.out, Send{To: to, Msg: m}) }

func (h *HyParView) setTimer(d time.Duration, t Timer) {
	h.out = append(h.out, SetTimer{After: d, Timer: t})
}

// receive dispatches a message. Messages may arrive as values or as
// pointers to the message structs; unknown ones are ignored.
func (h *HyParView) receive(from Peer, msg Message) {
	if from.Name == "" || from.Name == h.self.Name {
		return
	}
	declined := false
	if peerIndex(h.active, from.Name) < 0 {
		h.touch(from)
	} else {
		h.confirm(from.Name)
		declined = h.heardAccepted(from.Name)
	}
	switch m := messageValue(msg).(type) {
	case joinMsg:
		h.onJoin(from)
	case forwardJoinMsg:
		h.onForwardJoin(from, m)
	case neighborMsg:
		h.onNeighbor(from, m)
	case neighborReplyMsg:
		h.onNeighborReply(from, m)
	case disconnectMsg:
		if declined && m.Alive && h.cfg.KeepaliveInterval > 0 && h.repairHeldBack() {
			h.onDeclined(from)
			break
		}
		h.onDisconnect(from, m)
	case shuffleMsg:
		h.onShuffle(from, m)
	case shuffleReplyMsg:
		h.onShuffleReply(from, m)
	case keepaliveMsg:
		h.onKeepalive(from)
	}
}

// messageValue turns a pointer to a HyParView message struct into the
// struct itself (a nil pointer into nil), so that drivers may pass either
// form; other messages are returned unchanged.
func messageValue(msg Message) Message {
	switch p := msg.(type) {
	case *joinMsg:
		return deref(p)
	case *forwardJoinMsg:
		return deref(p)
	case *neighborMsg:
		return deref(p)
	case *neighborReplyMsg:
		return deref(p)
	case *disconnectMsg:
		return deref(p)
	case *shuffleMsg:
		return deref(p)
	case *shuffleReplyMsg:
		return deref(p)
	case *keepaliveMsg:
		return deref(p)
	}
	return msg
}

func deref[T Message](p *T) Message {
	if p == nil {
		return nil
	}
	return *p
}

// touch records direct evidence that p is alive: a passive entry for p is
// refreshed (and its address updated).
func (h *HyParView) touch(p Peer) {
	if i := h.passive.index(p.Name); i >= 0 {
		h.passive.entries[i].peer = p
		h.passive.entries[i].seen = h.now
	}
}

// addActive puts p, which is not active, into the active view, evicting a
// random neighbour if the view is full. It is the paper's
// addNodeActiveView (HyParView §4.3, Algorithm 1).
func (h *HyParView) addActive(p Peer) {
	if p.Name == "" || p.Name == h.self.Name || peerIndex(h.active, p.Name) >= 0 {
		return
	}
	h.passive.remove(p.Name)
	h.dropPending(p.Name)
	h.dropLost(p.Name)
	if len(h.active) >= h.cfg.ActiveViewSize {
		h.evictRandom(p.Name)
	}
	h.active = append(h.active, p)
	h.out = append(h.out, NeighborUp{Peer: p})
}

// evictRandom removes a random neighbour other than except to make room:
// it is told DISCONNECT and moves to the passive view (HyParView §4.3,
// dropRandomElementFromActiveView).
func (h *HyParView) evictRandom(except string) {
	n := len(h.active)
	if peerIndex(h.active, except) >= 0 {
		n--
	}
	if n <= 0 {
		return
	}
	k := h.rng.IntN(n)
	for i, p := range h.active {
		if p.Name == except {
			continue
		}
		if k == 0 {
			h.send(p, disconnectMsg{Alive: true})
			h.removeActive(i)
			h.learn(p, h.now, 0)
			return
		}
		k--
	}
}

// confirm records that the active peer called name has been heard from.
func (h *HyParView) confirm(name string) {
	if i := slices.Index(h.unconfirmed, name); i >= 0 {
		h.unconfirmed = slices.Delete(h.unconfirmed, i, i+1)
	}
}

// removeActive deletes active entry i and emits NeighborDown.
func (h *HyParView) removeActive(i int) {
	p := h.active[i]
	h.confirm(p.Name)
	h.heardAccepted(p.Name)
	last := len(h.active) - 1
	h.active[i] = h.active[last]
	h.active[last] = Peer{}
	h.active = h.active[:last]
	if last == 0 {
		h.emptySince = h.now
	}
	h.resetRepairBackoff()
	h.out = append(h.out, NeighborDown{Peer: p})
}

// learn adds p to the passive view as last known alive at seen (the
// paper's addNodePassiveView), preferring to evict entries marked prefer.
// The local node and active peers are never added; an entry already
// present keeps its age unless seen is now (direct evidence).
func (h *HyParView) learn(p Peer, seen time.Duration, prefer uint64) {
	if p.Name == "" || p.Name == h.self.Name || peerIndex(h.active, p.Name) >= 0 {
		return
	}
	if i := h.passive.index(p.Name); i >= 0 {
		if seen == h.now {
			h.passive.entries[i].peer = p
			h.passive.entries[i].seen = seen
		}
		return
	}
	h.passive.insert(p, seen, prefer, h.rng)
}

// randomActive returns a random active peer whose name is neither a nor
// b, or false if there is none.
func (h *HyParView) randomActive(a, b string) (Peer, bool) {
	n := 0
	for _, p := range h.active {
		if p.Name != a && p.Name != b {
			n++
		}
	}
	if n == 0 {
		return Peer{}, false
	}
	k := h.rng.IntN(n)
	for _, p := range h.active {
		if p.Name == a || p.Name == b {
			continue
		}
		if k == 0 {
			return p, true
		}
		k--
	}
	return Peer{}, false
}

// joinCluster sends JOIN to the contact (HyParView §4.2). The contact is
// deliberately not stored in the passive view: were every joiner to keep
// it, a shared contact would sit in most passive views.
func (h *HyParView) joinCluster(contact Peer) {
	if contact.Name == "" || contact.Name == h.self.Name {
		return
	}
	h.lastContact = contact
	h.send(contact, joinMsg{})
}

// onJoin handles JOIN at the contact (HyParView §4.2, Algorithm 1): "the
// contact node c will add the new node to its active view ... and send to
// all other nodes in its active view a FORWARD_JOIN request".
//
// Not in the paper: a contact whose active view is full does not evict a
// neighbour to make room; it only starts the FORWARD_JOIN walks. With the
// paper's rule every join through a busy contact evicts one of its
// neighbours, and each evicted node stores the contact in its passive view
// (DISCONNECT moves the sender there), so after N joins through the same
// seed the seed is in up to N passive views and every repair leans on it.
// The walks alone give the joiner its neighbours (each walk end sends it a
// high-priority NEIGHBOR), so nothing is lost but the hotspot.
//
// With PaperJoinEvicts the contact follows the paper and evicts.
func (h *HyParView) onJoin(joiner Peer) {
	room := len(h.active) < h.cfg.ActiveViewSize || h.cfg.PaperJoinEvicts
	switch {
	case peerIndex(h.active, joiner.Name) >= 0:
		// Not in the paper: a JOIN from a neighbour comes from a node that
		// does not count this one as its neighbour any more (it restarted
		// under the same name, or lost the link): answer as to a new
		// joiner, so that it links back at once.
		h.send(joiner, neighborMsg{HighPriority: true})
	case room:
		h.addActive(joiner)
		h.send(joiner, neighborMsg{HighPriority: true})
	}
	for _, p := range h.active {
		if p.Name != joiner.Name {
			h.send(p, forwardJoinMsg{Joiner: joiner, TTL: h.cfg.ActiveRandomWalkLength})
		}
	}
}

// onForwardJoin handles one step of a join walk (HyParView §4.2,
// Algorithm 1): accept the joiner into the active view when the walk's
// time to live is 0 or the active view holds a single node; otherwise add
// it to the passive view when the time to live equals PRWL, and forward
// the walk to a random neighbour other than the sender.
func (h *HyParView) onForwardJoin(from Peer, m forwardJoinMsg) {
	joiner := m.Joiner
	if joiner.Name == "" || joiner.Name == from.Name {
		return
	}
	ttl := min(m.TTL, h.cfg.ActiveRandomWalkLength)
	if joiner.Name == h.self.Name || peerIndex(h.active, joiner.Name) >= 0 {
		// Not in the paper: the joiner cannot be added here, so the
		// walk goes on (if it can) to find a node that can.
		if ttl > 0 {
			h.forwardJoin(from, joiner, ttl-1)
		}
		return
	}
	if ttl == 0 || len(h.active) <= 1 {
		h.acceptJoiner(joiner)
		return
	}
	if ttl == h.cfg.PassiveRandomWalkLength {
		h.learn(joiner, h.now, 0)
	}
	if !h.forwardJoin(from, joiner, ttl-1) {
		// Every neighbour is the sender or the joiner: end the walk here.
		h.acceptJoiner(joiner)
	}
}

// forwardJoin sends the walk on to a random neighbour other than from and
// the joiner; it reports false if there is none.
func (h *HyParView) forwardJoin(from, joiner Peer, ttl uint8) bool {
	next, ok := h.randomActive(from.Name, joiner.Name)
	if ok {
		h.send(next, forwardJoinMsg{Joiner: joiner, TTL: ttl})
	}
	return ok
}

// acceptJoiner ends a join walk: the joiner enters the active view and is
// sent a high-priority NEIGHBOR so that it adds this node too.
func (h *HyParView) acceptJoiner(joiner Peer) {
	h.addActive(joiner)
	h.send(joiner, neighborMsg{HighPriority: true})
}

// onNeighbor handles a NEIGHBOR request (HyParView §4.3): a high-priority
// request is always accepted, evicting a random neighbour if the view is
// full; a low-priority one only if there is a free slot. An accepted
// request, or one from a peer that is already a neighbour, is answered
// neighborReplyMsg{Accepted: true}.
func (h *HyParView) onNeighbor(from Peer, m neighborMsg) {
	switch {
	case peerIndex(h.active, from.Name) >= 0:
		h.dropPending(from.Name)
	case m.HighPriority || len(h.active) < h.cfg.ActiveViewSize:
		h.addActive(from)
		if !m.HighPriority {
			h.noteAccepted(from.Name)
		}
	default:
		h.send(from, neighborReplyMsg{Accepted: false})
		// Not in the paper (unless PaperNoWanted): the requester is alive
		// and short of neighbours; keep it as the first candidate for
		// when the probe frees a slot.
		if !h.cfg.PaperNoWanted {
			h.learn(from, h.now, 0)
			if i := h.passive.index(from.Name); i >= 0 {
				h.passive.entries[i].wanted = true
			}
		}
		h.probeActive()
		return
	}
	h.send(from, neighborReplyMsg{Accepted: true})
}

// probeActive sends a Keepalive to every neighbour, at most once per
// KeepaliveInterval (never if keepalives are off or with PaperNoProbe).
// Not in the paper: a
// low-priority NEIGHBOR request is rejected because the active view is
// full, but after a crash wave a full view is often full of dead peers that
// this node has not yet sent anything to, so it turns away the live nodes
// that are looking for neighbours. The probe makes the transport report
// the dead links now rather than at the next keepalive round; the freed
// slots are then repaired at once (linkFailed). A neighbour's failure
// triggers the same probe: in a crash wave it is rarely the only one. In a stable overlay
// rejections are rare, and the probe costs one Keepalive per neighbour.
func (h *HyParView) probeActive() {
	if h.cfg.KeepaliveInterval <= 0 || h.cfg.PaperNoProbe || (h.probedAny && h.now-h.probedAt < h.cfg.KeepaliveInterval) {
		return
	}
	h.probedAny, h.probedAt = true, h.now
	for _, p := range h.active {
		h.send(p, keepaliveMsg{})
	}
}

// onDisconnect handles DISCONNECT (HyParView §4.3): the sender leaves the
// active view; a live sender is kept in the passive view, a leaving one is
// forgotten. The freed slot is then repaired.
func (h *HyParView) onDisconnect(from Peer, m disconnectMsg) {
	req, wasPending := h.dropPending(from.Name)
	if !m.Alive {
		h.passive.remove(from.Name)
		h.dropLost(from.Name)
	}
	i := peerIndex(h.active, from.Name)
	if i < 0 {
		if wasPending && req.chain {
			h.repair(repairReactive)
		}
		return
	}
	h.removeActive(i)
	if m.Alive {
		h.learn(from, h.now, 0)
		// It just dropped us: do not ask it straight back.
		h.backoff(from.Name, true)
	}
	h.repair(repairReactive)
}

// onKeepalive handles a Keepalive. Not in the paper: asymmetric-link
// repair. A Keepalive from a peer outside the active view means the sender
// believes in a link that this node does not have (a lost reply, crossed
// messages); it is told DISCONNECT{Alive: true} so it drops the link and
// repairs. PaperAsymmetricLinks turns this off.
func (h *HyParView) onKeepalive(from Peer) {
	if peerIndex(h.active, from.Name) < 0 && !h.cfg.PaperAsymmetricLinks {
		h.send(from, disconnectMsg{Alive: true})
	}
}

// linkFailed handles the loss of the link to p (HyParView §4.3: failure
// detected by the transport). p leaves both views, is remembered as lost,
// and the active view is repaired from the passive view.
func (h *HyParView) linkFailed(p Peer) {
	if p.Name == "" || p.Name == h.self.Name {
		return
	}
	if p.Name == h.rejoinTarget && len(h.active) == 0 {
		h.joinNextSeed()
	}
	_, known := h.dropPending(p.Name)
	if h.passive.remove(p.Name) {
		known = true
	}
	if i := peerIndex(h.active, p.Name); i >= 0 {
		h.removeActive(i)
		known = true
		// Not in the paper: a neighbour that failed is often one of
		// many (a crash wave); probe the others now (see probeActive).
		h.probeActive()
	}
	if known {
		h.addLost(p)
		h.repair(repairReactive)
	}
}

// leave handles leaveCluster: every neighbour is told DISCONNECT{Alive:
// false} and the core stops.
func (h *HyParView) leave() {
	for _, p := range h.active {
		h.send(p, disconnectMsg{Alive: false})
		h.out = append(h.out, NeighborDown{Peer: p})
	}
	h.active = h.active[:0]
	h.unconfirmed = h.unconfirmed[:0]
	h.acceptedUnheard = h.acceptedUnheard[:0]
	h.pending = h.pending[:0]
	h.passive.entries = h.passive.entries[:0]
	h.lost = h.lost[:0]
	h.left = true
}
