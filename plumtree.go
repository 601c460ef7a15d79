// Plumtree core: the state machine, its Step, and the handlers of GOSSIP,
// IHAVE, GRAFT and PRUNE.

package hyparlist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Plumtree is the broadcast core: the Epidemic Broadcast Trees protocol of
// Leitão, Pereira and Rodrigues (SRDS 2007) as a pure state machine. It
// runs over the neighbours a membership protocol reports with NeighborUp
// and NeighborDown (HyParView's active view) and embeds a spanning tree in
// them:
//
//   - A payload is pushed at once (GOSSIP) to the eager peers and announced
//     (IHAVE) to the lazy peers. Every neighbour starts eager (§3,
//     NeighborUp).
//   - A node that receives a payload twice moves the second sender to lazy
//     and tells it so with PRUNE; what remains eager is a tree.
//   - A node that hears of a message only by IHAVE waits GraftTimeout1 for
//     the payload, then sends GRAFT to the first announcer (making the link
//     eager again, which repairs the tree) and waits GraftTimeout2 before
//     grafting the next one.
//   - Tree optimisation (§3.8): a lazy link that delivers a message
//     OptimizationThreshold hops sooner than the eager path replaces it.
//
// Rounds follow the paper: the origin sends GOSSIP with round 0, and a
// node forwards (and announces) with the round it received plus one. A
// node delivering a payload of round r reports r+1 hops.
//
// Deviations from the paper, each marked "Not in the paper" where it is
// implemented:
//   - A new neighbour is sent an IHAVE of the most recent cached messages
//     (NeighborUpAnnounce), so that broadcasts missed during a crash wave
//     are grafted once the overlay is repaired.
//   - Eager/lazy links are kept symmetric when control messages cross on
//     a link (links are FIFO): a payload pushed by a lazy peer is answered
//     with PRUNE instead of making the peer eager, and a GRAFT that makes
//     its sender eager is acknowledged with an empty GRAFT.
//   - The optimisation test also runs for an IHAVE that arrives after the
//     payload, not only for IHAVEs recorded before it.
//   - An IHAVE from an eager neighbour (the cache replay of a new link)
//     is grafted after GraftTimeout2 instead of GraftTimeout1.
//   - With PlumtreeConfig.GraftTimeoutMin above 0 (off by default), the
//     wait after a lazy neighbour's IHAVE is learnt from how late eager
//     copies have come after their first IHAVE, between GraftTimeoutMin
//     and GraftTimeout1 (plumtree_graftwait.go).
//   - Messages from peers that are not neighbours (crossing a NeighborUp
//     or NeighborDown) never change the eager/lazy sets: their payloads
//     are delivered, their GRAFTs answered and their IHAVEs recorded, but
//     only neighbours are grafted.
//   - A payload is neither pushed nor announced to the neighbours that
//     announced it to us; an eager one is pruned instead (push).
//   - With PlumtreeConfig.MaxTrees above 0 (off by default), eager and
//     lazy sets are kept per tree root, the message's origin, beside a
//     default tree that evolves as the paper's single set: a root's tree
//     starts at its first payload on it and is kept until MaxTrees evicts
//     it (plumtree_trees.go). In those trees a lost link is grafted
//     around at once, a new payload from a lazy neighbour keeps that link
//     eager, and a new link's cache replay does not get it pruned.
//     Membership announcements and the payloads of a root that has not
//     broadcast for TreeIdle travel on a shared tree that only their own
//     PRUNEs and GRAFTs change; a root's own tree starts with its next
//     payload, pushed to every neighbour once (plumtree_shared.go).
//   - A neighbour made eager again as our parent in a root's tree (its
//     empty GRAFT, keepParent, the §3.8 swap; not on the shared tree) is
//     grafted at once for the missing messages of that tree it announced
//     while the link was lazy (plumtree_relink.go).
//   - With per-root trees, a missing message of a root's tree is grafted
//     at once once a newer payload of that tree has been pushed here (a
//     root's first payload, on the shared tree, once its second has): it
//     will not come by push; and one announced from a root's tree that has
//     pushed nothing here is grafted after GraftTimeout2/2 − IHaveInterval
//     (plumtree_gap.go).
//   - With per-root trees, the neighbour that pushed a root's newest
//     payload here keeps its link in the root's tree: its PRUNE is
//     refused, and a late copy of an older payload from it prunes nothing
//     (plumtree_parent.go).
//   - The IDs of an IHAVE whose sender is eager in their tree are grafted
//     after GraftTimeout2 even when the same IHAVE announces others from
//     trees where it is lazy (plumtree_ihavewait.go).
//   - A missing message is not forgotten once every announcer has been
//     grafted: its announcers, or the other neighbours once none is left,
//     are grafted again in turn with a doubling wait, until CacheTTL after
//     its first announcement (graftTimerFired). Under overload a GRAFT
//     answer can come later than GraftTimeout2, and a failed link takes
//     its announcements with it.
//
// Plumtree does not copy payloads: the slice handed to BroadcastPayload or
// carried by a Gossip is cached, delivered and forwarded as is, and must
// not be modified afterwards.
//
// A Plumtree is not safe for concurrent use; its driver owns it.
type Plumtree struct {
	self Peer
	cfg  PlumtreeConfig

	// nextSeq is the sequence number of the next local broadcast.
	nextSeq uint64
	// signer signs the local broadcasts (plumtree_sign.go); nil: unsigned.
	signer broadcastSigner
	// admitter decides on each received message the core does not
	// remember (plumtree_sign.go); nil: every one is taken.
	admitter broadcastAdmitter
	// forgetter is told each ID the core stops remembering
	// (plumtree_sign.go); nil: nobody is.
	forgetter func(MessageID)

	// epoch is the time of the first Step; the core clock (now) counts
	// nanoseconds since then, saturating, so no time value can overflow.
	epoch    time.Time
	epochSet bool
	now      int64

	peers   ptPeers
	trees   ptTrees
	seen    ptSeenSet
	cache   ptCache
	missing ptMissingTable

	flushTimer *ptFlushTimer
	flushArmed bool

	out []Action
	// drained is the length of the slice last returned by Drain, cleared
	// (for the garbage collector) when the next Step reuses the array.
	drained int
	// groups is scratch space for batching GRAFTs per peer.
	groups []ptGraftGroup
	// cands is scratch space for graftTarget.
	cands []*ptPeer
	// broken is scratch space for neighborDown (brokenTrees).
	broken []int32
	// grafts counts the GRAFTs sent, by cause (plumtreeStats).
	grafts ptGraftCounts
	// lag learns the first graft wait (plumtree_graftwait.go).
	lag ptLag

	// sharedSpans is set once the shared tree has brought this node a
	// payload by eager push; new trees start as copies of it from then on
	// (plumtree_shared.go).
	sharedSpans bool
	// sharedParents holds, as masks over slots, the neighbours that
	// brought this node a new payload of the shared tree first in the
	// current and the previous period of GraftTimeout1, which started at
	// core time sharedParentsAt (sharedParent).
	sharedParents   [2]uint64
	sharedParentsAt int64
	// userSent and lastUser record the last local user broadcast (its
	// core time), which decides whether the next goes on the shared tree.
	userSent bool
	lastUser int64
}

