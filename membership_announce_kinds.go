// Membership core: why the local node announced a record (the kinds the
// announcement counters are split by).

package hyparlist

// This file owns announceKind: each call of Membership.announce names the
// reason, and membershipStats.AnnouncedRecords counts the records queued
// for announcement per reason, which the runtime emits as
// hyparlist.member.announced{kind}. A join storm is read from these: one
// "join" per node is the floor; everything else is what the storm added.

// announceKind is the reason the local node announced a record.
type announceKind uint8

const (
	// announceJoin: the node's own record, with its first neighbour.
	announceJoin announceKind = iota
	// announceRejoin: the node's own record again, with its first
	// neighbour after it had lost every one, when its latest announcement
	// was made with no neighbour to send it to or less than
	// selfAnnounceSettle before it lost the last one.
	announceRejoin
	// announceRefute: the node's own record at a higher incarnation,
	// refuting a record about it.
	announceRefute
	// announceAccuse: a live member suspected by the local node because
	// its link failed.
	announceAccuse
	// announceConfirm: an already suspect member the local node accuses
	// too (one more Lifeguard confirmation).
	announceConfirm
	// announceProxy: a live member's record, announced on its behalf
	// because only anti-entropy brought it (membership_merge.go).
	announceProxy
	// announceDead: a member whose suspicion expired at the local node.
	announceDead
	// announceMeta: the node's own record with new metadata.
	announceMeta
	// announceLeave: the node's own record, left.
	announceLeave

	numAnnounceKinds
)

// String returns the kind's metric label.
func (k announceKind) String() string {
	switch k {
	case announceJoin:
		return "join"
	case announceRejoin:
		return "rejoin"
	case announceRefute:
		return "refute"
	case announceAccuse:
		return "accuse"
	case announceConfirm:
		return "confirm"
	case announceProxy:
		return "proxy"
	case announceDead:
		return "dead"
	case announceMeta:
		return "meta"
	case announceLeave:
		return "leave"
	}
	return "unknown"
}
