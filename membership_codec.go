// Membership core: the binary encoding of announcements (the payload of a
// ClassMembership broadcast).

package hyparlist

import (
	"errors"
	"fmt"
	"math"
)

// This file owns the encoding of membership announcements: the payload of a
// Plumtree broadcast of class ClassMembership. An announcement is encoded
// by the same msgpack codec as every message body (wire_msgpack.go): a
// msgpack array of 1..MaxAnnouncementRecordsLimit member records, each in
// the record layout of wire version 4 (wire_member.go):
//
//	announcement = [record, ...]
//	record       = [name, addr, meta bin, incarnation, state, age_seconds, [pmin, pmax, pcur, dmin, dmax, dcur]]
//
// age_seconds is always 0 (an announcement is fresh news). This is what
// go-msgpack writes for a []memberRecord with StructToArray
// (membership_codec_test.go checks it). A payload is relayed unchanged by
// every node it crosses, so it must say its own layout: an announcement
// from a node of wire version 3 or older is in layout 1
// (membership_codec_v1.go), whose first byte, 1, no msgpack array has.
// decodeAnnouncement reads both; a link to such a node gets layout 1
// (forVersion).

// maxAnnouncementRecords is the largest record count a decoder accepts
// in one announcement.
const maxAnnouncementRecords = 256

// Announcement decoding errors. Every decodeAnnouncement error wraps one of
// them, or errInvalidMemberRecord.
var (
	// ErrAnnouncementVersion: the payload is in no known layout.
	errAnnouncementVersion = errors.New("unsupported membership announcement version")
	// ErrAnnouncementTruncated: the payload ends inside a field.
	errAnnouncementTruncated = errors.New("membership announcement truncated")
	// ErrAnnouncementMalformed: a count or length is out of range, a field
	// has the wrong type, or bytes follow the last record.
	errAnnouncementMalformed = errors.New("malformed membership announcement")
)

// checkAnnouncement checks what both layouts need of an announcement's
// records: a count in 1..MaxAnnouncementRecordsLimit, and valid records.
func checkAnnouncement(recs []memberRecord) error {
	if len(recs) == 0 || len(recs) > maxAnnouncementRecords {
		return fmt.Errorf("encode announcement: %d records, want 1..%d: %w",
			len(recs), maxAnnouncementRecords, errAnnouncementMalformed)
	}
	for i, r := range recs {
		if err := r.validate(); err != nil {
			return fmt.Errorf("encode announcement record %d: %w", i, err)
		}
	}
	return nil
}

// AppendAnnouncement appends to dst the payload of a ClassMembership
// broadcast that carries the records of members, as the membership core
// announces them (BroadcastPayload); StateChange is not part of an
// announcement. It is for drivers and simulators that inject records
// (internal/sim's forged members); a node announces its own record
// itself. It fails, leaving dst unchanged, if members is empty or longer
// than 256 records or a record is invalid.
func AppendAnnouncement(dst []byte, members []Member) ([]byte, error) {
	recs := make([]memberRecord, len(members))
	for i, m := range members {
		recs[i] = memberRecord{Name: m.Name, Addr: m.Addr, Meta: m.Meta, Incarnation: m.Incarnation, State: m.State, Versions: m.Versions}
	}
	return appendAnnouncement(dst, recs)
}

// appendAnnouncement appends the encoding of recs to dst. It fails, leaving
// dst unchanged, if recs is empty or too long or a record is invalid.
// AgeSeconds is written as 0.
func appendAnnouncement(dst []byte, recs []memberRecord) ([]byte, error) {
	if err := checkAnnouncement(recs); err != nil {
		return dst, err
	}
	// Records are bounded by the membership constants, not by wireLimits
	// (wire_member.go); the frame bound only has to let them through.
	e := encoder{b: dst, lim: wireLimits{MaxFrameSize: math.MaxInt32}, version: wireVersionMemberVersions}
	e.array(len(recs))
	for _, r := range recs {
		r.AgeSeconds = 0
		e.record("records", r)
	}
	if e.err != nil {
		return dst, fmt.Errorf("encode announcement: %w", e.err) // unreachable: validated
	}
	return e.b, nil
}

// decodeAnnouncement decodes an announcement in either layout; every
// record's AgeSeconds is 0 (an announcement is fresh news). The records
// share no memory with b. Its allocations are bounded by len(b).
func decodeAnnouncement(b []byte) ([]memberRecord, error) {
	switch {
	case len(b) == 0:
		return nil, fmt.Errorf("decode announcement: empty: %w", errAnnouncementTruncated)
	case b[0] == announcementVersion:
		return decodeAnnouncementV1(b)
	case b[0]&0xf0 != mpFixArray && b[0] != mpArray16 && b[0] != mpArray32:
		return nil, fmt.Errorf("decode announcement: first byte %#02x: %w", b[0], errAnnouncementVersion)
	}
	d := decoder{b: b, version: wireVersionMemberVersions}
	n := d.list("records", maxAnnouncementRecords, minRecordSize)
	var recs []memberRecord
	if d.err == nil && n > 0 {
		recs = make([]memberRecord, n)
		for i := range recs {
			recs[i] = d.record("records")
		}
	}
	if d.err == nil && d.off != len(b) {
		return nil, fmt.Errorf("decode announcement: %d trailing bytes: %w", len(b)-d.off, errAnnouncementMalformed)
	}
	if d.err != nil {
		return nil, announcementError(d.err)
	}
	if n == 0 {
		return nil, fmt.Errorf("decode announcement: no records: %w", errAnnouncementMalformed)
	}
	for i := range recs {
		// An announcement is fresh news: a sender writes age 0, and an
		// age another sender wrote is ignored, as layout 1 has none.
		recs[i].AgeSeconds = 0
		if err := recs[i].validate(); err != nil {
			return nil, fmt.Errorf("decode announcement record %d: %w", i, err)
		}
	}
	return recs, nil
}

// announcementError wraps a decode error of the msgpack layout with the
// announcement sentinel it means.
func announcementError(err error) error {
	if de := (*decodeError)(nil); errors.As(err, &de) {
		return fmt.Errorf("decode announcement: %s: %w: %w", de.Field, announcementCause(de.Err), de.Err)
	}
	return fmt.Errorf("decode announcement: %w: %w", errAnnouncementMalformed, err)
}

// announcementCause maps a decode error to the announcement sentinel it
// means.
func announcementCause(err error) error {
	if errors.Is(err, errTruncated) {
		return errAnnouncementTruncated
	}
	return errAnnouncementMalformed
}

// announcementV1 returns payload, an announcement, in layout 1 for a node
// of wire version 3 or older. A payload already in layout 1, or one that
// does not decode, is returned as it is.
func announcementV1(payload []byte) []byte {
	if len(payload) == 0 || payload[0] == announcementVersion {
		return payload
	}
	recs, err := decodeAnnouncement(payload)
	if err != nil {
		return payload
	}
	old, err := appendAnnouncementV1(nil, recs)
	if err != nil {
		return payload
	}
	return old
}
