package hyparlist

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"
	"time"
)

// mustKeyring returns a keyring of keys, the first one primary.
func mustKeyring(t testing.TB, keys ...[]byte) *Keyring {
	t.Helper()
	kr, err := NewKeyring(keys, keys[0])
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestEncryptPayloadRoundTrip(t *testing.T) {
	plain := []byte("a frame, or anything else")
	for _, size := range []int{16, 24, 32} {
		kr := mustKeyring(t, testKey(7, size))
		sealed, err := encryptPayload(nil, kr, "cluster-a", plain)
		if err != nil {
			t.Fatalf("%d-byte key: %v", size, err)
		}
		if len(sealed) != len(plain)+sealOverhead {
			t.Errorf("%d-byte key: sealed %d bytes, want %d + %d", size, len(sealed), len(plain), sealOverhead)
		}
		if bytes.Contains(sealed, plain) {
			t.Errorf("%d-byte key: the plaintext is visible in the sealed bytes", size)
		}
		got, err := decryptPayload(nil, kr, "cluster-a", sealed)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("%d-byte key: decrypt = %q, %v", size, got, err)
		}
	}
}

func TestEncryptPayloadFreshNonce(t *testing.T) {
	kr := mustKeyring(t, testKey(1, 16))
	a, _ := encryptPayload(nil, kr, "", []byte("same"))
	b, _ := encryptPayload(nil, kr, "", []byte("same"))
	if bytes.Equal(a[:sealNonceSize], b[:sealNonceSize]) || bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext share a nonce")
	}
}

