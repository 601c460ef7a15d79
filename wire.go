// Wire: frames on a stream (a header with version, type and length, then the
// body) and encoding, decoding, reading and writing them.

package hyparlist

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// This file frames messages on a stream. A frame is a fixed header and a
// msgpack body (the body layouts are in wire_codec.go):
//
//	offset  size  field
//	0       1     version  wire version that defines the body (see below)
//	1       1     type     MessageType of the body
//	2       1     flags    frame flags, see below; 0 today
//	3       4     length   body length in bytes, big-endian uint32
//	7       n     body     msgpack array of the message's fields
//
// The version field names the wire version that defines the body's
// layout: the version that introduced the message type (1 for the types
// of version 1, 2 for those added in version 2, see wireVersionOf), 3
// for a prune or graft that names its tree root, 5 for one that names
// the shared tree, or 4 for member records
// that carry the members' protocol versions (the only bodies that grew a
// field, wire_codec.go). A layout never changes, so a frame of an old
// layout is the same bytes whatever version a connection negotiated, and
// a node of version 1 reads every frame a newer node sends it, as long as
// the sender keeps to the layouts of the connection's version
// (forVersion). A reader refuses a version it does not speak, and a type
// in a frame of a version before the type existed.
//
// Flags reserve room for what comes next; this version implements none
// and refuses a frame with any flag set (errUnknownFlags):
//
//   - bit 0: unused. (It was reserved for encryption; instead a sealed
//     frame travels whole, header included, inside an envelope: see
//     security_encryption.go.)
//   - bit 1, compressed: the body is compressed (applied before sealing).
//   - bit 2, labeled: the body starts with the cluster label (one length
//     byte, then the label), for frames sent without a handshake.
//
// Every count and length is checked against wireLimits before anything is
// allocated for it, and decoding never panics: bad input gives a
// *decodeError.

// Wire versions this node speaks: it reads and writes frames of versions
// wireVersionMin to wireVersion. The handshake picks the highest version
// both sides speak (negotiateVersion).
const (
	wireVersion    uint8 = 6
	wireVersionMin uint8 = 1
)

// wireVersionTreeRoots is the wire version from which Prune and Graft
// carry the root of the tree they apply to (Plumtree keeps one eager/lazy
// set per tree root from then on).
const wireVersionTreeRoots uint8 = 3

// wireVersionMemberVersions is the wire version from which member records
// carry the member's protocol versions (memberRecord.Versions): a seventh
// field of a record in memberRecordsMsg, and announcements (the payload of a
// ClassMembership broadcast) in the msgpack layout of membership_codec.go
// instead of the binary layout 1 of membership_codec_v1.go.
const wireVersionMemberVersions uint8 = 4

// wireVersionSharedTree is the wire version from which Prune and Graft
// can name the shared tree (their Shared field, a last field of their
// body): the tree that messages whose ID has ptSharedBit set travel on,
// apart from their root's own tree (plumtree_shared.go).
const wireVersionSharedTree uint8 = 5

// forVersion returns m as it may be sent on a link of wire version v:
//   - below version 6 (wireVersionSigned), a Gossip loses its origin's
//     signature (wire_sign.go);
//   - below version 5 (wireVersionSharedTree), a Prune or Graft for the
//     shared tree loses its Shared flag and keeps the Root it names (the
//     origin of the message that caused it): the peer applies it to that
//     root's tree, as it carried the message there;
//   - below version 4 (wireVersionMemberVersions), member records lose
//     their versions, and a membership announcement is re-encoded in the
//     binary layout older nodes read (the peer relays it in that layout);
//   - below version 3 (wireVersionTreeRoots), a Prune or Graft that names a
//     tree root loses the root, and the peer, which keeps one eager/lazy
//     set, applies it to that set.
//
// Every other message is returned as is.
func forVersion(m Message, v uint8) Message {
	if v >= wireVersionSigned {
		return m
	}
	if g, ok := m.(gossipMsg); ok && g.Sig != nil {
		g.Sig = nil
		m = g
	}
	if v >= wireVersionSharedTree {
		return m
	}
	switch m := m.(type) {
	case pruneMsg:
		m.Shared = false
		return forVersionBefore4(m, v)
	case graftMsg:
		m.Shared = false
		return forVersionBefore4(m, v)
	}
	return forVersionBefore4(m, v)
}