// ptGraftGroup collects the IDs grafted from one peer in one timer expiry.
type ptGraftGroup struct {
	peer Peer
	ids  []MessageID
}

// errInvalidPlumtreeArgument is wrapped by the errors NewPlumtree returns
// for a local peer without a name or a nil random source; it wraps
// ErrInvalidArgument.
var errInvalidPlumtreeArgument = fmt.Errorf("%w (Plumtree core)", ErrInvalidArgument)

// NewPlumtree returns a Plumtree core for the local node self. cfg is
// validated (see PlumtreeConfig.Validate) and copied. rng seeds the
// sequence numbers of local broadcasts: a node restarted under the same
// name starts at a fresh random point, so it does not reuse IDs that other
// nodes still remember.
func NewPlumtree(self Peer, cfg PlumtreeConfig, rng *rand.Rand) (*Plumtree, error) {
	if self.Name == "" {
		return nil, fmt.Errorf("new plumtree: %w: self has an empty name", errInvalidPlumtreeArgument)
	}
	if rng == nil {
		return nil, fmt.Errorf("new plumtree: %w: nil *rand.Rand", errInvalidPlumtreeArgument)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new plumtree: %w", err)
	}
	return &Plumtree{
		self:       self,
		cfg:        cfg,
		nextSeq:    rng.Uint64() >> 1,
		seen:       newPtSeenSet([ptGroups]int64{int64(cfg.SeenTTL), int64(cfg.MembershipSeenTTL)}, cfg.SeenMaxEntries),
		cache:      newPtCache([ptGroups]int64{int64(cfg.CacheTTL), int64(cfg.MembershipCacheTTL)}, cfg.CacheMaxBytes),
		missing:    newPtMissingTable(cfg.MissingMax, cfg.MissingMaxAnnouncers),
		trees:      newPtTrees(cfg.MaxTrees),
		flushTimer: &ptFlushTimer{},
	}, nil
}