func TestDecryptPayloadFailures(t *testing.T) {
	kr := mustKeyring(t, testKey(1, 32))
	sealed, err := encryptPayload(nil, kr, "a", []byte("hello, cluster"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	cases := []struct {
		name   string
		kr     *Keyring
		label  string
		sealed []byte
	}{
		{"nonce altered", kr, "a", flip(0)},
		{"ciphertext altered", kr, "a", flip(sealNonceSize + 2)},
		{"tag altered", kr, "a", flip(len(sealed) - 1)},
		{"other label", kr, "b", sealed},
		{"no label", kr, "", sealed},
		{"other key", mustKeyring(t, testKey(2, 32)), "a", sealed},
		{"truncated", kr, "a", sealed[:len(sealed)-1]},
		{"shorter than nonce and tag", kr, "a", sealed[:sealOverhead-1]},
		{"empty", kr, "a", nil},
	}
	for _, c := range cases {
		before := bytes.Clone(c.sealed)
		got, err := decryptPayload(nil, c.kr, c.label, c.sealed)
		if !errors.Is(err, errNoMatchingKey) || len(got) != 0 {
			t.Errorf("%s: decrypt = %q, %v; want ErrNoMatchingKey", c.name, got, err)
		}
		if !bytes.Equal(before, c.sealed) {
			t.Errorf("%s: decrypt modified its input", c.name)
		}
	}
	if _, err := decryptPayload(nil, &Keyring{}, "a", sealed); !errors.Is(err, errEncryptionNotConfigured) {
		t.Errorf("empty keyring: %v, want ErrEncryptionNotConfigured", err)
	}
	if _, err := encryptPayload(nil, nil, "a", sealed); !errors.Is(err, errEncryptionNotConfigured) {
		t.Errorf("encrypt without a keyring: %v, want ErrEncryptionNotConfigured", err)
	}
}

// TestDecryptPayloadSecondaryKey follows a key rotation: what the old
// primary sealed opens while the old key is installed, and no longer after
// RemoveKey.
func TestDecryptPayloadSecondaryKey(t *testing.T) {
	oldKey, newKey := testKey(1, 16), testKey(2, 24)
	sender := mustKeyring(t, oldKey)
	receiver := mustKeyring(t, oldKey)
	sealedOld, _ := encryptPayload(nil, sender, "", []byte("old"))

	if err := receiver.AddKey(newKey); err != nil {
		t.Fatal(err)
	}
	if err := sender.AddKey(newKey); err != nil {
		t.Fatal(err)
	}
	if err := sender.UseKey(newKey); err != nil {
		t.Fatal(err)
	}
	sealedNew, _ := encryptPayload(nil, sender, "", []byte("new"))
	// The receiver's primary is still the old key: the new one is a
	// secondary key.
	for _, s := range [][]byte{sealedOld, sealedNew} {
		if _, err := decryptPayload(nil, receiver, "", s); err != nil {
			t.Fatalf("before removal: %v", err)
		}
	}
	if err := receiver.UseKey(newKey); err != nil {
		t.Fatal(err)
	}
	if err := receiver.RemoveKey(oldKey); err != nil {
		t.Fatal(err)
	}
	if got, err := decryptPayload(nil, receiver, "", sealedNew); err != nil || string(got) != "new" {
		t.Fatalf("new key after removal: %q, %v", got, err)
	}
	if _, err := decryptPayload(nil, receiver, "", sealedOld); !errors.Is(err, errNoMatchingKey) {
		t.Fatalf("old key after removal: %v, want ErrNoMatchingKey", err)
	}
}

// TestSealedStreamFrames writes frames through a policy and reads them
// back through another: sealing, the envelope layout and the
// GossipVerify rules.
func TestSealedStreamFrames(t *testing.T) {
	lim := defaultWireLimits()
	key := testKey(3, 32)
	sealing := frameCrypto{keyring: mustKeyring(t, key), verifyIncoming: true, verifyOutgoing: true}
	msg := userMsg{Payload: []byte("secret payload")}

	var stream bytes.Buffer
	if err := sealing.writeFrame(&stream, msg, lim, "L"); err != nil {
		t.Fatal(err)
	}
	plain, _ := encodeMessage(nil, msg, lim)
	wire := stream.Bytes()
	if len(wire) != len(plain)+streamSealOverhead || wire[0] != sealedMarker ||
		int(binary.BigEndian.Uint32(wire[1:])) != len(wire)-5 || bytes.Contains(wire, msg.Payload) {
		t.Fatalf("envelope %x for plain frame %x", wire, plain)
	}

	got, err := sealing.readFrame(bytes.NewReader(wire), lim, "L")
	if err != nil || !reflect.DeepEqual(got, msg) {
		t.Fatalf("read sealed frame = %+v, %v", got, err)
	}
	// The second label is tried when the first does not open the frame.
	if got, err := sealing.readFrame(bytes.NewReader(wire), lim, "other", "L"); err != nil || !reflect.DeepEqual(got, msg) {
		t.Fatalf("read with a second label = %+v, %v", got, err)
	}
	if _, err := sealing.readFrame(bytes.NewReader(wire), lim, "other"); !errors.Is(err, errNoMatchingKey) {
		t.Fatalf("read with the wrong label: %v, want ErrNoMatchingKey", err)
	}
	plainPolicy := frameCrypto{verifyIncoming: true, verifyOutgoing: true}
	if _, err := plainPolicy.readFrame(bytes.NewReader(wire), lim, "L"); !errors.Is(err, errEncryptionNotConfigured) {
		t.Fatalf("read by a node without keys: %v, want ErrEncryptionNotConfigured", err)
	}
	if _, err := sealing.readFrame(bytes.NewReader(plain), lim, "L"); !errors.Is(err, errUnencryptedFrame) {
		t.Fatalf("plain frame with GossipVerifyIncoming: %v, want ErrUnencryptedFrame", err)
	}
	lenient := frameCrypto{keyring: sealing.keyring, verifyIncoming: false, verifyOutgoing: false}
	for name, b := range map[string][]byte{"plain": plain, "sealed": wire} {
		if got, err := lenient.readFrame(bytes.NewReader(b), lim, "L"); err != nil || !reflect.DeepEqual(got, msg) {
			t.Errorf("GossipVerifyIncoming=false, %s frame: %+v, %v", name, got, err)
		}
	}
	var out bytes.Buffer
	if err := lenient.writeFrame(&out, msg, lim, "L"); err != nil || !bytes.Equal(out.Bytes(), plain) {
		t.Errorf("GossipVerifyOutgoing=false wrote %x (%v), want the plain frame %x", out.Bytes(), err, plain)
	}
	// Several frames on one buffered stream, as a reader sees them.
	stream.Reset()
	for range 3 {
		_ = sealing.writeFrame(&stream, msg, lim, "L")
	}
	br := bufio.NewReader(&stream)
	for i := range 3 {
		if _, err := sealing.readFrame(br, lim, "L"); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	if _, err := sealing.readFrame(br, lim, "L"); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
}

// TestSealedStreamFrameLimits checks the envelope length against
// MaxFrameSize before anything is allocated, and cut envelopes.
func TestSealedStreamFrameLimits(t *testing.T) {
	lim := defaultWireLimits()
	lim.MaxFrameSize = 64
	c := frameCrypto{keyring: mustKeyring(t, testKey(3, 16)), verifyIncoming: true, verifyOutgoing: true}

	// A message of exactly MaxFrameSize body bytes is sealed and read.
	big := userMsg{Payload: bytes.Repeat([]byte{1}, 60)}
	frame, _, err := c.appendFrame(nil, nil, big, lim, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.readFrame(bytes.NewReader(frame), lim, ""); err != nil {
		t.Fatalf("largest frame: %v", err)
	}
	tooBig := []byte{sealedMarker, 0xff, 0xff, 0xff, 0xff}
	if _, err := c.readFrame(bytes.NewReader(tooBig), lim, ""); !errors.Is(err, errFrameTooLarge) {
		t.Fatalf("4 GiB envelope: %v, want ErrFrameTooLarge", err)
	}
	over := binary.BigEndian.AppendUint32([]byte{sealedMarker}, uint32(64+frameHeaderSize+sealOverhead+1))
	if _, err := c.readFrame(bytes.NewReader(over), lim, ""); !errors.Is(err, errFrameTooLarge) {
		t.Fatalf("envelope one byte over the limit: %v, want ErrFrameTooLarge", err)
	}
	tiny := binary.BigEndian.AppendUint32([]byte{sealedMarker}, 3)
	if _, err := c.readFrame(bytes.NewReader(append(tiny, 1, 2, 3)), lim, ""); !errors.Is(err, errNoMatchingKey) {
		t.Fatalf("envelope shorter than nonce and tag: %v, want ErrNoMatchingKey", err)
	}
	var de *decodeError
	for _, cut := range []int{1, 3, 5, 20, len(frame) - 1} {
		if _, err := c.readFrame(bytes.NewReader(frame[:cut]), lim, ""); !errors.As(err, &de) || !errors.Is(err, errTruncated) {
			t.Errorf("envelope cut at %d of %d bytes: %v, want a truncation DecodeError", cut, len(frame), err)
		}
	}
	// Appending to a buffer that already holds frames keeps them.
	two, _, err := c.appendFrame(bytes.Clone(frame), nil, big, lim, "")
	if err != nil || !bytes.Equal(two[:len(frame)], frame) || len(two) != 2*len(frame) {
		t.Fatalf("appendFrame onto a frame: %d bytes, %v", len(two), err)
	}
	if _, _, err := c.appendFrame(frame, nil, userMsg{Payload: make([]byte, 65)}, lim, ""); !errors.Is(err, errFrameTooLarge) {
		t.Fatalf("oversized message: %v, want ErrFrameTooLarge", err)
	}
}

func TestSealedPackets(t *testing.T) {
	lim := defaultWireLimits()
	frame, _ := encodeMessage(nil, userMsg{Payload: []byte("datagram")}, lim)
	c := frameCrypto{keyring: mustKeyring(t, testKey(4, 24)), verifyIncoming: true, verifyOutgoing: true, replay: newPacketReplay(time.Time{})}
	for _, label := range []string{"", "cluster"} {
		packet := c.sealPacket(label, frame)
		if len(packet) != labelHeaderSize(label)+len(frame)+freshPacketOverhead {
			t.Errorf("label %q: packet of %d bytes for a %d-byte frame", label, len(packet), len(frame))
		}
		body, got, err := RemoveLabelHeaderFromPacket(packet)
		if err != nil || got != label || body[0] != freshMarker {
			t.Fatalf("label %q: header %q, %v", label, got, err)
		}
		opened, err := c.openPacket(got, body)
		if err != nil || !bytes.Equal(opened, frame) {
			t.Fatalf("label %q: open = %x, %v", label, opened, err)
		}
		if _, err := c.openPacket(got+"x", body); !errors.Is(err, errNoMatchingKey) {
			t.Errorf("label %q: opened with another label: %v", label, err)
		}
	}
	if _, err := c.openPacket("", frame); !errors.Is(err, errUnencryptedFrame) {
		t.Errorf("plain packet with GossipVerifyIncoming: %v, want ErrUnencryptedFrame", err)
	}
	lenient := frameCrypto{keyring: c.keyring}
	if got := lenient.sealPacket("", frame); !bytes.Equal(got, frame) {
		t.Errorf("GossipVerifyOutgoing=false sealed the packet: %x", got)
	}
	if got, err := lenient.openPacket("", frame); err != nil || !bytes.Equal(got, frame) {
		t.Errorf("GossipVerifyIncoming=false refused a plain packet: %v", err)
	}
	if _, err := (frameCrypto{}).openPacket("", c.sealPacket("", frame)); !errors.Is(err, errEncryptionNotConfigured) {
		t.Errorf("sealed packet at a node without keys: %v", err)
	}
}

// FuzzDecryptFrame feeds arbitrary bytes to the sealed-frame reader and
// the packet opener: they must return an error or a message, never panic,
// and never allocate beyond the limit.
func FuzzDecryptFrame(f *testing.F) {
	lim := defaultWireLimits()
	lim.MaxFrameSize = 1 << 12
	kr, err := NewKeyring([][]byte{testKey(6, 16)}, testKey(5, 32))
	if err != nil {
		f.Fatal(err)
	}
	c := frameCrypto{keyring: kr, verifyIncoming: true, verifyOutgoing: true}
	for _, m := range []Message{userMsg{Payload: []byte("x")}, pingMsg{SeqNo: 9}, helloMsg{VersionMin: 1, VersionMax: 1, Name: "n"}} {
		frame, _, err := c.appendFrame(nil, nil, m, lim, "")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(frame)
		f.Add(frame[:len(frame)/2])
		plain, _ := encodeMessage(nil, m, lim)
		f.Add(c.sealPacket("", plain)[1:])
	}
	f.Add([]byte{sealedMarker, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{sealedMarker})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := c.readFrame(bytes.NewReader(b), lim, "", "x")
		if (m == nil) == (err == nil) {
			t.Fatalf("readFrame = %v, %v", m, err)
		}
		if _, err := decryptPayload(nil, kr, "", b); err != nil && !errors.Is(err, errNoMatchingKey) {
			t.Fatalf("decryptPayload: %v, want ErrNoMatchingKey", err)
		}
		if frame, err := c.openPacket("", b); err == nil {
			_, _ = decodeMessage(frame, lim)
		}
	})
}

// BenchmarkSealOpen measures sealing and opening one 1 KiB frame with a
// 32-byte key, the primary key opening it.
func BenchmarkSealOpen(b *testing.B) {
	kr := mustKeyring(b, testKey(1, 32))
	plain := make([]byte, 1024)
	sealed := make([]byte, 0, len(plain)+sealOverhead)
	opened := make([]byte, 0, len(plain))
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		s, err := encryptPayload(sealed[:0], kr, "label", plain)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := decryptPayload(opened[:0], kr, "label", s); err != nil {
			b.Fatal(err)
		}
	}
}
