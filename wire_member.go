// Wire: the parts of membership message bodies (member records, integer
// lists).

package hyparlist

import "math"

// This file holds the parts of the membership messages' bodies
// (wire_codec.go lists their layouts) that other messages do not share: a
// member record, and lists of unsigned integers.
//
// A record's name, address and metadata are bounded by the membership
// constants maxMemberNameLen, maxMemberAddrLen and maxMemberMetaLen, not by
// wireLimits: like the cluster label they must mean the same thing on every
// node. The codec checks only the form of a record; the membership core
// checks its content (memberRecord.validate: a non-empty name, a known
// state), as it does for records from any other source.

// memberRecordFields is the number of fields of an encoded memberRecord
// up to wire version 3; from version 4 (wireVersionMemberVersions) a record
// has a seventh, its versions, the array [pmin, pmax, pcur, dmin, dmax,
// dcur] of uint8.
const (
	memberRecordFields   = 6
	memberRecordFieldsV4 = 7
	memberVersionFields  = 6
)

// maxRecordSize is the largest encoded memberRecord: the array header,
// the name and address with str 16 headers, the metadata with a bin 16
// header, the incarnation and age as uint32, the state byte, and the
// versions (an array header and six uint 8).
const maxRecordSize = 1 + (3 + maxMemberNameLen) + (3 + maxMemberAddrLen) + (3 + maxMemberMetaLen) + 5 + 5 + 1 +
	1 + 2*memberVersionFields

// record appends r as [name, addr, meta bin, incarnation, state, age], and
// from wire version 4 (e.version) its versions as a seventh field.
func (e *encoder) record(name string, r memberRecord) {
	v4 := e.version >= wireVersionMemberVersions
	if v4 {
		e.array(memberRecordFieldsV4)
	} else {
		e.array(memberRecordFields)
	}
	e.str(name, "name", r.Name, maxMemberNameLen)
	e.str(name, "addr", r.Addr, maxMemberAddrLen)
	e.bytes(name, "meta", r.Meta, maxMemberMetaLen)
	e.uint(uint64(r.Incarnation))
	e.uint(uint64(r.State))
	e.uint(uint64(r.AgeSeconds))
	if v4 {
		v := r.Versions
		e.array(memberVersionFields)
		for _, x := range [...]uint8{v.PMin, v.PMax, v.PCur, v.DMin, v.DMax, v.DCur} {
			e.uint(uint64(x))
		}
	}
}

// records appends a list of at most e.lim.MaxMemberRecords records. A list
// in which a record carries versions needs wire version 4; one without is
// written in the layout every version reads.
func (e *encoder) records(name string, rs []memberRecord) {
	if recordsCarryVersions(rs) {
		e.version = max(e.version, wireVersionMemberVersions)
	}
	if e.list(name, len(rs), e.lim.MaxMemberRecords) {
		for _, r := range rs {
			e.record(name, r)
		}
	}
}

// recordsCarryVersions reports whether a record of rs has known versions.
func recordsCarryVersions(rs []memberRecord) bool {
	for _, r := range rs {
		if r.Versions.known() {
			return true
		}
	}
	return false
}

// withoutVersions returns rs with every record's versions cleared, for a
// link to a node of wire version 3 or older; rs itself is not modified.
func withoutVersions(rs []memberRecord) []memberRecord {
	out := make([]memberRecord, len(rs))
	for i, r := range rs {
		r.Versions = memberVersions{}
		out[i] = r
	}
	return out
}

// encodeUints appends a list of at most max unsigned integers.
func encodeUints[T ~uint16 | ~uint64](e *encoder, name string, vs []T, max int) {
	if e.list(name, len(vs), max) {
		for _, v := range vs {
			e.uint(uint64(v))
		}
	}
}

// record reads one record (see (*encoder).record) in the layout of the
// frame's wire version d.version.
func (d *decoder) record(name string) memberRecord {
	v4 := d.version >= wireVersionMemberVersions
	if v4 {
		d.fields(name, memberRecordFieldsV4)
	} else {
		d.fields(name, memberRecordFields)
	}
	r := memberRecord{
		Name:        d.str(name, "name", maxMemberNameLen),
		Addr:        d.str(name, "addr", maxMemberAddrLen),
		Meta:        d.bytes(name, "meta", maxMemberMetaLen),
		Incarnation: uint32(d.uint(name, "incarnation", math.MaxUint32)),
		State:       memberState(d.uint(name, "state", math.MaxUint8)),
		AgeSeconds:  uint32(d.uint(name, "age_seconds", math.MaxUint32)),
	}
	if v4 {
		if n, ok := d.arrayLen(name, "versions", false); ok && n != memberVersionFields {
			d.malformed(name, "versions", "want %d fields, got %d", memberVersionFields, n)
		}
		var v [memberVersionFields]uint8
		for i := range v {
			v[i] = uint8(d.uint(name, "versions", math.MaxUint8))
		}
		r.Versions = memberVersions{PMin: v[0], PMax: v[1], PCur: v[2], DMin: v[3], DMax: v[4], DCur: v[5]}
	}
	return r
}

// records reads a list of at most d.lim.MaxMemberRecords records; an empty
// list reads as nil.
func (d *decoder) records(name string) []memberRecord {
	n := d.list(name, d.lim.MaxMemberRecords, minRecordSize)
	if n == 0 {
		return nil
	}
	rs := make([]memberRecord, n)
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
