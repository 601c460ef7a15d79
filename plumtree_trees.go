// Plumtree core: the eager/lazy state per tree root (message origin).

package hyparlist

import "slices"

// This file holds Plumtree's per-root trees: an eager/lazy state per tree
// root (a message's origin), so that the duplicates of one origin's
// broadcasts no longer prune the links another origin's tree needs (with a
// single eager set they do, and those links are grafted back only after an
// IHAVE and GraftTimeout1: a repair round on the steady-state path).
// Partisan's Plumtree keeps its eager and lazy sets per root for the same
// reason.
//
// The default tree is the neighbour's eager flag (ptPeer.eager): the single
// set of the paper and of nodes of wire versions 1 and 2. Every PRUNE and
// GRAFT, whatever root it names, changes the default tree as it changed
// the single set, at both ends of the link, so the default tree evolves
// exactly as the single set did.
//
// A tracked tree holds, per link, its own state, eager or lazy. It starts
// at its root's first push on this node (the first payload of the root
// delivered here, or the root's own broadcast) with every neighbour eager,
// the paper's initial state (§3), per root: the root's first payload
// reaches every node by eager push and its duplicates prune the tree into
// shape, as the paper's first broadcast does. Since session 7 a root's
// first payload travels on the shared tree (plumtree_shared.go), so the
// flood is its first payload on its own tree, sent only by a root that
// sends often. From then on only the
// PRUNEs and GRAFTs of its root change it, and NeighborUp (a new
// neighbour is eager in every tree, §3) and NeighborDown. A link a root's
// tree needed and another root's duplicates pruned in the default tree
// stays eager in the root's tree. Trees are kept however long their root
// is quiet, until MaxTrees evicts the least recently used one.
//
// What the earlier versions of this file got wrong, each a repair round
// (IHAVE + GraftTimeout1, 600 ms at the runtime's LAN defaults) on real
// sockets, found with a trace of every Plumtree step of the bench
// harness's 32 nodes (N=32, 8 broadcasts/s from random origins: 60 of 200
// broadcasts took a repair round, p99 1.2 s):
//   - A tree was its root's overrides laid over the default tree as that
//     kept changing (fixed by d1792ee: a snapshot at the first push).
//   - A tree without traffic of its root for TreeIdle (5 s) was dropped
//     and its next payload started a new snapshot of the default tree.
//     With per-root trees the default tree follows every root's PRUNEs
//     (below) and is no spanning tree: most of its links are lazy, and a
//     new snapshot reached most nodes by IHAVE and GRAFT. Every root
//     whose broadcasts were more than TreeIdle apart (with random origins
//     at 8/s on 32 nodes, one broadcast in five) paid a repair round, and
//     in the bench every root's first broadcast did (the trees of the
//     join wave were dropped in the idle window before it). 53 of the 60.
//   - A lost link left the nodes behind it without a path to the root
//     until the root's next payload was announced and grafted; in the
//     join wave, where links come and go while every node announces
//     itself, that left holes in most roots' trees (regraftBroken).
//   - A node pruned the link that had just brought it a root's new
//     payload when it held that link lazy (a PRUNE crossing the payload),
//     after the link that had brought the previous payload first brought
//     this one second: two PRUNEs for one payload (keepParent).
//   - A new link's cache replay (NeighborUpAnnounce) got the link pruned,
//     for messages both ends already had (push): a node whose parent link
//     had gone down lost every new link this way.
// TestPlumtreeTreesNoRepairAfterChurnedJoin plays the bench's sequence on
// the core driver.
//
// Both ends of a link start a tree with every neighbour eager, so a link
// starts symmetric in it. A tree one end has and the other has not (a
// node that joined after the root's last payload, or an end whose tree
// MaxTrees evicted) is started at the other end by the root's next
// payload; meanwhile that end uses its default tree. The next message of
// the root on an asymmetric link makes it symmetric: a duplicate prunes
// its sender, a new payload pushed over a link that is lazy at the
// receiver keeps the link eager at both ends (keepParent), and a GRAFT
// that moves its sender to eager is acknowledged. An IHAVE from a
// neighbour eager in the tree of the messages it announces is grafted
// after GraftTimeout2 (graftWait).
//
// The default tree still follows every PRUNE and GRAFT, whatever root it
// names, at both ends of the link, as the single set did: it is the tree
// of the roots not tracked (MaxTrees 0, links to nodes of wire versions 1
// and 2). Once MaxTrees roots are tracked, a new root's tree, which
// replaces the least recently used one, starts as a copy of the default
// tree instead of with every neighbour eager: when more roots send than
// MaxTrees keeps there are as many new trees as broadcasts, and starting
// each with every neighbour eager would send every payload on every link.
// So each node pushes at most MaxTrees first payloads on every link.
//
// Representation. Each neighbour holds a slot, a small index that stays
// the same while it is a neighbour (ptPeer.slot; the table's name order
// changes on every NeighborUp and NeighborDown, the slot does not). A tree
// is its root's name and two bitmasks over slots, about 100 bytes with its
// index entry. A neighbour without a slot (beyond ptMaxSlots neighbours,
// see PlumtreeConfig.MaxPeers) follows the default tree in every tree,
// as does a slot without an override (set) in a tree: a neighbour that
// sent a PRUNE or GRAFT without a root (an older node, which keeps one
// set). NeighborUp makes the slot eager in every tree; NeighborDown drops
// its overrides.
//
// Determinism: the index map is only looked up; eviction and the updates
// on NeighborUp and NeighborDown scan the slice.

