// Tests and benchmarks of broadcast signatures (wire_sign.go).

package hyparlist

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"
)

// TestBroadcastSignature: a signature verifies for the message it was made
// for and for no change of its origin, sequence number, class, payload or
// key, nor when truncated or absent; it survives the wire at version 6 and
// is dropped below it.
func TestBroadcastSignature(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	_, other, _ := ed25519.GenerateKey(nil)
	id := MessageID{Origin: "node-1", Seq: 42}
	g := gossipMsg{ID: id, Class: ClassUser, Payload: []byte("payload"), Sig: signBroadcast(key, id, ClassUser, []byte("payload"))}
	k, err := verifyBroadcast(g)
	if err != nil || k != publicKey(key) {
		t.Fatalf("verify = %x, %v; want the signer's key", k, err)
	}
	bad := map[string]func(g gossipMsg) gossipMsg{
		"origin":  func(g gossipMsg) gossipMsg { g.ID.Origin = "node-2"; return g },
		"seq":     func(g gossipMsg) gossipMsg { g.ID.Seq++; return g },
		"class":   func(g gossipMsg) gossipMsg { g.Class = ClassMembership; return g },
		"payload": func(g gossipMsg) gossipMsg { g.Payload = []byte("Payload"); return g },
		"key": func(g gossipMsg) gossipMsg {
			k := publicKey(other)
			g.Sig = append(k[:], g.Sig[ed25519.PublicKeySize:]...)
			return g
		},
		"truncated": func(g gossipMsg) gossipMsg { g.Sig = g.Sig[:broadcastSigSize-1]; return g },
		"unsigned":  func(g gossipMsg) gossipMsg { g.Sig = nil; return g },
	}
	for name, change := range bad {
		if _, err := verifyBroadcast(change(g)); !errors.Is(err, errBadSignature) {
			t.Errorf("%s changed: verify error %v, want errBadSignature", name, err)
		}
	}
	lim := defaultWireLimits()
	for _, v := range []uint8{wireVersionSigned, wireVersionSigned - 1} {
		frame, err := encodeMessage(nil, forVersion(g, v), lim)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeBody(typeGossip, frame[0], frame[frameHeaderSize:], lim, false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = verifyBroadcast(got.(gossipMsg))
		if signed := v >= wireVersionSigned; (err == nil) != signed {
			t.Errorf("version %d: verify after the wire: %v", v, err)
		}
	}
}

// BenchmarkBroadcastSign and BenchmarkBroadcastVerify measure what the
// origin pays once per broadcast, and what every node pays per GOSSIP it
// receives that it does not already hold (runtime_sign_check.go).
func BenchmarkBroadcastSign(b *testing.B) {
	_, key, _ := ed25519.GenerateKey(nil)
	for _, size := range []int{256, 4096} {
		payload := make([]byte, size)
		b.Run(fmt.Sprintf("payload=%d", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := range b.N {
				_ = signBroadcast(key, MessageID{Origin: "node-0001", Seq: uint64(i)}, ClassUser, payload)
			}
		})
	}
}

func BenchmarkBroadcastVerify(b *testing.B) {
	_, key, _ := ed25519.GenerateKey(nil)
	for _, size := range []int{256, 4096} {
		payload := make([]byte, size)
		id := MessageID{Origin: "node-0001", Seq: 7}
		g := gossipMsg{ID: id, Class: ClassUser, Payload: payload, Sig: signBroadcast(key, id, ClassUser, payload)}
		b.Run(fmt.Sprintf("payload=%d", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for range b.N {
				if _, err := verifyBroadcast(g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
