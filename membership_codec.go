package hyparlist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// This file owns the encoding of membership announcements: the payload of a
// Plumtree broadcast of class ClassMembership.
//
// The format is a compact hand-written binary one rather than msgpack: a
// payload is a flat list of small records, and a fixed layout lets the
// decoder check every count and length against the remaining input before it
// allocates anything.
//
//	announcement = version:u8 (=1) count:uvarint record{count}
//	record       = name:bytes addr:bytes meta:bytes incarnation:uvarint state:u8
//	bytes        = length:uvarint octets{length}
//
// count is 1..MaxAnnouncementRecordsLimit; names, addresses and metadata obey
// MaxMemberNameLen, MaxMemberAddrLen and MaxMemberMetaLen; the incarnation
// fits in 32 bits; state is a MemberState. Trailing bytes are an error.
// MemberRecord.AgeSeconds is not encoded: an announcement is fresh news.

// announcementVersion is the first byte of every announcement.
const announcementVersion = 1

// MaxAnnouncementRecordsLimit is the largest record count a decoder accepts
// in one announcement.
const maxAnnouncementRecords = 256

// minEncodedRecord is the size of the smallest valid record: a one-byte
// name, empty address and metadata, incarnation 0, a state byte.
const minEncodedRecord = 1 + 1 + 1 + 1 + 1 + 1

// Announcement decoding errors. Every decodeAnnouncement error wraps one of
// them, or errInvalidMemberRecord.
var (
	// ErrAnnouncementVersion: the payload starts with an unknown version.
	errAnnouncementVersion = errors.New("unsupported membership announcement version")
	// ErrAnnouncementTruncated: the payload ends inside a field.
	errAnnouncementTruncated = errors.New("membership announcement truncated")
	// ErrAnnouncementMalformed: a count or length is out of range, or bytes
	// follow the last record.
	errAnnouncementMalformed = errors.New("malformed membership announcement")
)

// AppendAnnouncement appends the encoding of recs to dst. It fails, leaving
// dst unchanged, if recs is empty or too long or a record is invalid.
func appendAnnouncement(dst []byte, recs []MemberRecord) ([]byte, error) {
	if len(recs) == 0 || len(recs) > maxAnnouncementRecords {
		return dst, fmt.Errorf("encode announcement: %d records, want 1..%d: %w",
			len(recs), maxAnnouncementRecords, errAnnouncementMalformed)
	}
	for i, r := range recs {
		if err := r.validate(); err != nil {
			return dst, fmt.Errorf("encode announcement record %d: %w", i, err)
		}
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

// decodeAnnouncement decodes an announcement. The records share no memory
// with b. Its allocations are bounded by len(b).
func decodeAnnouncement(b []byte) ([]MemberRecord, error) {
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
	recs := make([]MemberRecord, n)
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

func (d *announcementDecoder) record(r *MemberRecord) error {
	name, err := d.field("name", MaxMemberNameLen)
	if err != nil {
		return err
	}
	addr, err := d.field("addr", MaxMemberAddrLen)
	if err != nil {
		return err
	}
	meta, err := d.field("meta", MaxMemberMetaLen)
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
	*r = MemberRecord{Name: string(name), Addr: string(addr), Meta: cloneBytes(meta), Incarnation: uint32(inc), State: MemberState(st)}
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
