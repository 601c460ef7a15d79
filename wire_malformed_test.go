package hyparlist

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// frameOf returns a frame of type t, of the version that introduced t,
// flags 0 and the given body (hex, spaces ignored), with a correct length.
func frameOf(t MessageType, bodyHex string) []byte {
	return rawFrame(wireVersionOf(t), byte(t), 0, -1, bodyHex)
}

// rawFrame returns a frame with every header field given; length -1 means
// the body's length.
func rawFrame(version, typ, flags byte, length int64, bodyHex string) []byte {
	body, err := hex.DecodeString(strings.ReplaceAll(bodyHex, " ", ""))
	if err != nil {
		panic(err)
	}
	if length < 0 {
		length = int64(len(body))
	}
	frame := []byte{version, typ, flags}
	frame = binary.BigEndian.AppendUint32(frame, uint32(length))
	return append(frame, body...)
}

// checkDecodeError checks that err is a *decodeError matching want, with
// the given Type and Field.
func checkDecodeError(t *testing.T, err, want error, typ MessageType, field string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
	var de *decodeError
	if !errors.As(err, &de) {
		t.Fatalf("err = %T %v, want a *DecodeError", err, err)
	}
	if de.Type != typ || de.Field != field {
		t.Errorf("DecodeError{Type: %v, Field: %q}, want {%v, %q} (%v)", de.Type, de.Field, typ, field, err)
	}
	if de.Error() == "" {
		t.Error("empty error text")
	}
}

