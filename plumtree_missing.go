// Plumtree core: the missing-message table and its GRAFT timers.

package hyparlist

import (
	"fmt"
	"strings"
	"time"
)

// This file holds Plumtree's missing-message table (the paper's "missing"
// set): for each message announced by IHAVE but not yet received, the
// peers that announced it, in order, and the graft timer chain that owns
// it. The table holds at most MissingMax messages and MissingMaxAnnouncers
// announcers per message; announcements beyond either bound are ignored.
//
// Not in the paper: a message stays missing until its payload arrives or
// no node can still answer a GRAFT for it (CacheTTL after it was first
// announced), not only until each announcer has been grafted once. The
// paper's links do not fall behind; ours do under overload, where a GRAFT
// answer can take longer than GraftTimeout2 and a failed link takes its
// queued payloads and its announcements with it. Forgetting the message
// then would lose it for good, since nothing announces it again.

// ptAnnouncement is one IHAVE received for a missing message.
type ptAnnouncement struct {
	peer  Peer
	round uint16
}

// ptMissing is the state of one missing message.
type ptMissing struct {
	// announcers are grafted in the order they announced, then again
	// in turn (graftTimerFired).
	announcers []ptAnnouncement
	// timer is the graft timer that will act on this message next; a
	// timer that fires for an ID it does not own is stale and ignored.
	timer *ptGraftTimer
	// born is the core time of the first announcement: the message is
	// forgotten CacheTTL later, when no cache can answer a GRAFT for it.
	born int64
	// grafts counts the GRAFTs sent for the message; it picks the next
	// peer to graft and the wait before the following one.
	grafts uint32
	// renewed is set when an announcer announced the message again after
	// a GRAFT, which moved it to a GraftTimeout2 timer; cleared when its
	// timer fires (plumtree_reannounce.go).
	renewed bool
}

// ptGraftTimer is the timer of Plumtree §3 that grafts a missing message
// when its payload has not arrived in time. One timer serves all the IDs
// that became missing in the same IHAVE (or were grafted in the same
// expiry), so that their GRAFTs to one peer go out as one message; each ID
// still follows the paper's per-message timer chain.
type ptGraftTimer struct {
	ids []MessageID
	// second is false for a GraftTimeout1 timer, true for GraftTimeout2.
	second bool
	// due is the core time the timer fires at (armGraft).
	due int64
}

func (*ptGraftTimer) isTimer() {}

// armGraft sets the graft timer t to fire after the wait after.
func (p *Plumtree) armGraft(t *ptGraftTimer, after time.Duration) {
	t.due = p.now + int64(after)
	p.emit(SetTimer{After: after, Timer: t})
}

// String describes the timer for traces and logs.
func (t *ptGraftTimer) String() string {
	var b strings.Builder
	b.WriteString("plumtree-graft")
	if t.second {
		b.WriteString("2")
	} else {
		b.WriteString("1")
	}
	b.WriteString("[")
	for i, id := range t.ids {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s/%d", id.Origin, id.Seq)
	}
	b.WriteString("]")
	return b.String()
}

// ptMissingTable maps missing message IDs to their state.
type ptMissingTable struct {
	m map[MessageID]ptMissing
	// byRoot indexes m's IDs by origin: the sequence numbers missing of
	// each origin that has any. graftGapBehind asks it about 32
	// numbers of one origin per payload received, which are then a
	// lookup of an integer each after one hash of the origin's name,
	// instead of a hash of the name each (BENCHMARKS.md, session 16). Every insertion into m is in
	// announce and every deletion in forget, so it holds exactly m's IDs
	// (at most MissingMax).
	byRoot       map[string]map[uint64]struct{}
	max          int
	maxAnnounced int
	// dropped counts the announced IDs not recorded because the table
	// was full (plumtreeStats.MissingDropped), expired those given up
	// CacheTTL after their first announcement (MissingExpired).
	dropped, expired uint64
}

func newPtMissingTable(max, maxAnnouncers int) ptMissingTable {
	return ptMissingTable{m: make(map[MessageID]ptMissing), byRoot: make(map[string]map[uint64]struct{}), max: max, maxAnnounced: maxAnnouncers}
}

// index adds id to byRoot.
func (mt *ptMissingTable) index(id MessageID) {
	seqs := mt.byRoot[id.Origin]
	if seqs == nil {
		seqs = make(map[uint64]struct{})
		mt.byRoot[id.Origin] = seqs
	}
	seqs[id.Seq] = struct{}{}
}

// forget removes id from the table.
func (mt *ptMissingTable) forget(id MessageID) {
	delete(mt.m, id)
	if seqs := mt.byRoot[id.Origin]; seqs != nil {
		delete(seqs, id.Seq)
		if len(seqs) == 0 {
			delete(mt.byRoot, id.Origin)
		}
	}
}

// ofRoot returns the sequence numbers missing of origin root (nil if
// none); the caller must not change it.
func (mt *ptMissingTable) ofRoot(root string) map[uint64]struct{} { return mt.byRoot[root] }

// announce records that from announced id at round, at core time now. If
// id has no graft timer yet, it joins t and is owned by it.
func (mt *ptMissingTable) announce(id MessageID, from Peer, round uint16, t *ptGraftTimer, now int64) {
	e, ok := mt.m[id]
	if !ok && len(mt.m) >= mt.max {
		mt.dropped++
		return
	}
	if !ok {
		e.born = now
		mt.index(id)
	}
	known := false
	for _, a := range e.announcers {
		if a.peer.Name == from.Name {
			known = true
			break
		}
	}
	if !known && len(e.announcers) < mt.maxAnnounced {
		e.announcers = append(e.announcers, ptAnnouncement{peer: from, round: round})
	}
	if e.timer == nil {
		t.ids = append(t.ids, id)
		e.timer = t
	}
	mt.m[id] = e
}

// take removes id from the table and returns its state.
func (mt *ptMissingTable) take(id MessageID) (ptMissing, bool) {
	e, ok := mt.m[id]
	if ok {
		mt.forget(id)
	}
	return e, ok
}

// dropAnnouncer forgets every announcement made by the peer called name
// (Plumtree §3: the IHAVEs of a failed neighbour are removed from missing).
// Not in the paper: a message left without announcers stays missing; its
// graft timer grafts it from the other neighbours (graftTimerFired).
func (mt *ptMissingTable) dropAnnouncer(name string) {
	for id, e := range mt.m {
		kept := e.announcers[:0]
		for _, a := range e.announcers {
			if a.peer.Name != name {
				kept = append(kept, a)
			}
		}
		if len(kept) == len(e.announcers) {
			continue
		}
		clear(e.announcers[len(kept):])
		e.announcers = kept
		mt.m[id] = e
	}
}