// selfPeer returns the local node.
func (p *Plumtree) selfPeer() Peer { return p.self }

// eagerPeers returns a copy of the eager push peers of the default tree
// (the one a root not tracked uses, see EagerPeersOf), sorted by name.
func (p *Plumtree) eagerPeers() []Peer { return p.peers.collect(true) }

// lazyPeers returns a copy of the lazy push peers of the default tree,
// sorted by name.
func (p *Plumtree) lazyPeers() []Peer { return p.peers.collect(false) }

// Drain returns the actions produced since the last Drain, in order. The
// slice is valid until the next Step.
func (p *Plumtree) Drain() []Action {
	out := p.out
	p.out = p.out[:0]
	p.drained = max(p.drained, len(out))
	return out
}

// Step feeds one event to the core at time now. Handled events: Start,
// BroadcastPayload, Receive (Gossip, IHave, Graft, Prune), NeighborUp,
// NeighborDown and TimerFired with a Plumtree timer. Everything else
// (HyParView messages, other cores' timers, unknown events) is ignored.
// Expired cache and seen entries are dropped on every Step.
func (p *Plumtree) Step(now time.Time, ev Event) {
	if p.drained > 0 {
		clear(p.out[:p.drained])
		p.drained = 0
	}
	p.advance(now)
	switch e := ev.(type) {
	case Start:
		// Plumtree has no periodic timer: its timers are armed on demand.
	case BroadcastPayload:
		p.broadcast(e.Class, e.Payload)
	case Receive:
		if e.From.Name == "" || e.From.Name == p.self.Name {
			return
		}
		switch m := e.Msg.(type) {
		case gossipMsg:
			p.receiveGossip(e.From, m)
		case ihaveMsg:
			p.receiveIHave(e.From, m)
		case graftMsg:
			p.receiveGraft(e.From, m)
		case pruneMsg:
			p.receivePrune(e.From, m)
		}
	case NeighborUp:
		p.neighborUp(e.Peer)
	case NeighborDown:
		p.neighborDown(e.Peer)
	case TimerFired:
		switch t := e.Timer.(type) {
		case *ptFlushTimer:
			p.flushTimerFired(t)
		case *ptGraftTimer:
			p.graftTimerFired(t)
		}
	}
}

// advance moves the core clock to now and expires what is due.
func (p *Plumtree) advance(now time.Time) {
	if !p.epochSet {
		p.epoch, p.epochSet = now, true
	}
	p.now = int64(now.Sub(p.epoch))
	p.expireTables()
}

// expireTables drops the cache entries and seen IDs whose time has come.
func (p *Plumtree) expireTables() {
	p.cache.expire(p.now, &p.seen)
	forgot := false
	for g := range p.seen.q {
		for e, _ := p.seen.front(g); e != nil && e.expire <= p.now; e, _ = p.seen.front(g) {
			p.forget(g)
			forgot = true
		}
	}
	if forgot {
		p.seen.shrink()
	}
}

// forget drops the oldest seen ID of TTL group g and its cache entry.
func (p *Plumtree) forget(g int) {
	e, _ := p.seen.front(g)
	if e != nil && e.cached {
		p.cache.remove(e.cache, &p.seen)
	}
	if e != nil && p.forgetter != nil {
		p.forgetter(e.id)
	}
	p.seen.pop(g)
}

// cached returns the cache entry of id and its seen entry, or nil.
func (p *Plumtree) cached(id MessageID) (*ptCached, *ptSeenEntry) {
	se, ref := p.seen.find(id)
	if se == nil || !se.cached {
		return nil, nil
	}
	if c := p.cache.get(se.cache); c != nil && c.seen == ref {
		return c, se
	}
	return nil, nil
}

func (p *Plumtree) emit(a Action) { p.out = append(p.out, a) }

// known reports whether the message id was delivered here (and is still
// remembered).
func (p *Plumtree) known(id MessageID) bool { return p.seen.has(id) }

// remember records the delivery of id, forwarded with round, and caches
// its payload. Every cached message is also in the seen set: SeenTTL ≥
// CacheTTL makes the cache entry expire first, and a seen ID forgotten
// early (SeenMaxEntries) is dropped from the cache too. parent is the
// neighbour the payload came from ("" for a local broadcast).
func (p *Plumtree) remember(id MessageID, class Class, round uint16, payload, sig []byte, parent string) {
	if p.seen.full() {
		p.forget(p.seen.oldest())
	}
	se, ref := p.seen.add(id, ptGroupOf(class), round, p.now)
	p.cache.add(payload, sig, parent, class, se, ref, &p.seen)
}

