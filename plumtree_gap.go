// Plumtree core: a missing message of a root's tree is grafted at once
// when a newer payload of that tree has already been pushed here.

package hyparlist

import (
	"cmp"
	"slices"
)

// Not in the paper. A node that misses a message announced by IHAVE waits
// GraftTimeout1 (500 ms at the runtime's LAN defaults) for its eager copy
// before grafting it. In a root's own tree that wait is often known to be
// in vain long before it ends: a root sends its payloads in sequence
// order, each node forwards them in the order it receives them, and links
// are FIFO, so once a newer payload of the root has been pushed here on
// the tree, an older one that has not arrived will not arrive by push (the
// neighbours on the path held this node lazy for it and announced it, or
// never had it first). In a 10 s run of the bench harness at N = 64 and
// 1,000 broadcasts/s (traced, session 12), 156 GRAFTs asked for missing
// user payloads of roots' own trees; 121 of them were sent after a newer
// payload of the same root's tree had been pushed to the node, a median
// 196 ms before the timer fired. Each is a delivery one repair round late,
// and each root sends every 64 ms there.
//
// So a missing message of a root's own tree is grafted at once (as if its
// GraftTimeout1 timer had fired: from its first announcer, then the
// others with GraftTimeout2 between them) when
//   - a new payload of the same tree with a higher sequence number is
//     pushed here by a neighbour (not the answer to a GRAFT of ours, which
//     comes from an announcer and says nothing about the tree's order):
//     the IDs up to ptGapLookback sequence numbers below it are looked up;
//     or
//   - an IHAVE announces it, up to ptGapLookback sequence numbers below
//     the last payload of the tree pushed here (ptTree.newest). The bound
//     keeps a restarted root out: its sequence numbers start at a random
//     point, and until its first payload is pushed here the last one is
//     its previous incarnation's.
//
// The neighbour that pushed the newer payload is asked first if it
// announced the missing one. Not on the shared tree, which carries a
// root's rare payloads among many roots' (no order to rely on), and not
// without per-root trees. A premature GRAFT (the older payload was on its
// way after all, the tree above having changed between the two) costs one
// duplicate copy and a PRUNE, as any GRAFT whose eager copy comes later.

// ptGapLookback is how many sequence numbers below a newly pushed payload
// are looked up in the missing table (one map lookup each, only when the
// table is not empty). At 1,000 broadcasts/s from 64 roots a root's
// payloads are 64 ms apart, so 16 of them cover a second.
const ptGapLookback = 16

// graftGapBehind grafts the missing messages of tree r with sequence
// numbers just below seq (ptGapLookback of them) that were not grafted
// yet, after a new payload of r with sequence number seq was pushed here
// by the neighbour from.
func (p *Plumtree) graftGapBehind(r ptTreeRef, seq uint64, from *ptPeer) {
	if len(p.missing.m) == 0 || r.shared || r.root == "" || p.trees.get(r.root) == nil {
		return
	}
	var ids []MessageID
	for d := uint64(1); d <= ptGapLookback && d <= seq; d++ {
		id := MessageID{Origin: r.root, Seq: seq - d}
		if id.Seq&ptSharedBit != 0 {
			break
		}
		if e, ok := p.missing.m[id]; ok && e.grafts == 0 {
			ids = append(ids, id)
		}
	}
	p.graftGap(ids, from)
}

// gapAnnounced reports whether the missing message id, just announced, is
// behind the newest payload its tree has pushed here (see above).
func (p *Plumtree) gapAnnounced(id MessageID) bool {
	r := ptTreeOf(id)
	if r.shared {
		return false
	}
	tr := p.trees.get(r.root)
	return tr != nil && id.Seq < tr.newest && tr.newest-id.Seq <= ptGapLookback
}

// graftGap grafts the missing messages ids at once, as their graft timer
// would (graftTimerFired), asking the neighbour prefer first among their
// announcers when it is one. The GRAFTs are counted as gap GRAFTs.
func (p *Plumtree) graftGap(ids []MessageID, prefer *ptPeer) {
	if len(ids) == 0 {
		return
	}
	// Ascending order: the order the root sent them.
	slices.SortStableFunc(ids, func(a, b MessageID) int { return cmp.Compare(a.Seq, b.Seq) })
	t := &ptGraftTimer{ids: ids}
	for _, id := range ids {
		e := p.missing.m[id]
		if prefer != nil {
			moveAnnouncerFirst(e.announcers, prefer.peer.Name)
		}
		e.timer = t // the GraftTimeout1 timer that owned it finds nothing
		p.missing.m[id] = e
	}
	before := p.grafts.missing
	p.graftTimerFired(t)
	p.grafts.gap += p.grafts.missing - before
	p.grafts.missing = before
}
