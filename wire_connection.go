// Wire: the connection-level messages (handshake, user messages, pings) and
// version negotiation.

package hyparlist

import "fmt"

// This file declares the connection-level messages: the handshake that
// opens every connection, and the stream-level messages that the runtime
// exchanges outside the protocol cores (user messages and pings). Their
// type constants live with the others in wire_types.go (range 48–63).
//
// A connection starts with exactly one handshake:
//
//	dialer                               acceptor
//	Hello{VersionMin..VersionMax, ...} →
//	                                   ← helloAcceptMsg{Version, ...} or helloRejectMsg{Reason}
//
// No other message is accepted before the handshake has completed; after a
// helloRejectMsg the acceptor closes the connection. Every later frame on the
// connection carries the accepted version in its header.
//
// Hello, helloAcceptMsg and helloRejectMsg frames carry header version 1
// and their body layout never changes, so that nodes of different releases
// can always read each other's handshake and agree on a version. The one
// exception is a helloAcceptMsg that accepts version 6 or later: it
// carries the acceptor's broadcast key as a fourth field, in a frame of
// version 6 (wire_sign.go), which only a dialler that offered version 6
// gets. With
// encryption on, the handshake frames are sealed like every other frame
// (security_encryption.go): a node without the key cannot read a Hello, and closes
// the connection without an answer.
//
// Versions:
//
//	1  every message type up to ackMsg (53)
//	2  adds linkPingMsg and pingAckMsg (round trips with a PingDelegate payload)
//	3  PRUNE and GRAFT name their tree root
//	4  encrypted frames after the handshake are bound to it
//	   (security_bind.go)
//	5  PRUNE and GRAFT can name the shared tree
//	6  GOSSIP carries its origin's signature, and helloAcceptMsg the
//	   acceptor's broadcast key (wire_sign.go)
//
// checkPingMsg and checkAckMsg (types 56 and 57) travel only in packets,
// which have no handshake: they carry header version 1, and a node that
// does not know them drops the packet (the asking node then checks over a
// stream, runtime_checkpacket.go). A stream that carries one is closed.
//
// A version only adds message types; a node sends a type only on a
// connection whose accepted version has it (see wire.go for the header).

// helloMsg opens a connection. VersionMin and VersionMax are the range of wire
// versions the dialer speaks, Label is its cluster label (the acceptor
// refuses a connection from another cluster), and Name and Addr identify
// the dialer.
type helloMsg struct {
	VersionMin uint8
	VersionMax uint8
	Label      string
	Name       string
	Addr       string
}

// helloAcceptMsg accepts a Hello. Version is the wire version both sides use
// from now on; Name and Addr identify the acceptor, so that a node that
// dialled a bare address learns who answered.
//
// Key, from version 6, is the acceptor's broadcast key (runtime_sign.go);
// zero when the accepted version is older.
type helloAcceptMsg struct {
	Version uint8
	Name    string
	Addr    string
	Key     originKey
}

// helloRejectMsg refuses a Hello; the acceptor closes the connection after
// sending it. VersionMin and VersionMax are the range of wire versions the
// acceptor speaks, so that the dialer can report a version mismatch.
type helloRejectMsg struct {
	Reason     rejectReason
	VersionMin uint8
	VersionMax uint8
}

// rejectReason says why a Hello was refused. The values are on the wire:
// append only. A decoder keeps values it does not know.
type rejectReason uint8

// Reasons for refusing a Hello.
const (
	// rejectOther is a refusal for a reason not listed here.
	rejectOther rejectReason = 0
	// rejectVersion: the version ranges of the two nodes do not overlap.
	rejectVersion rejectReason = 1
	// rejectLabel: the dialer belongs to a cluster with another label.
	rejectLabel rejectReason = 2
	// rejectName: the dialer's name is unusable, for example it is the
	// acceptor's own name.
	rejectName rejectReason = 3
	// rejectShutdown: the acceptor is shutting down.
	rejectShutdown rejectReason = 4
	// rejectVetoed: the acceptor's AliveDelegate or MergeDelegate vetoed
	// the dialer recently (see runtime_deny.go).
	rejectVetoed rejectReason = 5
	// rejectCertificate: under TLS, the dialer's certificate does not
	// hold the name in its Hello (transport_tls.go).
	rejectCertificate rejectReason = 6
)

