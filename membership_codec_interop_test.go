package hyparlist

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// benchRecords returns n member records as serf announces them: a DNS-like
// name, an IPv4 address, 48 bytes of tags, and the member's versions.
func benchRecords(n int) []memberRecord {
	rs := make([]memberRecord, n)
	for i := range rs {
		rs[i] = memberRecord{
			Name:        fmt.Sprintf("node-%04d.dc1.example.com", i),
			Addr:        fmt.Sprintf("10.0.%d.%d:7946", i/250, i%250),
			Meta:        bytes.Repeat([]byte{'t'}, 48),
			Incarnation: uint32(1000 + i),
			State:       memberState(i % 3),
			Versions:    memberVersions{PMin: 1, PMax: 5, PCur: 2, DMin: 2, DMax: 5, DCur: 4},
		}
	}
	return rs
}

// TestAnnouncementMatchesGoMsgpack pins the announcement layout to
// go-msgpack, as TestWireMatchesGoMsgpack does for message bodies: our
// encoding of the records is go-msgpack's encoding of the []memberRecord,
// and each side decodes the other's bytes to the same records.
func TestAnnouncementMatchesGoMsgpack(t *testing.T) {
	h := goMsgpackHandle()
	for _, recs := range [][]memberRecord{
		benchRecords(1),
		benchRecords(20),
		{{Name: "a", State: memberStateLeft, Incarnation: 1 << 31}},
	} {
		ours, err := appendAnnouncement(nil, recs)
		if err != nil {
			t.Fatal(err)
		}
		// go-msgpack writes a nil Meta as msgpack nil, we write an empty
		// bin (and read both): compare with empty slices.
		var theirs []byte
		if err := codec.NewEncoderBytes(&theirs, h).Encode(nilMetaToEmpty(recs)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, theirs) {
			t.Fatalf("announcement differs from go-msgpack:\n ours %x\ntheirs %x", ours, theirs)
		}
		var got []memberRecord
		if err := codec.NewDecoderBytes(ours, h).Decode(&got); err != nil || !reflect.DeepEqual(emptyMetaToNil(got), recs) {
			t.Errorf("go-msgpack decoded our announcement as %+v, %v", got, err)
		}
		theirs = theirs[:0]
		if err := codec.NewEncoderBytes(&theirs, h).Encode(recs); err != nil {
			t.Fatal(err)
		}
		back, err := decodeAnnouncement(theirs)
		if err != nil || !reflect.DeepEqual(back, recs) {
			t.Errorf("decoded go-msgpack's announcement as %+v, %v", back, err)
		}
	}
}

// nilMetaToEmpty returns a copy of rs with a nil Meta made empty.
func nilMetaToEmpty(rs []memberRecord) []memberRecord {
	out := append([]memberRecord(nil), rs...)
	for i := range out {
		if out[i].Meta == nil {
			out[i].Meta = []byte{}
		}
	}
	return out
}

// emptyMetaToNil reads an empty Meta as nil, as our decoder does.
func emptyMetaToNil(rs []memberRecord) []memberRecord {
	for i := range rs {
		if len(rs[i].Meta) == 0 {
			rs[i].Meta = nil
		}
	}
	return rs
}

