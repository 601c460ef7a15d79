package hyparlist

import "fmt"

// This file declares the connection-level messages: the handshake that
// opens every connection, and the stream-level messages that the runtime
// exchanges outside the protocol cores (user messages and pings). Their
// type constants live with the others in messages.go (range 48–63).
//
// A connection starts with exactly one handshake:
//
//	dialer                               acceptor
//	Hello{VersionMin..VersionMax, ...} →
//	                                   ← HelloAccept{Version, ...} or HelloReject{Reason}
//
// No other message is accepted before the handshake has completed; after a
// HelloReject the acceptor closes the connection. Every later frame on the
// connection carries the accepted version in its header.
//
// Hello, HelloAccept and HelloReject frames always carry header version 1
// and their body layout never changes, so that nodes of different releases
// can always read each other's handshake and agree on a version. With
// encryption on, the handshake frames are sealed like every other frame
// (encryption.go): a node without the key cannot read a Hello, and closes
// the connection without an answer.
//
// Versions:
//
//	1  every message type up to Ack (53)
//	2  adds LinkPing and PingAck (round trips with a PingDelegate payload)
//	3  PRUNE and GRAFT name their tree root
//	4  encrypted frames after the handshake are bound to it
//	   (encryption_bind.go)
//
// A version only adds message types; a node sends a type only on a
// connection whose accepted version has it (see wire.go for the header).

// Hello opens a connection. VersionMin and VersionMax are the range of wire
// versions the dialer speaks, Label is its cluster label (the acceptor
// refuses a connection from another cluster), and Name and Addr identify
// the dialer.
type Hello struct {
	VersionMin uint8
	VersionMax uint8
	Label      string
	Name       string
	Addr       string
}

// HelloAccept accepts a Hello. Version is the wire version both sides use
// from now on; Name and Addr identify the acceptor, so that a node that
// dialled a bare address learns who answered.
type HelloAccept struct {
	Version uint8
	Name    string
	Addr    string
}

// HelloReject refuses a Hello; the acceptor closes the connection after
// sending it. VersionMin and VersionMax are the range of wire versions the
// acceptor speaks, so that the dialer can report a version mismatch.
type HelloReject struct {
	Reason     RejectReason
	VersionMin uint8
	VersionMax uint8
}

// RejectReason says why a Hello was refused. The values are on the wire:
// append only. A decoder keeps values it does not know.
type RejectReason uint8

// Reasons for refusing a Hello.
const (
	// RejectOther is a refusal for a reason not listed here.
	RejectOther RejectReason = 0
	// RejectVersion: the version ranges of the two nodes do not overlap.
	RejectVersion RejectReason = 1
	// RejectLabel: the dialer belongs to a cluster with another label.
	RejectLabel RejectReason = 2
	// RejectName: the dialer's name is unusable, for example it is the
	// acceptor's own name.
	RejectName RejectReason = 3
	// RejectShutdown: the acceptor is shutting down.
	RejectShutdown RejectReason = 4
	// RejectVetoed: the acceptor's AliveDelegate or MergeDelegate vetoed
	// the dialer recently (see runtime_deny.go).
	RejectVetoed RejectReason = 5
	// RejectCertificate: under TLS, the dialer's certificate does not
	// hold the name in its Hello (transport_tls.go).
	RejectCertificate RejectReason = 6
)

// String returns the reason's name, as used in logs and errors.
func (r RejectReason) String() string {
	switch r {
	case RejectOther:
		return "other"
	case RejectVersion:
		return "version"
	case RejectLabel:
		return "label"
	case RejectName:
		return "name"
	case RejectShutdown:
		return "shutdown"
	case RejectVetoed:
		return "vetoed"
	case RejectCertificate:
		return "certificate"
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// UserMsg carries an application message sent point to point (the
// memberlist SendReliable and SendBestEffort calls); the receiver hands
// Payload to its Delegate's NotifyMsg. It is not part of any broadcast.
type UserMsg struct {
	Payload []byte
}

// Ping asks the receiver to answer with an Ack carrying the same SeqNo; the
// runtime uses it to measure round-trip times (the memberlist Ping call).
type Ping struct {
	SeqNo uint32
}

// Ack answers the Ping with the same SeqNo on a connection of version 1.
type Ack struct {
	SeqNo uint32
}

// LinkPing measures the round trip of an active-view link (version 2). It
// is sent on the long-lived link in place of a Keepalive, whose meaning it
// keeps; the receiver answers with a PingAck carrying the same SeqNo on its
// own link back to the sender (links carry frames one way, see
// runtime_conn.go).
type LinkPing struct {
	SeqNo uint32
}

// PingAck answers a LinkPing, or a Ping on a connection of version 2, with
// the same SeqNo and the answering node's PingDelegate.AckPayload (at most
// AckPayloadMaxSize bytes; empty without a PingDelegate).
type PingAck struct {
	SeqNo   uint32
	Payload []byte
}

// AckPayloadMaxSize is the largest PingDelegate.AckPayload a node sends,
// and the largest PingAck payload it accepts. A larger AckPayload is not
// sent: the answer goes out without a payload and the node logs a warning
// (see PingDelegate). memberlist has no such bound, but its acks travel in
// UDP packets of about 1400 bytes (Config.UDPBufferSize), so a payload
// that worked there fits: Serf's network coordinate takes about 100 bytes.
const AckPayloadMaxSize = 1024

// Type implements Message.
func (Hello) Type() MessageType { return TypeHello }

// Type implements Message.
func (HelloAccept) Type() MessageType { return TypeHelloAccept }

// Type implements Message.
func (HelloReject) Type() MessageType { return TypeHelloReject }

// Type implements Message.
func (UserMsg) Type() MessageType { return TypeUserMsg }

// Type implements Message.
func (Ping) Type() MessageType { return TypePing }

// Type implements Message.
func (Ack) Type() MessageType { return TypeAck }

// Type implements Message.
func (LinkPing) Type() MessageType { return TypeLinkPing }

// Type implements Message.
func (PingAck) Type() MessageType { return TypePingAck }

// NegotiateVersion returns the highest wire version that both this node
// (WireVersionMin to WireVersion) and a peer speaking versions min to max
// understand. It fails with an error wrapping ErrUnsupportedVersion when
// the ranges do not overlap or min > max.
func NegotiateVersion(min, max uint8) (uint8, error) {
	v := max
	if v > WireVersion {
		v = WireVersion
	}
	if min > max || v < min || v < WireVersionMin {
		return 0, fmt.Errorf("negotiate: peer speaks %d..%d, we speak %d..%d: %w",
			min, max, WireVersionMin, WireVersion, ErrUnsupportedVersion)
	}
	return v, nil
}

// AnswerHello returns the acceptor's answer to h: a HelloAccept naming self
// and the negotiated version, or a HelloReject when the version ranges do
// not overlap, the labels differ, or the dialer claims self's name. Any
// further policy (allow lists, connection limits) is the caller's.
func AnswerHello(h Hello, label string, self Peer) Message {
	reject := HelloReject{VersionMin: WireVersionMin, VersionMax: WireVersion}
	v, err := NegotiateVersion(h.VersionMin, h.VersionMax)
	switch {
	case err != nil:
		reject.Reason = RejectVersion
	case h.Label != label:
		reject.Reason = RejectLabel
	case h.Name == self.Name:
		reject.Reason = RejectName
	default:
		return HelloAccept{Version: v, Name: self.Name, Addr: self.Addr}
	}
	return reject
}
