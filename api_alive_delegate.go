// AliveDelegate: the application's veto on member records (memberlist's
// NotifyAlive).

package hyparlist

// AliveDelegate lets an application filter members. Config.Alive may be
// nil.
//
// As in memberlist, it is consulted for records about live nodes: before a
// node becomes a member (from unknown, dead or left), before a member's
// address or metadata changes, and for every alive record that would
// change a member's incarnation or state (a refutation of a suspicion, a
// re-announcement), whether the record arrived in a membership
// announcement, an anti-entropy exchange or a join. Unlike memberlist it
// is not called for records that change nothing (repeats), nor for the
// local node. It runs
// on the event goroutine, never under a lock the node needs, and may call
// back into the Memberlist; the record waits for its answer.
type AliveDelegate interface {
	// NotifyAlive returns a non-nil error to reject peer: the record is
	// ignored, so peer is not listed and no event is emitted for it. When
	// peer is not a live member (a rejected join, not a rejected update of
	// a member), this node also drops its overlay links to peer and
	// refuses peer's connections for a minute after the latest rejection
	// (not in memberlist, which has no links to drop); then peer's next
	// record is consulted again.
	NotifyAlive(peer *Node) error
}
