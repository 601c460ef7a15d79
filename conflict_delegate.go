package hyparlist

// ConflictDelegate is told when another node claims a name that a member
// already has at a different address. Config.Conflict may be nil. It is
// called outside the member list's lock and may call back into the
// Memberlist.
type ConflictDelegate interface {
	// NotifyConflict reports the current member (existing) and the node
	// that claimed the same name (other).
	NotifyConflict(existing, other *Node)
}