// broadcast is the paper's Broadcast(m): deliver locally, push with round 0.
func (p *Plumtree) broadcast(class Class, payload []byte) {
	id := MessageID{Origin: p.self.Name, Seq: p.nextSeq &^ ptSharedBit}
	if p.sendsShared(class) {
		id.Seq |= ptSharedBit
	}
	p.nextSeq++
	if p.known(id) {
		// Only possible after 2^63 broadcasts or a sequence collision
		// with a previous incarnation; a known ID would be dropped as a
		// duplicate by every node.
		return
	}
	sig := p.sign(id, class, payload)
	p.remember(id, class, 0, payload, sig, "")
	p.emit(Deliver{ID: id, Class: class, Payload: payload, From: p.self, Hops: 0})
	p.push(id, class, 0, payload, sig, "", nil, false)
	p.sharedDelivered(ptTreeOf(id), nil, false)
}

// push is the paper's EagerPush and LazyPush: the payload goes at once to
// every peer eager in the tree of its origin and is queued for
// announcement to every lazy one, except the peer called except it came
// from. Not in the paper: a neighbour that announced the message to us
// (has) holds the payload, so it is not announced to, and rather than push
// it a duplicate that it would answer with PRUNE, a link eager in the
// message's tree is pruned at once (PRUNE for the root): the tree ends as
// with the duplicate, without the payload. With many concurrent senders
// this matters: a node grafts a message from an announcer, the eager copy
// arrives from elsewhere first, and the push to the announcer was most of
// the simulator's all-send duplicates (at 10,000 nodes, seed 7: RMR of the
// all-send round 0.617 → 0.228, random senders 0.051 → 0.008, with one
// tree).
//
// With per-root trees, an eager announcer is pruned only when the message
// was grafted (grafted: the GRAFT made the announcer eager, for a payload
// that then came another way). An announcer that was eager before is a
// neighbour replaying its cache on a new link (NeighborUpAnnounce): that
// link is new, the duplicate says nothing about the tree's shape, and
// pruning it cut nodes whose parent link had gone down off the tree (in
// the runtime's join wave, every new link of such a node was pruned by
// the replays of messages it already had). It is neither pushed to nor
// pruned; the root's next payload settles it.
func (p *Plumtree) push(id MessageID, class Class, round uint16, payload, sig []byte, except string, has []ptAnnouncement, grafted bool) {
	var msg Message // boxed once, shared by all sends
	// The message's tree starts here for a local broadcast (receiveGossip
	// started it, with its parent, for a received one).
	r := ptTreeOf(id)
	p.trackPush(r, nil)
	for i := range p.peers.list {
		pp := &p.peers.list[i]
		if pp.peer.Name == except {
			continue
		}
		eager := p.eagerIn(r, pp)
		if ptAnnounced(has, pp.peer.Name) {
			// The payload would be a duplicate there, answered with
			// PRUNE: prune the link ourselves instead.
			if eager && (grafted || p.tree(r) == nil) {
				p.setLink(r, pp, false)
				p.emit(Send{To: pp.peer, Msg: r.prune()})
			}
			continue
		}
		if eager {
			if msg == nil {
				msg = gossipMsg{ID: id, Class: class, Round: round, Payload: payload, Sig: sig}
			}
			p.emit(Send{To: pp.peer, Msg: msg})
		} else {
			p.lazyPush(i, ihaveEntry{ID: id, Round: round})
		}
	}
}

// ptAnnounced reports whether the peer called name is among announcers.
func ptAnnounced(announcers []ptAnnouncement, name string) bool {
	for _, a := range announcers {
		if a.peer.Name == name {
			return true
		}
	}
	return false
}