// String returns the reason's name, as used in logs and errors.
func (r rejectReason) String() string {
	switch r {
	case rejectOther:
		return "other"
	case rejectVersion:
		return "version"
	case rejectLabel:
		return "label"
	case rejectName:
		return "name"
	case rejectShutdown:
		return "shutdown"
	case rejectVetoed:
		return "vetoed"
	case rejectCertificate:
		return "certificate"
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// userMsg carries an application message sent point to point (the
// memberlist SendReliable and SendBestEffort calls); the receiver hands
// Payload to its Delegate's NotifyMsg. It is not part of any broadcast.
type userMsg struct {
	Payload []byte
}

// pingMsg asks the receiver to answer with an ackMsg carrying the same SeqNo; the
// runtime uses it to measure round-trip times (the memberlist Ping call).
type pingMsg struct {
	SeqNo uint32
}

// ackMsg answers the Ping with the same SeqNo on a connection of version 1.
type ackMsg struct {
	SeqNo uint32
}

// linkPingMsg measures the round trip of an active-view link (version 2). It
// is sent on the long-lived link in place of a Keepalive, whose meaning it
// keeps; the receiver answers with a pingAckMsg carrying the same SeqNo on its
// own link back to the sender (links carry frames one way, see
// runtime_conn.go).
type linkPingMsg struct {
	SeqNo uint32
}

// pingAckMsg answers a LinkPing, or a Ping on a connection of version 2, with
// the same SeqNo and the answering node's PingDelegate.AckPayload (at most
// ackPayloadMaxSize bytes; empty without a PingDelegate).
type pingAckMsg struct {
	SeqNo   uint32
	Payload []byte
}

// checkPingMsg asks, in a packet, whether the node called Name is at the
// address it was sent to (runtime_checkpacket.go), on behalf of the node
// called From. Only the node called Name answers, with a checkAckMsg of
// the same Nonce, and not while it denies From (a veto: runtime_deny.go),
// as its handshake would refuse From's stream; any other node, or one
// that does not know the type, drops it. It travels only in packets, sealed like
// every packet when encryption is on, never on a stream; it is not tied to
// a stream's wire version and its frame carries header version 1.
type checkPingMsg struct {
	Nonce uint64
	Name  string
	From  string
}

// checkAckMsg answers a checkPingMsg with its Nonce, in a packet to the
// packet's source address. It carries nothing else, so its frame is never
// larger than the ping's; the packet may be: a node with a keyring and
// GossipVerifyIncoming off takes a plain ping and answers sealed (29 bytes
// more, about 4x a plain ping with a short name), and one with
// SkipInboundLabelCheck takes an unlabelled ping and answers with its
// label (up to 257 bytes more).
type checkAckMsg struct {
	Nonce uint64
}

// ackPayloadMaxSize is the largest PingDelegate.AckPayload a node sends,
// and the largest pingAckMsg payload it accepts. A larger AckPayload is not
// sent: the answer goes out without a payload and the node logs a warning
// (see PingDelegate). memberlist has no such bound, but its acks travel in
// UDP packets of about 1400 bytes (Config.UDPBufferSize), so a payload
// that worked there fits: Serf's network coordinate takes about 100 bytes.
const ackPayloadMaxSize = 1024

// Type implements Message.
func (helloMsg) Type() MessageType { return typeHello }

// Type implements Message.
func (helloAcceptMsg) Type() MessageType { return typeHelloAccept }

// Type implements Message.
func (helloRejectMsg) Type() MessageType { return typeHelloReject }

// Type implements Message.
func (userMsg) Type() MessageType { return typeUserMsg }

// Type implements Message.
func (pingMsg) Type() MessageType { return typePing }

// Type implements Message.
func (ackMsg) Type() MessageType { return typeAck }

// Type implements Message.
func (linkPingMsg) Type() MessageType { return typeLinkPing }

// Type implements Message.
func (pingAckMsg) Type() MessageType { return typePingAck }

// Type implements Message.
func (checkPingMsg) Type() MessageType { return typeCheckPing }

// Type implements Message.
func (checkAckMsg) Type() MessageType { return typeCheckAck }

// negotiateVersion returns the highest wire version that both this node
// (wireVersionMin to wireVersion) and a peer speaking versions min to max
// understand. It fails with an error wrapping errUnsupportedVersion when
// the ranges do not overlap or min > max.
func negotiateVersion(min, max uint8) (uint8, error) {
	v := max
	if v > wireVersion {
		v = wireVersion
	}
	if min > max || v < min || v < wireVersionMin {
		return 0, fmt.Errorf("negotiate: peer speaks %d..%d, we speak %d..%d: %w",
			min, max, wireVersionMin, wireVersion, errUnsupportedVersion)
	}
	return v, nil
}

// answerHello returns the acceptor's answer to h: a HelloAccept naming self
// and the negotiated version, or a HelloReject when the version ranges do
// not overlap, the labels differ, or the dialer claims self's name. Any
// further policy (allow lists, connection limits) is the caller's.
func answerHello(h helloMsg, label string, self Peer) Message {
	reject := helloRejectMsg{VersionMin: wireVersionMin, VersionMax: wireVersion}
	v, err := negotiateVersion(h.VersionMin, h.VersionMax)
	switch {
	case err != nil:
		reject.Reason = rejectVersion
	case h.Label != label:
		reject.Reason = rejectLabel
	case h.Name == self.Name:
		reject.Reason = rejectName
	default:
		return helloAcceptMsg{Version: v, Name: self.Name, Addr: self.Addr}
	}
	return reject
}
