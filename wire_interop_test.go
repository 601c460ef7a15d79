package hyparlist

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// goMsgpackHandle returns the go-msgpack configuration whose output our
// message bodies match: structs as arrays of their fields, str and bin
// types of the current msgpack spec.
func goMsgpackHandle() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{WriteExt: true}
	h.StructToArray = true
	return h
}

// TestWireMatchesGoMsgpack pins the body format to go-msgpack: our body of
// each message is byte for byte go-msgpack's encoding of the message struct,
// and each side decodes the other's bytes to the same message.
func TestWireMatchesGoMsgpack(t *testing.T) {
	h := goMsgpackHandle()
	lim := defaultWireLimits()
	for _, c := range wireCases {
		t.Run(c.name, func(t *testing.T) {
			// go-msgpack writes a nil slice as msgpack nil, we write an
			// empty array or bin: compare with empty slices.
			frame, err := encodeMessage(nil, c.msg, lim)
			if err != nil {
				t.Fatal(err)
			}
			ours := frame[frameHeaderSize:]

			var theirs []byte
			if err := codec.NewEncoderBytes(&theirs, h).Encode(goMsgpackView(nilToEmpty(c.msg))); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ours, theirs) {
				t.Errorf("body differs from go-msgpack:\n ours %x\ntheirs %x", ours, theirs)
			}

			// go-msgpack decodes our body.
			view := goMsgpackView(c.msg)
			got := reflect.New(reflect.TypeOf(view))
			if err := codec.NewDecoderBytes(ours, h).Decode(got.Interface()); err != nil {
				t.Fatal(err)
			}
			if g := got.Elem().Interface(); !reflect.DeepEqual(goMsgpackView(emptyToNil(fromGoMsgpackView(g))), goMsgpackView(emptyToNil(c.msg))) {
				t.Errorf("go-msgpack decoded our body as %+v", g)
			}

			// We decode go-msgpack's body, nil slices included.
			theirs = theirs[:0]
			if err := codec.NewEncoderBytes(&theirs, h).Encode(view); err != nil {
				t.Fatal(err)
			}
			m, err := decodeBody(c.msg.Type(), frame[0], theirs, lim, false)
			if err != nil {
				t.Fatalf("decoding go-msgpack's %x: %v", theirs, err)
			}
			if !reflect.DeepEqual(m, emptyToNil(c.msg)) {
				t.Errorf("decoded go-msgpack's body as %+v", m)
			}
		})
	}
}

// legacyPrune and legacyGraft are Prune and Graft as they were before
// wire version 3 added Root: the layout of a Prune or Graft without a
// root, which every version reads.
type (
	legacyPrune struct{}
	legacyGraft struct{ IDs []MessageID }
)

// rootedPrune and rootedGraft are Prune and Graft as wire version 3 left
// them, before version 5 added Shared: the layout of a Prune or Graft
// with a root for a root's own tree.
type (
	rootedPrune struct{ Root string }
	rootedGraft struct {
		IDs  []MessageID
		Root string
	}
)

// legacyGossip is Gossip as it was before wire version 6 added Sig: the
// layout of an unsigned Gossip, which every version reads.
type legacyGossip struct {
	ID      MessageID
	Class   Class
	Round   uint16
	Payload []byte
}

// legacyHelloAccept is helloAcceptMsg as it was before wire version 6
// added Key: the layout of an answer that accepts an older version.
type legacyHelloAccept struct {
	Version uint8
	Name    string
	Addr    string
}

// legacyMemberRecords and legacyMemberRecord are memberRecordsMsg and
// memberRecord as they were before wire version 4 added Versions: the
// layout of records without versions, which every version reads.
type (
	legacyMemberRecords struct {
		Join    bool
		Buckets uint16
		Want    []uint16
		Records []legacyMemberRecord
	}
	legacyMemberRecord struct {
		Name        string
		Addr        string
		Meta        []byte
		Incarnation uint32
		State       memberState
		AgeSeconds  uint32
	}
)

