package hyparlist

// MergeDelegate lets an application veto a join. Config.Merge may be nil.
//
// It is consulted when this node joins a cluster through Join and when a
// node joins through this one, before the two member lists are merged. It
// is not consulted during periodic anti-entropy exchanges. It is called
// outside the member list's lock.
type MergeDelegate interface {
	// NotifyMerge receives the members the other side knows. A non-nil
	// error cancels the join: the other side is not admitted (or, on the
	// joining node, Join reports the error for that host).
	NotifyMerge(peers []*Node) error
}
