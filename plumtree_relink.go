// Plumtree core: a link made eager in a tree grafts at once the missing
// messages of that tree its neighbour announced while it was lazy.

package hyparlist

import (
	"cmp"
	"slices"
)

// Not in the paper. A link of a root's tree is pruned and made eager
// again within a few milliseconds when payloads of the root cross on it
// (each end forwarded a payload it had first from elsewhere: two PRUNEs,
// then the next new payload keeps the link, keepParent) or when the §3.8
// optimisation swaps a node's parent. Payloads the neighbour handled in
// between were announced (IHAVE) instead of pushed, and the paper grafts
// them only when their timer fires, GraftTimeout1 after the IHAVE, though
// the link is eager again and its end will push the root's next payloads
// at once. In the bench harness (N = 64, 1,000 broadcasts/s from random
// origins, traced) 281 of the 587 GRAFTs for missing messages in the
// second half of the run went to a neighbour that had made the link eager
// again after its IHAVE: each a delivery one graft wait late.
//
// So when a neighbour becomes eager in a tree as our parent there (it
// sent us an empty GRAFT for the tree and brought us the root's last new
// payload, keepParent kept it, or the optimisation swapped it in), the
// missing messages of that tree it announced are grafted from it at once,
// in one GRAFT, and their timers restart with GraftTimeout2 as after any
// GRAFT (graftTimerFired). Only messages not grafted yet: an empty GRAFT
// that answers our GRAFT comes just before the payloads it asked for
// (receiveGraft), and grafting them again would fetch each twice. And
// only from the parent: an empty GRAFT from another neighbour says it will
// push the root's next payloads, not that the missing ones are not on
// their way from the parent (grafting from every neighbour that made a
// link eager again sent 3,905 such GRAFTs in one traced run at N = 64).
// And never on the shared tree, which carries the first payloads of many
// roots at once: its parent is whoever brought the last of them, not the
// path of the others (grafting there too raised the RMR of the
// simulator's all-send round at 10,000 nodes with per-root trees from
// main's 0.566 to 0.682).
//
// The scan is of the whole missing table (at most MissingMax entries),
// once per such event, and only if pp announced a message we miss since
// its last scan (ptPeer.announcedMissing). That flag is per neighbour, not
// per tree: a scan for one tree clears it for the others, whose missing
// messages then wait for their graft timers as in the paper.

// graftAnnounced grafts from the neighbour pp, just made eager in the tree
// r names, the missing messages of that tree it announced and that were
// not grafted yet. It scans the
// missing table (at most MissingMax entries) and sends at most
// ⌈MissingMax/IHaveMaxEntries⌉ GRAFTs.
func (p *Plumtree) graftAnnounced(r ptTreeRef, pp *ptPeer) {
	if len(p.missing.m) == 0 || r == (ptTreeRef{}) || r.shared || !pp.announcedMissing {
		return
	}
	// A neighbour's empty GRAFTs cost it 20 bytes each; without new
	// announcements since the last scan there is nothing to find, and a
	// scan per GRAFT would let it make us walk the whole table at will.
	pp.announcedMissing = false
	var ids []MessageID
	for id, e := range p.missing.m {
		if e.grafts == 0 && ptTreeOf(id) == r && ptAnnounced(e.announcers, pp.peer.Name) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return
	}
	// Map order is random; the core is deterministic.
	slices.SortFunc(ids, func(a, b MessageID) int {
		return cmp.Or(cmp.Compare(a.Origin, b.Origin), cmp.Compare(a.Seq, b.Seq))
	})
	tm := &ptGraftTimer{second: true, ids: ids}
	for _, id := range ids {
		e := p.missing.m[id]
		// pp is asked now; the timer's next GRAFT (graftTarget, by
		// e.grafts) goes to the announcer after it.
		moveAnnouncerFirst(e.announcers, pp.peer.Name)
		e.grafts++
		e.timer = tm
		p.missing.m[id] = e
	}
	for rest := ids; len(rest) > 0; {
		n := min(len(rest), p.cfg.IHaveMaxEntries)
		p.grafts.relink++
		p.emit(Send{To: pp.peer, Msg: graftMsg{IDs: rest[:n:n]}})
		rest = rest[n:]
	}
	p.armGraft(tm, p.cfg.GraftTimeout2)
}

// moveAnnouncerFirst moves name's announcement to the front of
// announcers, keeping the others in their order.
func moveAnnouncerFirst(announcers []ptAnnouncement, name string) {
	for i, a := range announcers {
		if a.peer.Name == name {
			copy(announcers[1:i+1], announcers[:i])
			announcers[0] = a
			return
		}
	}
}