// receiveGossip handles GOSSIP(m, mID, round) from a neighbour (§3). The
// eager and lazy sets it changes are those of the tree rooted at the
// message's origin.
func (p *Plumtree) receiveGossip(from Peer, g gossipMsg) {
	sender := p.peers.get(from.Name) // nil for a non-neighbour
	root := ptTreeOf(g.ID)
	if p.known(g.ID) {
		// "eagerPushPeers ← eagerPushPeers \ {sender}; lazyPushPeers ←
		// lazyPushPeers ∪ {sender}; Send(PRUNE, sender)".
		if sender != nil {
			p.lagOnDuplicate(g.ID)
			if p.staleFromParent(root, sender, g.ID.Seq) {
				return // an older payload, late at our parent (plumtree_parent.go)
			}
			p.setLink(root, sender, false)
			p.emit(Send{To: sender.peer, Msg: root.prune()})
		}
		return
	}
	if !p.admit(g) {
		return
	}
	older := p.behindNewest(root, g.ID.Seq)
	if older {
		// An older payload, late: the parent stays the neighbour that
		// pushed the newest (plumtree_parent.go).
		p.trackTree(root)
	} else {
		p.trackPush(root, sender)
	}
	fwd := ptNextRound(g.Round)
	p.remember(g.ID, g.Class, fwd, g.Payload, g.Sig, from.Name)
	p.emit(Deliver{ID: g.ID, Class: g.Class, Payload: g.Payload, From: from, Hops: fwd})
	// "if ∃(id,node,r) ∈ missing : id = mID then cancel Timer(mID)": the
	// entry is dropped, its timer finds nothing when it fires.
	var miss ptMissing
	missed := false
	if len(p.missing.m) > 0 {
		miss, missed = p.missing.take(g.ID)
	}
	if missed {
		p.lagOnPayload(g.ID, from.Name, &miss)
	}
	p.sharedDelivered(root, sender, miss.grafts > 0)
	p.push(g.ID, g.Class, fwd, g.Payload, g.Sig, from.Name, miss.announcers, miss.grafts > 0)

	// The paper then adds the sender to eagerPushPeers. A payload we
	// grafted comes from a peer the graft already made eager. Not in the
	// paper: a payload pushed by a peer we hold lazy crossed a PRUNE on
	// the (FIFO) link, which will make us lazy at the sender too; making
	// the sender eager here would leave the link eager at one end only.
	// (push never inserts or removes neighbours, so sender is still
	// valid.)
	if sender != nil && !p.eagerIn(root, sender) {
		p.keepParent(root, sender)
	}

	if missed && sender != nil {
		p.optimizeOnPayload(root, from.Name, g.Round, miss.announcers)
	}

	if sender != nil && miss.grafts == 0 {
		// Pushed on the tree, not a GRAFT's answer: what is missing
		// behind it is not coming by push (plumtree_gap.go).
		if tr := p.tree(root); tr != nil && !root.shared && !older {
			tr.newest = g.ID.Seq
		}
		p.graftGapBehind(root, g.ID.Seq, sender)
	}
}

// optimizeOnPayload is the tree optimisation of §3.8, run when the payload
// of a missing message arrives from the eager peer called parent with the
// given round: if some lazy neighbour announced it at a round r with
// r < round ∧ round − r ≥ threshold, that neighbour is grafted (GRAFT with
// no IDs) and the parent is pruned, in the tree rooted at root. Of several
// such announcers the one with the lowest round (earliest on ties) is
// chosen.
func (p *Plumtree) optimizeOnPayload(root ptTreeRef, parent string, round uint16, announcers []ptAnnouncement) {
	best := -1
	for i, a := range announcers {
		if !p.worthOptimizing(a.round, round) {
			continue
		}
		if pp := p.peers.get(a.peer.Name); pp == nil || p.eagerIn(root, pp) {
			continue
		}
		if best < 0 || a.round < announcers[best].round {
			best = i
		}
	}
	if best >= 0 {
		p.swapParent(root, parent, announcers[best].peer.Name)
	}
}

// worthOptimizing is the paper's test r < round ∧ round − r ≥ threshold
// for an announcement at round r of a payload received at round round.
func (p *Plumtree) worthOptimizing(r, round uint16) bool {
	t := p.cfg.OptimizationThreshold
	return t > 0 && r < round && round-r >= t
}

// swapParent grafts the lazy neighbour called better and prunes the eager
// neighbour called parent in the tree rooted at root, if both are
// neighbours in those states there, and reports whether it did.
func (p *Plumtree) swapParent(root ptTreeRef, parent, better string) bool {
	par, bet := p.peers.get(parent), p.peers.get(better)
	if par == nil || bet == nil || par == bet || !p.eagerIn(root, par) || p.eagerIn(root, bet) {
		return false
	}
	p.setLink(root, bet, true)
	p.grafts.repair++
	p.emit(Send{To: bet.peer, Msg: root.graft()})
	p.setLink(root, par, false)
	p.emit(Send{To: par.peer, Msg: root.prune()})
	p.graftAnnounced(root, bet)
	return true
}

