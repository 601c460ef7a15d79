package hyparlist

// MergeDelegate lets an application veto a join. Config.Merge may be nil.
//
// As in memberlist, it is consulted on both sides of a join exchange (the
// anti-entropy exchange a node runs with its first neighbour) and not in
// periodic exchanges: it receives the other side's records, and a veto
// cancels their merge. A join exchange of more than
// MaxMemberRecordsPerMessage records consults it once per batch. On the
// joining node, Join reports a vetoed contact with an error wrapping
// ErrMergeCanceled. As in memberlist, a veto does not stop single members
// from arriving later through announcements; AliveDelegate filters those.
// It runs on the event goroutine, never under a lock the node needs.
type MergeDelegate interface {
	// NotifyMerge receives the members the other side sent. A non-nil
	// error cancels their merge.
	NotifyMerge(peers []*Node) error
}
