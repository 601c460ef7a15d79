// Plumtree core: TreePeers, the one accessor for a node's eager and lazy
// push peers, for drivers and tools outside the package.

package hyparlist

// TreePeers returns copies of the eager and the lazy push peers of the tree
// rooted at root (a message origin), each sorted by name. A root the core
// does not track (TreeRoots lists those it does) uses the default tree, and
// so does root "", which names the default tree itself.
func (p *Plumtree) TreePeers(root string) (eager, lazy []Peer) {
	if root == "" {
		return p.eagerPeers(), p.lazyPeers()
	}
	return p.eagerPeersOf(root), p.lazyPeersOf(root)
}
