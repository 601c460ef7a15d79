// NeighborDelegate: changes of the HyParView active view (not in memberlist).

package hyparlist

// NeighborDelegate receives the changes of the local node's HyParView
// active view: the members it holds long-lived links to, which carry the
// broadcasts and detect failures. Not in memberlist.
//
// It is an optional extension of Config.Events: when the EventDelegate
// also implements NeighborDelegate, it is told of every neighbour change,
// on the same goroutine as the member events, one call at a time and in
// order. Like the member events, the calls never run on the protocol loop
// or under a lock it needs: an implementation may call back into the
// Memberlist (for example Neighbors), and a slow one delays only later
// events. The *Node argument is a copy owned by the callee.
type NeighborDelegate interface {
	// NotifyNeighborUp is called when node entered the active view.
	NotifyNeighborUp(node *Node)
	// NotifyNeighborDown is called when node left the active view
	// (replaced, disconnected, left the cluster, or its link failed).
	NotifyNeighborDown(node *Node)
}
