// Wire: the hand-written subset of msgpack that message bodies use.

package hyparlist

import (
	"encoding/binary"
	"fmt"
	"math"
)

// This file holds the part of msgpack (https://msgpack.org/, "spec.md")
// that message bodies use: arrays, str, bin, unsigned integers and
// booleans. The encoder writes the shortest form of each value; the decoder
// accepts every form of the kinds it expects (str or bin for strings and
// bytes, any integer form whose value fits, nil for an empty list or byte
// string), so that a body written by another msgpack library, such as
// github.com/hashicorp/go-msgpack/v2, reads the same.
//
// Both sides carry a sticky error: after the first failure every call is a
// no-op that returns a zero value, and the caller checks the error once at
// the end. The decoder checks each length and count against the limits and
// against the bytes that remain before it allocates anything.

// msgpack format bytes.
const (
	mpFixArray  = 0x90 // 1001xxxx: array of up to 15 elements
	mpFixStr    = 0xa0 // 101xxxxx: str of up to 31 bytes
	mpNil       = 0xc0
	mpFalse     = 0xc2
	mpTrue      = 0xc3
	mpBin8      = 0xc4
	mpBin16     = 0xc5
	mpBin32     = 0xc6
	mpUint8     = 0xcc
	mpUint16    = 0xcd
	mpUint32    = 0xce
	mpUint64    = 0xcf
	mpInt8      = 0xd0
	mpInt16     = 0xd1
	mpInt32     = 0xd2
	mpInt64     = 0xd3
	mpStr8      = 0xd9
	mpStr16     = 0xda
	mpStr32     = 0xdb
	mpArray16   = 0xdc
	mpArray32   = 0xdd
	mpNegFixInt = 0xe0 // 111xxxxx: -32..-1
)

// Smallest encodings of the list elements, used to reject a list count that
// the remaining bytes cannot hold before allocating the list.
const (
	minPeerSize       = 3 // [name "", addr ""]
	minIDSize         = 3 // [origin "", seq 0]
	minIHaveEntrySize = 2 + minIDSize
	minUintSize       = 1     // positive fixint
	minRecordSize     = 1 + 6 // [name "", addr "", meta nil, 0, 0, 0]
)

// fieldPath names a field for errors: a message field and, inside a Peer
// or MessageID, the part of it ("peers.addr").
func fieldPath(name, part string) string {
	switch {
	case part == "":
		return name
	case name == "":
		return part
	}
	return name + "." + part
}

// encoder appends one message body to b, enforcing lim.
type encoder struct {
	b   []byte
	lim wireLimits
	typ MessageType
	// version is the wire version the body's layout needs when it is
	// later than the one that introduced typ (wireVersionOf), else 0.
	version uint8
	err     error
}

func (e *encoder) fail(name, part string, err error) {
	if e.err == nil {
		e.err = fmt.Errorf("encode %s: %w", fieldPath(e.typ.String(), fieldPath(name, part)), err)
	}
}

// begin starts the body of a message of type t with n fields.
func (e *encoder) begin(t MessageType, n int) {
	e.typ = t
	e.array(n)
}

func (e *encoder) array(n int) {
	switch {
	case n < 16:
		e.b = append(e.b, mpFixArray|byte(n))
	case n <= math.MaxUint16:
		e.b = binary.BigEndian.AppendUint16(append(e.b, mpArray16), uint16(n))
	default:
		e.b = binary.BigEndian.AppendUint32(append(e.b, mpArray32), uint32(n))
	}
}

// list starts a list of n elements and reports whether the caller should
// encode them: n must not exceed max.
func (e *encoder) list(name string, n, max int) bool {
	if n > max || uint64(n) > math.MaxUint32 {
		e.fail(name, "", fmt.Errorf("%w: %d entries, max %d", errLimitExceeded, n, max))
		return false
	}
	e.array(n)
	return true
}

// raw appends a str or bin header for n bytes; str selects the family.
func (e *encoder) raw(str bool, n int) {
	switch {
	case str && n < 32:
		e.b = append(e.b, mpFixStr|byte(n))
	case n <= math.MaxUint8:
		e.b = append(e.b, pick(str, mpStr8, mpBin8), byte(n))
	case n <= math.MaxUint16:
		e.b = binary.BigEndian.AppendUint16(append(e.b, pick(str, mpStr16, mpBin16)), uint16(n))
	default:
		e.b = binary.BigEndian.AppendUint32(append(e.b, pick(str, mpStr32, mpBin32)), uint32(n))
	}
}

func pick(str bool, ifStr, ifBin byte) byte {
	if str {
		return ifStr
	}
	return ifBin
}

