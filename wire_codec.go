// Wire: each message's body layout, encoded and decoded.

package hyparlist

import (
	"fmt"
	"math"
)

// This file maps each message to its body: a msgpack array of the message's
// fields in the order below (positional, no field names). A Peer is the
// array [name, addr] and a MessageID the array [origin, seq]; lists are
// arrays of those. Strings are msgpack str, payloads msgpack bin; an empty
// list or payload is written as an empty array or bin and read back as nil.
// This is exactly what go-msgpack's codec.MsgpackHandle writes for the
// message struct with StructToArray and WriteExt set, apart from nil slices
// (go-msgpack writes msgpack nil, which we read too); wire_interop_test.go
// checks it. The layouts, pinned byte for byte by testdata/wire/*.hex
// (types marked "version 2" exist from that version on, see wireVersionOf):
//
//	join               []
//	forward_join       [joiner Peer, ttl uint8]
//	neighbor           [high_priority bool]
//	neighbor_reply     [accepted bool]
//	disconnect         [alive bool]
//	shuffle            [origin Peer, ttl uint8, peers []Peer]
//	shuffle_reply      [peers []Peer]
//	keepalive          []
//	gossip             [id MessageID, class uint8, round uint16, payload bin]
//	gossip             [id MessageID, class uint8, round uint16, payload bin, sig bin] (version 6)
//	ihave              [entries [][id MessageID, round uint16]]
//	graft              [ids []MessageID]
//	prune              []
//	graft              [ids []MessageID, root str]        (version 3)
//	graft              [ids []MessageID, root str, shared bool] (version 5)
//	prune              [root str]                         (version 3)
//	prune              [root str, shared bool]            (version 5)
//	hello              [version_min uint8, version_max uint8, label, name, addr]
//	hello_accept       [version uint8, name, addr]
//	hello_accept       [version uint8, name, addr, key bin]  (version 6)
//	hello_reject       [reason uint8, version_min uint8, version_max uint8]
//	user_msg           [payload bin]
//	ping               [seq_no uint32]
//	ack                [seq_no uint32]
//	link_ping          [seq_no uint32]                    (version 2)
//	ping_ack           [seq_no uint32, payload bin]       (version 2)
//	check_ping         [nonce uint64, name]               (packets only)
//	check_ack          [nonce uint64]                     (packets only)
//	member_digest      [join bool, buckets uint16, count uint32, root uint64]
//	member_buckets     [join bool, hashes []uint64]
//	member_records     [join bool, buckets uint16, want []uint16, records []memberRecord]
//	member_user_state  [join bool, state bin]
//
// A memberRecord is the array [name, addr, meta bin, incarnation uint32,
// state uint8, age_seconds uint32] (wire_member.go), with a seventh field
// from version 4, versions [pmin, pmax, pcur, dmin, dmax, dcur] of uint8: a
// member_records whose records carry versions is written in a version 4
// frame with that layout, one without in a version 1 frame with the old
// one (forVersion strips versions for a link below version 4).
//
// The layout of a message never changes within a wire version: a decoder
// refuses a body with more or fewer fields. A new field needs a new wire
// version (negotiated in the handshake) or a new message type. Prune and
// graft grew a root field in version 3 (the tree the message applies to,
// see Prune): a message with a Root is written in a version 3 frame with
// the new layout, one without in a frame of the version that introduced
// the type, with the old layout, which every version reads. A link
// negotiated below version 3 sends neither with a Root (forVersion). In
// version 5 both grew a shared field (the message applies to the shared
// tree, see pruneMsg): a message with Shared set is written in a version
// 5 frame, every other one as before, and a link below version 5 sends
// it without the flag.
//
// To add a message: a name in MessageType.String, a case in encodeBody, in
// (*decoder).message and in knownType, a line in the table above, the
// version that introduces it in wireVersionOf, and a golden case in wireCases (wire_test.go; TestWireGoldenCoversEveryType and
// TestWireDeclaredTypesAreEncoded fail until there is one).