func TestDecodeMessageMalformed(t *testing.T) {
	def := defaultWireLimits()
	small := def
	small.MaxFrameSize = 16
	long := strings.Repeat("61", def.MaxNameLen+1)
	tinyState := def
	tinyState.MaxUserStateSize = 4
	// rec wraps one encoded record (hex) in a memberRecordsMsg body.
	rec := func(record string) []byte { return frameOf(typeMemberRecords, "94 c2 40 90 91 "+record) }
	cases := []struct {
		name  string
		frame []byte
		lim   wireLimits
		want  error
		typ   MessageType
		field string
	}{
		{"empty input", nil, def, errTruncated, 0, "header"},
		{"short header", []byte{1, 16, 0, 0, 0}, def, errTruncated, 0, "header"},
		{"version 0", rawFrame(0, 16, 0, -1, "90"), def, errUnsupportedVersion, 0, "version"},
		{"version after ours", rawFrame(wireVersion+1, 1, 0, -1, "90"), def, errUnsupportedVersion, 0, "version"},
		{"link_ping in a version 1 frame", rawFrame(1, byte(typeLinkPing), 0, -1, "91 00"), def, errUnsupportedVersion, typeLinkPing, "version"},
		{"ping_ack in a version 1 frame", rawFrame(1, byte(typePingAck), 0, -1, "92 00 c0"), def, errUnsupportedVersion, typePingAck, "version"},
		{"version 255", rawFrame(255, 1, 0, -1, "90"), def, errUnsupportedVersion, 0, "version"},
		{"type 0", rawFrame(1, 0, 0, -1, "90"), def, errUnknownMessageType, 0, "type"},
		{"type 9", rawFrame(1, 9, 0, -1, "90"), def, errUnknownMessageType, 9, "type"},
		{"type 47", rawFrame(1, 47, 0, -1, "90"), def, errUnknownMessageType, 47, "type"},
		{"type 255", rawFrame(1, 255, 0, -1, "90"), def, errUnknownMessageType, 255, "type"},
		{"flag encrypted", rawFrame(1, 1, 0x01, -1, "90"), def, errUnknownFlags, typeJoin, "flags"},
		{"flag compressed", rawFrame(1, 1, 0x02, -1, "90"), def, errUnknownFlags, typeJoin, "flags"},
		{"flag labeled", rawFrame(1, 1, 0x04, -1, "90"), def, errUnknownFlags, typeJoin, "flags"},
		{"flag high bit", rawFrame(1, 1, 0x80, -1, "90"), def, errUnknownFlags, typeJoin, "flags"},
		{"length over limit", frameOf(typeUserMsg, "91 c4 0f 000102030405060708090a0b0c0d0e"), small, errFrameTooLarge, typeUserMsg, "length"},
		{"length 2^32-1", rawFrame(1, 16, 0, math.MaxUint32, ""), def, errFrameTooLarge, typeGossip, "length"},
		{"body shorter than length", rawFrame(1, 1, 0, 2, "90"), def, errTruncated, typeJoin, "body"},
		{"bytes after the frame", rawFrame(1, 1, 0, 1, "90 90"), def, errTrailingData, typeJoin, "body"},
		{"value after the body", frameOf(typeJoin, "90 00"), def, errTrailingData, typeJoin, ""},
		{"empty body", frameOf(typeJoin, ""), def, errTruncated, typeJoin, ""},
		{"too many fields", frameOf(typeJoin, "91 00"), def, errMalformed, typeJoin, ""},
		{"too few fields", frameOf(typeGossip, "93 92 a1 61 00 00 00"), def, errMalformed, typeGossip, ""},
		{"body is a map", frameOf(typePrune, "80"), def, errMalformed, typePrune, ""},
		{"body is nil", frameOf(typePrune, "c0"), def, errMalformed, typePrune, ""},
		{"str for bool", frameOf(typeNeighbor, "91 a1 74"), def, errMalformed, typeNeighbor, "high_priority"},
		{"int for bool", frameOf(typeDisconnect, "91 01"), def, errMalformed, typeDisconnect, "alive"},
		{"nil for peer", frameOf(typeForwardJoin, "92 c0 06"), def, errMalformed, typeForwardJoin, "joiner"},
		{"peer with 3 fields", frameOf(typeForwardJoin, "92 93 a0 a0 a0 06"), def, errMalformed, typeForwardJoin, "joiner"},
		{"int for name", frameOf(typeForwardJoin, "92 92 01 a0 06"), def, errMalformed, typeForwardJoin, "joiner.name"},
		{"ttl 256", frameOf(typeForwardJoin, "92 92 a0 a0 cd 0100"), def, errMalformed, typeForwardJoin, "ttl"},
		{"negative fixint", frameOf(typePing, "91 ff"), def, errMalformed, typePing, "seq_no"},
		{"negative int8", frameOf(typePing, "91 d0 ff"), def, errMalformed, typePing, "seq_no"},
		{"negative int64", frameOf(typeAck, "91 d3 8000000000000000"), def, errMalformed, typeAck, "seq_no"},
		{"seq_no over uint32", frameOf(typeAck, "91 cf 0000000100000000"), def, errMalformed, typeAck, "seq_no"},
		{"float for int", frameOf(typePing, "91 ca 3f800000"), def, errMalformed, typePing, "seq_no"},
		{"reserved byte c1", frameOf(typePing, "91 c1"), def, errMalformed, typePing, "seq_no"},
		{"list is a map", frameOf(typeGraft, "91 80"), def, errMalformed, typeGraft, "ids"},
		{"payload is an array", frameOf(typeUserMsg, "91 90"), def, errMalformed, typeUserMsg, "payload"},
		{"truncated int", frameOf(typePing, "91 ce 0001"), def, errTruncated, typePing, "seq_no"},
		{"truncated str header", frameOf(typeHello, "95 01 01 da 00"), def, errTruncated, typeHello, "label"},
		{"truncated str", frameOf(typeHello, "95 01 01 a4 7072"), def, errTruncated, typeHello, "label"},
		{"truncated payload", frameOf(typeUserMsg, "91 c5 0100 00"), def, errTruncated, typeUserMsg, "payload"},
		{"payload claims 2^32-1 bytes", frameOf(typeUserMsg, "91 c6 ffffffff 00"), def, errTruncated, typeUserMsg, "payload"},
		{"truncated list", frameOf(typeShuffleReply, "91 92 92 a0 a0"), def, errTruncated, typeShuffleReply, "peers"},
		{"truncated list element", frameOf(typeShuffleReply, "91 91 92 a0 a1"), def, errTruncated, typeShuffleReply, "peers.addr"},
		{"name over limit", frameOf(typeHelloAccept, "93 01 da 0201 "+long+" a0"), def, errLimitExceeded, typeHelloAccept, "name"},
		{"origin over limit", frameOf(typeGraft, "91 91 92 da 0201 "+long+" 00"), def, errLimitExceeded, typeGraft, "ids.origin"},
		{"label over 255", frameOf(typeHello, "95 01 01 da 0100 "+strings.Repeat("6c", 256)+" a0 a0"), def, errLimitExceeded, typeHello, "label"},
		{"str claims 2^32-1 bytes", frameOf(typeHello, "95 01 01 db ffffffff 00"), def, errLimitExceeded, typeHello, "label"},
		{"peers over limit", frameOf(typeShuffleReply, "91 dc 0101"), def, errLimitExceeded, typeShuffleReply, "peers"},
		{"entries over limit", frameOf(typeIHave, "91 dd 80000000 00"), def, errLimitExceeded, typeIHave, "entries"},
		{"ids over limit", frameOf(typeGraft, "91 dd ffffffff"), def, errLimitExceeded, typeGraft, "ids"},
		{"digest too few fields", frameOf(typeMemberDigest, "93 c2 40 00"), def, errMalformed, typeMemberDigest, ""},
		{"digest int for join", frameOf(typeMemberDigest, "94 01 40 00 00"), def, errMalformed, typeMemberDigest, "join"},
		{"digest buckets over uint16", frameOf(typeMemberDigest, "94 c2 ce 00010000 00 00"), def, errMalformed, typeMemberDigest, "buckets"},
		{"digest count over uint32", frameOf(typeMemberDigest, "94 c2 40 cf 0000000100000000 00"), def, errMalformed, typeMemberDigest, "count"},
		{"digest negative root", frameOf(typeMemberDigest, "94 c2 40 00 d3 ffffffffffffffff"), def, errMalformed, typeMemberDigest, "root"},
		{"hashes over limit", frameOf(typeMemberBuckets, "92 c2 dc 0101"), def, errLimitExceeded, typeMemberBuckets, "hashes"},
		{"hash is a str", frameOf(typeMemberBuckets, "92 c2 91 a0"), def, errMalformed, typeMemberBuckets, "hashes"},
		{"truncated hashes", frameOf(typeMemberBuckets, "92 c2 93 00 00"), def, errTruncated, typeMemberBuckets, "hashes"},
		{"want over limit", frameOf(typeMemberRecords, "94 c2 cd 0100 dc 0101"), def, errLimitExceeded, typeMemberRecords, "want"},
		{"want over uint16", frameOf(typeMemberRecords, "94 c2 40 91 ce 00010000 90"), def, errMalformed, typeMemberRecords, "want"},
		{"records over limit", frameOf(typeMemberRecords, "94 c2 40 90 dc 0101"), def, errLimitExceeded, typeMemberRecords, "records"},
		{"records too few fields", frameOf(typeMemberRecords, "93 c2 40 90"), def, errMalformed, typeMemberRecords, ""},
		{"record with 5 fields", rec("95 a1 61 a0 c0 00 00"), def, errMalformed, typeMemberRecords, "records"},
		{"record name over limit", rec("96 da 0101 " + strings.Repeat("6e", maxMemberNameLen+1) + " a0 c0 00 00 00"), def, errLimitExceeded, typeMemberRecords, "records.name"},
		{"record addr over limit", rec("96 a1 61 da 0101 " + strings.Repeat("61", maxMemberAddrLen+1) + " c0 00 00 00"), def, errLimitExceeded, typeMemberRecords, "records.addr"},
		{"record meta over limit", rec("96 a1 61 a0 c5 0201 " + strings.Repeat("6d", maxMemberMetaLen+1) + " 00 00 00"), def, errLimitExceeded, typeMemberRecords, "records.meta"},
		{"record meta claims 2^32-1 bytes", rec("96 a1 61 a0 c6 ffffffff 00 00 00"), def, errLimitExceeded, typeMemberRecords, "records.meta"},
		{"record incarnation over uint32", rec("96 a1 61 a0 c0 cf 0000000100000000 00 00"), def, errMalformed, typeMemberRecords, "records.incarnation"},
		{"record state over uint8", rec("96 a1 61 a0 c0 00 cd 0100 00"), def, errMalformed, typeMemberRecords, "records.state"},
		{"record negative age", rec("96 a1 61 a0 c0 00 00 ff"), def, errMalformed, typeMemberRecords, "records.age_seconds"},
		{"truncated record", rec("96 a1 61 a0 c0 00 00"), def, errTruncated, typeMemberRecords, "records.age_seconds"},
		{"user state over limit", frameOf(typeMemberUserState, "92 c2 c4 05 0102030405"), tinyState, errLimitExceeded, typeMemberUserState, "state"},
		{"user state claims 2^32-1 bytes", frameOf(typeMemberUserState, "92 c2 c6 ffffffff 00"), def, errLimitExceeded, typeMemberUserState, "state"},
		{"user state is an array", frameOf(typeMemberUserState, "92 c2 90"), def, errMalformed, typeMemberUserState, "state"},
		{"link_ping too many fields", frameOf(typeLinkPing, "92 00 00"), def, errMalformed, typeLinkPing, ""},
		{"link_ping negative seq_no", frameOf(typeLinkPing, "91 ff"), def, errMalformed, typeLinkPing, "seq_no"},
		{"ping_ack too few fields", frameOf(typePingAck, "91 00"), def, errMalformed, typePingAck, ""},
		{"ping_ack seq_no over uint32", frameOf(typePingAck, "92 cf 0000000100000000 c0"), def, errMalformed, typePingAck, "seq_no"},
		{"ping_ack payload is an array", frameOf(typePingAck, "92 00 90"), def, errMalformed, typePingAck, "payload"},
		{"ping_ack payload over limit", frameOf(typePingAck, "92 00 c5 0401 "+strings.Repeat("70", ackPayloadMaxSize+1)), def, errLimitExceeded, typePingAck, "payload"},
		{"ping_ack payload claims 2^32-1 bytes", frameOf(typePingAck, "92 00 c6 ffffffff 00"), def, errLimitExceeded, typePingAck, "payload"},
		{"truncated ping_ack payload", frameOf(typePingAck, "92 00 c4 05 0102"), def, errTruncated, typePingAck, "payload"},
		{"prune v1 with a root", rawFrame(1, byte(typePrune), 0, -1, "91 a1 72"), def, errMalformed, typePrune, ""},
		{"prune v3 without a root", rawFrame(3, byte(typePrune), 0, -1, "90"), def, errMalformed, typePrune, ""},
		{"prune v3 root is a number", rawFrame(3, byte(typePrune), 0, -1, "91 07"), def, errMalformed, typePrune, "root"},
		{"prune v3 root over limit", rawFrame(3, byte(typePrune), 0, -1, "91 da 0201 "+long), def, errLimitExceeded, typePrune, "root"},
		{"prune v3 truncated root", rawFrame(3, byte(typePrune), 0, -1, "91 a5 7272"), def, errTruncated, typePrune, "root"},
		{"graft v2 with a root", rawFrame(2, byte(typeGraft), 0, -1, "92 90 a1 72"), def, errMalformed, typeGraft, ""},
		{"graft v3 without a root", rawFrame(3, byte(typeGraft), 0, -1, "91 90"), def, errMalformed, typeGraft, ""},
		{"graft after our version", rawFrame(wireVersion+1, byte(typeGraft), 0, -1, "92 90 a1 72"), def, errUnsupportedVersion, 0, "version"},
		// Member records: 6 fields below wire version 4, 7 from it on.
		{"member_records v1 record with versions", rawFrame(1, byte(typeMemberRecords), 0, -1, "94 c2 40 90 91 97 a1 61 a0 c4 00 01 00 00 96 01 05 02 00 00 00"), def, errMalformed, typeMemberRecords, "records"},
		{"member_records v4 record without versions", rawFrame(4, byte(typeMemberRecords), 0, -1, "94 c2 40 90 91 96 a1 61 a0 c4 00 01 00 00"), def, errMalformed, typeMemberRecords, "records"},
		{"member_records v4 versions not an array", rawFrame(4, byte(typeMemberRecords), 0, -1, "94 c2 40 90 91 97 a1 61 a0 c4 00 01 00 00 07"), def, errMalformed, typeMemberRecords, "records.versions"},
		{"member_records v4 version over 255", rawFrame(4, byte(typeMemberRecords), 0, -1, "94 c2 40 90 91 97 a1 61 a0 c4 00 01 00 00 96 01 cd 0100 02 00 00 00"), def, errMalformed, typeMemberRecords, "records.versions"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := decodeMessage(c.frame, c.lim)
			if m != nil {
				t.Errorf("decoded %+v despite the error", m)
			}
			checkDecodeError(t, err, c.want, c.typ, c.field)
		})
	}
}