// ptMaxSlots is the most neighbours that have a slot, the width of a
// tree's lazy mask.
const ptMaxSlots = 64

// ptTree is the state of one tracked tree root.
type ptTree struct {
	root string
	// set has bit s set when the link of slot s has an override in this
	// tree; lazy has it set when that override is lazy.
	set, lazy uint64
	// used is the tick of the last push or change, for LRU eviction.
	used uint64
	// last is the core time of the last push or change, for
	// PlumtreeConfig.TreeIdle.
	last int64
	// parent is the slot of the neighbour that pushed the root's last
	// new payload here, -1 for none (see regraftOrphans).
	parent int8
	// newest is the sequence number of the root's last payload pushed
	// here on this tree, not grafted (plumtree_gap.go); 0 for none.
	newest uint64
}

// ptTrees is the table of tracked tree roots, and the shared tree.
type ptTrees struct {
	max   int
	index map[string]int32
	list  []ptTree
	tick  uint64
	// shared is the shared tree (plumtree_shared.go), in use when max is
	// above 0; its root is empty and it is never evicted.
	shared ptTree
}

func newPtTrees(max int) ptTrees {
	return ptTrees{max: max, index: make(map[string]int32), shared: ptTree{parent: -1}}
}

// get returns the tree of root, or nil when root is not tracked.
func (t *ptTrees) get(root string) *ptTree {
	if i, ok := t.index[root]; ok {
		return &t.list[i]
	}
	return nil
}

// track returns the tree of root, marked as just used, and whether it
// was created now, without overrides. A tree created when the table is
// full replaces the least recently used one; replaced reports that. It
// returns nil when no tree may be tracked (max 0) or root is empty.
func (t *ptTrees) track(root string) (tr *ptTree, created, replaced bool) {
	if root == "" || t.max <= 0 {
		return nil, false, false
	}
	t.tick++
	if tr := t.get(root); tr != nil {
		tr.used = t.tick
		return tr, false, false
	}
	if len(t.list) < t.max {
		t.index[root] = int32(len(t.list))
		t.list = append(t.list, ptTree{root: root, used: t.tick, parent: -1})
		return &t.list[len(t.list)-1], true, false
	}
	lru := 0
	for i := range t.list {
		if t.list[i].used < t.list[lru].used {
			lru = i
		}
	}
	delete(t.index, t.list[lru].root)
	t.index[root] = int32(lru)
	t.list[lru] = ptTree{root: root, used: t.tick, parent: -1}
	return &t.list[lru], true, true
}

