package hyparlist

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"testing"
)

// benchGossip is a Gossip with a 256-byte payload.
func benchGossip() gossipMsg {
	return gossipMsg{
		ID:      MessageID{Origin: "node-0042.dc1.example.com", Seq: 1 << 20},
		Class:   ClassUser,
		Round:   4,
		Payload: bytes.Repeat([]byte{0x5a}, 256),
	}
}

// benchIHave is an IHave with 32 entries from 4 origins, each origin's
// entries consecutive as a batching sender produces them.
func benchIHave() ihaveMsg {
	entries := make([]ihaveEntry, 32)
	for i := range entries {
		entries[i] = ihaveEntry{
			ID:    MessageID{Origin: fmt.Sprintf("node-%04d.dc1.example.com", i/8), Seq: uint64(1<<20 + i)},
			Round: uint16(i % 6),
		}
	}
	return ihaveMsg{Entries: entries}
}

func benchEncode(b *testing.B, m Message) {
	lim := defaultWireLimits()
	buf, err := encodeMessage(nil, m, lim)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = encodeMessage(buf[:0], m, lim)
	}
}

func benchDecode(b *testing.B, m Message) {
	lim := defaultWireLimits()
	frame, err := encodeMessage(nil, m, lim)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeMessage(frame, lim); err != nil {
			b.Fatal(err)
		}
	}
}

// benchReadFrame reads m from a stream of copies of its frame.
func benchReadFrame(b *testing.B, m Message) {
	lim := defaultWireLimits()
	frame, err := encodeMessage(nil, m, lim)
	if err != nil {
		b.Fatal(err)
	}
	var stream bytes.Reader
	r := bufio.NewReader(&stream)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		stream.Reset(frame)
		r.Reset(&stream)
		if _, err := readMessageFrame(r, lim); err != nil && err != io.EOF {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeGossip256(b *testing.B)    { benchEncode(b, benchGossip()) }
func BenchmarkDecodeGossip256(b *testing.B)    { benchDecode(b, benchGossip()) }
func BenchmarkReadFrameGossip256(b *testing.B) { benchReadFrame(b, benchGossip()) }

// BenchmarkReadFrameGossip1K reads a Gossip of the bench harness's 1 KiB
// payload, signed, from a buffered stream, as a stream reader does.
func BenchmarkReadFrameGossip1K(b *testing.B) {
	g := benchGossip()
	g.Payload = bytes.Repeat([]byte{0x5a}, 1024)
	g.Sig = bytes.Repeat([]byte{0xa5}, 64)
	benchReadFrame(b, g)
}
func BenchmarkEncodeIHave32(b *testing.B)    { benchEncode(b, benchIHave()) }
func BenchmarkDecodeIHave32(b *testing.B)    { benchDecode(b, benchIHave()) }
func BenchmarkReadFrameIHave32(b *testing.B) { benchReadFrame(b, benchIHave()) }
