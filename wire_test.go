package hyparlist

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// wireCases are representative messages, at least one per type. Each has a
// golden file testdata/wire/<name>.hex pinning its frame byte for byte.
var wireCases = []struct {
	name string
	msg  Message
}{
	{"join", Join{}},
	{"forward_join", ForwardJoin{Joiner: Peer{Name: "node-7", Addr: "10.0.0.7:7946"}, TTL: 6}},
	{"neighbor_high", Neighbor{HighPriority: true}},
	{"neighbor_low", Neighbor{HighPriority: false}},
	{"neighbor_reply", NeighborReply{Accepted: true}},
	{"disconnect", Disconnect{Alive: true}},
	{"shuffle", Shuffle{
		Origin: Peer{Name: "a", Addr: "10.0.0.1:7946"},
		TTL:    5,
		Peers: []Peer{
			{Name: "a", Addr: "10.0.0.1:7946"},
			{Name: "b", Addr: "10.0.0.2:7946"},
			{Name: "c", Addr: "[fe80::1%eth0]:7946"},
		},
	}},
	{"shuffle_no_peers", Shuffle{Origin: Peer{Name: "a", Addr: "10.0.0.1:7946"}}},
	{"shuffle_reply", ShuffleReply{Peers: []Peer{{Name: "d", Addr: "10.0.0.4:7946"}}}},
	{"keepalive", Keepalive{}},
	{"gossip", Gossip{ID: MessageID{Origin: "node-1", Seq: 42}, Class: ClassUser, Round: 3, Payload: []byte("hello")}},
	{"gossip_wide_numbers", Gossip{
		ID:      MessageID{Origin: "n", Seq: math.MaxUint64},
		Class:   ClassMembership,
		Round:   math.MaxUint16,
		Payload: nil,
	}},
	{"ihave", IHave{Entries: []IHaveEntry{
		{ID: MessageID{Origin: "node-1", Seq: 1}, Round: 0},
		{ID: MessageID{Origin: "node-1", Seq: 200}, Round: 1},
		{ID: MessageID{Origin: "node-2", Seq: 70000}, Round: 300},
	}}},
	{"graft", Graft{IDs: []MessageID{{Origin: "node-1", Seq: 7}, {Origin: "node-3", Seq: 1 << 32}}}},
	{"graft_no_ids", Graft{}},
	{"prune", Prune{}},
	{"hello", Hello{VersionMin: 1, VersionMax: 1, Label: "prod", Name: "node-1", Addr: "10.0.0.1:7946"}},
	{"hello_no_label", Hello{VersionMin: 1, VersionMax: 3, Name: "node-1", Addr: "10.0.0.1:7946"}},
	{"hello_accept", HelloAccept{Version: 1, Name: "node-2", Addr: "10.0.0.2:7946"}},
	{"hello_reject", HelloReject{Reason: RejectLabel, VersionMin: 1, VersionMax: 1}},
	{"user_msg", UserMsg{Payload: []byte{0x00, 0xff, 0x10}}},
	{"ping", Ping{SeqNo: 70000}},
	{"ack", Ack{SeqNo: math.MaxUint32}},
}

func goldenPath(name string) string { return filepath.Join("testdata", "wire", name+".hex") }