func (e *encoder) str(name, part, s string, max int) {
	if len(s) > max {
		e.fail(name, part, fmt.Errorf("%w: %d bytes, max %d", errLimitExceeded, len(s), max))
		return
	}
	e.raw(true, len(s))
	e.b = append(e.b, s...)
}

// bytes appends p as bin; p must be at most max bytes long.
func (e *encoder) bytes(name, part string, p []byte, max int) {
	switch {
	case uint64(len(p)) > math.MaxUint32 || len(p) > e.lim.MaxFrameSize:
		// Checked before the bytes are copied: a field larger than a
		// whole frame cannot fit.
		e.fail(name, part, fmt.Errorf("%w: %d bytes, max %d", errFrameTooLarge, len(p), e.lim.MaxFrameSize))
		return
	case len(p) > max:
		e.fail(name, part, fmt.Errorf("%w: %d bytes, max %d", errLimitExceeded, len(p), max))
		return
	}
	e.raw(false, len(p))
	e.b = append(e.b, p...)
}

func (e *encoder) uint(v uint64) {
	switch {
	case v <= 0x7f:
		e.b = append(e.b, byte(v))
	case v <= math.MaxUint8:
		e.b = append(e.b, mpUint8, byte(v))
	case v <= math.MaxUint16:
		e.b = binary.BigEndian.AppendUint16(append(e.b, mpUint16), uint16(v))
	case v <= math.MaxUint32:
		e.b = binary.BigEndian.AppendUint32(append(e.b, mpUint32), uint32(v))
	default:
		e.b = binary.BigEndian.AppendUint64(append(e.b, mpUint64), v)
	}
}

func (e *encoder) bool(v bool) {
	e.b = append(e.b, pick(v, mpTrue, mpFalse))
}

func (e *encoder) peer(name string, p Peer) {
	e.array(2)
	e.str(name, "name", p.Name, e.lim.MaxNameLen)
	e.str(name, "addr", p.Addr, e.lim.MaxAddrLen)
}

func (e *encoder) id(name string, id MessageID) {
	e.array(2)
	e.str(name, "origin", id.Origin, e.lim.MaxNameLen)
	e.uint(id.Seq)
}

// decoder reads one message body from b, enforcing lim.
type decoder struct {
	b   []byte
	off int
	lim wireLimits
	typ MessageType
	// version is the frame's wire version, which picks the layout of the
	// types whose body grew a field (prune and graft in version 3).
	version uint8
	// alias lets byte fields share b instead of copying it; only for a b
	// that nobody else holds.
	alias bool
	// origin is the MessageID origin read last: batched IHave entries
	// mostly repeat it, and reusing the string saves an allocation each.
	origin string
	err    error
}

func (d *decoder) fail(name, part string, err error) {
	if d.err == nil {
		d.err = &decodeError{Type: d.typ, Field: fieldPath(name, part), Err: err}
	}
}

func (d *decoder) malformed(name, part, format string, args ...any) {
	d.fail(name, part, fmt.Errorf("%w: "+format, append([]any{errMalformed}, args...)...))
}

// need reports whether n more bytes remain, failing with errTruncated if not.
func (d *decoder) need(name, part string, n uint64) bool {
	if d.err != nil {
		return false
	}
	if left := uint64(len(d.b) - d.off); n > left {
		d.fail(name, part, fmt.Errorf("%w: need %d bytes, %d left", errTruncated, n, left))
		return false
	}
	return true
}

func (d *decoder) next(name, part string) (byte, bool) {
	if !d.need(name, part, 1) {
		return 0, false
	}
	c := d.b[d.off]
	d.off++
	return c, true
}

// be reads an n-byte big-endian unsigned integer.
func (d *decoder) be(name, part string, n int) (uint64, bool) {
	if !d.need(name, part, uint64(n)) {
		return 0, false
	}
	var v uint64
	for _, c := range d.b[d.off : d.off+n] {
		v = v<<8 | uint64(c)
	}
	d.off += n
	return v, true
}

// arrayLen reads an array header; nilOK accepts nil as an empty array.
func (d *decoder) arrayLen(name, part string, nilOK bool) (uint64, bool) {
	c, ok := d.next(name, part)
	switch {
	case !ok:
		return 0, false
	case c&0xf0 == mpFixArray:
		return uint64(c & 0x0f), true
	case c == mpArray16:
		return d.be(name, part, 2)
	case c == mpArray32:
		return d.be(name, part, 4)
	case c == mpNil && nilOK:
		return 0, true
	}
	d.malformed(name, part, "want array, got 0x%02x", c)
	return 0, false
}

