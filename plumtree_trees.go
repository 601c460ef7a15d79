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
// A tracked tree holds, per link, an override of the default tree: the
// links a PRUNE or GRAFT for its root changed, and whether each is lazy.
// A link without an override follows the default tree. Both ends of a
// link set the same override on the same message (the sender when it
// sends it, the receiver when it receives it; links are FIFO), so a link
// is symmetric in every tree both ends track, and a root's first
// broadcast costs what it cost with one set. A link a root's tree needed
// and another root's duplicates pruned is grafted back once for that root
// (GRAFT of its message IDs) and from then on stays eager in its tree,
// whatever other roots prune: a root that keeps sending pays a repair
// round at most once per link. Overrides are not set when a payload is
// merely pushed along the default tree: the simulator's all-send round
// (every node broadcasts once at the same instant) cost more duplicates
// that way (RMR 0.59 instead of 0.44 at 1,000 nodes, seed 7, measured
// before announcers were pruned instead of pushed, see push), as each
// root's links stay eager however the concurrent PRUNEs of the other
// roots thin the default tree. A root is tracked from its first PRUNE or
// GRAFT; at most PlumtreeConfig.MaxTrees roots are, and tracking one more
// forgets the least recently used one (by a push of one of its messages
// or a change), whose links then follow the default tree again.
// An end that forgot a tree agrees with the other again at the next
// message of that root on the link: a payload pushed over a link that is
// lazy at the receiver is answered with PRUNE, and a GRAFT that moves its
// sender to eager is acknowledged.
//
// Representation. Each neighbour holds a slot, a small index that stays
// the same while it is a neighbour (ptPeer.slot; the table's name order
// changes on every NeighborUp and NeighborDown, the slot does not). A tree
// is its root's name and two bitmasks over slots, about 100 bytes with its
// index entry. A neighbour without a slot (beyond ptMaxSlots neighbours,
// see PlumtreeConfig.MaxPeers) follows the default tree in every tree.
// NeighborUp and NeighborDown drop the slot's overrides in every tree.
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

// touch marks the tree of root, if tracked, as just used.
func (t *ptTrees) touch(root string) {
	if tr := t.get(root); tr != nil {
		t.tick++
		tr.used = t.tick
	}
}

// track returns the tree of root, marked as just used, creating it
// without overrides (evicting the least recently used tree when the table
// is full). It returns nil when no tree may be tracked (max 0) or root is
// empty.
func (t *ptTrees) track(root string) *ptTree {
	if root == "" || t.max <= 0 {
		return nil
	}
	t.tick++
	if tr := t.get(root); tr != nil {
		tr.used = t.tick
		return tr
	}
	if len(t.list) < t.max {
		t.index[root] = int32(len(t.list))
		t.list = append(t.list, ptTree{root: root, used: t.tick})
		return &t.list[len(t.list)-1]
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
	return &t.list[lru]
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

// eagerIn reports whether the neighbour pp is eager in the tree of root.
func (p *Plumtree) eagerIn(root string, pp *ptPeer) bool {
	if pp.slot >= 0 {
		if tr := p.trees.get(root); tr != nil {
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
	pp.eager = eager
	if root == "" {
		p.trees.clearSlot(pp.slot)
		return
	}
	if pp.slot < 0 {
		return
	}
	if tr := p.trees.track(root); tr != nil {
		bit := uint64(1) << uint(pp.slot)
		tr.set |= bit
		if eager {
			tr.lazy &^= bit
		} else {
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

// EagerPeersOf returns the eager push peers of the tree rooted at root (a
// message origin), sorted by name: the default tree's when root is not
// tracked.
func (p *Plumtree) EagerPeersOf(root string) []Peer { return p.treePeers(root, true) }

// LazyPeersOf returns the lazy push peers of the tree rooted at root,
// sorted by name.
func (p *Plumtree) LazyPeersOf(root string) []Peer { return p.treePeers(root, false) }
