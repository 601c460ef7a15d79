// Wire: the MessageType registry, the Message interface and the HyParView and
// Plumtree messages.

package hyparlist

// This file declares one small struct per protocol message. The sender of a
// message is never a field: it is the From of the Receive event, known from
// the connection it arrived on.

// MessageType names a protocol message on the wire. The values are part of
// the wire format: append only, never renumber.
type MessageType uint8

// Message types. HyParView: 1–15, Plumtree: 16–31, membership: 32–47,
// connection (handshake and stream-level messages, see wire_connection.go): 48–63.
const (
	typeJoin          MessageType = 1
	typeForwardJoin   MessageType = 2
	typeNeighbor      MessageType = 3
	typeNeighborReply MessageType = 4
	typeDisconnect    MessageType = 5
	typeShuffle       MessageType = 6
	typeShuffleReply  MessageType = 7
	typeKeepalive     MessageType = 8

	typeGossip MessageType = 16
	typeIHave  MessageType = 17
	typeGraft  MessageType = 18
	typePrune  MessageType = 19

	typeHello       MessageType = 48
	typeHelloAccept MessageType = 49
	typeHelloReject MessageType = 50
	typeUserMsg     MessageType = 51
	typePing        MessageType = 52
	typeAck         MessageType = 53
	typeLinkPing    MessageType = 54
	typePingAck     MessageType = 55
	typeCheckPing   MessageType = 56
	typeCheckAck    MessageType = 57
)

// String returns the message type's name, as used in logs and metrics.
func (t MessageType) String() string {
	switch t {
	case typeJoin:
		return "join"
	case typeForwardJoin:
		return "forward_join"
	case typeNeighbor:
		return "neighbor"
	case typeNeighborReply:
		return "neighbor_reply"
	case typeDisconnect:
		return "disconnect"
	case typeShuffle:
		return "shuffle"
	case typeShuffleReply:
		return "shuffle_reply"
	case typeKeepalive:
		return "keepalive"
	case typeGossip:
		return "gossip"
	case typeIHave:
		return "ihave"
	case typeGraft:
		return "graft"
	case typePrune:
		return "prune"
	case typeMemberDigest:
		return "member_digest"
	case typeMemberBuckets:
		return "member_buckets"
	case typeMemberRecords:
		return "member_records"
	case typeMemberUserState:
		return "member_user_state"
	case typeHello:
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
	case typeCheckPing:
		return "check_ping"
	case typeCheckAck:
		return "check_ack"
	}
	return "unknown"
}

// Message is a protocol message. The set is closed: it is exactly the
// message structs of this package, which are private so that the wire can
// change without breaking drivers. A driver carries messages between the
// cores opaquely: Type names one (for logs and metrics), BroadcastOf reads
// a payload message's class and payload, AppendMessage measures its size.
type Message interface {
	// Type returns the message's wire type.
	Type() MessageType
}

// joinMsg asks the receiving contact node to admit the sender into the overlay
// (HyParView §4.2, "JOIN").
type joinMsg struct{}

// forwardJoinMsg propagates a join along a random walk of TTL more hops
// (HyParView §4.2, "FORWARD_JOIN"). Joiner is the node that joined.
type forwardJoinMsg struct {
	Joiner Peer
	TTL    uint8
}

// neighborMsg asks the receiver to add the sender to its active view
// (HyParView §4.3, "NEIGHBOR"). A high-priority request, sent by a node
// whose active view is empty, is always accepted; a low-priority one only
// when the receiver has a free slot.
type neighborMsg struct {
	HighPriority bool
}

// neighborReplyMsg answers a Neighbor request.
type neighborReplyMsg struct {
	Accepted bool
}

// disconnectMsg tells the receiver that the sender removed it from its active
// view (HyParView §4.3, "DISCONNECT"). Alive reports whether the sender
// stays in the cluster: a live sender is kept in the receiver's passive
// view, a leaving one is forgotten.
type disconnectMsg struct {
	Alive bool
}

