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
// delivered here, or the root's own broadcast) as a snapshot of the
// default tree, with the neighbour that pushed the payload eager (it
// holds us eager in its own tree, or it would have sent IHAVE), so a
// root's first broadcast costs what it cost with one set. From then on
// only the PRUNEs and GRAFTs of its root change it, and NeighborUp (a new
// neighbour is eager in every tree, §3) and NeighborDown. A link a root's
// tree needed and another root's duplicates pruned in the default tree
// stays eager in the root's tree: a root that keeps sending pays a repair
// round at most once per link.
//
// Two things the first version of this file got wrong, which cost a
// repair round (IHAVE + GraftTimeout1, 602 ms at the runtime's LAN
// defaults) on almost every broadcast on real sockets while the
// simulator saw none (TestPlumtreeTreesNoRepairAfterJoinWave):
//   - A tree was its root's overrides laid over the default tree as that
//     kept changing: a link pruned for the root because another,
//     default-eager, link had delivered its payload first stayed lazy
//     after other roots' PRUNEs had made that other link lazy as well,
//     and the root's next payload reached the nodes behind it only by
//     IHAVE and GRAFT. The runtime's join wave (every node announces
//     itself, a Plumtree broadcast of its own) tracked every root that
//     way before the first user broadcast; the simulator's experiments
//     run without the membership core, so their roots start untracked.
//   - A tree is repaired only by its own root's traffic. A root that
//     sends rarely gains nothing from a tree of its own, and the tree
//     goes stale meanwhile: a parent link that went down leaves a hole
//     that its next payload finds by IHAVE and GRAFT, while the default
//     tree is kept in shape by every root's traffic. A tree without a
//     push, PRUNE or GRAFT of its root for PlumtreeConfig.TreeIdle is
//     therefore dropped: the root follows the default tree again and its
//     next payload starts a new snapshot.
//
// Both ends of a link take their snapshot of it when the root's payload
// first passes them, which is nearly the same moment in the steady state;
// when other roots' PRUNEs and GRAFTs change the default tree between the
// two (many roots sending at once), the link can start asymmetric in the
// new tree. The next message of that root on the link makes it symmetric
// again: a payload pushed over a link that is lazy at the receiver is
// answered with PRUNE, and a GRAFT that moves its sender to eager is
// acknowledged. An IHAVE from a neighbour eager in the tree of the
// messages it announces is grafted after GraftTimeout2 (graftWait). The
// same holds for an end that forgot a tree (MaxTrees evicts the least
// recently used one) while the other did not.
//
// The default tree still follows every PRUNE and GRAFT, whatever root it
// names, at both ends of the link, as the single set did; it is what a
// new or idle root starts from.
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
}

// ptTrees is the table of tracked tree roots.
type ptTrees struct {
	max   int
	index map[string]int32
	list  []ptTree
	tick  uint64
}

func newPtTrees(max int) ptTrees {
	return ptTrees{max: max, index: make(map[string]int32)}
}

// get returns the tree of root, or nil when root is not tracked.
func (t *ptTrees) get(root string) *ptTree {
	if i, ok := t.index[root]; ok {
		return &t.list[i]
	}
	return nil
}

// track returns the tree of root, marked as just used, and whether it
// was created now, without overrides (evicting the least recently used
// tree when the table is full). It returns nil when no tree may be
// tracked (max 0) or root is empty.
func (t *ptTrees) track(root string) (*ptTree, bool) {
	if root == "" || t.max <= 0 {
		return nil, false
	}
	t.tick++
	if tr := t.get(root); tr != nil {
		tr.used = t.tick
		return tr, false
	}
	if len(t.list) < t.max {
		t.index[root] = int32(len(t.list))
		t.list = append(t.list, ptTree{root: root, used: t.tick})
		return &t.list[len(t.list)-1], true
	}
	lru := 0
	for i := range t.list {
		if t.list[i].used < t.list[lru].used {
			lru = i
		}
	}
	delete(t.index, t.list[lru].root)
	t.index[root] = int32(lru)
	t.list[lru] = ptTree{root: root, used: t.tick}
	return &t.list[lru], true
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
	return false
}

