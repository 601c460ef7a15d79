package hyparlist

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// wireCases are representative messages, at least one per type. Each has a
// golden file testdata/wire/<name>.hex pinning its frame byte for byte.
var wireCases = []struct {
	name string
	msg  Message
}{
	{"join", joinMsg{}},
	{"forward_join", forwardJoinMsg{Joiner: Peer{Name: "node-7", Addr: "10.0.0.7:7946"}, TTL: 6}},
	{"neighbor_high", neighborMsg{HighPriority: true}},
	{"neighbor_low", neighborMsg{HighPriority: false}},
	{"neighbor_reply", neighborReplyMsg{Accepted: true}},
	{"disconnect", disconnectMsg{Alive: true}},
	{"shuffle", shuffleMsg{
		Origin: Peer{Name: "a", Addr: "10.0.0.1:7946"},
		TTL:    5,
		Peers: []Peer{
			{Name: "a", Addr: "10.0.0.1:7946"},
			{Name: "b", Addr: "10.0.0.2:7946"},
			{Name: "c", Addr: "[fe80::1%eth0]:7946"},
		},
	}},
	{"shuffle_no_peers", shuffleMsg{Origin: Peer{Name: "a", Addr: "10.0.0.1:7946"}}},
	{"shuffle_reply", shuffleReplyMsg{Peers: []Peer{{Name: "d", Addr: "10.0.0.4:7946"}}}},
	{"keepalive", keepaliveMsg{}},
	{"gossip", gossipMsg{ID: MessageID{Origin: "node-1", Seq: 42}, Class: ClassUser, Round: 3, Payload: []byte("hello")}},
	{"gossip_signed", gossipMsg{ID: MessageID{Origin: "node-1", Seq: 42}, Class: ClassUser, Round: 3, Payload: []byte("hello"),
		Sig: bytes.Repeat([]byte{0x5a}, broadcastSigSize)}},
	{"gossip_wide_numbers", gossipMsg{
		ID:      MessageID{Origin: "n", Seq: math.MaxUint64},
		Class:   ClassMembership,
		Round:   math.MaxUint16,
		Payload: nil,
	}},
	{"ihave", ihaveMsg{Entries: []ihaveEntry{
		{ID: MessageID{Origin: "node-1", Seq: 1}, Round: 0},
		{ID: MessageID{Origin: "node-1", Seq: 200}, Round: 1},
		{ID: MessageID{Origin: "node-2", Seq: 70000}, Round: 300},
	}}},
	{"graft", graftMsg{IDs: []MessageID{{Origin: "node-1", Seq: 7}, {Origin: "node-3", Seq: 1 << 32}}}},
	{"graft_no_ids", graftMsg{}},
	{"prune", pruneMsg{}},
	{"graft_root", graftMsg{IDs: []MessageID{{Origin: "node-1", Seq: 7}}, Root: "node-9"}},
	{"graft_root_no_ids", graftMsg{Root: "node-1"}},
	{"prune_root", pruneMsg{Root: "node-1"}},
	{"graft_shared", graftMsg{IDs: []MessageID{{Origin: "node-1", Seq: 1<<63 | 7}}, Root: "node-1", Shared: true}},
	{"prune_shared", pruneMsg{Root: "node-1", Shared: true}},
	{"hello", helloMsg{VersionMin: 1, VersionMax: 1, Label: "prod", Name: "node-1", Addr: "10.0.0.1:7946"}},
	{"hello_no_label", helloMsg{VersionMin: 1, VersionMax: 3, Name: "node-1", Addr: "10.0.0.1:7946"}},
	{"hello_accept", helloAcceptMsg{Version: 1, Name: "node-2", Addr: "10.0.0.2:7946"}},
	{"hello_accept_key", helloAcceptMsg{Version: 6, Name: "node-2", Addr: "10.0.0.2:7946", Key: originKey{1, 2, 3, 31: 0xff}}},
	{"hello_reject", helloRejectMsg{Reason: rejectLabel, VersionMin: 1, VersionMax: 1}},
	{"user_msg", userMsg{Payload: []byte{0x00, 0xff, 0x10}}},
	{"ping", pingMsg{SeqNo: 70000}},
	{"ack", ackMsg{SeqNo: math.MaxUint32}},
	{"link_ping", linkPingMsg{SeqNo: 70000}},
	{"ping_ack", pingAckMsg{SeqNo: 7, Payload: []byte{0x01, 0x82, 0xa3}}},
	{"ping_ack_no_payload", pingAckMsg{SeqNo: math.MaxUint32}},
	{"check_ping", checkPingMsg{Nonce: 0x0123456789abcdef, Name: "node-1", From: "node-2"}},
	{"check_ack", checkAckMsg{Nonce: math.MaxUint64}},
	{"member_digest", memberDigestMsg{Join: true, Buckets: 64, Count: 1000, Root: 0xdeadbeefcafef00d}},
	{"member_digest_zero", memberDigestMsg{}},
	{"member_buckets", memberBucketsMsg{Hashes: []uint64{0, 0x7f, 0x1234, 1 << 32, math.MaxUint64}}},
	{"member_records_want", memberRecordsMsg{
		Join:    true,
		Buckets: 256,
		Want:    []uint16{0, 7, 255},
		Records: []memberRecord{
			{Name: "node-1", Addr: "10.0.0.1:7946", Meta: []byte{0x01, 0x02}, Incarnation: 3, State: memberStateAlive},
			{Name: "node-2", Addr: "10.0.0.2:7946", Incarnation: 70000, State: memberStateSuspect},
		},
	}},
	{"member_records_answer", memberRecordsMsg{
		Buckets: 64,
		Records: []memberRecord{
			{Name: "node-3", Addr: "10.0.0.3:7946", Meta: []byte("role=db"), Incarnation: math.MaxUint32, State: memberStateDead, AgeSeconds: 90},
			{Name: "node-4", Addr: "10.0.0.4:7946", Incarnation: 1, State: memberStateLeft, AgeSeconds: math.MaxUint32},
		},
	}},
	{"member_records_empty", memberRecordsMsg{Buckets: 128}},
	// Wire version 4: records carry the member's protocol versions.
	{"member_records_versions", memberRecordsMsg{
		Buckets: 64,
		Records: []memberRecord{
			{Name: "node-5", Addr: "10.0.0.5:7946", Meta: []byte("tags"), Incarnation: 2, State: memberStateAlive,
				Versions: memberVersions{PMin: 1, PMax: 5, PCur: 2, DMin: 2, DMax: 5, DCur: 4}},
			{Name: "node-6", Addr: "10.0.0.6:7946", Incarnation: 9, State: memberStateDead, AgeSeconds: 30,
				Versions: memberVersions{PMin: 1, PMax: 255, PCur: 200, DMin: 0, DMax: 0, DCur: 0}},
		},
	}},
	{"member_user_state", memberUserStateMsg{Join: true, State: []byte("app-state")}},
}

