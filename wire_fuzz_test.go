package hyparlist

import (
	"bufio"
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecodeMessage checks that decoding never panics, and that whatever
// decodes re-encodes, decodes to an equal message, and encodes to the same
// bytes again (the encoding is canonical), and that a stream read through a
// buffered reader gives what an unbuffered one gives (sameFromStream).
// Seeds: the golden frames.
func FuzzDecodeMessage(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "wire", "*.hex"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no golden frames to seed from: %v", err)
	}
	for _, path := range files {
		frame, err := readHexFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(frame)
	}
	f.Add(frameOf(typeGraft, "91 dd 80000000 92 a1 61 07 000000"))
	f.Add(frameOf(typeUserMsg, "91 c0"))
	f.Add(frameOf(typeMemberRecords, "94 c2 40 c0 91 96 a1 61 a0 c0 00 00 00"))
	f.Add(frameOf(typeMemberBuckets, "92 c3 dc 0011 "+strings.Repeat("00", 17)))
	f.Add(frameOf(typeMemberUserState, "92 c2 c4 41 "+strings.Repeat("00", 65)))

	// Small limits, so that the fuzzer reaches them.
	lim := wireLimits{MaxFrameSize: 1 << 16, MaxPeers: 8, MaxIHaveEntries: 16, MaxGraftIDs: 16, MaxNameLen: 32, MaxAddrLen: 32,
		MaxMemberRecords: 8, MaxDigestBuckets: 16, MaxUserStateSize: 64}
	f.Fuzz(func(t *testing.T, frame []byte) {
		sameFromStream(t, frame, lim)
		m, err := decodeMessage(frame, lim)
		if err != nil {
			if m != nil {
				t.Fatalf("message %+v with error %v", m, err)
			}
			return
		}
		again, err := encodeMessage(nil, m, lim)
		if err != nil {
			t.Fatalf("decoded %+v but cannot encode it: %v", m, err)
		}
		m2, err := decodeMessage(again, lim)
		if err != nil {
			t.Fatalf("re-encoded %+v does not decode: %v", m, err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip changed the message:\n%+v\n%+v", m, m2)
		}
		third, err := encodeMessage(nil, m2, lim)
		if err != nil || !bytes.Equal(again, third) {
			t.Fatalf("encoding not canonical: %x then %x (%v)", again, third, err)
		}
	})
}

// sameFromStream fails t unless reading frame from a stream gives the same
// outcome through a buffered reader, whose whole bodies are copied out of
// its buffer (bufferedBody), as through an unbuffered one (readBody's
// growing reads): the same message, or an error from both.
func sameFromStream(t *testing.T, frame []byte, lim wireLimits) {
	t.Helper()
	buffered, berr := readMessageFrame(bufio.NewReaderSize(bytes.NewReader(frame), 1<<17), lim)
	plain, perr := readMessageFrame(bytes.NewReader(frame), lim)
	if (berr == nil) != (perr == nil) {
		t.Fatalf("buffered read: %v; unbuffered read: %v", berr, perr)
	}
	if berr == nil && !reflect.DeepEqual(buffered, plain) {
		t.Fatalf("buffered and unbuffered reads differ:\n%+v\n%+v", buffered, plain)
	}
}