// clearSlot drops the overrides of slot s in every tree (a neighbour that
// arrives or leaves, or a PRUNE or GRAFT for every tree).
func (t *ptTrees) clearSlot(s int8) {
	if s < 0 {
		return
	}
	bit := uint64(1) << uint(s)
	for i := range t.list {
		t.list[i].set &^= bit
		t.list[i].lazy &^= bit
	}
	t.shared.set &^= bit
	t.shared.lazy &^= bit
}

// eagerSlot overrides slot s as eager in every tree (a neighbour that
// arrives: eager in every tree, as in §3's NeighborUp).
func (t *ptTrees) eagerSlot(s int8) {
	if s < 0 {
		return
	}
	bit := uint64(1) << uint(s)
	for i := range t.list {
		t.list[i].set |= bit
		t.list[i].lazy &^= bit
	}
	t.shared.set |= bit
	t.shared.lazy &^= bit
}

// anyLazy reports whether slot s is overridden as lazy in some tree.
func (t *ptTrees) anyLazy(s int8) bool {
	if s < 0 {
		return false
	}
	bit := uint64(1) << uint(s)
	for i := range t.list {
		if t.list[i].lazy&bit != 0 {
			return true
		}
	}
	return t.shared.lazy&bit != 0
}

// tree returns the tree r names, or nil when it is not tracked (the
// default tree then stands for it).
func (p *Plumtree) tree(r ptTreeRef) *ptTree {
	if r.shared {
		if p.trees.max > 0 {
			return &p.trees.shared
		}
		return nil
	}
	return p.trees.get(r.root)
}

// trackTree returns the tree r names, marked as used now, and whether it
// was created now. A new root's tree starts with every neighbour eager
// (startEager: its first payload on it floods, and the duplicates leave
// the tree of first arrivals, see plumtree_shared.go), except in two
// cases: when it replaced another (MaxTrees roots are tracked), and when
// TreeIdle is 0 (a root's first payload travels on its own tree there, and
// would flood). Then it starts as a copy (snapshot) of the shared tree
// once that has brought this node a payload; before, a replacing tree
// copies the default tree, and with TreeIdle 0 every neighbour is eager.
// It returns nil when no tree may be tracked.
func (p *Plumtree) trackTree(r ptTreeRef) (*ptTree, bool) {
	if r.shared {
		tr := p.tree(r)
		if tr != nil {
			p.trees.tick++
			tr.used, tr.last = p.trees.tick, p.now
		}
		return tr, false
	}
	tr, created, replaced := p.trees.track(r.root)
	if tr == nil {
		return nil, false
	}
	if created {
		switch {
		case p.sharedSpans && (replaced || p.cfg.TreeIdle <= 0):
			p.snapshot(tr, ptSharedTree)
		case replaced:
			p.snapshot(tr, ptTreeRef{})
		default:
			p.startEager(tr)
		}
	}
	tr.last = p.now
	return tr, created
}

// eagerIn reports whether the neighbour pp is eager in the tree r names.
func (p *Plumtree) eagerIn(r ptTreeRef, pp *ptPeer) bool {
	if pp.slot >= 0 {
		if tr := p.tree(r); tr != nil {
			if bit := uint64(1) << uint(pp.slot); tr.set&bit != 0 {
				return tr.lazy&bit == 0
			}
		}
	}
	return pp.eager
}

// setLink moves the neighbour pp to eager or lazy in the tree r names (an
// override, see above) and in the default tree. A ref without root or
// shared flag (a PRUNE or GRAFT from a node that keeps one set) drops
// pp's overrides in every tree, the shared one too, so that all of them
// follow the default tree.
func (p *Plumtree) setLink(r ptTreeRef, pp *ptPeer, eager bool) {
	if r == (ptTreeRef{}) {
		pp.eager = eager
		p.trees.clearSlot(pp.slot)
		return
	}
	tr, _ := p.trackTree(r) // started before pp's default state changes
	pp.eager = eager
	if tr == nil || pp.slot < 0 {
		return
	}
	bit := uint64(1) << uint(pp.slot)
	tr.set |= bit
	if eager {
		tr.lazy &^= bit
	} else {
		tr.lazy |= bit
	}
}