func goldenPath(name string) string { return filepath.Join("testdata", "wire", name+".hex") }

func TestWireGolden(t *testing.T) {
	lim := defaultWireLimits()
	for _, c := range wireCases {
		t.Run(c.name, func(t *testing.T) {
			frame, err := encodeMessage(nil, c.msg, lim)
			if err != nil {
				t.Fatal(err)
			}
			comment := fmt.Sprintf("%T %+v\nheader: version type flags length; body: msgpack", c.msg, c.msg)
			hexGolden(t, goldenPath(c.name), comment, frame[:frameHeaderSize], frame[frameHeaderSize:])
		})
	}
}

// TestWireGoldenCoversEveryType makes a new message type fail until it has
// an encoder, a decoder and a golden case.
func TestWireGoldenCoversEveryType(t *testing.T) {
	covered := map[MessageType]bool{}
	for _, c := range wireCases {
		covered[c.msg.Type()] = true
	}
	for i := range 256 {
		mt := MessageType(i)
		named := mt.String() != "unknown"
		if named != knownType(mt) {
			t.Errorf("type %d (%s): named %v but decodable %v", i, mt, named, knownType(mt))
		}
		if knownType(mt) && !covered[mt] {
			t.Errorf("type %d (%s) has no case in wireCases", i, mt)
		}
	}
}

// TestWireDeclaredTypesAreEncoded reads the package's source for every
// MessageType constant, so that a type declared in any file, without a name
// in MessageType.String, still needs a codec entry and a golden case.
func TestWireDeclaredTypesAreEncoded(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	covered := map[MessageType]bool{}
	for _, c := range wireCases {
		covered[c.msg.Type()] = true
	}
	declared := 0
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "MessageType" {
					continue
				}
				for i, name := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.INT {
						t.Errorf("%s: %s is not an integer literal; this test cannot read it", fset.Position(name.Pos()), name.Name)
						continue
					}
					v, err := strconv.ParseUint(lit.Value, 0, 8)
					if err != nil {
						t.Errorf("%s: %s: %v", fset.Position(name.Pos()), name.Name, err)
						continue
					}
					declared++
					if mt := MessageType(v); mt.String() == "unknown" || !knownType(mt) || !covered[mt] {
						t.Errorf("%s = %d (%s): named %v, decodable %v, golden case %v; all must hold",
							name.Name, v, mt, mt.String() != "unknown", knownType(mt), covered[mt])
					}
				}
			}
		}
	}
	if declared < len(covered) {
		t.Errorf("found %d MessageType constants, fewer than the %d types in wireCases", declared, len(covered))
	}
}