// receiveIHave handles IHAVE(mID, round) from a peer (§3): an unknown
// message is recorded as missing, with a graft timer if it has none yet.
func (p *Plumtree) receiveIHave(from Peer, ih ihaveMsg) {
	var timer *ptGraftTimer
	// Only a neighbour lazy in the message's tree can trigger the
	// optimisation (tested per entry below).
	pp := p.peers.get(from.Name)
	optimize := p.cfg.OptimizationThreshold > 0 && pp != nil
	var gap, renew, outside []MessageID
	for _, e := range ih.Entries {
		fwd, ok := p.seen.round(e.ID)
		if !ok {
			renew = p.renewAnnounced(renew, e.ID, from.Name)
			if timer == nil {
				timer = &ptGraftTimer{ids: make([]MessageID, 0, len(ih.Entries))}
			}
			p.missing.announce(e.ID, from, e.Round, timer, p.now)
			if pp != nil {
				pp.announcedMissing = true
				if m, ok := p.missing.m[e.ID]; ok && m.grafts == 0 {
					switch {
					case p.gapAnnounced(e.ID):
						gap = append(gap, e.ID)
					case p.outside(ptTreeOf(e.ID)):
						outside = append(outside, e.ID)
					}
				}
			}
			continue
		}
		if optimize && fwd > 0 && p.worthOptimizing(e.Round, fwd-1) && !p.eagerIn(ptTreeOf(e.ID), pp) && p.optimizeOnIHave(from.Name, e.ID) {
			optimize = false // one swap per IHAVE
		}
	}
	if timer != nil && len(timer.ids) > 0 {
		// Whether pp is eager in the trees of the messages we miss, after
		// any optimisation above; those of its trees where it is eager
		// get their own timer when the others are lazy
		// (plumtree_ihavewait.go).
		eager := pp != nil
		for _, id := range timer.ids {
			eager = eager && p.eagerIn(ptTreeOf(id), pp)
		}
		if !eager {
			p.splitEagerAnnounced(timer, pp)
		}
		p.armGraft(timer, p.graftWait(eager))
	}
	// Announced again after our GRAFT: grafted again soon
	// (plumtree_reannounce.go).
	p.regraftRenewed(renew)
	// Behind a newer payload of their tree: grafted now (plumtree_gap.go).
	p.graftGap(gap, pp)
	p.graftOutside(outside, pp)
}

// graftWait returns how long to wait for the payloads an IHAVE announced
// before grafting them: GraftTimeout1 as in the paper (or, with
// GraftTimeoutMin set, a wait learnt between the two: firstGraftWait),
// except when its sender is a neighbour eager in the tree of every
// message we miss.
//
// Not in the paper: an eager neighbour pushes what it receives as GOSSIP,
// so its IHAVE is the replay of its cache sent when the link came up
// (NeighborUpAnnounce), typically a node healing after a crash wave. No
// eager copy of those messages is on its way through the tree, and waiting
// GraftTimeout1 only leaves the churn of the crash wave time to take the
// new neighbour away again (its announcements are then forgotten). Such an
// IHAVE is grafted after GraftTimeout2, the paper's round-trip-sized wait.
func (p *Plumtree) graftWait(eager bool) time.Duration {
	if eager {
		return p.cfg.GraftTimeout2
	}
	return time.Duration(p.firstGraftWait())
}

// optimizeOnIHave applies the §3.8 optimisation for an IHAVE, from the
// lazy neighbour called from, of the delivered message id that passed the
// round test: from replaces the neighbour the payload came from, in the
// tree of id's origin. It
// reports whether it did. Not in the paper: the paper tests only the IHAVEs
// recorded before the payload arrived (optimizeOnPayload); IHAVEs are
// batched, so the shorter path is usually announced after the payload came
// the long way.
func (p *Plumtree) optimizeOnIHave(from string, id MessageID) bool {
	c, _ := p.cached(id)
	if c == nil || c.parent == "" || c.parent == from {
		return false
	}
	return p.swapParent(ptTreeOf(id), c.parent, from)
}

