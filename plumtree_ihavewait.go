// Plumtree core: the IDs of one IHAVE that its sender announced from a
// tree where we hold it eager wait GraftTimeout2, whatever the others.

package hyparlist

// Not in the paper. An IHAVE from a neighbour we hold eager in the tree of
// the message it announces comes over a link that is eager at our end and
// lazy at its end: it pruned us (a PRUNE of ours, or its refusal on the
// shared tree, crossing it), or queued the announcement before our GRAFT
// made the link eager again (the §3.8 swap, keepParent). Its eager copy
// will not come from that neighbour, and graftWait already waits only
// GraftTimeout2 for such an IHAVE. But the IDs of one IHAVE shared one
// timer, and when some were announced from trees where the sender is lazy
// (as usual) every ID waited GraftTimeout1: in the bench's 10 s run at
// N = 64 and 1,000 broadcasts/s (traced, session 12) a node that had just
// made its neighbour its parent in root n62's tree by the §3.8 swap
// received that neighbour's IHAVE of n62's next three payloads, queued
// before the swap, among 72 lazy announcements of other roots, and
// grafted them 500 ms later.

// splitEagerAnnounced moves the IDs of the new graft timer t whose tree
// holds pp, their announcer, eager to a timer of their own, set to
// GraftTimeout2, and leaves the others in t. pp may be nil (a
// non-neighbour): nothing moves.
func (p *Plumtree) splitEagerAnnounced(t *ptGraftTimer, pp *ptPeer) {
	if pp == nil {
		return
	}
	var eager *ptGraftTimer
	kept := t.ids[:0]
	for _, id := range t.ids {
		e, ok := p.missing.m[id]
		if !ok || e.timer != t || !p.eagerIn(ptTreeOf(id), pp) {
			kept = append(kept, id)
			continue
		}
		if eager == nil {
			eager = &ptGraftTimer{}
		}
		eager.ids = append(eager.ids, id)
		e.timer = eager
		p.missing.m[id] = e
	}
	clear(t.ids[len(kept):])
	t.ids = kept
	if eager != nil {
		p.armGraft(eager, p.cfg.GraftTimeout2)
	}
}
