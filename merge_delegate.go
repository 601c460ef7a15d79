package hyparlist

// MergeDelegate lets an application veto a join. Config.Merge may be nil.
//
// As in memberlist, it is consulted on both sides of a join exchange (the
// anti-entropy exchange a node runs with its first neighbour) and not in
// periodic exchanges: it receives the other side's records, and a veto
// cancels their merge. A join exchange of more than
// maxMemberRecordsPerMessage records consults it once per batch. On the
// joining node, Join reports a vetoed contact with an error wrapping
// ErrMergeCanceled. It runs on the event goroutine, never under a lock the
// node needs.
//
// A veto also disconnects: the vetoing node drops its overlay links to the
// other side and to every node the vetoed records name that is not one of
// its live members, and refuses their connections for a minute after the
// latest veto (not in memberlist, which has no links to drop). So a
// joining node that vetoes the cluster ends with no link to it, and the
// cluster soon declares it dead. A contact that vetoes a joiner drops only
// its own link: as in memberlist, the joiner may still become a member
// through other nodes' announcements and periodic exchanges, which are not
// join exchanges; AliveDelegate filters those.
type MergeDelegate interface {
	// NotifyMerge receives the members the other side sent. A non-nil
	// error cancels their merge.
	NotifyMerge(peers []*Node) error
}
