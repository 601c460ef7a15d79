// Membership core: layout 1 of announcements, for links to nodes of wire
// version 3 and older.

package hyparlist

import (
	"encoding/binary"
	"fmt"
	"math"
)

// This file keeps layout 1 of membership announcements, the compact binary
// one that nodes of wire version 3 and older read and write. A node of
// version 4 writes announcements in msgpack (membership_codec.go) and uses
// this layout only on a link to an older node (forVersion), and to read
// what such a node sends:
//
//	announcement = version:u8 (=1) count:uvarint record{count}
//	record       = name:bytes addr:bytes meta:bytes incarnation:uvarint state:u8
//	bytes        = length:uvarint octets{length}
//
// count is 1..MaxAnnouncementRecordsLimit; names, addresses and metadata obey
// maxMemberNameLen, maxMemberAddrLen and maxMemberMetaLen; the incarnation
// fits in 32 bits; state is a memberState. Trailing bytes are an error.
// Neither memberRecord.AgeSeconds nor memberRecord.Versions is encoded.

// announcementVersion is the first byte of every layout-1 announcement. No
// msgpack array starts with it, which tells the layouts apart.
const announcementVersion = 1

// minEncodedRecord is the size of the smallest valid layout-1 record: a
// one-byte name, empty address and metadata, incarnation 0, a state byte.
const minEncodedRecord = 1 + 1 + 1 + 1 + 1 + 1

// appendAnnouncementV1 appends the layout-1 encoding of recs to dst. It
// fails, leaving dst unchanged, if recs is empty or too long or a record
// is invalid.
func appendAnnouncementV1(dst []byte, recs []memberRecord) ([]byte, error) {
	if err := checkAnnouncement(recs); err != nil {
		return dst, err
	}
	dst = append(dst, announcementVersion)
	dst = binary.AppendUvarint(dst, uint64(len(recs)))
	for _, r := range recs {
		dst = appendBytesField(dst, r.Name)
		dst = appendBytesField(dst, r.Addr)
		dst = appendBytesField(dst, string(r.Meta))
		dst = binary.AppendUvarint(dst, uint64(r.Incarnation))
		dst = append(dst, byte(r.State))
	}
	return dst, nil
}

// decodeAnnouncementV1 decodes a layout-1 announcement. The records share
// no memory with b. Its allocations are bounded by len(b).
func decodeAnnouncementV1(b []byte) ([]memberRecord, error) {
	d := announcementDecoder{buf: b}
	v, err := d.byte()
	if err != nil {
		return nil, fmt.Errorf("decode announcement version: %w", err)
	}
	if v != announcementVersion {
		return nil, fmt.Errorf("decode announcement: version %d: %w", v, errAnnouncementVersion)
	}
	n, err := d.uvarint()
	if err != nil {
		return nil, fmt.Errorf("decode announcement count: %w", err)
	}
	if n == 0 || n > maxAnnouncementRecords || n > uint64(len(d.buf)-d.off)/minEncodedRecord {
		return nil, fmt.Errorf("decode announcement: count %d for %d bytes: %w", n, len(d.buf)-d.off, errAnnouncementMalformed)
	}
	recs := make([]memberRecord, n)
	for i := range recs {
		if err := d.record(&recs[i]); err != nil {
			return nil, fmt.Errorf("decode announcement record %d: %w", i, err)
		}
		if err := recs[i].validate(); err != nil {
			return nil, fmt.Errorf("decode announcement record %d: %w", i, err)
		}
	}
	if d.off != len(d.buf) {
		return nil, fmt.Errorf("decode announcement: %d trailing bytes: %w", len(d.buf)-d.off, errAnnouncementMalformed)
	}
	return recs, nil
}

// appendBytesField appends a length-prefixed string.
func appendBytesField(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// announcementDecoder reads fields from buf, checking every length against
// what is left before it copies anything.
type announcementDecoder struct {
	buf []byte
	off int
}

func (d *announcementDecoder) record(r *memberRecord) error {
	name, err := d.field("name", maxMemberNameLen)
	if err != nil {
		return err
	}
	addr, err := d.field("addr", maxMemberAddrLen)
	if err != nil {
		return err
	}
	meta, err := d.field("meta", maxMemberMetaLen)
	if err != nil {
		return err
	}
	inc, err := d.uvarint()
	if err != nil {
		return fmt.Errorf("incarnation: %w", err)
	}
	if inc > math.MaxUint32 {
		return fmt.Errorf("incarnation %d: %w", inc, errAnnouncementMalformed)
	}
	st, err := d.byte()
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	*r = memberRecord{Name: string(name), Addr: string(addr), Meta: cloneBytes(meta), Incarnation: uint32(inc), State: memberState(st)}
	return nil
}

// field reads a length-prefixed field of at most limit bytes. The result
// aliases buf.
func (d *announcementDecoder) field(what string, limit int) ([]byte, error) {
	n, err := d.uvarint()
	if err != nil {
		return nil, fmt.Errorf("%s length: %w", what, err)
	}
	if n > uint64(limit) {
		return nil, fmt.Errorf("%s of %d bytes exceeds %d: %w", what, n, limit, errAnnouncementMalformed)
	}
	if n > uint64(len(d.buf)-d.off) {
		return nil, fmt.Errorf("%s of %d bytes: %w", what, n, errAnnouncementTruncated)
	}
	b := d.buf[d.off : d.off+int(n)]
	d.off += int(n)
	return b, nil
}

func (d *announcementDecoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.buf[d.off:])
	switch {
	case n == 0:
		return 0, errAnnouncementTruncated
	case n < 0:
		return 0, fmt.Errorf("varint overflows 64 bits: %w", errAnnouncementMalformed)
	}
	d.off += n
	return v, nil
}

func (d *announcementDecoder) byte() (byte, error) {
	if d.off >= len(d.buf) {
		return 0, errAnnouncementTruncated
	}
	b := d.buf[d.off]
	d.off++
	return b, nil
}