// TestDecodeMessageOtherForms checks that the decoder reads msgpack forms
// our encoder does not write but other encoders may.
func TestDecodeMessageOtherForms(t *testing.T) {
	cases := []struct {
		name  string
		frame []byte
		want  Message
	}{
		{"int8", frameOf(typePing, "91 d0 05"), pingMsg{SeqNo: 5}},
		{"int64", frameOf(typePing, "91 d3 0000000000000005"), pingMsg{SeqNo: 5}},
		{"long uint", frameOf(typePing, "91 cf 0000000000000005"), pingMsg{SeqNo: 5}},
		{"str8 for a short str", frameOf(typeHelloAccept, "93 01 d9 01 61 a0"), helloAcceptMsg{Version: 1, Name: "a"}},
		{"bin for str", frameOf(typeHelloAccept, "93 01 c4 01 61 a0"), helloAcceptMsg{Version: 1, Name: "a"}},
		{"str for payload", frameOf(typeUserMsg, "91 a2 6869"), userMsg{Payload: []byte("hi")}},
		{"nil payload", frameOf(typeUserMsg, "91 c0"), userMsg{}},
		{"nil list", frameOf(typeGraft, "91 c0"), graftMsg{}},
		{"array16 list", frameOf(typeGraft, "91 dc 0001 92 a1 61 07"), graftMsg{IDs: []MessageID{{Origin: "a", Seq: 7}}}},
		{"array32 body", frameOf(typeNeighbor, "dd 00000001 c3"), neighborMsg{HighPriority: true}},
		{"nil meta, str for meta", frameOf(typeMemberRecords, "94 c2 40 c0 92 96 a1 61 a0 c0 00 00 00 96 a1 62 a0 a1 6d 00 00 00"),
			memberRecordsMsg{Buckets: 64, Records: []memberRecord{{Name: "a"}, {Name: "b", Meta: []byte("m")}}}},
		{"nil hashes", frameOf(typeMemberBuckets, "92 c3 c0"), memberBucketsMsg{Join: true}},
		{"int64 hash", frameOf(typeMemberBuckets, "92 c2 91 d3 7fffffffffffffff"), memberBucketsMsg{Hashes: []uint64{math.MaxInt64}}},
		{"str user state", frameOf(typeMemberUserState, "92 c2 a2 6869"), memberUserStateMsg{State: []byte("hi")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := decodeMessage(c.frame, defaultWireLimits())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, c.want) {
				t.Fatalf("got %+v, want %+v", m, c.want)
			}
		})
	}
}

