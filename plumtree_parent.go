// Plumtree core: the link to a node's parent in a root's own tree is not
// pruned by a GRAFT's late answer or an older payload.

package hyparlist

// Not in the paper. A root's own tree is a tree of one root: the
// neighbour that pushed this node the root's last new payload first
// (ptTree.parent) is the one link the paper never prunes (§3: a duplicate
// prunes its sender, the first sender stays eager). Two events pruned it
// anyway, each leaving the node outside the root's tree until its
// missing payloads were grafted, a repair round per payload (traced on
// the core driver's 1 s burst at N = 64, TestPlumtreeBurstFigures, links
// of up to 2 ms, where they were 13 of the 22 broadcasts that took 400 ms
// or more after the roots' first six; session 13):
//   - The parent grafted an older payload of the root from us (its own
//     copy was late: it came by another path) and then received its
//     eager copy first: our answer was a duplicate, and the parent pruned
//     us, the link it pushes the root's payloads to us on. A PRUNE from
//     the parent in the root's tree is refused, as on the shared tree
//     (sharedParent): an empty GRAFT goes back and the link stays eager
//     at both ends.
//   - The parent pushed an older payload of the root that had reached us
//     first by another path (the parent had it late, by a GRAFT). The
//     duplicate says the parent's copy of that payload was late, not
//     that the tree's path through it is: it does not prune the parent
//     when its number is below the last payload of the tree pushed here
//     (ptTree.newest, within ptGapLookback).
//
// A PRUNE from a neighbour that is our parent comes mostly from such a
// duplicate: a node pushes a new payload to its parent only when it had
// it first from elsewhere, and then that other neighbour is its parent
// (push also prunes on its own, and an older payload had first from
// elsewhere is still pushed to the parent). A parent's link kept eager
// this way lasts until the root's next new payload names the neighbour
// that delivered it first as parent; a cycle is still pruned by the
// duplicates of the payloads that come down it.

// rootParent reports whether the neighbour pp is this node's parent in
// the tree r names, a tracked root's own tree, and still eager there.
func (p *Plumtree) rootParent(r ptTreeRef, pp *ptPeer) bool {
	if r.shared || r.root == "" || pp.slot < 0 {
		return false
	}
	tr := p.trees.get(r.root)
	return tr != nil && tr.parent == pp.slot && p.eagerIn(r, pp)
}

// staleFromParent reports whether a duplicate payload of the tree r with
// sequence number seq, from the neighbour pp, came from our parent in r
// and is older than the last payload of r pushed here: it does not prune
// the parent.
func (p *Plumtree) staleFromParent(r ptTreeRef, pp *ptPeer, seq uint64) bool {
	if !p.rootParent(r, pp) {
		return false
	}
	return p.behindNewest(r, seq)
}

// behindNewest reports whether seq, a sequence number of a payload of the
// tree r, is below the last payload of r's own tree pushed here (within
// ptGapLookback).
func (p *Plumtree) behindNewest(r ptTreeRef, seq uint64) bool {
	if r.shared || r.root == "" {
		return false
	}
	tr := p.trees.get(r.root)
	return tr != nil && seq < tr.newest && tr.newest-seq <= ptGapLookback
}
