package hyparlist

import (
	"errors"
	"fmt"
	"io"
	"net"
)

// A label keeps clusters that share a network apart: a node prefixes every
// packet and stream it sends with its cluster's label, and a receiver drops
// what carries another one. The header is three fields:
//
//	magic  1 byte   labelMagic
//	size   1 byte   length of the label, 1..255
//	label  size bytes
//
// An empty label means "no header at all", so unlabelled traffic is
// unchanged. Unlabelled traffic must therefore never start with labelMagic;
// no message type does.

// LabelMaxSize is the longest label, in bytes: its length travels in one
// byte.
const LabelMaxSize = 255

// labelMagic is the first byte of a label header. It is the value
// memberlist uses, so the header bytes are the same as memberlist's; it lies
// outside every MessageType range of this package.
const labelMagic byte = 244

var (
	// ErrLabelTooLong is returned when a label is longer than LabelMaxSize.
	errLabelTooLong = errors.New("hyparlist: label too long")

	// ErrLabelTruncated is returned when a label header ends before the
	// label it announces.
	errLabelTruncated = errors.New("hyparlist: label header truncated")

	// ErrLabelEmpty is returned when a label header announces a label of
	// zero bytes; an empty label is sent as no header at all.
	errLabelEmpty = errors.New("hyparlist: label header with empty label")
)

// AddLabelHeaderToPacket returns buf prefixed with a header carrying label.
// With an empty label it returns buf unchanged. The result is a new slice;
// buf is not modified.
func AddLabelHeaderToPacket(buf []byte, label string) ([]byte, error) {
	if label == "" {
		return buf, nil
	}
	if err := checkLabel(label); err != nil {
		return nil, err
	}
	out := make([]byte, 0, labelHeaderSize(label)+len(buf))
	out = appendLabelHeader(out, label)
	return append(out, buf...), nil
}

// RemoveLabelHeaderFromPacket splits a received packet into its label and
// the rest. A packet without a header is returned unchanged with an empty
// label. newBuf shares memory with buf.
func RemoveLabelHeaderFromPacket(buf []byte) (newBuf []byte, label string, err error) {
	if len(buf) == 0 || buf[0] != labelMagic {
		return buf, "", nil
	}
	if len(buf) < 2 {
		return nil, "", fmt.Errorf("packet of %d bytes: %w", len(buf), errLabelTruncated)
	}
	size := int(buf[1])
	if size == 0 {
		return nil, "", errLabelEmpty
	}
	end := 2 + size
	if len(buf) < end {
		return nil, "", fmt.Errorf("label of %d bytes in a packet of %d: %w", size, len(buf), errLabelTruncated)
	}
	return buf[end:], string(buf[2:end]), nil
}

// AddLabelHeaderToStream writes a header carrying label to conn, before
// anything else is sent on it. With an empty label it writes nothing.
func AddLabelHeaderToStream(conn net.Conn, label string) error {
	if label == "" {
		return nil
	}
	if err := checkLabel(label); err != nil {
		return err
	}
	if _, err := conn.Write(appendLabelHeader(nil, label)); err != nil {
		return fmt.Errorf("write label header: %w", err)
	}
	return nil
}

// RemoveLabelHeaderFromStream reads the label header, if any, from the start
// of conn. It returns the label (empty when there is no header) and a
// connection to read the rest of the stream from: conn itself when a header
// was consumed or the stream was empty, otherwise a wrapper that first
// returns the byte read to look for a header.
//
// It reads only the header's bytes, blocking until they arrive: set a read
// deadline on conn first. On error the caller must close conn.
func RemoveLabelHeaderFromStream(conn net.Conn) (net.Conn, string, error) {
	var first [1]byte
	if _, err := io.ReadFull(conn, first[:]); err != nil {
		if errors.Is(err, io.EOF) {
			// Nothing was sent at all: there is nothing to put back.
			return conn, "", nil
		}
		return nil, "", fmt.Errorf("read label header: %w", err)
	}
	if first[0] != labelMagic {
		return &prefixedConn{Conn: conn, prefix: first[:]}, "", nil
	}
	var size [1]byte
	if _, err := io.ReadFull(conn, size[:]); err != nil {
		return nil, "", labelReadError(err)
	}
	if size[0] == 0 {
		return nil, "", errLabelEmpty
	}
	label := make([]byte, size[0])
	if _, err := io.ReadFull(conn, label); err != nil {
		return nil, "", labelReadError(err)
	}
	return conn, string(label), nil
}

// labelReadError reports a failed read inside a label header: the end of
// the stream means the header was truncated.
func labelReadError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("stream ended inside label header: %w", errLabelTruncated)
	}
	return fmt.Errorf("read label header: %w", err)
}

// checkLabel rejects a label that does not fit in a header.
func checkLabel(label string) error {
	if len(label) > LabelMaxSize {
		return fmt.Errorf("label of %d bytes, at most %d: %w", len(label), LabelMaxSize, errLabelTooLong)
	}
	return nil
}

// labelHeaderSize is the number of bytes a header for label takes; zero for
// the empty label, which is sent without a header.
func labelHeaderSize(label string) int {
	if label == "" {
		return 0
	}
	return 2 + len(label)
}

// appendLabelHeader appends the header for a checked, non-empty label.
func appendLabelHeader(dst []byte, label string) []byte {
	dst = append(dst, labelMagic, byte(len(label)))
	return append(dst, label...)
}

// prefixedConn is a connection whose first bytes were already read; Read
// returns them before reading from the connection again.
type prefixedConn struct {
	net.Conn
	prefix []byte
}

// Read returns the remaining prefix bytes first, then reads from the
// underlying connection.
func (c *prefixedConn) Read(b []byte) (int, error) {
	if len(c.prefix) == 0 {
		return c.Conn.Read(b)
	}
	n := copy(b, c.prefix)
	c.prefix = c.prefix[n:]
	return n, nil
}