// emptyToNil returns m with its empty slice fields set to nil: the decoder
// returns nil for every empty list or byte string.
func emptyToNil(m Message) Message { return mapSlices(m, false) }

// nilToEmpty returns m with its nil slice fields set to empty ones.
func nilToEmpty(m Message) Message { return mapSlices(m, true) }

// mapSlices returns a copy of m whose empty slice fields, also those of
// structs in its slices (memberRecord.Meta), are all nil, or all empty but
// not nil.
func mapSlices(m Message, empty bool) Message {
	v := reflect.New(reflect.TypeOf(m)).Elem()
	v.Set(reflect.ValueOf(m))
	mapStructSlices(v, empty)
	return v.Interface().(Message)
}

// mapStructSlices does mapSlices' work in place on the settable struct v,
// copying any slice of structs before it changes its elements.
func mapStructSlices(v reflect.Value, empty bool) {
	for i := range v.NumField() {
		f := v.Field(i)
		switch {
		case f.Kind() != reflect.Slice:
		case f.Len() == 0 && empty:
			f.Set(reflect.MakeSlice(f.Type(), 0, 0))
		case f.Len() == 0:
			f.SetZero()
		case f.Type().Elem().Kind() == reflect.Struct:
			c := reflect.MakeSlice(f.Type(), f.Len(), f.Len())
			reflect.Copy(c, f)
			for j := range c.Len() {
				mapStructSlices(c.Index(j), empty)
			}
			f.Set(c)
		}
	}
}

// roundTrip encodes m with lim, decodes it with decodeMessage and
// readMessageFrame, and checks that both give m back.
func roundTrip(t *testing.T, m Message, lim wireLimits) {
	t.Helper()
	frame, err := encodeMessage(nil, m, lim)
	if err != nil {
		t.Fatalf("encode %T: %v", m, err)
	}
	want := emptyToNil(m)
	got, err := decodeMessage(frame, lim)
	if err != nil {
		t.Fatalf("DecodeMessage %T: %v", m, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeMessage:\n got %+v\nwant %+v", got, want)
	}
	got, err = readMessageFrame(bufio.NewReader(bytes.NewReader(frame)), lim)
	if err != nil {
		t.Fatalf("ReadFrame %T: %v", m, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ReadFrame:\n got %+v\nwant %+v", got, want)
	}
}

func TestWireRoundTrip(t *testing.T) {
	for _, c := range wireCases {
		t.Run(c.name, func(t *testing.T) { roundTrip(t, c.msg, defaultWireLimits()) })
	}
}

// TestWireRoundTripEdges round-trips values at the limits and at every
// msgpack size boundary.
func TestWireRoundTripEdges(t *testing.T) {
	lim := defaultWireLimits()
	name := strings.Repeat("n", lim.MaxNameLen)
	addr := strings.Repeat("a", lim.MaxAddrLen)
	label := strings.Repeat("l", maxLabelLen)
	peers := func(n int) []Peer {
		ps := make([]Peer, n)
		for i := range ps {
			ps[i] = Peer{Name: fmt.Sprintf("node-%d", i), Addr: fmt.Sprintf("10.0.%d.%d:7946", i/256, i%256)}
		}
		return ps
	}
	ids := func(n int) []MessageID {
		ids := make([]MessageID, n)
		for i := range ids {
			ids[i] = MessageID{Origin: fmt.Sprintf("node-%d", i%3), Seq: uint64(i) * 1e9}
		}
		return ids
	}
	records := func(n int) []memberRecord {
		rs := make([]memberRecord, n)
		for i := range rs {
			rs[i] = memberRecord{
				Name:        strings.Repeat("n", maxMemberNameLen-4) + fmt.Sprintf("%04d", i),
				Addr:        strings.Repeat("a", maxMemberAddrLen),
				Meta:        bytes.Repeat([]byte{byte(i)}, maxMemberMetaLen),
				Incarnation: uint32(i) << 20,
				State:       memberState(i % 4),
				AgeSeconds:  uint32(i) * 1e6,
			}
		}
		return rs
	}
	uints := func(n int) ([]uint64, []uint16) {
		hs, ws := make([]uint64, n), make([]uint16, n)
		for i := range n {
			hs[i], ws[i] = uint64(i)*0x9e3779b97f4a7c15, uint16(i)
		}
		return hs, ws
	}
	hashes, want := uints(lim.MaxDigestBuckets)
	entries := make([]ihaveEntry, lim.MaxIHaveEntries)
	for i, id := range ids(len(entries)) {
		entries[i] = ihaveEntry{ID: id, Round: uint16(i)}
	}
	cases := map[string]Message{
		"max name and addr":  forwardJoinMsg{Joiner: Peer{Name: name, Addr: addr}, TTL: math.MaxUint8},
		"max label":          helloMsg{VersionMin: 0, VersionMax: math.MaxUint8, Label: label, Name: name, Addr: addr},
		"max origin":         gossipMsg{ID: MessageID{Origin: name, Seq: 1}},
		"empty strings":      shuffleMsg{Origin: Peer{}, Peers: []Peer{{}, {}}},
		"empty lists":        shuffleMsg{Peers: []Peer{}},
		"empty entries":      ihaveMsg{Entries: []ihaveEntry{}},
		"empty ids":          graftMsg{IDs: []MessageID{}},
		"empty payload":      userMsg{Payload: []byte{}},
		"max peers":          shuffleReplyMsg{Peers: peers(lim.MaxPeers)},
		"16 peers":           shuffleReplyMsg{Peers: peers(16)},
		"max entries":        ihaveMsg{Entries: entries},
		"max ids":            graftMsg{IDs: ids(lim.MaxGraftIDs)},
		"unknown reason":     helloRejectMsg{Reason: 200},
		"unknown class":      gossipMsg{Class: 7},
		"max records":        memberRecordsMsg{Buckets: 256, Want: want, Records: records(lim.MaxMemberRecords)},
		"max hashes":         memberBucketsMsg{Join: true, Hashes: hashes},
		"max user state":     memberUserStateMsg{State: bytes.Repeat([]byte{0x5a}, lim.MaxUserStateSize)},
		"empty record":       memberRecordsMsg{Records: []memberRecord{{Meta: []byte{}}}},
		"unknown state":      memberRecordsMsg{Records: []memberRecord{{Name: "x", State: math.MaxUint8}}},
		"empty member lists": memberRecordsMsg{Want: []uint16{}, Records: []memberRecord{}},
		"empty hashes":       memberBucketsMsg{Hashes: []uint64{}},
		"empty user state":   memberUserStateMsg{State: []byte{}},
		"wide digest":        memberDigestMsg{Buckets: math.MaxUint16, Count: math.MaxUint32, Root: math.MaxUint64},
	}
	for _, n := range []int{1, 31, 32, 255, 256, 65535, 65536, 1 << 20} {
		cases[fmt.Sprintf("payload %d", n)] = gossipMsg{ID: MessageID{Origin: "o", Seq: uint64(n)}, Payload: bytes.Repeat([]byte{0xa5}, n)}
	}
	for _, seq := range []uint64{0, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, math.MaxUint32, 1 << 32, math.MaxUint64} {
		cases[fmt.Sprintf("seq %#x", seq)] = graftMsg{IDs: []MessageID{{Origin: "o", Seq: seq}}}
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) { roundTrip(t, m, lim) })
	}

	// Strings and lists past 16-bit lengths need larger limits.
	big := lim
	big.MaxNameLen, big.MaxGraftIDs = 70000, 70000
	t.Run("str32 and array32", func(t *testing.T) {
		roundTrip(t, graftMsg{IDs: append(ids(65536), MessageID{Origin: strings.Repeat("x", 65536)})}, big)
	})
}

