// ConflictDelegate: reports a record that claims a live member's name at
// another address.

package hyparlist

// ConflictDelegate is told when a node claims a name that another node
// has. Config.Conflict may be nil.
//
// It is called when a record claims a member's name (or the local node's)
// at a different address while that member is alive or suspect, or dead
// for less than the name's reclaim time (Config.DeadNodeReclaimTime); the
// claim is ignored. It is also called when a connecting node presents the
// local node's name. It runs on the event goroutine, never under a lock
// the node needs, and may call back into the Memberlist.
type ConflictDelegate interface {
	// NotifyConflict reports the current holder of the name (existing)
	// and the node that claimed it (other).
	NotifyConflict(existing, other *Node)
}