// graftTimerFired is the paper's "upon Timer(mID)": for each message the
// timer still owns, graft the next peer that announced it and is still a
// neighbour (moving it to eager), then wait for the payload. The IDs
// grafted from one peer go in one GRAFT.
//
// Not in the paper: a message is not forgotten once each announcer has
// been grafted. Under overload a GRAFT answer can take longer than
// GraftTimeout2, and a failed link takes its announcements with it, so
// the announcers are grafted again in turn, and when none is a neighbour
// any more the neighbours are, in name order: every node that delivered
// the message caches it. After each round over them the wait doubles
// (GraftTimeout2, 2×, 4×, … at most graftBackoffMax×), so a node that
// is behind does not add a GRAFT per message and per GraftTimeout2 to
// its load; a message an announcer announces again after a
// GRAFT (its refusal under overload) is grafted again one GraftTimeout2
// later (plumtree_reannounce.go). The message is forgotten CacheTTL after its
// first announcement, when no cache holds it any more.
func (p *Plumtree) graftTimerFired(t *ptGraftTimer) {
	var next [graftBackoffSteps]*ptGraftTimer
	groups := p.groups[:0]
	for _, id := range t.ids {
		e, ok := p.missing.m[id]
		if !ok || e.timer != t {
			continue
		}
		if p.now-e.born >= int64(p.cfg.CacheTTL) {
			p.missing.forget(id)
			p.missing.expired++
			continue
		}
		e.renewed = false // one renewal per GRAFT (plumtree_reannounce.go)
		target, round := p.graftTarget(&e)
		step := min(round, graftBackoffSteps-1)
		if next[step] == nil {
			next[step] = &ptGraftTimer{second: true}
		}
		next[step].ids = append(next[step].ids, id)
		e.timer = next[step]
		p.missing.m[id] = e
		if target == nil {
			continue // no neighbour: wait for one
		}
		g := -1
		for i := range groups {
			if groups[i].peer.Name == target.peer.Name {
				g = i
				break
			}
		}
		if g < 0 {
			groups = append(groups, ptGraftGroup{peer: target.peer})
			g = len(groups) - 1
		}
		groups[g].ids = append(groups[g].ids, id)
	}
	for _, g := range groups {
		if pp := p.peers.get(g.peer.Name); pp != nil {
			for _, id := range g.ids {
				p.setLink(ptTreeOf(id), pp, true)
			}
		}
		for ids := g.ids; len(ids) > 0; {
			n := min(len(ids), p.cfg.IHaveMaxEntries)
			p.grafts.missing++
			p.emit(Send{To: g.peer, Msg: graftMsg{IDs: ids[:n:n]}})
			ids = ids[n:]
		}
	}
	clear(groups)
	p.groups = groups[:0]
	for step, tm := range next {
		if tm != nil {
			p.armGraft(tm, p.cfg.GraftTimeout2<<step)
		}
	}
}

// graftBackoffSteps bounds the doubling of the wait between GRAFTs for
// one message: at most 2^(graftBackoffSteps-1) × GraftTimeout2 (32 × 250 ms
// = 8 s with the LAN defaults).
const graftBackoffSteps = 6

// graftTarget picks the neighbour to graft missing message e from, counts
// the GRAFT, and returns the neighbour (nil when there is none) and how
// many complete rounds over the candidates came before this GRAFT. The
// candidates are the announcers that are neighbours, in announce order,
// or, when there are none, all neighbours in name order.
func (p *Plumtree) graftTarget(e *ptMissing) (*ptPeer, int) {
	cands := p.cands[:0]
	defer func() { clear(cands); p.cands = cands[:0] }()
	for _, a := range e.announcers {
		if pp := p.peers.get(a.peer.Name); pp != nil {
			cands = append(cands, pp)
		}
	}
	if len(cands) == 0 {
		for i := range p.peers.list {
			cands = append(cands, &p.peers.list[i])
		}
	}
	if len(cands) == 0 {
		return nil, int(min(e.grafts, graftBackoffSteps))
	}
	n := uint32(len(cands))
	target := cands[e.grafts%n]
	round := int(min(e.grafts/n, graftBackoffSteps))
	e.grafts++
	return target, round
}

// receiveGraft handles GRAFT(mID) (§3): the sender becomes eager, in the
// tree of each requested message's origin, and each requested message
// still cached is sent to it. An empty list only changes the link (§3.8),
// in the tree its Root names (every tree without one). A GRAFT from a
// non-neighbour is answered but changes no set.
//
// Not in the paper: a GRAFT that moves the sender from lazy to eager is
// acknowledged with an empty GRAFT, one per tree it changed. If the GRAFT
// crossed a PRUNE of ours, the sender has applied that PRUNE by now; the
// acknowledgement makes the link eager at both ends again instead of
// eager here and lazy there.
func (p *Plumtree) receiveGraft(from Peer, g graftMsg) {
	to := from
	if pp := p.peers.get(from.Name); pp != nil {
		to = pp.peer
		p.graftLinks(pp, g)
	}
	for _, id := range g.IDs {
		if c, se := p.cached(id); c != nil {
			p.emit(Send{To: to, Msg: gossipMsg{ID: id, Class: c.class, Round: se.round, Payload: c.payload, Sig: c.sig}})
		} else {
			p.grafts.uncached++
		}
	}
}

