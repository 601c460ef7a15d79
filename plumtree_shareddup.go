// Plumtree core: a root's user payload on the shared tree restarts the
// root's own tree as the links it was pushed on, less those its duplicates
// came on.

package hyparlist

// Not in the paper. A root's first user payload after TreeIdle travels on
// the shared tree, and the root's own tree used to start, at its next
// payload, as a copy of each node's shared tree at that moment
// (plumtree_shared.go). When many roots start at once (every node of the
// bench harness broadcasting after its idle window, or any burst after a
// quiet spell), most of the shared tree's PRUNEs are refused (sharedParent:
// every neighbour brought the node a new shared payload within the
// window), so the shared tree stays near a flood and every root's own tree
// started as a copy of that flood. Traced in the bench (N = 64, 1,000
// broadcasts/s from random origins): the first and second payloads of
// each root were sent 136 and 134 times for 63 receivers, the third to
// sixth 104, 93, 77 and 71 times, the rest 66.5; 4,501 of 4,706 shared-tree
// PRUNEs were refused, and the 15,000 surplus payloads with their PRUNEs
// in the first half second set the run's tail.
//
// So the push of a root's user payload on the shared tree (re)starts the
// root's own tree at each node as the shared tree's links at that moment,
// with the neighbour the payload came from eager and those that announced
// it lazy (restartOwnTree): the links the payload is pushed on. A duplicate of the payload then prunes
// its sender in the root's tree too, with a PRUNE for the root, which no
// rule refuses (pruneOwnTree). What is left is the tree of the payload's
// first arrivals, as the paper's first broadcast leaves it; the shared
// tree itself is pruned as before. One PRUNE more per duplicate on the
// shared tree. Membership announcements, which travel only on the shared
// tree, start no tree.

// restartOwnTree (re)starts, for a user payload id on the shared tree
// about to be pushed, the tree of its origin: a copy of the shared tree
// (or every neighbour eager before the shared tree has carried anything
// here), with the neighbours that announced it (has) lazy and the
// neighbour called from (the payload's sender, "" for a local broadcast)
// eager and its parent.
func (p *Plumtree) restartOwnTree(id MessageID, class Class, from string, has []ptAnnouncement) {
	if class != ClassUser || !ptTreeOf(id).shared || p.trees.max <= 0 {
		return
	}
	tr, created := p.trackTree(ptTreeRef{root: id.Origin})
	if tr == nil {
		return
	}
	if !created {
		// The root was quiet for TreeIdle at least: its old tree says
		// nothing about the links its payloads take now.
		tr.set, tr.lazy, tr.parent = 0, 0, -1
		if p.sharedSpans {
			p.snapshot(tr, ptSharedTree)
		} else {
			p.startEager(tr)
		}
	}
	// A neighbour that announced the payload holds us lazy: the payload
	// is not pushed to it (push), and its link starts lazy.
	for _, a := range has {
		if pp := p.peers.get(a.peer.Name); pp != nil && pp.slot >= 0 {
			bit := uint64(1) << uint(pp.slot)
			tr.set |= bit
			tr.lazy |= bit
		}
	}
	if pp := p.peers.get(from); pp != nil && pp.slot >= 0 {
		bit := uint64(1) << uint(pp.slot)
		tr.set |= bit
		tr.lazy &^= bit
		tr.parent = pp.slot
	}
}

// pruneOwnTree handles a duplicate of the user payload g on the shared
// tree from the neighbour pp: pp becomes lazy in the tree of g's origin,
// and is told so with a PRUNE for that root.
func (p *Plumtree) pruneOwnTree(g gossipMsg, pp *ptPeer) {
	if g.Class != ClassUser || !ptTreeOf(g.ID).shared || p.trees.max <= 0 {
		return
	}
	// Sent whatever pp's state here, as for any duplicate: pp pushed the
	// payload, so it may hold this link eager in the root's tree.
	r := ptTreeRef{root: g.ID.Origin}
	p.setLink(r, pp, false)
	p.emit(Send{To: pp.peer, Msg: r.prune()})
}
