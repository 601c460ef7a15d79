package hyparlist

// This file declares one small struct per protocol message. The sender of a
// message is never a field: it is the From of the Receive event, known from
// the connection it arrived on.

// MessageType names a protocol message on the wire. The values are part of
// the wire format: append only, never renumber.
type MessageType uint8

// Message types. HyParView: 1–15, Plumtree: 16–31, membership: 32–47,
// connection (handshake and stream-level messages, see connection.go): 48–63.
const (
	TypeJoin          MessageType = 1
	TypeForwardJoin   MessageType = 2
	TypeNeighbor      MessageType = 3
	TypeNeighborReply MessageType = 4
	TypeDisconnect    MessageType = 5
	TypeShuffle       MessageType = 6
	TypeShuffleReply  MessageType = 7
	TypeKeepalive     MessageType = 8

	TypeGossip MessageType = 16
	TypeIHave  MessageType = 17
	TypeGraft  MessageType = 18
	TypePrune  MessageType = 19

	TypeHello       MessageType = 48
	typeHelloAccept MessageType = 49
	typeHelloReject MessageType = 50
	typeUserMsg     MessageType = 51
	typePing        MessageType = 52
	typeAck         MessageType = 53
	typeLinkPing    MessageType = 54
	typePingAck     MessageType = 55
)

// String returns the message type's name, as used in logs and metrics.
func (t MessageType) String() string {
	switch t {
	case TypeJoin:
		return "join"
	case TypeForwardJoin:
		return "forward_join"
	case TypeNeighbor:
		return "neighbor"
	case TypeNeighborReply:
		return "neighbor_reply"
	case TypeDisconnect:
		return "disconnect"
	case TypeShuffle:
		return "shuffle"
	case TypeShuffleReply:
		return "shuffle_reply"
	case TypeKeepalive:
		return "keepalive"
	case TypeGossip:
		return "gossip"
	case TypeIHave:
		return "ihave"
	case TypeGraft:
		return "graft"
	case TypePrune:
		return "prune"
	case TypeMemberDigest:
		return "member_digest"
	case TypeMemberBuckets:
		return "member_buckets"
	case TypeMemberRecords:
		return "member_records"
	case TypeMemberUserState:
		return "member_user_state"
	case TypeHello:
		return "hello"
	case typeHelloAccept:
		return "hello_accept"
	case typeHelloReject:
		return "hello_reject"
	case typeUserMsg:
		return "user_msg"
	case typePing:
		return "ping"
	case typeAck:
		return "ack"
	case typeLinkPing:
		return "link_ping"
	case typePingAck:
		return "ping_ack"
	}
	return "unknown"
}

// Message is a protocol message. The set is closed: it is exactly the
// message structs of this package.
type Message interface {
	// Type returns the message's wire type.
	Type() MessageType
}

// Join asks the receiving contact node to admit the sender into the overlay
// (HyParView §4.2, "JOIN").
type Join struct{}

// ForwardJoin propagates a join along a random walk of TTL more hops
// (HyParView §4.2, "FORWARD_JOIN"). Joiner is the node that joined.
type ForwardJoin struct {
	Joiner Peer
	TTL    uint8
}

// Neighbor asks the receiver to add the sender to its active view
// (HyParView §4.3, "NEIGHBOR"). A high-priority request, sent by a node
// whose active view is empty, is always accepted; a low-priority one only
// when the receiver has a free slot.
type Neighbor struct {
	HighPriority bool
}

// NeighborReply answers a Neighbor request.
type NeighborReply struct {
	Accepted bool
}

// Disconnect tells the receiver that the sender removed it from its active
// view (HyParView §4.3, "DISCONNECT"). Alive reports whether the sender
// stays in the cluster: a live sender is kept in the receiver's passive
// view, a leaving one is forgotten.
type Disconnect struct {
	Alive bool
}

// Shuffle carries a sample of the origin's views along a random walk
// (HyParView §4.4, "SHUFFLE"). Peers holds the origin itself, up to ka
// active and up to kp passive entries.
type Shuffle struct {
	Origin Peer
	TTL    uint8
	Peers  []Peer
}

// ShuffleReply answers a Shuffle with a sample of the receiver's passive
// view of the same size (HyParView §4.4, "SHUFFLE_REPLY").
type ShuffleReply struct {
	Peers []Peer
}

// Keepalive is sent periodically on every active link. It lets a driver
// notice a dead link by a failed send, and lets the receiver repair an
// asymmetric link: a node that gets a Keepalive from a peer outside its
// active view answers with Disconnect (not in the paper).
type Keepalive struct{}

// Gossip carries a broadcast payload on an eager link (Plumtree §3,
// "GOSSIP"). Round is the number of hops the payload travelled.
type Gossip struct {
	ID      MessageID
	Class   Class
	Round   uint16
	Payload []byte
}

// IHaveEntry announces one message available at the sender.
type IHaveEntry struct {
	ID    MessageID
	Round uint16
}

// IHave announces, on a lazy link, messages the sender holds (Plumtree §3,
// "IHAVE"); several announcements are batched into one message.
type IHave struct {
	Entries []IHaveEntry
}

// Graft asks the receiver to move the sender to its eager set and to send
// the listed messages (Plumtree §3, "GRAFT"), in the tree of each listed
// message's origin. An empty IDs list only changes the link to eager
// (tree optimisation, Plumtree §3.8), in the tree rooted at Root.
//
// Root names the tree root (a message origin) an empty GRAFT applies to;
// it travels from wire version 3 on. An empty Root (all that a version 1
// or 2 link carries) applies to every tree, as a node of those versions
// keeps one eager set.
type Graft struct {
	IDs  []MessageID
	Root string
}

// Prune asks the receiver to move the sender to its lazy set (Plumtree §3,
// "PRUNE") in the tree rooted at Root (a message origin). Root travels
// from wire version 3 on; an empty Root (all that a version 1 or 2 link
// carries) applies to every tree, as a node of those versions keeps one
// lazy set.
type Prune struct {
	Root string
}

// Type implements Message.
func (Join) Type() MessageType { return TypeJoin }

// Type implements Message.
func (ForwardJoin) Type() MessageType { return TypeForwardJoin }

// Type implements Message.
func (Neighbor) Type() MessageType { return TypeNeighbor }

// Type implements Message.
func (NeighborReply) Type() MessageType { return TypeNeighborReply }

// Type implements Message.
func (Disconnect) Type() MessageType { return TypeDisconnect }

// Type implements Message.
func (Shuffle) Type() MessageType { return TypeShuffle }

// Type implements Message.
func (ShuffleReply) Type() MessageType { return TypeShuffleReply }

// Type implements Message.
func (Keepalive) Type() MessageType { return TypeKeepalive }

// Type implements Message.
func (Gossip) Type() MessageType { return TypeGossip }

// Type implements Message.
func (IHave) Type() MessageType { return TypeIHave }

// Type implements Message.
func (Graft) Type() MessageType { return TypeGraft }

// Type implements Message.
func (Prune) Type() MessageType { return TypePrune }