// allocatedBytes returns the bytes f allocates per call, averaged over runs.
func allocatedBytes(runs int, f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

// TestDecodeHugeCountsFailFast feeds 20-byte frames that claim 2^31 list
// entries or string bytes, with limits high enough not to catch them: the
// decoder must fail on the bytes that remain, before allocating.
func TestDecodeHugeCountsFailFast(t *testing.T) {
	lim := defaultWireLimits()
	lim.MaxGraftIDs, lim.MaxIHaveEntries, lim.MaxPeers, lim.MaxNameLen = math.MaxInt, math.MaxInt, math.MaxInt, math.MaxInt
	lim.MaxMemberRecords, lim.MaxDigestBuckets, lim.MaxUserStateSize = math.MaxInt, math.MaxInt, math.MaxInt
	frames := map[string][]byte{
		"ids":       frameOf(typeGraft, "91 dd 80000000 92 a1 61 07 000000"),
		"entries":   frameOf(typeIHave, "91 dd 80000000 92 92 a1 61 07 0000"),
		"peers":     frameOf(typeShuffleReply, "91 dd 80000000 92 a1 61 a1 62 0000"),
		"name":      frameOf(typeHelloAccept, "93 01 db 80000000 6e6f64652d31"),
		"payload":   frameOf(typeUserMsg, "91 c6 80000000 01020304050607"),
		"fields":    frameOf(typeJoin, "dd 80000000 0102030405060708"),
		"id fields": frameOf(typeGraft, "91 91 dd 80000000 010203040506"),
		"hashes":    frameOf(typeMemberBuckets, "92 c2 dd 80000000 010203040506"),
		"want":      frameOf(typeMemberRecords, "94 c2 cd 0100 dd 80000000 010203"),
		"records":   frameOf(typeMemberRecords, "94 c2 cd 0100 90 dd 80000000 0000"),
		"record":    frameOf(typeMemberRecords, "94 c2 cd 0100 90 91 dd 80000000 00"),
		"state":     frameOf(typeMemberUserState, "92 c2 c6 80000000 010203040506"),
	}
	for name, frame := range frames {
		t.Run(name, func(t *testing.T) {
			if len(frame) != 20 {
				t.Fatalf("frame is %d bytes, want 20", len(frame))
			}
			if _, err := decodeMessage(frame, lim); err == nil {
				t.Fatal("decoded")
			}
			if n := allocatedBytes(100, func() { _, _ = decodeMessage(frame, lim) }); n > 1024 {
				t.Errorf("allocated %d bytes per decode, want at most 1 KiB", n)
			}
		})
	}
}

func TestEncodeMessageRefuses(t *testing.T) {
	lim := defaultWireLimits()
	tiny := lim
	tiny.MaxFrameSize = 100
	long := strings.Repeat("x", lim.MaxNameLen+1)
	cases := []struct {
		name string
		msg  Message
		lim  wireLimits
		want error
	}{
		{"nil", nil, lim, errUnknownMessageType},
		{"pointer", &gossipMsg{}, lim, errUnknownMessageType},
		{"foreign type", foreignMessage{}, lim, errUnknownMessageType},
		{"too many peers", shuffleMsg{Peers: make([]Peer, lim.MaxPeers+1)}, lim, errLimitExceeded},
		{"too many entries", ihaveMsg{Entries: make([]ihaveEntry, lim.MaxIHaveEntries+1)}, lim, errLimitExceeded},
		{"too many ids", graftMsg{IDs: make([]MessageID, lim.MaxGraftIDs+1)}, lim, errLimitExceeded},
		{"long name", helloMsg{Name: long}, lim, errLimitExceeded},
		{"long addr", helloAcceptMsg{Addr: strings.Repeat("x", lim.MaxAddrLen+1)}, lim, errLimitExceeded},
		{"long label", helloMsg{Label: strings.Repeat("x", maxLabelLen+1)}, lim, errLimitExceeded},
		{"long origin", graftMsg{IDs: []MessageID{{Origin: long}}}, lim, errLimitExceeded},
		{"long peer name", shuffleReplyMsg{Peers: []Peer{{Name: long}}}, lim, errLimitExceeded},
		{"frame too large", userMsg{Payload: make([]byte, 100)}, tiny, errFrameTooLarge},
		{"too many hashes", memberBucketsMsg{Hashes: make([]uint64, lim.MaxDigestBuckets+1)}, lim, errLimitExceeded},
		{"too many wanted buckets", memberRecordsMsg{Want: make([]uint16, lim.MaxDigestBuckets+1)}, lim, errLimitExceeded},
		{"too many records", memberRecordsMsg{Records: make([]memberRecord, lim.MaxMemberRecords+1)}, lim, errLimitExceeded},
		{"long member name", memberRecordsMsg{Records: []memberRecord{{Name: strings.Repeat("x", maxMemberNameLen+1)}}}, lim, errLimitExceeded},
		{"long member addr", memberRecordsMsg{Records: []memberRecord{{Name: "x", Addr: strings.Repeat("x", maxMemberAddrLen+1)}}}, lim, errLimitExceeded},
		{"long member meta", memberRecordsMsg{Records: []memberRecord{{Name: "x", Meta: make([]byte, maxMemberMetaLen+1)}}}, lim, errLimitExceeded},
		{"large user state", memberUserStateMsg{State: make([]byte, lim.MaxUserStateSize+1)}, lim, errLimitExceeded},
		{"large ack payload", pingAckMsg{Payload: make([]byte, ackPayloadMaxSize+1)}, lim, errLimitExceeded},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := []byte("keep")
			out, err := encodeMessage(dst, c.msg, c.lim)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if string(out) != "keep" {
				t.Errorf("dst changed to %q", out)
			}
			if err := writeMessageFrame(io.Discard, c.msg, c.lim); !errors.Is(err, c.want) {
				t.Errorf("WriteFrame err = %v, want %v", err, c.want)
			}
		})
	}
}