// tree returns the tree of root, or nil when root is not tracked or its
// tree has been idle for PlumtreeConfig.TreeIdle.
func (p *Plumtree) tree(root string) *ptTree {
	tr := p.trees.get(root)
	if tr != nil && p.idle(tr) {
		return nil
	}
	return tr
}

// idle reports whether tr has seen no push or change of its root for
// PlumtreeConfig.TreeIdle.
func (p *Plumtree) idle(tr *ptTree) bool {
	return p.cfg.TreeIdle > 0 && p.now-tr.last >= int64(p.cfg.TreeIdle)
}

// trackTree returns the tree of root, marked as used now, and whether it
// starts now: created, or idle until now and so started again from
// scratch (see snapshotDefault). It returns nil when no tree may be
// tracked.
func (p *Plumtree) trackTree(root string) (*ptTree, bool) {
	tr, created := p.trees.track(root)
	if tr == nil {
		return nil, false
	}
	if !created && p.idle(tr) {
		tr.set, tr.lazy = 0, 0
		created = true
	}
	tr.last = p.now
	return tr, created
}

// eagerIn reports whether the neighbour pp is eager in the tree of root.
func (p *Plumtree) eagerIn(root string, pp *ptPeer) bool {
	if pp.slot >= 0 {
		if tr := p.tree(root); tr != nil {
			if bit := uint64(1) << uint(pp.slot); tr.set&bit != 0 {
				return tr.lazy&bit == 0
			}
		}
	}
	return pp.eager
}

// setLink moves the neighbour pp to eager or lazy in the tree of root (an
// override, see above) and in the default tree. An empty root (a PRUNE or
// GRAFT from a node that keeps one set) drops pp's overrides in every tree,
// so that all of them follow the default tree.
func (p *Plumtree) setLink(root string, pp *ptPeer, eager bool) {
	if root == "" {
		pp.eager = eager
		p.trees.clearSlot(pp.slot)
		return
	}
	tr, created := p.trackTree(root)
	if created {
		p.snapshotDefault(tr) // before pp's default state changes
	}
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
// pushed: a tree created now starts as a snapshot of the default tree
// (snapshotDefault), with the neighbour parent the payload came from
// (nil for none) eager, as parent holds us in its own tree, since it
// pushed the payload to us.
func (p *Plumtree) trackPush(root string, parent *ptPeer) {
	tr, created := p.trackTree(root)
	if !created {
		return
	}
	p.snapshotDefault(tr)
	if parent != nil && parent.slot >= 0 {
		tr.lazy &^= uint64(1) << uint(parent.slot)
	}
}

// snapshotDefault gives the new tree tr an override for every neighbour
// with a slot: its state in the default tree now. From then on the tree
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
func (p *Plumtree) snapshotDefault(tr *ptTree) {
	for i := range p.peers.list {
		pp := &p.peers.list[i]
		if pp.slot < 0 {
			continue
		}
		bit := uint64(1) << uint(pp.slot)
		tr.set |= bit
		if !pp.eager {
			tr.lazy |= bit
		}
	}
}

// treePeers returns the neighbours whose state in the tree of root is
// eager (or lazy), in name order.
func (p *Plumtree) treePeers(root string, eager bool) []Peer {
	var out []Peer
	for i := range p.peers.list {
		if pp := &p.peers.list[i]; p.eagerIn(root, pp) == eager {
			out = append(out, pp.peer)
		}
	}
	return out
}

// TreeRoots returns the tree roots the core tracks, sorted, without those
// idle for PlumtreeConfig.TreeIdle. A root not listed uses the default
// tree (EagerPeers, LazyPeers).
func (p *Plumtree) TreeRoots() []string {
	out := make([]string, 0, len(p.trees.list))
	for i := range p.trees.list {
		if !p.idle(&p.trees.list[i]) {
			out = append(out, p.trees.list[i].root)
		}
	}
	slices.Sort(out)
	return out
}

// EagerPeersOf returns the eager push peers of the tree rooted at root (a
// message origin), sorted by name: the default tree's when root is not
// tracked.
func (p *Plumtree) EagerPeersOf(root string) []Peer { return p.treePeers(root, true) }

// LazyPeersOf returns the lazy push peers of the tree rooted at root,
// sorted by name.
func (p *Plumtree) LazyPeersOf(root string) []Peer { return p.treePeers(root, false) }