// encodeBody appends m's body to e.b and sets e.typ; it reports false for a
// value that is not a message of this package.
func encodeBody(e *encoder, m Message) bool {
	switch m := m.(type) {
	case joinMsg:
		e.begin(typeJoin, 0)
	case forwardJoinMsg:
		e.begin(typeForwardJoin, 2)
		e.peer("joiner", m.Joiner)
		e.uint(uint64(m.TTL))
	case neighborMsg:
		e.begin(typeNeighbor, 1)
		e.bool(m.HighPriority)
	case neighborReplyMsg:
		e.begin(typeNeighborReply, 1)
		e.bool(m.Accepted)
	case disconnectMsg:
		e.begin(typeDisconnect, 1)
		e.bool(m.Alive)
	case shuffleMsg:
		e.begin(typeShuffle, 3)
		e.peer("origin", m.Origin)
		e.uint(uint64(m.TTL))
		e.peers(m.Peers)
	case shuffleReplyMsg:
		e.begin(typeShuffleReply, 1)
		e.peers(m.Peers)
	case keepaliveMsg:
		e.begin(typeKeepalive, 0)
	case gossipMsg:
		if len(m.Sig) > 0 {
			e.begin(typeGossip, 5)
			e.version = max(e.version, wireVersionSigned)
		} else {
			e.begin(typeGossip, 4)
		}
		e.id("id", m.ID)
		e.uint(uint64(m.Class))
		e.uint(uint64(m.Round))
		e.bytes("payload", "", m.Payload, math.MaxInt)
		if len(m.Sig) > 0 {
			e.bytes("sig", "", m.Sig, broadcastSigSize)
		}
	case ihaveMsg:
		e.begin(typeIHave, 1)
		if e.list("entries", len(m.Entries), e.lim.MaxIHaveEntries) {
			for _, en := range m.Entries {
				e.array(2)
				e.id("entries.id", en.ID)
				e.uint(uint64(en.Round))
			}
		}
	case graftMsg:
		switch {
		case m.Shared:
			e.begin(typeGraft, 3)
			e.version = wireVersionSharedTree
		case m.Root == "":
			e.begin(typeGraft, 1)
		default:
			e.begin(typeGraft, 2)
			e.version = wireVersionTreeRoots
		}
		if e.list("ids", len(m.IDs), e.lim.MaxGraftIDs) {
			for _, id := range m.IDs {
				e.id("ids", id)
			}
		}
		if m.Root != "" || m.Shared {
			e.str("root", "", m.Root, e.lim.MaxNameLen)
		}
		if m.Shared {
			e.bool(true)
		}
	case pruneMsg:
		switch {
		case m.Shared:
			e.begin(typePrune, 2)
			e.version = wireVersionSharedTree
			e.str("root", "", m.Root, e.lim.MaxNameLen)
			e.bool(true)
		case m.Root == "":
			e.begin(typePrune, 0)
		default:
			e.begin(typePrune, 1)
			e.version = wireVersionTreeRoots
			e.str("root", "", m.Root, e.lim.MaxNameLen)
		}
	case helloMsg:
		e.begin(typeHello, 5)
		e.uint(uint64(m.VersionMin))
		e.uint(uint64(m.VersionMax))
		e.str("label", "", m.Label, maxLabelLen)
		e.str("name", "", m.Name, e.lim.MaxNameLen)
		e.str("addr", "", m.Addr, e.lim.MaxAddrLen)
	case helloAcceptMsg:
		keyed := m.Key != originKey{}
		if keyed {
			e.begin(typeHelloAccept, 4)
			e.version = max(e.version, wireVersionSigned)
		} else {
			e.begin(typeHelloAccept, 3)
		}
		e.uint(uint64(m.Version))
		e.str("name", "", m.Name, e.lim.MaxNameLen)
		e.str("addr", "", m.Addr, e.lim.MaxAddrLen)
		if keyed {
			e.bytes("key", "", m.Key[:], len(m.Key))
		}
	case helloRejectMsg:
		e.begin(typeHelloReject, 3)
		e.uint(uint64(m.Reason))
		e.uint(uint64(m.VersionMin))
		e.uint(uint64(m.VersionMax))
	case userMsg:
		e.begin(typeUserMsg, 1)
		e.bytes("payload", "", m.Payload, math.MaxInt)
	case pingMsg:
		e.begin(typePing, 1)
		e.uint(uint64(m.SeqNo))
	case ackMsg:
		e.begin(typeAck, 1)
		e.uint(uint64(m.SeqNo))
	case linkPingMsg:
		e.begin(typeLinkPing, 1)
		e.uint(uint64(m.SeqNo))
	case pingAckMsg:
		e.begin(typePingAck, 2)
		e.uint(uint64(m.SeqNo))
		e.bytes("payload", "", m.Payload, ackPayloadMaxSize)
	case checkPingMsg:
		e.begin(typeCheckPing, 3)
		e.uint(m.Nonce)
		e.str("name", "", m.Name, e.lim.MaxNameLen)
		e.str("from", "", m.From, e.lim.MaxNameLen)
	case checkAckMsg:
		e.begin(typeCheckAck, 1)
		e.uint(m.Nonce)
	case memberDigestMsg:
		e.begin(typeMemberDigest, 4)
		e.bool(m.Join)
		e.uint(uint64(m.Buckets))
		e.uint(uint64(m.Count))
		e.uint(m.Root)
	case memberBucketsMsg:
		e.begin(typeMemberBuckets, 2)
		e.bool(m.Join)
		encodeUints(e, "hashes", m.Hashes, e.lim.MaxDigestBuckets)
	case memberRecordsMsg:
		e.begin(typeMemberRecords, 4)
		e.bool(m.Join)
		e.uint(uint64(m.Buckets))
		encodeUints(e, "want", m.Want, e.lim.MaxDigestBuckets)
		e.records("records", m.Records)
	case memberUserStateMsg:
		e.begin(typeMemberUserState, 2)
		e.bool(m.Join)
		e.bytes("state", "", m.State, e.lim.MaxUserStateSize)
	default:
		return false
	}
	return true
}