// forVersionBefore4 is forVersion for the versions before 5, applied to a
// message without a Shared flag.
func forVersionBefore4(m Message, v uint8) Message {
	if v >= wireVersionMemberVersions {
		return m
	}
	switch m := m.(type) {
	case memberRecordsMsg:
		if recordsCarryVersions(m.Records) {
			m.Records = withoutVersions(m.Records)
		}
		return m
	case gossipMsg:
		if m.Class == ClassMembership {
			m.Payload = announcementV1(m.Payload)
		}
		return m
	}
	if v >= wireVersionTreeRoots {
		return m
	}
	switch m := m.(type) {
	case pruneMsg:
		if m.Root != "" {
			return pruneMsg{}
		}
	case graftMsg:
		if m.Root != "" {
			return graftMsg{IDs: m.IDs}
		}
	}
	return m
}

// wireVersionOf returns the wire version that introduced message type t.
func wireVersionOf(t MessageType) uint8 {
	switch t {
	case typeLinkPing, typePingAck:
		return 2
	}
	return 1
}

// frameHeaderSize is the size in bytes of a frame header.
const frameHeaderSize = 7

// knownFlags are the frame flags this version can read: none yet (the
// reserved bits are described with the frame layout above).
const knownFlags = 0

// encodeMessage appends the frame of m (header and body) to dst and returns
// the extended slice; with a dst of enough capacity it does not allocate.
// It refuses, with dst unchanged and an error, a message that a peer with
// limits lim would refuse and a value that is not a message of this package.
//
// AppendMessage is the exported form, with the default limits.
func encodeMessage(dst []byte, m Message, lim wireLimits) ([]byte, error) {
	start := len(dst)
	e := encoder{b: append(dst, 0, 0, 0, 0, 0, 0, 0), lim: lim}
	if !encodeBody(&e, m) {
		return dst, fmt.Errorf("encode %T: %w", m, errUnknownMessageType)
	}
	if e.err != nil {
		return dst, e.err
	}
	n := len(e.b) - start - frameHeaderSize
	if n > lim.MaxFrameSize || uint64(n) > 1<<32-1 {
		return dst, fmt.Errorf("encode %s: %w: body %d bytes, max %d", e.typ, errFrameTooLarge, n, lim.MaxFrameSize)
	}
	e.b[start] = max(wireVersionOf(e.typ), e.version)
	e.b[start+1] = byte(e.typ)
	binary.BigEndian.PutUint32(e.b[start+3:], uint32(n))
	return e.b, nil
}

// decodeMessage decodes one whole frame. The frame must hold exactly one
// frame; the message it returns shares no memory with it.
func decodeMessage(frame []byte, lim wireLimits) (Message, error) {
	return decodeFrame(frame, lim, false)
}

// decodeFrame is decodeMessage; with alias set, byte fields of the message
// share frame's memory.
func decodeFrame(frame []byte, lim wireLimits, alias bool) (Message, error) {
	if len(frame) < frameHeaderSize {
		return nil, &decodeError{Field: "header", Err: fmt.Errorf("%w: %d of %d header bytes", errTruncated, len(frame), frameHeaderSize)}
	}
	h, err := parseHeader(frame, lim)
	if err != nil {
		return nil, err
	}
	body := frame[frameHeaderSize:]
	switch {
	case len(body) < h.length:
		return nil, &decodeError{Type: h.typ, Field: "body", Err: fmt.Errorf("%w: %d of %d body bytes", errTruncated, len(body), h.length)}
	case len(body) > h.length:
		return nil, &decodeError{Type: h.typ, Field: "body", Err: fmt.Errorf("%w: %d bytes after the frame", errTrailingData, len(body)-h.length)}
	}
	return decodeBody(h.typ, h.version, body, lim, alias)
}

// writeMessageFrame writes the frame of m to w in one Write call. It allocates the
// frame; a writer that sends many frames can reuse a buffer with
// encodeMessage instead.
func writeMessageFrame(w io.Writer, m Message, lim wireLimits) error {
	frame, err := encodeMessage(nil, m, lim)
	if err != nil {
		return err
	}
	if _, err := w.Write(frame); err != nil {
		return fmt.Errorf("write %s frame: %w", m.Type(), err)
	}
	return nil
}

// readMessageFrame reads and decodes the next frame from r; wrap a connection in
// a bufio.Reader so that a frame costs one read call, not two. It returns
// io.EOF, unwrapped, when r ends cleanly between frames, a *decodeError for
// a frame it cannot read (the stream is then unusable), and other read
// errors wrapped. The header is checked against lim before the body is
// read, and a large body is allocated in steps as its bytes arrive, so a
// peer cannot make the reader allocate more than about twice what it has
// sent, plus 64 KiB. Byte fields of the message share the body's memory.
func readMessageFrame(r io.Reader, lim wireLimits) (Message, error) {
	var hdr [frameHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, headerReadError(err)
	}
	return readFrameAfterHeader(r, hdr, lim)
}