// foreignMessage implements Message but is not one of ours.
type foreignMessage struct{}

func (foreignMessage) Type() MessageType { return typeJoin }

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReadFrameStream(t *testing.T) {
	lim := defaultWireLimits()
	var stream []byte
	for _, c := range wireCases {
		var err error
		if stream, err = encodeMessage(stream, c.msg, lim); err != nil {
			t.Fatal(err)
		}
	}
	// HalfReader makes every read short, so frames straddle reads.
	r := iotest.HalfReader(bytes.NewReader(stream))
	for _, c := range wireCases {
		m, err := readMessageFrame(r, lim)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !reflect.DeepEqual(m, emptyToNil(c.msg)) {
			t.Fatalf("%s: got %+v", c.name, m)
		}
	}
	if _, err := readMessageFrame(r, lim); err != io.EOF {
		t.Fatalf("at the end: err = %v, want io.EOF", err)
	}
}

func TestReadFrameLargeBody(t *testing.T) {
	lim := defaultWireLimits()
	want := userMsg{Payload: bytes.Repeat([]byte("0123456789abcdef"), 40000)} // 640000 bytes: several growth steps
	frame, err := encodeMessage(nil, want, lim)
	if err != nil {
		t.Fatal(err)
	}
	m, err := readMessageFrame(iotest.HalfReader(bytes.NewReader(frame)), lim)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatal("payload differs")
	}
}