func (e *encoder) peers(ps []Peer) {
	if e.list("peers", len(ps), e.lim.MaxPeers) {
		for _, p := range ps {
			e.peer("peers", p)
		}
	}
}

// message reads the body of a message of type t from d, reading
// struct fields in order (Go evaluates the calls in a composite literal
// left to right). A plain switch, not a table of functions: calls through a
// function value would move d to the heap.
func (d *decoder) message(t MessageType) Message {
	switch t {
	case typeJoin:
		d.fields("", 0)
		return joinMsg{}
	case typeForwardJoin:
		d.fields("", 2)
		return forwardJoinMsg{Joiner: d.peer("joiner"), TTL: d.uint8("ttl")}
	case typeNeighbor:
		d.fields("", 1)
		return neighborMsg{HighPriority: d.bool("high_priority")}
	case typeNeighborReply:
		d.fields("", 1)
		return neighborReplyMsg{Accepted: d.bool("accepted")}
	case typeDisconnect:
		d.fields("", 1)
		return disconnectMsg{Alive: d.bool("alive")}
	case typeShuffle:
		d.fields("", 3)
		return shuffleMsg{Origin: d.peer("origin"), TTL: d.uint8("ttl"), Peers: d.peers()}
	case typeShuffleReply:
		d.fields("", 1)
		return shuffleReplyMsg{Peers: d.peers()}
	case typeKeepalive:
		d.fields("", 0)
		return keepaliveMsg{}
	case typeGossip:
		signed := d.version >= wireVersionSigned
		if signed {
			d.fields("", 5)
		} else {
			d.fields("", 4)
		}
		g := gossipMsg{
			ID:      d.id("id"),
			Class:   Class(d.uint8("class")),
			Round:   d.uint16("round"),
			Payload: d.bytes("payload", "", math.MaxInt),
		}
		if signed {
			g.Sig = d.bytes("sig", "", broadcastSigSize)
		}
		return g
	case typeIHave:
		d.fields("", 1)
		n := d.list("entries", d.lim.MaxIHaveEntries, minIHaveEntrySize)
		if n == 0 {
			return ihaveMsg{}
		}
		entries := make([]ihaveEntry, n)
		for i := range entries {
			d.fields("entries", 2)
			entries[i] = ihaveEntry{ID: d.id("entries.id"), Round: d.uint16("entries.round")}
		}
		return ihaveMsg{Entries: entries}
	case typeGraft:
		rooted, shared := d.version >= wireVersionTreeRoots, d.version >= wireVersionSharedTree
		switch {
		case shared:
			d.fields("", 3)
		case rooted:
			d.fields("", 2)
		default:
			d.fields("", 1)
		}
		var g graftMsg
		if n := d.list("ids", d.lim.MaxGraftIDs, minIDSize); n > 0 {
			g.IDs = make([]MessageID, n)
			for i := range g.IDs {
				g.IDs[i] = d.id("ids")
			}
		}
		if rooted {
			g.Root = d.str("root", "", d.lim.MaxNameLen)
		}
		if shared {
			g.Shared = d.bool("shared")
		}
		return g
	case typePrune:
		switch {
		case d.version < wireVersionTreeRoots:
			d.fields("", 0)
			return pruneMsg{}
		case d.version < wireVersionSharedTree:
			d.fields("", 1)
			return pruneMsg{Root: d.str("root", "", d.lim.MaxNameLen)}
		}
		d.fields("", 2)
		pr := pruneMsg{Root: d.str("root", "", d.lim.MaxNameLen)}
		pr.Shared = d.bool("shared")
		return pr
	case typeHello:
		d.fields("", 5)
		return helloMsg{
			VersionMin: d.uint8("version_min"),
			VersionMax: d.uint8("version_max"),
			Label:      d.str("label", "", maxLabelLen),
			Name:       d.str("name", "", d.lim.MaxNameLen),
			Addr:       d.str("addr", "", d.lim.MaxAddrLen),
		}
	case typeHelloAccept:
		keyed := d.version >= wireVersionSigned
		if keyed {
			d.fields("", 4)
		} else {
			d.fields("", 3)
		}
		a := helloAcceptMsg{
			Version: d.uint8("version"),
			Name:    d.str("name", "", d.lim.MaxNameLen),
			Addr:    d.str("addr", "", d.lim.MaxAddrLen),
		}
		if keyed {
			if k := d.bytes("key", "", len(a.Key)); d.err == nil && len(k) != len(a.Key) {
				d.malformed("", "key", "want %d bytes, got %d", len(a.Key), len(k))
			} else {
				copy(a.Key[:], k)
			}
		}
		return a
	case typeHelloReject:
		d.fields("", 3)
		return helloRejectMsg{
			Reason:     rejectReason(d.uint8("reason")),
			VersionMin: d.uint8("version_min"),
			VersionMax: d.uint8("version_max"),
		}
	case typeUserMsg:
		d.fields("", 1)
		return userMsg{Payload: d.bytes("payload", "", math.MaxInt)}
	case typePing:
		d.fields("", 1)
		return pingMsg{SeqNo: d.uint32("seq_no")}
	case typeAck:
		d.fields("", 1)
		return ackMsg{SeqNo: d.uint32("seq_no")}
	case typeLinkPing:
		d.fields("", 1)
		return linkPingMsg{SeqNo: d.uint32("seq_no")}
	case typePingAck:
		d.fields("", 2)
		return pingAckMsg{SeqNo: d.uint32("seq_no"), Payload: d.bytes("payload", "", ackPayloadMaxSize)}
	case typeCheckPing:
		d.fields("", 3)
		return checkPingMsg{Nonce: d.uint("nonce", "", math.MaxUint64), Name: d.str("name", "", d.lim.MaxNameLen), From: d.str("from", "", d.lim.MaxNameLen)}
	case typeCheckAck:
		d.fields("", 1)
		return checkAckMsg{Nonce: d.uint("nonce", "", math.MaxUint64)}
	case typeMemberDigest:
		d.fields("", 4)
		return memberDigestMsg{
			Join:    d.bool("join"),
			Buckets: d.uint16("buckets"),
			Count:   d.uint32("count"),
			Root:    d.uint("root", "", math.MaxUint64),
		}
	case typeMemberBuckets:
		d.fields("", 2)
		return memberBucketsMsg{Join: d.bool("join"), Hashes: decodeUints[uint64](d, "hashes", d.lim.MaxDigestBuckets)}
	case typeMemberRecords:
		d.fields("", 4)
		return memberRecordsMsg{
			Join:    d.bool("join"),
			Buckets: d.uint16("buckets"),
			Want:    decodeUints[uint16](d, "want", d.lim.MaxDigestBuckets),
			Records: d.records("records"),
		}
	case typeMemberUserState:
		d.fields("", 2)
		return memberUserStateMsg{Join: d.bool("join"), State: d.bytes("state", "", d.lim.MaxUserStateSize)}
	}
	d.fail("", "", errUnknownMessageType)
	return nil
}