// TestWireMemberVersionsForOlderLinks: on a link of wire version 3 or
// older, records lose their versions and are written in the layout such a
// node reads (a frame of version 1), and a membership announcement is
// re-encoded in layout 1; on a version 4 link both go as they are. A
// layout-1 announcement decodes to the same records without versions.
func TestWireMemberVersionsForOlderLinks(t *testing.T) {
	lim := defaultWireLimits()
	recs := benchRecords(3)
	bare := withoutVersions(recs)
	payload, err := appendAnnouncement(nil, recs)
	if err != nil {
		t.Fatal(err)
	}
	ann := gossipMsg{ID: MessageID{Origin: "o", Seq: 1}, Class: ClassMembership, Payload: payload}
	user := gossipMsg{ID: MessageID{Origin: "o", Seq: 2}, Class: ClassUser, Payload: payload}
	rec := memberRecordsMsg{Buckets: 64, Records: recs}
	for v := wireVersionMin; v <= wireVersion; v++ {
		gotRec := forVersion(rec, v).(memberRecordsMsg)
		f, err := encodeMessage(nil, gotRec, lim)
		if err != nil {
			t.Fatal(err)
		}
		m, err := decodeMessage(f, lim)
		if err != nil {
			t.Fatal(err)
		}
		gotAnn := forVersion(ann, v).(gossipMsg)
		decoded, err := decodeAnnouncement(gotAnn.Payload)
		if err != nil {
			t.Fatalf("version %d: announcement: %v", v, err)
		}
		if v >= wireVersionMemberVersions {
			if f[0] != wireVersionMemberVersions || !reflect.DeepEqual(m.(memberRecordsMsg).Records, recs) {
				t.Errorf("version %d: records in a version %d frame: %+v", v, f[0], m)
			}
			if !bytes.Equal(gotAnn.Payload, payload) {
				t.Errorf("version %d: announcement re-encoded", v)
			}
			continue
		}
		if f[0] != 1 || !reflect.DeepEqual(m.(memberRecordsMsg).Records, bare) {
			t.Errorf("version %d: records in a version %d frame: %+v", v, f[0], m)
		}
		if !reflect.DeepEqual(rec.Records, recs) {
			t.Errorf("version %d: forVersion modified the records it was given", v)
		}
		if gotAnn.Payload[0] != announcementVersion || !reflect.DeepEqual(decoded, bare) {
			t.Errorf("version %d: announcement % x decodes to %+v", v, gotAnn.Payload[:1], decoded)
		}
		if got := forVersion(user, v).(gossipMsg); !bytes.Equal(got.Payload, payload) {
			t.Errorf("version %d: a user broadcast was re-encoded", v)
		}
	}
}

// The announcement benchmarks compare the three codecs for the payload of
// a membership broadcast: layout 1 (the binary format of wire versions
// 1–3), our msgpack codec (wire version 4), and go-msgpack's reflection
// codec writing the same bytes. One record is a typical announcement (a
// join, a suspicion); 64 is MembershipConfig.MaxAnnouncementRecords.

func benchAnnouncementCodecs(b *testing.B, n int) {
	recs := benchRecords(n)
	v1, _ := appendAnnouncementV1(nil, recs)
	mp, _ := appendAnnouncement(nil, recs)
	h := goMsgpackHandle()
	b.Run("encode/v1", func(b *testing.B) {
		buf := make([]byte, 0, len(v1))
		b.SetBytes(int64(len(v1)))
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = appendAnnouncementV1(buf[:0], recs)
		}
	})
	b.Run("encode/msgpack", func(b *testing.B) {
		buf := make([]byte, 0, len(mp))
		b.SetBytes(int64(len(mp)))
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = appendAnnouncement(buf[:0], recs)
		}
	})
	b.Run("encode/go-msgpack", func(b *testing.B) {
		var buf []byte
		enc := codec.NewEncoderBytes(&buf, h)
		b.SetBytes(int64(len(mp)))
		b.ReportAllocs()
		for b.Loop() {
			buf = buf[:0]
			enc.ResetBytes(&buf)
			if err := enc.Encode(recs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/v1", func(b *testing.B) {
		b.SetBytes(int64(len(v1)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeAnnouncementV1(v1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/msgpack", func(b *testing.B) {
		b.SetBytes(int64(len(mp)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeAnnouncement(mp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/go-msgpack", func(b *testing.B) {
		dec := codec.NewDecoderBytes(mp, h)
		b.SetBytes(int64(len(mp)))
		b.ReportAllocs()
		for b.Loop() {
			var out []memberRecord
			dec.ResetBytes(mp)
			if err := dec.Decode(&out); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkAnnouncement1(b *testing.B)  { benchAnnouncementCodecs(b, 1) }
func BenchmarkAnnouncement64(b *testing.B) { benchAnnouncementCodecs(b, 64) }
