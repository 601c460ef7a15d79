// Security: binding an encrypted stream to both sides' handshake nonces
// (replay protection for streams).

package hyparlist

import (
	"fmt"
	"io"
	"net"
)

// This file binds every encrypted stream to its own handshake, so that a
// recorded stream cannot be replayed (issue 14; memberlist has no such
// protection).
//
// Each handshake frame is sealed with a fresh random 96-bit GCM nonce
// (security_encryption.go), and GCM authenticates its nonce: the nonce of the
// dialler's Hello (nd) and the nonce of the acceptor's helloAcceptMsg (na)
// are fresh values from both sides that neither side nor an observer can
// change. From wire version 4 (wireVersionBound) on, when both handshake
// frames were sealed, every later frame of the stream is sealed with
//
//	label | 0x00 | 'D' or 'A' | nd | na
//
// as additional data instead of the label alone: 'D' for frames the
// dialler sends, 'A' for the acceptor's answers. A recorded stream
// replayed to a node gets a new na from it, so its frames after the Hello
// no longer open (errNoMatchingKey) and the stream is closed before
// anything in it is acted on; a frame cannot be sent back the other way
// either. Nothing on the wire changes but the version number.
//
// Versions 1 to 3 seal with the label alone, as before. With keys
// installed and GossipVerifyIncoming set, a node refuses streams that
// would not be bound: a Hello that offers no version ≥ 4 is answered
// with helloRejectMsg (rejectVersion), and a dialler closes a stream whose
// helloAcceptMsg picks a lower version. With GossipVerifyIncoming off, older
// nodes are still accepted, unbound, for a rolling upgrade (MIGRATING.md).
//
// Not covered: an attacker who sits on a live TCP connection and repeats
// or reorders whole frames inside it (that takes splicing the connection
// itself; Config.TLS covers it).

// wireVersionBound is the wire version from which encrypted streams are
// bound to their handshake.
const wireVersionBound uint8 = 4

// streamKeys are the additional data a stream's frames are sealed with
// after the handshake: send for the frames this node writes, recv for
// those it reads. Without binding both are the label.
type streamKeys struct {
	send, recv string
}

// unboundKeys returns the keys of a stream that is not bound: label both
// ways.
func unboundKeys(label string) streamKeys {
	return streamKeys{send: label, recv: label}
}

// boundKeys returns the keys of a stream with the given label and
// handshake nonces, for the dialler (dialler true) or the acceptor.
func boundKeys(label string, nd, na []byte, dialler bool) streamKeys {
	base := label + "\x00"
	tail := string(nd) + string(na)
	d, a := base+"D"+tail, base+"A"+tail
	if dialler {
		return streamKeys{send: d, recv: a}
	}
	return streamKeys{send: a, recv: d}
}

// streamBinding is what a side of a handshake knows about its binding:
// the negotiated version and the nonces of the two handshake frames (nil
// for a frame sent in the clear).
type streamBinding struct {
	version uint8
	sent    []byte
	got     []byte
}

// bound reports whether the stream is bound.
func (b streamBinding) bound() bool {
	return b.version >= wireVersionBound && b.sent != nil && b.got != nil
}

// keys returns the stream's keys for label; dialler says which side this
// node is.
func (b streamBinding) keys(label string, dialler bool) streamKeys {
	if !b.bound() {
		return unboundKeys(label)
	}
	if dialler {
		return boundKeys(label, b.sent, b.got, true)
	}
	return boundKeys(label, b.got, b.sent, false)
}

// requiresBinding reports whether this node refuses unbound streams:
// keys installed and GossipVerifyIncoming set.
func (c frameCrypto) requiresBinding() bool {
	return c.verifyIncoming && c.keyring.primaryAEAD() != nil
}

// errUnbound is the error of a stream that would not be bound to its
// handshake while the node requires it.
var errUnbound = fmt.Errorf("stream not bound to its handshake (peer older than wire version %d, or not encrypting): %w", wireVersionBound, errUnsupportedVersion)

// checkBinding returns errUnbound when the node requires binding and b is
// not bound.
func (c frameCrypto) checkBinding(b streamBinding) error {
	if c.requiresBinding() && !b.bound() {
		return errUnbound
	}
	return nil
}

// writeFrameNonce is writeFrame that also returns the GCM nonce of the
// sealed frame, or nil when it was sent in the clear.
func (c frameCrypto) writeFrameNonce(w io.Writer, msg Message, lim wireLimits, label string) ([]byte, error) {
	frame, _, err := c.appendFrame(nil, nil, msg, lim, label)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(frame); err != nil {
		return nil, fmt.Errorf("write %s frame: %w", msg.Type(), err)
	}
	if frame[0] != sealedMarker {
		return nil, nil
	}
	return frame[5 : 5+sealNonceSize], nil
}

// boundConn is a dialled stream with its keys, so that whoever writes or
// reads it after the handshake seals and opens with them.
type boundConn struct {
	net.Conn
	keys streamKeys
}

// sendLabel returns the additional data to seal frames written to conn
// with: its keys' when it is a boundConn, else the label.
func (m *Memberlist) sendLabel(conn net.Conn) string {
	if bc, ok := conn.(*boundConn); ok {
		return bc.keys.send
	}
	return m.config.Label
}

// recvLabel returns the additional data to open frames read from conn
// with.
func (m *Memberlist) recvLabel(conn net.Conn) string {
	if bc, ok := conn.(*boundConn); ok {
		return bc.keys.recv
	}
	return m.config.Label
}

// refuseUnbound reports whether the acceptor must refuse a Hello it would
// accept with answer, whose frame had nonce got (nil: plain), because the
// stream would not be bound while the node requires binding.
func (m *Memberlist) refuseUnbound(answer Message, got []byte) bool {
	a, ok := answer.(helloAcceptMsg)
	if !ok {
		return false
	}
	b := streamBinding{version: a.Version, got: got}
	if m.crypto.sealKey() != nil {
		b.sent = []byte{} // the answer will be sealed
	}
	return m.crypto.checkBinding(b) != nil
}

// rebindFrame returns frame, the frame of msg sealed with the label
// before conn was dialled, sealed again with conn's keys when conn is
// bound.
func (m *Memberlist) rebindFrame(conn net.Conn, frame []byte, msg Message) ([]byte, error) {
	if _, ok := conn.(*boundConn); !ok {
		return frame, nil
	}
	out, _, err := m.crypto.appendFrame(nil, nil, msg, m.lim, m.sendLabel(conn))
	return out, err
}
