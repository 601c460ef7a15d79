package hyparlist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
)

func TestAnnouncementRoundTrip(t *testing.T) {
	in := []memberRecord{
		{Name: "a", Addr: "10.0.0.1:7946", Meta: []byte{1, 2, 3}, Incarnation: 7, State: memberStateSuspect},
		{Name: strings.Repeat("n", maxMemberNameLen), Addr: strings.Repeat("x", maxMemberAddrLen),
			Meta: bytes.Repeat([]byte{9}, maxMemberMetaLen), Incarnation: math.MaxUint32, State: memberStateLeft},
		{Name: "z", State: memberStateDead},
	}
	b, err := appendAnnouncement([]byte("prefix"), in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("prefix")) {
		t.Fatalf("AppendAnnouncement dropped dst")
	}
	out, err := decodeAnnouncement(b[len("prefix"):])
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("decoded %d records, want %d", len(out), len(in))
	}
	for i := range in {
		if !sameRecord(in[i], out[i]) {
			t.Errorf("record %d: %+v, want %+v", i, out[i], in[i])
		}
	}
	// The decoded records do not alias the input.
	b[len(b)-3] ^= 0xff
	if out[2].Name != "z" {
		t.Errorf("decoded record aliases the input")
	}
}

func TestAnnouncementEncodeRejects(t *testing.T) {
	cases := map[string][]memberRecord{
		"empty":     nil,
		"too many":  make([]memberRecord, maxAnnouncementRecords+1),
		"no name":   {{Name: ""}},
		"long meta": {{Name: "a", Meta: make([]byte, maxMemberMetaLen+1)}},
		"bad state": {{Name: "a", State: 4}},
	}
	for name, recs := range cases {
		for i := range recs {
			if recs[i].Name == "" && name == "too many" {
				recs[i].Name = "a"
			}
		}
		if b, err := appendAnnouncement([]byte("dst"), recs); err == nil || string(b) != "dst" {
			t.Errorf("%s: err %v, dst %q", name, err, b)
		}
	}
}

func TestAnnouncementDecodeErrors(t *testing.T) {
	valid, _ := appendAnnouncement(nil, []memberRecord{{Name: "a", Addr: "b", Incarnation: 1}})
	validV1, _ := appendAnnouncementV1(nil, []memberRecord{{Name: "a", Addr: "b", Incarnation: 1}})
	// rec is a msgpack record with the given name, state and incarnation
	// (a uint 32), and no versions field when short is set.
	rec := func(name string, st byte, short bool) []byte {
		b := []byte{0x97, 0xa0 | byte(len(name))}
		if short {
			b[0] = 0x96
		}
		b = append(b, name...)
		b = append(b, 0xa0, 0xc4, 0, 1, st, 0)
		if !short {
			b = append(b, 0x96, 1, 5, 2, 0, 0, 0)
		}
		return b
	}
	uv := func(v uint64) []byte { return binary.AppendUvarint(nil, v) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, errAnnouncementTruncated},
		{"version", []byte{2, 1}, errAnnouncementVersion},
		// The msgpack layout.
		{"no records", []byte{0x90}, errAnnouncementMalformed},
		{"record count over limit", cat([]byte{0xdc, 0x01, 0x01}, bytes.Repeat(rec("a", 0, false), 257)), errLimitExceeded},
		{"record count over input", cat([]byte{0xdc, 0x00, 0xc8}, rec("a", 0, false)), errAnnouncementTruncated},
		{"record without versions", cat([]byte{0x91}, rec("a", 0, true)), errAnnouncementMalformed},
		{"record empty name", cat([]byte{0x91}, rec("", 0, false)), errInvalidMemberRecord},
		{"record bad state", cat([]byte{0x91}, rec("a", 7, false)), errInvalidMemberRecord},
		{"record truncated", valid[:len(valid)-1], errAnnouncementTruncated},
		{"record trailing", append(append([]byte(nil), valid...), 0), errAnnouncementMalformed},
		// Layout 1, from nodes of wire version 3 and older.
		{"no count", []byte{1}, errAnnouncementTruncated},
		{"zero count", []byte{1, 0}, errAnnouncementMalformed},
		{"count over limit", cat([]byte{1}, uv(maxAnnouncementRecords+1), make([]byte, 8000)), errAnnouncementMalformed},
		{"count over input", cat([]byte{1}, uv(200), make([]byte, 20)), errAnnouncementMalformed},
		{"huge count", cat([]byte{1}, uv(math.MaxUint64)), errAnnouncementMalformed},
		{"varint overflow", cat([]byte{1}, bytes.Repeat([]byte{0xff}, 11)), errAnnouncementMalformed},
		{"truncated", validV1[:len(validV1)-1], errAnnouncementTruncated},
		{"name over limit", cat([]byte{1, 1}, uv(maxMemberNameLen+1), make([]byte, maxMemberNameLen+10)), errAnnouncementMalformed},
		{"name over input", cat([]byte{1, 1}, uv(100), make([]byte, 10)), errAnnouncementTruncated},
		{"empty name", cat([]byte{1, 1, 0, 0, 0, 0, 0, 0}), errInvalidMemberRecord},
		{"bad state", cat([]byte{1, 1, 1, 'a', 0, 0, 0, 7}), errInvalidMemberRecord},
		{"incarnation over 32 bits", cat([]byte{1, 1, 1, 'a', 0, 0}, uv(math.MaxUint32+1), []byte{0}), errAnnouncementMalformed},
		{"trailing", append(append([]byte(nil), validV1...), 0), errAnnouncementMalformed},
	}
	for _, c := range cases {
		recs, err := decodeAnnouncement(c.in)
		if !errors.Is(err, c.want) || recs != nil {
			t.Errorf("%s: (%v, %v), want %v", c.name, recs, err, c.want)
		}
	}
}