// shuffleMsg carries a sample of the origin's views along a random walk
// (HyParView §4.4, "SHUFFLE"). Peers holds the origin itself, up to ka
// active and up to kp passive entries.
type shuffleMsg struct {
	Origin Peer
	TTL    uint8
	Peers  []Peer
}

// shuffleReplyMsg answers a Shuffle with a sample of the receiver's passive
// view of the same size (HyParView §4.4, "SHUFFLE_REPLY").
type shuffleReplyMsg struct {
	Peers []Peer
}

// keepaliveMsg is sent periodically on every active link. It lets a driver
// notice a dead link by a failed send, and lets the receiver repair an
// asymmetric link: a node that gets a keepaliveMsg from a peer outside its
// active view answers with Disconnect (not in the paper).
type keepaliveMsg struct{}

// gossipMsg carries a broadcast payload on an eager link (Plumtree §3,
// "GOSSIP"). Round is the number of hops the payload travelled. Sig is
// the origin's public key and signature of (ID, Class, Payload), from wire
// version 6 (wire_sign.go); nil when unsigned.
type gossipMsg struct {
	ID      MessageID
	Class   Class
	Round   uint16
	Payload []byte
	Sig     []byte
}

// ihaveEntry announces one message available at the sender.
type ihaveEntry struct {
	ID    MessageID
	Round uint16
}

// ihaveMsg announces, on a lazy link, messages the sender holds (Plumtree §3,
// "IHAVE"); several announcements are batched into one message.
type ihaveMsg struct {
	Entries []ihaveEntry
}

// graftMsg asks the receiver to move the sender to its eager set and to send
// the listed messages (Plumtree §3, "GRAFT"), in the tree of each listed
// message's origin. An empty IDs list only changes the link to eager
// (tree optimisation, Plumtree §3.8), in the tree rooted at Root.
//
// Root names the tree root (a message origin) an empty GRAFT applies to;
// it travels from wire version 3 on. An empty Root (all that a version 1
// or 2 link carries) applies to every tree, as a node of those versions
// keeps one eager set.
//
// Shared (wire version 5 on) says an empty GRAFT applies to the shared
// tree, the one the messages whose ID has ptSharedBit set travel on
// (plumtree_shared.go), and not to Root's own tree; Root then names the
// origin of the message that caused it, which is what a link below
// version 5 carries instead (forVersion drops Shared). A GRAFT with IDs
// needs no flag: each ID says its tree.
type graftMsg struct {
	IDs    []MessageID
	Root   string
	Shared bool
}

// pruneMsg asks the receiver to move the sender to its lazy set (Plumtree §3,
// "PRUNE") in the tree rooted at Root (a message origin). Root travels
// from wire version 3 on; an empty Root (all that a version 1 or 2 link
// carries) applies to every tree, as a node of those versions keeps one
// lazy set.
//
// Shared (wire version 5 on) says the PRUNE applies to the shared tree
// (see graftMsg), Root then naming the origin of the duplicate that
// caused it; a link below version 5 carries Root alone (forVersion).
type pruneMsg struct {
	Root   string
	Shared bool
}

// Type implements Message.
func (joinMsg) Type() MessageType { return typeJoin }

// Type implements Message.
func (forwardJoinMsg) Type() MessageType { return typeForwardJoin }

// Type implements Message.
func (neighborMsg) Type() MessageType { return typeNeighbor }

// Type implements Message.
func (neighborReplyMsg) Type() MessageType { return typeNeighborReply }

// Type implements Message.
func (disconnectMsg) Type() MessageType { return typeDisconnect }

// Type implements Message.
func (shuffleMsg) Type() MessageType { return typeShuffle }

// Type implements Message.
func (shuffleReplyMsg) Type() MessageType { return typeShuffleReply }

// Type implements Message.
func (keepaliveMsg) Type() MessageType { return typeKeepalive }

// Type implements Message.
func (gossipMsg) Type() MessageType { return typeGossip }

// Type implements Message.
func (ihaveMsg) Type() MessageType { return typeIHave }

// Type implements Message.
func (graftMsg) Type() MessageType { return typeGraft }

// Type implements Message.
func (pruneMsg) Type() MessageType { return typePrune }
