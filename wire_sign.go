// Wire: the origin's signature of a broadcast (wire version 6): its
// layout, how it is made and how it is checked.

package hyparlist

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// This file owns the signature a broadcast carries from its origin to every
// node (gossipMsg.Sig, from wire version 6). The origin signs once, when it
// broadcasts; every node relays the signature unchanged with the payload,
// and every node checks it before Plumtree sees the message
// (runtime_sign.go). The signature proves that whoever holds the key wrote
// (ID, Class, Payload); which key may speak for which name is decided by the
// runtime (runtime_sign.go), not here.
//
// Layout of Sig: the origin's Ed25519 public key (32 bytes) followed by
// the Ed25519 signature (64 bytes) of
//
//	"hyparlist broadcast v1\x00" | uint16 len(origin) | origin | uint64 seq | uint8 class | SHA-256(payload)
//
// (integers big-endian). The payload enters by its hash so that signing
// and checking never copy it; the domain string keeps the signature from
// meaning anything to another protocol that uses the same key.

// wireVersionSigned is the wire version from which a Gossip carries its
// origin's signature (a fifth field, sig bin). A link below it gets the
// message without one (forVersion).
const wireVersionSigned uint8 = 6

// broadcastSigSize is the size of gossipMsg.Sig when set: public key then
// signature.
const broadcastSigSize = ed25519.PublicKeySize + ed25519.SignatureSize

// broadcastSigDomain starts every signed message.
const broadcastSigDomain = "hyparlist broadcast v1\x00"

// broadcastSigned appends to dst what the origin of a broadcast signs.
func broadcastSigned(dst []byte, id MessageID, class Class, payload []byte) []byte {
	sum := sha256.Sum256(payload)
	dst = append(dst, broadcastSigDomain...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(id.Origin)))
	dst = append(dst, id.Origin...)
	dst = binary.BigEndian.AppendUint64(dst, id.Seq)
	dst = append(dst, byte(class))
	return append(dst, sum[:]...)
}

// signBroadcast returns the Sig field of the broadcast (id, class,
// payload) made with key.
func signBroadcast(key ed25519.PrivateKey, id MessageID, class Class, payload []byte) []byte {
	var buf [128]byte
	msg := broadcastSigned(buf[:0], id, class, payload)
	sig := make([]byte, 0, broadcastSigSize)
	sig = append(sig, key.Public().(ed25519.PublicKey)...)
	return append(sig, ed25519.Sign(key, msg)...)
}

// originKey is an origin's Ed25519 public key, as a map key.
type originKey [ed25519.PublicKeySize]byte

// errBadSignature is the error of a Gossip whose Sig is malformed or does
// not verify.
var errBadSignature = fmt.Errorf("broadcast signature does not verify")

// verifyBroadcast checks g's signature and returns the key that made it.
// It fails for an unsigned message too.
func verifyBroadcast(g gossipMsg) (originKey, error) {
	var k originKey
	if len(g.Sig) != broadcastSigSize {
		return k, fmt.Errorf("%w: %d signature bytes, want %d", errBadSignature, len(g.Sig), broadcastSigSize)
	}
	copy(k[:], g.Sig[:ed25519.PublicKeySize])
	var buf [128]byte
	msg := broadcastSigned(buf[:0], g.ID, g.Class, g.Payload)
	if !ed25519.Verify(ed25519.PublicKey(g.Sig[:ed25519.PublicKeySize]), msg, g.Sig[ed25519.PublicKeySize:]) {
		return k, fmt.Errorf("%w: origin %q seq %d", errBadSignature, g.ID.Origin, g.ID.Seq)
	}
	return k, nil
}