// headerReadError reports a failed read of a frame header (or envelope
// header) whose first byte may already have been read: the end of the
// stream means the header was truncated.
func headerReadError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &decodeError{Field: "header", Err: fmt.Errorf("%w: %w", errTruncated, io.ErrUnexpectedEOF)}
	}
	return fmt.Errorf("read frame header: %w", err)
}

// readFrameAfterHeader is readMessageFrame once the header hdr has been read.
func readFrameAfterHeader(r io.Reader, hdr [frameHeaderSize]byte, lim wireLimits) (Message, error) {
	h, err := parseHeader(hdr[:], lim)
	if err != nil {
		return nil, err
	}
	body, err := readBody(r, h.length)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &decodeError{Type: h.typ, Field: "body", Err: fmt.Errorf("%w: %w", errTruncated, io.ErrUnexpectedEOF)}
		}
		return nil, fmt.Errorf("read %s frame body: %w", h.typ, err)
	}
	return decodeBody(h.typ, h.version, body, lim, true)
}

// readChunk is the most readMessageFrame allocates ahead of the bytes it has read.
const readChunk = 64 << 10

// readBody reads an n-byte body, growing the buffer (at most doubling it)
// only after the bytes before have arrived. A body already whole in a
// buffered reader (a stream's frames, runReader) is copied out in one step
// into a slice of its own, which is not zeroed first (bufferedBody).
func readBody(r io.Reader, n int) ([]byte, error) {
	if body, ok := bufferedBody(r, n); ok {
		return body, nil
	}
	body := make([]byte, min(n, readChunk))
	for filled := 0; ; {
		if _, err := io.ReadFull(r, body[filled:]); err != nil {
			return nil, err
		}
		if len(body) == n {
			return body, nil
		}
		filled = len(body)
		body = append(body, make([]byte, min(n-len(body), len(body)))...)
	}
}

// bufferedBody returns the next n bytes of r in a new slice if r is a
// buffered reader that holds all of them, and false otherwise. The slice
// is made by append, which does not zero the bytes it copies over, where
// make and a read would write every byte twice: a stream reader's bodies
// were a fifth of the CPU at N = 64, 1,000 broadcasts/s (BENCHMARKS.md,
// session 14). Only bytes that have arrived are allocated, as in readBody.
func bufferedBody(r io.Reader, n int) ([]byte, bool) {
	br, ok := r.(*bufio.Reader)
	if !ok || n == 0 || br.Buffered() < n {
		return nil, false
	}
	b, err := br.Peek(n)
	if err != nil {
		return nil, false
	}
	body := append([]byte(nil), b...)
	_, _ = br.Discard(n) // n bytes are buffered: cannot fail
	return body, true
}

// frameHeader is a parsed and checked frame header.
type frameHeader struct {
	version uint8
	typ     MessageType
	length  int
}

// parseHeader checks the first frameHeaderSize bytes of b: version, flags,
// type and length, in that order.
func parseHeader(b []byte, lim wireLimits) (frameHeader, error) {
	if v := b[0]; v < wireVersionMin || v > wireVersion {
		return frameHeader{}, &decodeError{Field: "version", Err: fmt.Errorf("%w: %d, want %d..%d", errUnsupportedVersion, v, wireVersionMin, wireVersion)}
	}
	t := MessageType(b[1])
	if f := b[2]; f&^knownFlags != 0 {
		return frameHeader{}, &decodeError{Type: t, Field: "flags", Err: fmt.Errorf("%w: %#02x", errUnknownFlags, f)}
	}
	if !knownType(t) {
		return frameHeader{}, &decodeError{Type: t, Field: "type", Err: errUnknownMessageType}
	}
	if v := b[0]; v < wireVersionOf(t) {
		return frameHeader{}, &decodeError{Type: t, Field: "version", Err: fmt.Errorf("%w: %s needs version %d, frame has %d", errUnsupportedVersion, t, wireVersionOf(t), v)}
	}
	n := binary.BigEndian.Uint32(b[3:])
	if uint64(n) > uint64(lim.MaxFrameSize) {
		return frameHeader{}, &decodeError{Type: t, Field: "length", Err: fmt.Errorf("%w: body %d bytes, max %d", errFrameTooLarge, n, lim.MaxFrameSize)}
	}
	return frameHeader{version: b[0], typ: t, length: int(n)}, nil
}