// graftLinks moves the neighbour pp to eager in the trees the GRAFT g from
// it applies to, and acknowledges each tree it moved pp in from lazy to
// eager, and the default tree when only that one changed (see
// receiveGraft: a PRUNE of ours for that root, or for another, crossed the
// GRAFT).
func (p *Plumtree) graftLinks(pp *ptPeer, g graftMsg) {
	wasEager := pp.eager
	if len(g.IDs) == 0 {
		r := ptTreeRef{root: g.Root, shared: g.Shared}
		if r == (ptTreeRef{}) {
			// A node with one eager set: every tree.
			if !wasEager || p.trees.anyLazy(pp.slot) {
				p.setLink(r, pp, true)
				p.grafts.answer++
				p.emit(Send{To: pp.peer, Msg: graftMsg{}})
			}
			return
		}
		flipped := !wasEager || !p.eagerIn(r, pp)
		p.setLink(r, pp, true)
		if flipped {
			p.grafts.answer++
			p.emit(Send{To: pp.peer, Msg: r.graft()})
		}
		if tr := p.tree(r); tr != nil && pp.slot >= 0 && tr.parent == pp.slot {
			p.graftAnnounced(r, pp)
		}
		return
	}
	acked := false
	for _, id := range g.IDs {
		// The override is set for every tree, as the sender set it; each
		// tree that was lazy is acknowledged once.
		r := ptTreeOf(id)
		flipped := !p.eagerIn(r, pp)
		p.setLink(r, pp, true)
		if flipped {
			p.grafts.answer++
			p.emit(Send{To: pp.peer, Msg: r.graft()})
			acked = true
		}
	}
	if !wasEager && !acked {
		// Only the default tree changed; the acknowledgement names a
		// tree the GRAFT named, which the sender holds eager already.
		p.grafts.answer++
		p.emit(Send{To: pp.peer, Msg: ptTreeOf(g.IDs[0]).graft()})
	}
}

// receivePrune handles PRUNE (§3): the sender becomes lazy in the tree the
// PRUNE names (every tree without a root).
func (p *Plumtree) receivePrune(from Peer, pr pruneMsg) {
	if pp := p.peers.get(from.Name); pp != nil {
		r := ptTreeRef{root: pr.Root, shared: pr.Shared}
		if p.sharedParent(r, pp) || p.rootParent(r, pp) {
			// Refused: the link stays eager at both ends
			// (plumtree_shared.go, plumtree_parent.go).
			p.grafts.answer++
			p.emit(Send{To: pp.peer, Msg: r.graft()})
			return
		}
		p.setLink(r, pp, false)
	}
}

// neighborUp handles NeighborUp(node) (§3): the neighbour joins the eager
// set of every tree (a known neighbour is moved there), then is told of
// recent messages
// (see announceRecent).
func (p *Plumtree) neighborUp(peer Peer) {
	if peer.Name == "" || peer.Name == p.self.Name {
		return
	}
	i, ok := p.peers.search(peer.Name)
	if ok {
		pp := &p.peers.list[i]
		pp.peer = peer
		pp.eager = true
		p.trees.eagerSlot(pp.slot)
	} else {
		if len(p.peers.list) >= p.cfg.MaxPeers {
			return
		}
		p.trees.eagerSlot(p.peers.insert(i, peer, true).slot)
	}
	p.announceRecent(peer)
}

// neighborDown handles NeighborDown(node) (§3): the neighbour leaves both
// sets of every tree, its queued announcements are dropped, and its IHAVEs are removed
// from the missing table.
func (p *Plumtree) neighborDown(peer Peer) {
	if peer.Name == "" {
		return
	}
	if pp := p.peers.get(peer.Name); pp != nil {
		p.brokenTrees(pp)
	}
	if slot, ok := p.peers.remove(peer.Name); ok {
		p.trees.clearSlot(slot)
		p.clearSharedParent(slot)
		p.regraftBroken(slot)
	}
	p.missing.dropAnnouncer(peer.Name)
}

// ptNextRound returns r+1, saturating at the largest round.
func ptNextRound(r uint16) uint16 {
	if r == math.MaxUint16 {
		return r
	}
	return r + 1
}