// fields reads the header of a struct encoded as an array of n fields.
func (d *decoder) fields(name string, n uint64) {
	if got, ok := d.arrayLen(name, "", false); ok && got != n {
		d.malformed(name, "", "want %d fields, got %d", n, got)
	}
}

// list reads a list header and returns its count, which is at most max and
// small enough for the remaining bytes to hold count elements of at least
// minSize bytes each.
func (d *decoder) list(name string, max, minSize int) int {
	n, ok := d.arrayLen(name, "", true)
	switch {
	case !ok:
		return 0
	case n > uint64(max):
		d.fail(name, "", fmt.Errorf("%w: %d entries, max %d", errLimitExceeded, n, max))
		return 0
	case !d.need(name, "", n*uint64(minSize)):
		return 0
	}
	return int(n)
}

// raw reads a str or bin header and returns the byte string it announces,
// which is at most max bytes long and still in b. nilOK accepts nil as an
// empty byte string.
func (d *decoder) raw(name, part string, max int, nilOK bool) []byte {
	c, ok := d.next(name, part)
	if !ok {
		return nil
	}
	var n uint64
	switch {
	case c&0xe0 == mpFixStr:
		n = uint64(c & 0x1f)
	case c == mpStr8 || c == mpBin8:
		n, ok = d.be(name, part, 1)
	case c == mpStr16 || c == mpBin16:
		n, ok = d.be(name, part, 2)
	case c == mpStr32 || c == mpBin32:
		n, ok = d.be(name, part, 4)
	case c == mpNil && nilOK:
	default:
		d.malformed(name, part, "want str or bin, got 0x%02x", c)
		return nil
	}
	switch {
	case !ok:
		return nil
	case n > uint64(max):
		d.fail(name, part, fmt.Errorf("%w: %d bytes, max %d", errLimitExceeded, n, max))
		return nil
	case !d.need(name, part, n):
		return nil
	}
	p := d.b[d.off : d.off+int(n) : d.off+int(n)]
	d.off += int(n)
	return p
}

func (d *decoder) str(name, part string, max int) string {
	return string(d.raw(name, part, max, false))
}

// bytes reads a byte string of at most max bytes; empty reads as nil.
func (d *decoder) bytes(name, part string, max int) []byte {
	p := d.raw(name, part, max, true)
	if len(p) == 0 {
		return nil
	}
	if d.alias {
		return p
	}
	return append([]byte(nil), p...)
}

// uint reads an integer in [0, max], in any msgpack integer form.
func (d *decoder) uint(name, part string, max uint64) uint64 {
	c, ok := d.next(name, part)
	if !ok {
		return 0
	}
	var v uint64
	switch {
	case c <= 0x7f:
		v = uint64(c)
	case c >= mpUint8 && c <= mpUint64:
		v, ok = d.be(name, part, 1<<(c-mpUint8))
	case c >= mpInt8 && c <= mpInt64:
		n := 1 << (c - mpInt8)
		if v, ok = d.be(name, part, n); ok && v>>(8*n-1) != 0 {
			d.malformed(name, part, "negative integer")
			return 0
		}
	case c >= mpNegFixInt:
		d.malformed(name, part, "negative integer")
		return 0
	default:
		d.malformed(name, part, "want integer, got 0x%02x", c)
		return 0
	}
	if ok && v > max {
		d.malformed(name, part, "%d out of range, max %d", v, max)
		return 0
	}
	return v
}

func (d *decoder) uint8(name string) uint8   { return uint8(d.uint(name, "", math.MaxUint8)) }
func (d *decoder) uint16(name string) uint16 { return uint16(d.uint(name, "", math.MaxUint16)) }
func (d *decoder) uint32(name string) uint32 { return uint32(d.uint(name, "", math.MaxUint32)) }

func (d *decoder) bool(name string) bool {
	c, ok := d.next(name, "")
	switch {
	case !ok:
		return false
	case c == mpTrue:
		return true
	case c != mpFalse:
		d.malformed(name, "", "want bool, got 0x%02x", c)
	}
	return false
}

func (d *decoder) peer(name string) Peer {
	d.fields(name, 2)
	return Peer{
		Name: d.str(name, "name", d.lim.MaxNameLen),
		Addr: d.str(name, "addr", d.lim.MaxAddrLen),
	}
}

func (d *decoder) id(name string) MessageID {
	d.fields(name, 2)
	var id MessageID
	if p := d.raw(name, "origin", d.lim.MaxNameLen, false); string(p) == d.origin {
		id.Origin = d.origin
	} else {
		id.Origin = string(p)
		d.origin = id.Origin
	}
	id.Seq = d.uint(name, "seq", math.MaxUint64)
	return id
}