// trackPush tracks the tree of root, the origin of a payload about to be
// pushed, and records the neighbour parent the payload came from (nil for
// a local broadcast) as the tree's parent. A tree created now has parent
// eager, as parent holds us eager in its own tree, since it pushed the
// payload to us.
func (p *Plumtree) trackPush(r ptTreeRef, parent *ptPeer) {
	tr, created := p.trackTree(r)
	if tr == nil || parent == nil {
		return
	}
	tr.parent = parent.slot
	if r.shared {
		p.markSharedParent(parent.slot)
	}
	if created && parent.slot >= 0 {
		tr.lazy &^= uint64(1) << uint(parent.slot)
	}
}

// startEager gives the new tree tr an eager override for every neighbour
// with a slot: the paper's initial state (§3, every neighbour eager), per
// root. The root's first payload then reaches every node by eager push,
// and its duplicates prune the tree into shape, as the paper's first
// broadcast does; from then on only the root's PRUNEs and GRAFTs change
// the tree (and neighbours arriving or leaving).
func (p *Plumtree) startEager(tr *ptTree) {
	for i := range p.peers.list {
		if s := p.peers.list[i].slot; s >= 0 {
			tr.set |= uint64(1) << uint(s)
		}
	}
}

// snapshot gives the new tree tr an override for every neighbour with a
// slot: its state now in the tree from names (the shared tree, or the
// default tree for the zero ref). From then on the tree
// changes only by the PRUNEs and GRAFTs of its root (and by neighbours
// arriving or leaving), never by those of other roots.
//
// Without the snapshot a tracked tree was its root's overrides laid over
// whatever the default tree had become since: a link pruned for the root
// because another default-eager link delivered the payload first stayed
// lazy after other roots' PRUNEs had made that other link lazy too, and
// the root's next payload reached part of the overlay only by IHAVE and
// GRAFT. In the runtime every node's first membership announcements (a
// join wave: every node broadcasts at once) track every root this way, so
// almost every later user broadcast paid a repair round
// (TestPlumtreeTreesNoRepairAfterJoinWave).
func (p *Plumtree) snapshot(tr *ptTree, from ptTreeRef) {
	for i := range p.peers.list {
		pp := &p.peers.list[i]
		if pp.slot < 0 {
			continue
		}
		bit := uint64(1) << uint(pp.slot)
		tr.set |= bit
		if !p.eagerIn(from, pp) {
			tr.lazy |= bit
		}
	}
}

// treePeers returns the neighbours whose state in the tree of root is
// eager (or lazy), in name order.
func (p *Plumtree) treePeers(r ptTreeRef, eager bool) []Peer {
	var out []Peer
	for i := range p.peers.list {
		if pp := &p.peers.list[i]; p.eagerIn(r, pp) == eager {
			out = append(out, pp.peer)
		}
	}
	return out
}

// TreeRoots returns the tree roots the core tracks, sorted. A root not
// listed uses the default tree (EagerPeers, LazyPeers).
func (p *Plumtree) TreeRoots() []string {
	out := make([]string, 0, len(p.trees.list))
	for i := range p.trees.list {
		out = append(out, p.trees.list[i].root)
	}
	slices.Sort(out)
	return out
}

// eagerPeersOf returns the eager push peers of the tree rooted at root (a
// message origin), sorted by name: the default tree's when root is not
// tracked.
func (p *Plumtree) eagerPeersOf(root string) []Peer { return p.treePeers(ptTreeRef{root: root}, true) }

// lazyPeersOf returns the lazy push peers of the tree rooted at root,
// sorted by name.
func (p *Plumtree) lazyPeersOf(root string) []Peer { return p.treePeers(ptTreeRef{root: root}, false) }