func (d *decoder) peers() []Peer {
	n := d.list("peers", d.lim.MaxPeers, minPeerSize)
	if n == 0 {
		return nil
	}
	ps := make([]Peer, n)
	for i := range ps {
		ps[i] = d.peer("peers")
	}
	return ps
}

// knownType reports whether t is a message type this node can decode.
func knownType(t MessageType) bool {
	switch t {
	case typeJoin, typeForwardJoin, typeNeighbor, typeNeighborReply, typeDisconnect,
		typeShuffle, typeShuffleReply, typeKeepalive,
		typeGossip, typeIHave, typeGraft, typePrune,
		typeMemberDigest, typeMemberBuckets, typeMemberRecords, typeMemberUserState,
		typeHello, typeHelloAccept, typeHelloReject, typeUserMsg, typePing, typeAck,
		typeLinkPing, typePingAck, typeCheckPing, typeCheckAck:
		return true
	}
	return false
}

// decodeBody decodes the body of a message of known type t from a frame
// of wire version version. The body must hold exactly one message.
func decodeBody(t MessageType, version uint8, body []byte, lim wireLimits, alias bool) (Message, error) {
	d := decoder{b: body, lim: lim, typ: t, version: version, alias: alias}
	m := d.message(t)
	if d.err == nil && d.off != len(d.b) {
		d.fail("", "", fmt.Errorf("%w: %d bytes after the body", errTrailingData, len(d.b)-d.off))
	}
	if d.err != nil {
		return nil, d.err
	}
	return m, nil
}
