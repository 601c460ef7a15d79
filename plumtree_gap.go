// Plumtree core: a missing message of a root's tree is grafted at once
// when it is known not to come by push: a newer payload of that tree has
// already been pushed here, or the tree has pushed nothing here.

package hyparlist

import (
	"cmp"
	"slices"
	"time"
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
// announced the missing one. Not among the shared tree's own payloads,
// which carry a root's rare payloads among many roots' (no order to rely
// on), and not without per-root trees. A premature GRAFT (the older
// payload was on its way after all, the tree above having changed between
// the two) costs one duplicate copy and a PRUNE, as any GRAFT whose eager
// copy comes later.
//
// Two more cases of the same kind (session 13, issue 11), both at the
// start of a root's tree, where nothing newer of the tree has been pushed
// yet. On the core driver's 1 s burst at N = 64 (TestPlumtreeBurstFigures)
// they took every broadcast of 1,000 under 400 ms with links of up to 2
// and 20 ms, where 15 and 35 took a repair round without them:
//   - A root's first payload travels on the shared tree (numbered with
//     ptSharedBit set), its next ones on its own tree, with the numbers
//     that follow. The shared tree is pruned by every root's first
//     payload at once when many roots start together, and leaves nodes
//     out; such a node learns of the first payload by IHAVE. Once a newer
//     payload of the root's own tree has been pushed here, the first one
//     is grafted at once too (looked up by its number without the bit).
//     In the burst this took the roots' first payloads that waited a
//     repair round from 10 of 64 to none (links up to 2 ms), from 11 to 2
//     (20 ms).
//   - A root's own tree started at each node as a copy of that node's
//     shared tree (session 13; since session 15 only where a tree
//     replaces another or TreeIdle is 0), taken when the root's first
//     payload on it arrives there. The copies are taken at different moments while the shared
//     tree changes, so both ends of a link may disagree, and a node whose
//     neighbours all copied it as lazy is outside the tree: no payload of
//     it is ever pushed here, and each one waits GraftTimeout1 after its
//     IHAVE (the same node, every payload of the root, until one GRAFT
//     makes a link eager). So an IHAVE of a message of a root's own tree
//     that has no tree here (outside: nothing of it was pushed or grafted
//     here) is grafted without waiting GraftTimeout1, once new trees
//     start here as copies of the shared tree (sharedSpans) and while a
//     tree slot is free (MaxTrees). Since session 15 a tree started while
//     a slot is free starts with every neighbour eager (plumtree_trees.go),
//     so this now fires only where the neighbours' trees are copies (a
//     neighbour whose table is full, or TreeIdle 0): at worst one early
//     GRAFT and one duplicate. The GRAFT starts the tree here and
//     makes the link eager at both ends; the root's next payloads come by
//     push. The IHAVE comes up to IHaveInterval after its sender had the
//     payload; the GRAFT goes when GraftTimeout2/2 has passed since then,
//     at the latest (outsideWait: GraftTimeout2/2 − IHaveInterval, at
//     once with the runtime's Local settings, 25 ms with its LAN ones, and
//     15 ms with the core's defaults, whose 5 ms IHAVE batches come before
//     eager copies on slower links: grafting those at once took a root's
//     first payload on its own tree from 39 to 51 copies over 40 nodes,
//     TestPlumtreeSharedFirstPushOneTree). On the burst at links of up to
//     2 ms, at once and 25 ms later gave the same figures.

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
	seqs := p.missing.ofRoot(r.root)
	if len(seqs) == 0 {
		return
	}
	// An integer lookup per number; the table only for those missing.
	var ids []MessageID
	add := func(s uint64) {
		if _, ok := seqs[s]; !ok {
			return
		}
		id := MessageID{Origin: r.root, Seq: s}
		if e := p.missing.m[id]; e.grafts == 0 {
			ids = append(ids, id)
		}
	}
	for d := uint64(1); d <= ptGapLookback && d <= seq; d++ {
		s := seq - d
		if s&ptSharedBit != 0 {
			break
		}
		add(s)
		// The root's payload of the same number on the shared tree
		// (its first payloads travel there, see below).
		add(s | ptSharedBit)
	}
	p.graftGap(ids, from)
}

// gapAnnounced reports whether the missing message id, just announced, is
// known not to come by push (see above): it is behind the newest payload
// its root's own tree has pushed here (a message of the shared tree too,
// by its number), or it is of a root's own tree that has not pushed
// anything here (outside).
func (p *Plumtree) gapAnnounced(id MessageID) bool {
	r := ptTreeOf(id)
	tr := p.trees.get(r.root)
	if tr == nil {
		return false
	}
	seq := id.Seq &^ ptSharedBit
	return seq < tr.newest && tr.newest-seq <= ptGapLookback
}

// outside reports whether r, a root's own tree, is one this node is
// outside of (see above): per-root trees are on, new trees start here as
// copies of the shared tree (sharedSpans), and r has no tree here, so no
// payload of it was pushed or grafted here since its tree was last
// evicted.
func (p *Plumtree) outside(r ptTreeRef) bool {
	// With every tree slot taken, an untracked root may be one evicted
	// here (MaxTrees), not one this node is outside of: grafting its
	// payloads early would evict another root's tree, whose payloads
	// would then be grafted early too.
	return p.trees.max > 0 && len(p.trees.list) < p.trees.max && p.sharedSpans && !r.shared && r.root != "" && p.trees.get(r.root) == nil
}

// graftGap grafts the missing messages ids at once, as their graft timer
// would (graftTimerFired), asking the neighbour prefer first among their
// announcers when it is one. The GRAFTs are counted as gap GRAFTs.
func (p *Plumtree) graftGap(ids []MessageID, prefer *ptPeer) {
	// Not those grafted since they were collected (the §3.8 swap of the
	// same IHAVE grafts its new parent's announcements, graftAnnounced):
	// a second GRAFT brings a second copy, and that duplicate prunes the
	// link just grafted.
	kept := ids[:0]
	for _, id := range ids {
		if e, ok := p.missing.m[id]; ok && e.grafts == 0 {
			kept = append(kept, id)
		}
	}
	clear(ids[len(kept):])
	ids = kept
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

// graftOutside grafts the missing messages ids, of root trees this node is
// outside of, just announced by pp: at once, or when outsideWait is above
// zero, with a timer of their own set to it (the IHAVE's timer then finds
// them gone).
func (p *Plumtree) graftOutside(ids []MessageID, pp *ptPeer) {
	if len(ids) == 0 {
		return
	}
	w := p.outsideWait()
	if w <= 0 {
		p.graftGap(ids, pp)
		return
	}
	t := &ptGraftTimer{}
	due := p.now + int64(w)
	for _, id := range ids {
		// Not one whose timer fires by then already (an earlier
		// announcer's outside timer): a new announcer must not put
		// the GRAFT off by another outsideWait.
		if e, ok := p.missing.m[id]; ok && e.grafts == 0 && (e.timer == nil || e.timer.due > due) {
			t.ids = append(t.ids, id)
			e.timer = t
			p.missing.m[id] = e
		}
	}
	if len(t.ids) > 0 {
		p.armGraft(t, w)
	}
}

// outsideWait is the wait before grafting a message announced from a root
// tree this node is outside of: GraftTimeout2/2 less IHaveInterval, at
// least zero (see above).
func (p *Plumtree) outsideWait() time.Duration {
	return max(0, p.cfg.GraftTimeout2/2-p.cfg.IHaveInterval)
}