// goMsgpackView returns the struct whose go-msgpack encoding is m's body:
// the legacy struct for a Prune or Graft without a root, the version 3
// struct for one with a root and without Shared, the legacy struct for
// memberRecordsMsg whose records carry no versions, m itself else.
func goMsgpackView(m Message) any {
	switch m := m.(type) {
	case memberRecordsMsg:
		if !recordsCarryVersions(m.Records) {
			v := legacyMemberRecords{Join: m.Join, Buckets: m.Buckets, Want: m.Want}
			if m.Records != nil {
				v.Records = make([]legacyMemberRecord, len(m.Records))
			}
			for i, r := range m.Records {
				v.Records[i] = legacyMemberRecord{r.Name, r.Addr, r.Meta, r.Incarnation, r.State, r.AgeSeconds}
			}
			return v
		}
	case helloAcceptMsg:
		if m.Key == (originKey{}) {
			return legacyHelloAccept{Version: m.Version, Name: m.Name, Addr: m.Addr}
		}
	case gossipMsg:
		if len(m.Sig) == 0 {
			return legacyGossip{ID: m.ID, Class: m.Class, Round: m.Round, Payload: m.Payload}
		}
	case pruneMsg:
		switch {
		case m.Shared:
		case m.Root == "":
			return legacyPrune{}
		default:
			return rootedPrune{Root: m.Root}
		}
	case graftMsg:
		switch {
		case m.Shared:
		case m.Root == "":
			return legacyGraft{IDs: m.IDs}
		default:
			return rootedGraft{IDs: m.IDs, Root: m.Root}
		}
	}
	return m
}

// fromGoMsgpackView inverts goMsgpackView.
func fromGoMsgpackView(v any) Message {
	switch v := v.(type) {
	case legacyMemberRecords:
		m := memberRecordsMsg{Join: v.Join, Buckets: v.Buckets, Want: v.Want}
		if v.Records != nil {
			m.Records = make([]memberRecord, len(v.Records))
		}
		for i, r := range v.Records {
			m.Records[i] = memberRecord{Name: r.Name, Addr: r.Addr, Meta: r.Meta, Incarnation: r.Incarnation, State: r.State, AgeSeconds: r.AgeSeconds}
		}
		return m
	case legacyHelloAccept:
		return helloAcceptMsg{Version: v.Version, Name: v.Name, Addr: v.Addr}
	case legacyGossip:
		return gossipMsg{ID: v.ID, Class: v.Class, Round: v.Round, Payload: v.Payload}
	case legacyPrune:
		return pruneMsg{}
	case legacyGraft:
		return graftMsg{IDs: v.IDs}
	case rootedPrune:
		return pruneMsg{Root: v.Root}
	case rootedGraft:
		return graftMsg{IDs: v.IDs, Root: v.Root}
	}
	return v.(Message)
}

// The go-msgpack benchmarks measure the alternative we did not take: the
// same bodies through go-msgpack's reflection-based codec, reusing the
// Encoder and Decoder.

func BenchmarkGoMsgpackEncodeGossip256(b *testing.B) {
	h := goMsgpackHandle()
	var m Message = benchGossip()
	var buf []byte
	enc := codec.NewEncoderBytes(&buf, h)
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		enc.ResetBytes(&buf)
		if err := enc.Encode(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGoMsgpackDecodeGossip256(b *testing.B) {
	h := goMsgpackHandle()
	var body []byte
	if err := codec.NewEncoderBytes(&body, h).Encode(benchGossip()); err != nil {
		b.Fatal(err)
	}
	dec := codec.NewDecoderBytes(body, h)
	b.ReportAllocs()
	for b.Loop() {
		var g gossipMsg
		dec.ResetBytes(body)
		if err := dec.Decode(&g); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGoMsgpackDecodeIHave32(b *testing.B) {
	h := goMsgpackHandle()
	var body []byte
	if err := codec.NewEncoderBytes(&body, h).Encode(benchIHave()); err != nil {
		b.Fatal(err)
	}
	dec := codec.NewDecoderBytes(body, h)
	b.ReportAllocs()
	for b.Loop() {
		var m ihaveMsg
		dec.ResetBytes(body)
		if err := dec.Decode(&m); err != nil {
			b.Fatal(err)
		}
	}
}