func TestWireGolden(t *testing.T) {
	lim := DefaultWireLimits()
	for _, c := range wireCases {
		t.Run(c.name, func(t *testing.T) {
			frame, err := EncodeMessage(nil, c.msg, lim)
			if err != nil {
				t.Fatal(err)
			}
			comment := fmt.Sprintf("%T %+v\nheader: version type flags length; body: msgpack", c.msg, c.msg)
			hexGolden(t, goldenPath(c.name), comment, frame[:FrameHeaderSize], frame[FrameHeaderSize:])
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

// emptyToNil returns m with its empty slice fields set to nil: the decoder
// returns nil for every empty list or byte string.
func emptyToNil(m Message) Message { return mapSlices(m, false) }

// nilToEmpty returns m with its nil slice fields set to empty ones.
func nilToEmpty(m Message) Message { return mapSlices(m, true) }

// mapSlices returns a copy of m whose empty slice fields are all nil, or
// all empty but not nil.
func mapSlices(m Message, empty bool) Message {
	v := reflect.New(reflect.TypeOf(m)).Elem()
	v.Set(reflect.ValueOf(m))
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() != reflect.Slice || f.Len() != 0 {
			continue
		}
		if empty {
			f.Set(reflect.MakeSlice(f.Type(), 0, 0))
		} else {
			f.SetZero()
		}
	}
	return v.Interface().(Message)
}

// roundTrip encodes m with lim, decodes it with DecodeMessage and
// ReadFrame, and checks that both give m back.
func roundTrip(t *testing.T, m Message, lim WireLimits) {
	t.Helper()
	frame, err := EncodeMessage(nil, m, lim)
	if err != nil {
		t.Fatalf("encode %T: %v", m, err)
	}
	want := emptyToNil(m)
	got, err := DecodeMessage(frame, lim)
	if err != nil {
		t.Fatalf("DecodeMessage %T: %v", m, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeMessage:\n got %+v\nwant %+v", got, want)
	}
	got, err = ReadFrame(bufio.NewReader(bytes.NewReader(frame)), lim)
	if err != nil {
		t.Fatalf("ReadFrame %T: %v", m, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ReadFrame:\n got %+v\nwant %+v", got, want)
	}
}

func TestWireRoundTrip(t *testing.T) {
	for _, c := range wireCases {
		t.Run(c.name, func(t *testing.T) { roundTrip(t, c.msg, DefaultWireLimits()) })
	}
}

// TestWireRoundTripEdges round-trips values at the limits and at every
// msgpack size boundary.
func TestWireRoundTripEdges(t *testing.T) {
	lim := DefaultWireLimits()
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
	entries := make([]IHaveEntry, lim.MaxIHaveEntries)
	for i, id := range ids(len(entries)) {
		entries[i] = IHaveEntry{ID: id, Round: uint16(i)}
	}
	cases := map[string]Message{
		"max name and addr": ForwardJoin{Joiner: Peer{Name: name, Addr: addr}, TTL: math.MaxUint8},
		"max label":         Hello{VersionMin: 0, VersionMax: math.MaxUint8, Label: label, Name: name, Addr: addr},
		"max origin":        Gossip{ID: MessageID{Origin: name, Seq: 1}},
		"empty strings":     Shuffle{Origin: Peer{}, Peers: []Peer{{}, {}}},
		"empty lists":       Shuffle{Peers: []Peer{}},
		"empty entries":     IHave{Entries: []IHaveEntry{}},
		"empty ids":         Graft{IDs: []MessageID{}},
		"empty payload":     UserMsg{Payload: []byte{}},
		"max peers":         ShuffleReply{Peers: peers(lim.MaxPeers)},
		"16 peers":          ShuffleReply{Peers: peers(16)},
		"max entries":       IHave{Entries: entries},
		"max ids":           Graft{IDs: ids(lim.MaxGraftIDs)},
		"unknown reason":    HelloReject{Reason: 200},
		"unknown class":     Gossip{Class: 7},
	}
	for _, n := range []int{1, 31, 32, 255, 256, 65535, 65536, 1 << 20} {
		cases[fmt.Sprintf("payload %d", n)] = Gossip{ID: MessageID{Origin: "o", Seq: uint64(n)}, Payload: bytes.Repeat([]byte{0xa5}, n)}
	}
	for _, seq := range []uint64{0, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, math.MaxUint32, 1 << 32, math.MaxUint64} {
		cases[fmt.Sprintf("seq %#x", seq)] = Graft{IDs: []MessageID{{Origin: "o", Seq: seq}}}
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) { roundTrip(t, m, lim) })
	}

	// Strings and lists past 16-bit lengths need larger limits.
	big := lim
	big.MaxNameLen, big.MaxGraftIDs = 70000, 70000
	t.Run("str32 and array32", func(t *testing.T) {
		roundTrip(t, Graft{IDs: append(ids(65536), MessageID{Origin: strings.Repeat("x", 65536)})}, big)
	})
}

// TestWireDecodeCopies checks that DecodeMessage's result does not share
// memory with the frame.
func TestWireDecodeCopies(t *testing.T) {
	lim := DefaultWireLimits()
	frame, err := EncodeMessage(nil, Gossip{ID: MessageID{Origin: "o"}, Payload: []byte("payload")}, lim)
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeMessage(frame, lim)
	if err != nil {
		t.Fatal(err)
	}
	clear(frame)
	if got := string(m.(Gossip).Payload); got != "payload" {
		t.Fatalf("payload changed with the frame: %q", got)
	}
}

func TestEncodeMessageAppends(t *testing.T) {
	lim := DefaultWireLimits()
	buf := make([]byte, 0, 256)
	buf = append(buf, "prefix"...)
	buf, err := EncodeMessage(buf, Ping{SeqNo: 1}, lim)
	if err != nil {
		t.Fatal(err)
	}
	buf, err = EncodeMessage(buf, Ack{SeqNo: 1}, lim)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf, []byte("prefix")) {
		t.Fatalf("prefix overwritten: %x", buf)
	}
	r := bufio.NewReader(bytes.NewReader(buf[len("prefix"):]))
	for _, want := range []Message{Ping{SeqNo: 1}, Ack{SeqNo: 1}} {
		got, err := ReadFrame(r, lim)
		if err != nil || got != want {
			t.Fatalf("ReadFrame = %v, %v; want %v", got, err, want)
		}
	}
	var m Message = Gossip{ID: MessageID{Origin: "node"}, Payload: make([]byte, 64)}
	allocs := testing.AllocsPerRun(100, func() {
		buf, _ = EncodeMessage(buf[:0], m, lim)
	})
	if allocs != 0 {
		t.Errorf("EncodeMessage into a large enough buffer: %v allocs, want 0", allocs)
	}
}
