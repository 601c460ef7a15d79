// Plumtree core: the shared tree, which carries membership announcements
// and the first payloads of roots that do not send often.

package hyparlist

// This file holds the shared tree and the choice, at a message's origin,
// of the tree the message travels on. With per-root trees
// (PlumtreeConfig.MaxTrees above 0) a root's tree used to start, at its
// first payload, with every neighbour eager: that payload was pushed on
// most links (bench, N = 256, 20 broadcasts from random origins: 3.2–3.6
// payload copies per receiver, 2.1× the bytes of one tree; in the
// simulator, where each random sender broadcasts once, an RMR of 3.00
// against 0.017 with one tree), and so was each node's membership
// announcement. Starting it as a copy of the default tree instead cost a
// repair round, because the default tree follows every root's PRUNEs and
// does not span the cluster.
//
// The shared tree is a tree like a root's (ptTree, trees.shared) that
// only the messages travelling on it change: their duplicates prune it,
// their grafts and keepParent graft it, a lost link is grafted around in
// it (regraftBroken, whether or not it was used within TreeIdle), and a
// neighbour arriving is eager in it. As in a root's tree, an eager
// announcer is pruned only for a payload that was grafted, not for a new
// link's cache replay (push). No other
// root's PRUNE touches it, so it stays a spanning tree as the paper's
// single tree does when one origin sends. The messages that travel on it:
//   - every ClassMembership message (a node's announcements, which are
//     rare, come from every node, and used to start a flooded tree per
//     node);
//   - a root's user payload when the root's previous user broadcast is
//     TreeIdle or more in the past (or there was none): the first
//     payload of a root, and a root that sends seldom. It costs one copy
//     per node over a spanning tree.
//
// A root that broadcasts again within TreeIdle sends on its own tree. A
// node starts that tree, at the root's first payload on it, with every
// neighbour eager: that payload floods once, and its duplicates prune the
// tree down to the tree of first arrivals, each node's parent the
// neighbour that brought it the payload first. From then on the root's
// tree evolves by its own PRUNEs and GRAFTs (§3.8 optimisation included),
// so the steady-state path of a root that sends often is as before: no
// PRUNE of another root reaches it.
//
// From session 7 to 14 the tree started as a copy of the node's shared
// tree (snapshot), once that had brought it a payload by eager push
// (sharedSpans): a copy of a spanning tree reaches every node without a
// duplicate. But a spanning tree that serves every root is deep for most
// of them: the root's path to a node is the path in that one tree, and
// the §3.8 optimisation, which needs a shortcut of OptimizationThreshold
// (7) hops, never shortens it in a cluster of 64. In the bench harness at
// N = 64 and 1,000 broadcasts/s (session 15) the last node of a broadcast
// got it after 7 to 9 hops (the overlay's diameter is about 4), each hop
// a queue on a loaded machine; on the core driver's 10 s burst
// (TestPlumtreeBurstFigures, 10,000 broadcasts, links up to 20 ms) the
// copies' p99 was 64 ms against 35 ms for trees of first arrivals, with
// links up to 100 ms 369 ms against 174 ms. The flood costs one payload
// per link and direction, once per root that sends often (at N = 64,
// about 2 % more payloads over 10 s at 1,000/s); a root's first payload
// still costs one copy per node, and so does every broadcast of the
// simulator's experiments (each sender broadcasts once). A copy of the
// shared tree is still what a tree starts as when it replaces another
// (MaxTrees roots are tracked: as many new trees as broadcasts) or with
// TreeIdle 0 (a root's first payload is on its own tree there).
//
// The tree of a message is in its ID: the top bit of its sequence number
// (ptSharedBit) is set for the shared tree, so GOSSIP, IHAVE and the IDs
// of a GRAFT carry it, and nodes of any version relay it unchanged (a
// node of wire version 3 or 4 takes the message as its root's, and a
// node that keeps one set, as every message). A PRUNE or empty GRAFT for
// the shared tree says so with its Shared flag (wire version 5); on older
// links it names the message's origin alone (forVersion).
//
// The default tree (ptPeer.eager) is unchanged: it follows every PRUNE and
// GRAFT, the shared tree's too, and stands for the roots not tracked.

// ptSharedBit is the bit of MessageID.Seq set on the messages that travel
// on the shared tree. Sequence numbers start below it (NewPlumtree draws
// the first from 63 bits) and a node would have to broadcast 2^62 times
// to reach it.
const ptSharedBit = uint64(1) << 63

// ptTreeRef names a tree: the shared tree (shared), or the tree of root
// (the default tree when root is not tracked). root is still the origin
// of the message concerned for the shared tree, which is what a PRUNE or
// GRAFT names for a link below wire version 5. The zero value stands for
// every tree (a PRUNE or GRAFT from a node that keeps one set).
type ptTreeRef struct {
	root   string
	shared bool
}