// TestWireDecodeCopies checks that decodeMessage's result does not share
// memory with the frame.
func TestWireDecodeCopies(t *testing.T) {
	lim := defaultWireLimits()
	frame, err := encodeMessage(nil, gossipMsg{ID: MessageID{Origin: "o"}, Payload: []byte("payload")}, lim)
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeMessage(frame, lim)
	if err != nil {
		t.Fatal(err)
	}
	clear(frame)
	if got := string(m.(gossipMsg).Payload); got != "payload" {
		t.Fatalf("payload changed with the frame: %q", got)
	}
}

func TestEncodeMessageAppends(t *testing.T) {
	lim := defaultWireLimits()
	buf := make([]byte, 0, 256)
	buf = append(buf, "prefix"...)
	buf, err := encodeMessage(buf, pingMsg{SeqNo: 1}, lim)
	if err != nil {
		t.Fatal(err)
	}
	buf, err = encodeMessage(buf, ackMsg{SeqNo: 1}, lim)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf, []byte("prefix")) {
		t.Fatalf("prefix overwritten: %x", buf)
	}
	r := bufio.NewReader(bytes.NewReader(buf[len("prefix"):]))
	for _, want := range []Message{pingMsg{SeqNo: 1}, ackMsg{SeqNo: 1}} {
		got, err := readMessageFrame(r, lim)
		if err != nil || got != want {
			t.Fatalf("ReadFrame = %v, %v; want %v", got, err, want)
		}
	}
	var m Message = gossipMsg{ID: MessageID{Origin: "node"}, Payload: make([]byte, 64)}
	allocs := testing.AllocsPerRun(100, func() {
		buf, _ = encodeMessage(buf[:0], m, lim)
	})
	if allocs != 0 {
		t.Errorf("EncodeMessage into a large enough buffer: %v allocs, want 0", allocs)
	}
}
