package hyparlist

// AliveDelegate lets an application filter members. Config.Alive may be
// nil.
//
// It is called for every alive announcement about a node that is not yet
// an alive member, and for announcements that change a member's metadata
// or address, whether the announcement arrived as a broadcast, in an
// anti-entropy exchange or during a join. It is called outside the member
// list's lock.
type AliveDelegate interface {
	// NotifyAlive returns a non-nil error to reject peer: it is not added
	// to (or updated in) the member list, no event is emitted for it, and
	// this node does not keep it as a neighbour.
	NotifyAlive(peer *Node) error
}