// ptSharedTree names the shared tree, without a message.
var ptSharedTree = ptTreeRef{shared: true}

// ptTreeOf returns the tree the message id travels on.
func ptTreeOf(id MessageID) ptTreeRef {
	return ptTreeRef{root: id.Origin, shared: id.Seq&ptSharedBit != 0}
}

// prune returns the PRUNE for tree r.
func (r ptTreeRef) prune() pruneMsg { return pruneMsg{Root: r.root, Shared: r.shared} }

// graft returns the empty GRAFT for tree r.
func (r ptTreeRef) graft() graftMsg { return graftMsg{Root: r.root, Shared: r.shared} }

// sendsShared reports whether a local broadcast of class goes on the
// shared tree (see above), and records a user broadcast for the next
// call. With MaxTrees 0 there is one tree and the question does not
// arise; with TreeIdle 0 a root sends every user payload on its own tree
// (the behaviour before the shared tree).
func (p *Plumtree) sendsShared(class Class) bool {
	if p.cfg.MaxTrees <= 0 {
		return false
	}
	if class == ClassMembership {
		return true
	}
	if p.cfg.TreeIdle <= 0 {
		return false
	}
	recent := p.userSent && p.now-p.lastUser < int64(p.cfg.TreeIdle)
	p.userSent, p.lastUser = true, p.now
	return !recent
}

// sharedDelivered records that the shared tree brought this node a
// payload by eager push from a neighbour eager in it (not grafted), or
// carried a local broadcast (sender nil), from which on new trees start
// as copies of it. Before, the shared tree has carried nothing here, and
// a neighbour of a node that keeps one set may follow the default tree in
// it (a PRUNE without root).
func (p *Plumtree) sharedDelivered(r ptTreeRef, sender *ptPeer, grafted bool) {
	if r.shared && (sender == nil || !grafted && p.eagerIn(r, sender)) {
		p.sharedSpans = true
	}
}

// sharedParent reports whether r is the shared tree and pp a neighbour
// that brought this node a new payload of it first within the last one
// to two GraftTimeout2 (a parent). A PRUNE from a parent is refused: the
// link stays eager, and the empty GRAFT sent back makes it eager at the
// other end again.
//
// Not in the paper, whose tree has one root. On the shared tree payloads
// of many roots cross (every node's announcement in a join wave): a node
// that received B first from u forwarded A, which it had received first
// elsewhere, to u, where A was a duplicate: u pruned the link, the only
// eager one left to the node after its own PRUNEs for other payloads'
// duplicates, and the node's next shared payload came by IHAVE and GRAFT
// (TestPlumtreeTreesNoRepairAfterChurnedJoin: 65 repair GRAFTs in 200
// broadcasts, every one on the shared tree, without this rule). The
// period, GraftTimeout2 (the paper's round-trip-sized wait), covers the
// PRUNE of a payload forwarded on the link crossing the payload that
// arrived on it. In that test over 36 seeds (measured while eager
// announcers were still pruned on the shared tree), the window is what
// works:
// refusing only the parent of the last payload left repair GRAFTs in 17
// seeds, refusing only a PRUNE that would leave no eager link in 22,
// refusing once per payload in 18, the window in none. Keeping a
// parent's link on a duplicate from it as well (tried) made no
// difference there and added duplicates where many roots send at once
// (simulator, 3,000 nodes, eager announcers pruned: all-send RMR 0.53
// against 0.35).
func (p *Plumtree) sharedParent(r ptTreeRef, pp *ptPeer) bool {
	if !r.shared || pp.slot < 0 || p.tree(r) == nil {
		return false
	}
	p.ageSharedParents()
	return (p.sharedParents[0]|p.sharedParents[1])&(uint64(1)<<uint(pp.slot)) != 0
}

// markSharedParent records slot s as a parent in the shared tree now.
func (p *Plumtree) markSharedParent(s int8) {
	if s < 0 {
		return
	}
	p.ageSharedParents()
	p.sharedParents[0] |= uint64(1) << uint(s)
}

// clearSharedParent forgets slot s as a parent (its neighbour is gone).
func (p *Plumtree) clearSharedParent(s int8) {
	if s < 0 {
		return
	}
	p.sharedParents[0] &^= uint64(1) << uint(s)
	p.sharedParents[1] &^= uint64(1) << uint(s)
}

// ageSharedParents starts a new period of the parent masks when the
// current one is GraftTimeout1 old.
func (p *Plumtree) ageSharedParents() {
	w := int64(p.cfg.GraftTimeout2)
	switch d := p.now - p.sharedParentsAt; {
	case d < w:
		return
	case d < 2*w:
		p.sharedParents[1] = p.sharedParents[0]
	default:
		p.sharedParents[1] = 0
	}
	p.sharedParents[0] = 0
	p.sharedParentsAt = p.now
}