// brokenTrees collects, in p.broken, the trees in which the neighbour pp,
// about to go down, is eager or the parent, and that were used less than
// PlumtreeConfig.TreeIdle ago (all of them with TreeIdle zero): the index
// of each, -1 for the shared tree.
func (p *Plumtree) brokenTrees(pp *ptPeer) {
	p.broken = p.broken[:0]
	broken := func(tr *ptTree, r ptTreeRef) bool {
		if p.cfg.TreeIdle > 0 && p.now-tr.last >= int64(p.cfg.TreeIdle) {
			return false
		}
		return (pp.slot >= 0 && tr.parent == pp.slot) || p.eagerIn(r, pp)
	}
	for i := range p.trees.list {
		if tr := &p.trees.list[i]; broken(tr, ptTreeRef{root: tr.root}) {
			p.broken = append(p.broken, int32(i))
		}
	}
	// The shared tree carries every root's first payloads, however long
	// it has been idle: it is grafted around a lost link whenever it ran
	// through it.
	if sh := &p.trees.shared; p.trees.max > 0 && p.sharedSpans &&
		((pp.slot >= 0 && sh.parent == pp.slot) || p.eagerIn(ptSharedTree, pp)) {
		p.broken = append(p.broken, -1)
	}
}

// regraftBroken runs after a neighbour went down (brokenTrees collected
// the trees it was a link of): in each of those trees, every lazy
// neighbour is moved to eager and sent an empty GRAFT for the tree's
// root.
//
// Not in the paper, where the nodes cut off from the root by the lost
// link wait for the root's next payload to be announced by IHAVE and
// graft it after GraftTimeout1: a repair round on the next broadcast of
// every root whose tree ran through the link. Both ends act, since
// either may be the one cut off, and the cut-off side's lazy links may
// all lead into that side (a root whose only eager link was lost, after
// its neighbours had all received its payload from elsewhere first). The
// grafted links carry the root's next payload at once; those that bring
// a duplicate are pruned by it, as after the first payload of a new tree.
// Trees idle for TreeIdle are left alone (their root's next payload
// repairs them the paper's way), so that a link lost in a cluster with
// many quiet roots costs GRAFTs only for the roots that send. A
// NeighborDown sends at most MaxTrees GRAFTs to each remaining neighbour,
// and p.broken holds at most MaxTrees indices.
func (p *Plumtree) regraftBroken(slot int8) {
	for i := range p.trees.list {
		if p.trees.list[i].parent == slot {
			p.trees.list[i].parent = -1
		}
	}
	if p.trees.shared.parent == slot {
		p.trees.shared.parent = -1
	}
	for _, i := range p.broken {
		r := ptSharedTree
		if i >= 0 {
			r = ptTreeRef{root: p.trees.list[i].root}
		}
		for j := range p.peers.list {
			if pp := &p.peers.list[j]; !p.eagerIn(r, pp) {
				p.setLink(r, pp, true)
				p.grafts.regraft++
				p.emit(Send{To: pp.peer, Msg: r.graft()})
			}
		}
	}
	clear(p.broken)
	p.broken = p.broken[:0]
}

// keepParent handles a new payload of root pushed by the neighbour pp that
// we hold lazy in root's tree (a PRUNE of ours crossed the payload on the
// link, or the two ends started the tree in different states).
//
// With one shared tree (MaxTrees 0, or root not tracked), pp stays lazy
// and is told so again with PRUNE, as for a duplicate: the link ends lazy
// at both ends.
//
// With per-root trees, pp is the neighbour that brought this node the
// root's payload first: the one link of the tree the paper never prunes
// (§3: a duplicate prunes its sender, the first sender stays eager).
// Pruning it too cut a node, and the subtree behind it, off the root's
// tree when the link that had delivered the previous payload first
// delivered this one as a duplicate: two PRUNEs for one payload, seen in
// the join wave on real sockets, where a root's announcements follow one
// another while the overlay changes, and paid as a repair round by the
// root's next broadcast. pp is made eager here and sent an empty GRAFT
// for the root, which makes the link eager at both ends again.
func (p *Plumtree) keepParent(r ptTreeRef, pp *ptPeer) {
	if p.tree(r) == nil {
		p.setLink(r, pp, false) // the default tree follows the PRUNE
		p.emit(Send{To: pp.peer, Msg: r.prune()})
		return
	}
	p.setLink(r, pp, true)
	p.grafts.repair++
	p.emit(Send{To: pp.peer, Msg: r.graft()})
	p.graftAnnounced(r, pp)
}