// TestAnnouncementDecodeBoundedAllocation: a small input cannot make the
// decoder allocate much, whatever counts it claims.
func TestAnnouncementDecodeBoundedAllocation(t *testing.T) {
	v1 := append([]byte{1}, binary.AppendUvarint(nil, maxAnnouncementRecords)...)
	v1 = append(v1, make([]byte, 40)...)
	mp := append([]byte{0xdc, 0x01, 0x00}, make([]byte, 40)...)
	for name, in := range map[string][]byte{"layout 1": v1, "msgpack": mp} {
		const runs = 100
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			if _, err := decodeAnnouncement(in); err == nil {
				t.Fatalf("%s: a %d-byte announcement of 256 records decoded", name, len(in))
			}
		}
		runtime.ReadMemStats(&after)
		// A decoder that trusted the count would allocate 256 records (>18 KB).
		if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 2048 {
			t.Errorf("%s: %d bytes allocated per decode of a %d-byte lie", name, per, len(in))
		}
	}
}

// FuzzDecodeAnnouncement: the decoder never panics, and whatever it
// accepts re-encodes to something that decodes to the same records.
func FuzzDecodeAnnouncement(f *testing.F) {
	seed, _ := appendAnnouncement(nil, []memberRecord{
		{Name: "a", Addr: "1.2.3.4:5", Meta: []byte("m"), Incarnation: 300, State: memberStateSuspect},
		{Name: "b", State: memberStateLeft},
	})
	f.Add(seed)
	f.Add([]byte{1, 1, 1, 'a', 0, 0, 0, 0})
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := decodeAnnouncement(b)
		if err != nil {
			return
		}
		again, err := appendAnnouncement(nil, recs)
		if err != nil {
			t.Fatalf("re-encode of decoded records: %v", err)
		}
		back, err := decodeAnnouncement(again)
		if err != nil || len(back) != len(recs) {
			t.Fatalf("decode of re-encoded records: %v", err)
		}
		for i := range recs {
			if !sameRecord(recs[i], back[i]) {
				t.Fatalf("record %d: %+v != %+v", i, recs[i], back[i])
			}
		}
	})
}