func TestReadFrameErrors(t *testing.T) {
	lim := defaultWireLimits()
	gossip, err := encodeMessage(nil, gossipMsg{ID: MessageID{Origin: "o"}, Payload: []byte("payload")}, lim)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("truncated header", func(t *testing.T) {
		_, err := readMessageFrame(bytes.NewReader(gossip[:3]), lim)
		checkDecodeError(t, err, errTruncated, 0, "header")
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("err = %v, want it to wrap io.ErrUnexpectedEOF", err)
		}
	})
	t.Run("truncated body", func(t *testing.T) {
		for _, n := range []int{frameHeaderSize, len(gossip) - 1} {
			_, err := readMessageFrame(bytes.NewReader(gossip[:n]), lim)
			checkDecodeError(t, err, errTruncated, typeGossip, "body")
		}
	})
	t.Run("bad header reads nothing more", func(t *testing.T) {
		small := lim
		small.MaxFrameSize = 8
		for _, c := range []struct {
			lim  wireLimits
			want error
		}{{small, errFrameTooLarge}, {lim, errUnknownFlags}} {
			frame := bytes.Clone(gossip)
			if c.want == errUnknownFlags {
				frame[2] = 0x01
			}
			cr := &countingReader{r: bytes.NewReader(frame)}
			_, err := readMessageFrame(cr, c.lim)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if cr.n != frameHeaderSize {
				t.Errorf("read %d bytes, want only the %d-byte header", cr.n, frameHeaderSize)
			}
		}
	})
	t.Run("bad body", func(t *testing.T) {
		_, err := readMessageFrame(bytes.NewReader(frameOf(typePing, "91 ff")), lim)
		checkDecodeError(t, err, errMalformed, typePing, "seq_no")
	})
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("boom")
		for _, r := range []io.Reader{
			iotest.ErrReader(boom),
			io.MultiReader(bytes.NewReader(gossip[:frameHeaderSize+2]), iotest.ErrReader(boom)),
		} {
			_, err := readMessageFrame(r, lim)
			var de *decodeError
			if !errors.Is(err, boom) || errors.As(err, &de) {
				t.Errorf("err = %v, want the read error, not a DecodeError", err)
			}
		}
	})
	t.Run("announced body not sent", func(t *testing.T) {
		// A peer announcing a maximal body and sending 10 bytes of it must
		// not make the reader allocate the whole body.
		frame := rawFrame(1, byte(typeUserMsg), 0, int64(lim.MaxFrameSize), "91 c6 01fffff0 0000000000")
		n := allocatedBytes(20, func() {
			_, err := readMessageFrame(bufio.NewReader(bytes.NewReader(frame)), lim)
			if !errors.Is(err, errTruncated) {
				t.Fatalf("err = %v, want ErrTruncated", err)
			}
		})
		if n > 2*readChunk {
			t.Errorf("allocated %d bytes per read, want at most %d", n, 2*readChunk)
		}
	})
}

func TestWriteFrame(t *testing.T) {
	lim := defaultWireLimits()
	var buf bytes.Buffer
	if err := writeMessageFrame(&buf, pingMsg{SeqNo: 9}, lim); err != nil {
		t.Fatal(err)
	}
	if m, err := readMessageFrame(&buf, lim); err != nil || m != (pingMsg{SeqNo: 9}) {
		t.Fatalf("ReadFrame = %v, %v", m, err)
	}
	boom := errors.New("boom")
	if err := writeMessageFrame(failingWriter{boom}, pingMsg{}, lim); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the write error", err)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }
