// Wire: the parts of membership message bodies (member records, integer
// lists).

package hyparlist

import "math"

// This file holds the parts of the membership messages' bodies
// (wire_codec.go lists their layouts) that other messages do not share: a
// member record, and lists of unsigned integers.
//
// A record's name, address and metadata are bounded by the membership
// constants MaxMemberNameLen, MaxMemberAddrLen and MaxMemberMetaLen, not by
// WireLimits: like the cluster label they must mean the same thing on every
// node. The codec checks only the form of a record; the membership core
// checks its content (MemberRecord.validate: a non-empty name, a known
// state), as it does for records from any other source.

// memberRecordFields is the number of fields of an encoded MemberRecord.
const memberRecordFields = 6

// maxRecordSize is the largest encoded MemberRecord: the array header,
// the name and address with str 16 headers, the metadata with a bin 16
// header, the incarnation and age as uint32 and the state byte.
const maxRecordSize = 1 + (3 + MaxMemberNameLen) + (3 + MaxMemberAddrLen) + (3 + MaxMemberMetaLen) + 5 + 5 + 1

// record appends r as [name, addr, meta bin, incarnation, state, age].
func (e *encoder) record(name string, r MemberRecord) {
	e.array(memberRecordFields)
	e.str(name, "name", r.Name, MaxMemberNameLen)
	e.str(name, "addr", r.Addr, MaxMemberAddrLen)
	e.bytes(name, "meta", r.Meta, MaxMemberMetaLen)
	e.uint(uint64(r.Incarnation))
	e.uint(uint64(r.State))
	e.uint(uint64(r.AgeSeconds))
}

// records appends a list of at most e.lim.MaxMemberRecords records.
func (e *encoder) records(name string, rs []MemberRecord) {
	if e.list(name, len(rs), e.lim.MaxMemberRecords) {
		for _, r := range rs {
			e.record(name, r)
		}
	}
}

// encodeUints appends a list of at most max unsigned integers.
func encodeUints[T ~uint16 | ~uint64](e *encoder, name string, vs []T, max int) {
	if e.list(name, len(vs), max) {
		for _, v := range vs {
			e.uint(uint64(v))
		}
	}
}

// record reads one record (see (*encoder).record).
func (d *decoder) record(name string) MemberRecord {
	d.fields(name, memberRecordFields)
	return MemberRecord{
		Name:        d.str(name, "name", MaxMemberNameLen),
		Addr:        d.str(name, "addr", MaxMemberAddrLen),
		Meta:        d.bytes(name, "meta", MaxMemberMetaLen),
		Incarnation: uint32(d.uint(name, "incarnation", math.MaxUint32)),
		State:       MemberState(d.uint(name, "state", math.MaxUint8)),
		AgeSeconds:  uint32(d.uint(name, "age_seconds", math.MaxUint32)),
	}
}

// records reads a list of at most d.lim.MaxMemberRecords records; an empty
// list reads as nil.
func (d *decoder) records(name string) []MemberRecord {
	n := d.list(name, d.lim.MaxMemberRecords, minRecordSize)
	if n == 0 {
		return nil
	}
	rs := make([]MemberRecord, n)
	for i := range rs {
		rs[i] = d.record(name)
	}
	return rs
}

// decodeUints reads a list of at most max integers, each of which must fit
// in T; an empty list reads as nil.
func decodeUints[T ~uint16 | ~uint64](d *decoder, name string, max int) []T {
	n := d.list(name, max, minUintSize)
	if n == 0 {
		return nil
	}
	vs := make([]T, n)
	for i := range vs {
		vs[i] = T(d.uint(name, "", uint64(^T(0))))
	}
	return vs
}
