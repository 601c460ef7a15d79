// Security: sealing and opening frames and packets with AES-GCM under the
// keyring.

package hyparlist

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// This file seals and opens frames with AES-GCM when the Keyring holds
// keys (Config.SecretKey or Config.Keyring). What is sealed is a whole
// frame, header included, so an observer learns neither message types nor
// handshake contents, only sizes and timing. Every frame of a stream is
// sealed, the handshake's Hello, helloAcceptMsg and helloRejectMsg too (a node
// without the key cannot even complete a handshake), and so is every
// packet.
//
// A sealed frame on a stream (an envelope) is:
//
//	marker      1 byte    sealedMarker
//	length      4 bytes   big-endian: the bytes that follow
//	nonce      12 bytes   random (crypto/rand), new for every frame
//	ciphertext  n bytes   the plain frame (header and body, see wire.go)
//	tag        16 bytes   GCM authentication tag
//
// A sealed packet is the label header, if any (security_label.go, left in the clear
// so that the receiver knows which label to check), then the marker and the
// nonce, ciphertext and tag, without a length (the packet has one). With
// GossipVerifyIncoming set, packets carry a replay header and another
// marker instead (security_replay.go).
//
// Overhead: a sealed stream frame is streamSealOverhead = 33 bytes longer
// than the plain frame, and a sealed packet packetSealOverhead = 29 bytes
// longer than the plain packet.
//
// The cluster label is the additional authenticated data (the label agreed
// in the handshake on a stream, the label of the header in a packet), so a
// frame sealed by a node of another cluster fails to open even with the
// same key. The label is not repeated inside the envelope.
//
// The marker tells a sealed frame from a plain one: a plain frame starts
// with its wire version (1 today) and a labelled packet with labelMagic
// (244); sealedMarker (229) is neither, nor in any MessageType range
// (1–63), nor a plausible wire version. It also names the scheme: another
// scheme would get another marker.
//
// Sending: with keys installed and Config.GossipVerifyOutgoing set, every
// frame and packet is sealed with the primary key; otherwise it is sent in
// the clear. Receiving: a sealed frame is opened by trying every installed
// key, primary first, which is what lets keys rotate in a running cluster
// (AddKey the new key everywhere, UseKey it everywhere, RemoveKey the old
// one). A plain frame is refused (errUnencryptedFrame) when keys are
// installed and Config.GossipVerifyIncoming is set, and accepted
// otherwise. A sealed frame that no key opens ends the stream or drops the
// packet (errNoMatchingKey); so does a sealed frame at a node without keys
// (errEncryptionNotConfigured). These are memberlist's meanings of the two
// GossipVerify fields.
//
// Replay of a captured stream or packet is refused from wire version 4
// (security_bind.go, security_replay.go). Not protected: traffic
// analysis. With random 96-bit nonces a key should seal fewer
// than 2^32 frames (NIST SP 800-38D §8.3); rotate keys well before that.

// sealedMarker is the first byte of a sealed frame or packet body.
const sealedMarker byte = 229

// Sizes of the AES-GCM parts of a sealed frame.
const (
	// sealNonceSize is the GCM nonce length: 96 bits, the size GCM is
	// specified for (NIST SP 800-38D §5.2.1.1).
	sealNonceSize = 12
	// sealTagSize is the GCM tag length: the full 128 bits.
	sealTagSize = 16
	// sealOverhead is what AES-GCM adds to a plaintext: nonce and tag.
	sealOverhead = sealNonceSize + sealTagSize
	// streamSealOverhead is what sealing adds to a frame on a stream:
	// marker, length and sealOverhead.
	streamSealOverhead = 1 + 4 + sealOverhead
	// packetSealOverhead is what sealing adds to a packet: marker and
	// sealOverhead.
	packetSealOverhead = 1 + sealOverhead
)

var (
	// errNoMatchingKey is the error of a sealed frame or packet that none
	// of the installed keys opens: it was sealed with another key, for
	// another cluster label, or altered or cut on the way.
	errNoMatchingKey = errors.New("hyparlist: no installed key decrypts the frame")

	// errUnencryptedFrame is the error of a plain frame or packet received
	// while keys are installed and Config.GossipVerifyIncoming is set.
	errUnencryptedFrame = errors.New("hyparlist: unencrypted frame refused: encryption is required")

	// errEncryptionNotConfigured is the error of a sealed frame or packet
	// received by a node without keys.
	errEncryptionNotConfigured = errors.New("hyparlist: encrypted frame received but no keys are installed")
)

// newAEAD returns the AES-GCM cipher of key (16, 24 or 32 bytes), which
// draws a random nonce for every Seal and puts it before the ciphertext.
func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return aead, nil
}

// encryptPayload appends to dst the nonce, ciphertext and tag of plain,
// sealed with kr's primary key and label as additional data. It fails
// with errEncryptionNotConfigured when kr holds no key.
func encryptPayload(dst []byte, kr *Keyring, label string, plain []byte) ([]byte, error) {
	aead := kr.primaryAEAD()
	if aead == nil {
		return dst, errEncryptionNotConfigured
	}
	return sealWith(dst, aead, label, plain), nil
}

// sealWith appends the nonce, ciphertext and tag of plain to dst.
func sealWith(dst []byte, aead cipher.AEAD, label string, plain []byte) []byte {
	return aead.Seal(dst, nil, plain, []byte(label))
}

// decryptPayload opens sealed (nonce, ciphertext and tag) with each key of
// kr in turn, primary first, label as additional data, and appends the
// plaintext to dst. It fails with errNoMatchingKey when no key opens it
// (also when it is too short to hold a nonce and a tag), and with
// errEncryptionNotConfigured when kr holds no key. sealed is not modified;
// dst must not overlap it.
func decryptPayload(dst []byte, kr *Keyring, label string, sealed []byte) ([]byte, error) {
	keys := kr.entries()
	if len(keys) == 0 {
		return dst, errEncryptionNotConfigured
	}
	if len(sealed) < sealOverhead {
		return dst, fmt.Errorf("%w: %d bytes, less than nonce and tag (%d): %w", errNoMatchingKey, len(sealed), sealOverhead, errTruncated)
	}
	if dst == nil {
		dst = make([]byte, 0, len(sealed)-sealOverhead)
	}
	for _, k := range keys {
		if out, err := k.aead.Open(dst, nil, sealed, []byte(label)); err == nil {
			return out, nil
		}
	}
	return dst, fmt.Errorf("%w (tried %d keys)", errNoMatchingKey, len(keys))
}

// frameCrypto is a node's encryption policy: its keyring and the two
// GossipVerify settings. The keyring may change at any time (keys added,
// rotated), so every frame asks it again.
type frameCrypto struct {
	keyring        *Keyring // nil: no encryption
	verifyIncoming bool
	verifyOutgoing bool
	// replay holds the packet replay windows (security_replay.go).
	replay *packetReplay
}

// newFrameCrypto returns the policy of cfg.
func newFrameCrypto(cfg *Config) frameCrypto {
	return frameCrypto{keyring: cfg.Keyring, verifyIncoming: cfg.GossipVerifyIncoming, verifyOutgoing: cfg.GossipVerifyOutgoing, replay: newPacketReplay(time.Now())}
}

// sealKey returns the cipher to seal an outgoing frame with, or nil to
// send it in the clear.
func (c frameCrypto) sealKey() cipher.AEAD {
	if !c.verifyOutgoing {
		return nil
	}
	return c.keyring.primaryAEAD()
}

// checkPlain reports whether a plain frame may be accepted: not when keys
// are installed and incoming frames must be encrypted.
func (c frameCrypto) checkPlain() error {
	if c.verifyIncoming && c.keyring.primaryAEAD() != nil {
		return errUnencryptedFrame
	}
	return nil
}

// appendFrame appends the frame of msg to dst, sealed (an envelope) when
// the policy says so; scratch is a buffer for the plain frame, returned
// for reuse. On error dst is returned unchanged.
func (c frameCrypto) appendFrame(dst, scratch []byte, msg Message, lim wireLimits, label string) (out, scratchOut []byte, err error) {
	aead := c.sealKey()
	if aead == nil {
		out, err = encodeMessage(dst, msg, lim)
		return out, scratch, err
	}
	plain, err := encodeMessage(scratch[:0], msg, lim)
	if err != nil {
		return dst, scratch, err
	}
	return sealStreamFrame(dst, aead, label, plain), plain, nil
}

// sealStreamFrame appends the envelope of the plain frame to dst.
func sealStreamFrame(dst []byte, aead cipher.AEAD, label string, plain []byte) []byte {
	start := len(dst)
	dst = append(dst, sealedMarker, 0, 0, 0, 0)
	dst = sealWith(dst, aead, label, plain)
	binary.BigEndian.PutUint32(dst[start+1:], uint32(len(dst)-start-5))
	return dst
}

// writeFrame writes the frame of msg to w in one Write call, sealed when
// the policy says so.
func (c frameCrypto) writeFrame(w io.Writer, msg Message, lim wireLimits, label string) error {
	frame, _, err := c.appendFrame(nil, nil, msg, lim, label)
	if err != nil {
		return err
	}
	if _, err := w.Write(frame); err != nil {
		return fmt.Errorf("write %s frame: %w", msg.Type(), err)
	}
	return nil
}

// readFrame reads the next frame from r and decodes it, opening it first
// when it is sealed: labels are the labels to try as additional data, in
// order (at least one). Its errors are readMessageFrame's, plus errNoMatchingKey,
// errUnencryptedFrame and errEncryptionNotConfigured (wrapped): after any
// error the stream is unusable.
//
// The envelope's length is checked against lim.MaxFrameSize (plus the
// frame header and sealing overhead) before anything is allocated, and
// the sealed bytes are allocated in steps as they arrive, as readMessageFrame
// does for a body.
func (c frameCrypto) readFrame(r io.Reader, lim wireLimits, labels ...string) (Message, error) {
	msg, _, err := c.readFrameNonce(r, lim, labels...)
	return msg, err
}

// readFrameNonce is readFrame that also returns the GCM nonce of a sealed
// frame (nil for a plain one), which binds a stream to its handshake
// (security_bind.go).
func (c frameCrypto) readFrameNonce(r io.Reader, lim wireLimits, labels ...string) (Message, []byte, error) {
	if len(labels) == 0 {
		labels = []string{""}
	}
	var first [1]byte
	if _, err := io.ReadFull(r, first[:]); err != nil {
		if err == io.EOF {
			return nil, nil, io.EOF
		}
		return nil, nil, fmt.Errorf("read frame header: %w", err)
	}
	if first[0] != sealedMarker {
		if err := c.checkPlain(); err != nil {
			return nil, nil, err
		}
		var hdr [frameHeaderSize]byte
		hdr[0] = first[0]
		if _, err := io.ReadFull(r, hdr[1:]); err != nil {
			return nil, nil, headerReadError(err)
		}
		msg, err := readFrameAfterHeader(r, hdr, lim)
		return msg, nil, err
	}
	if c.keyring.primaryAEAD() == nil {
		return nil, nil, errEncryptionNotConfigured
	}
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return nil, nil, headerReadError(err)
	}
	n := binary.BigEndian.Uint32(size[:])
	if max := uint64(lim.MaxFrameSize) + frameHeaderSize + sealOverhead; uint64(n) > max {
		return nil, nil, &decodeError{Field: "envelope", Err: fmt.Errorf("%w: sealed frame of %d bytes, max %d", errFrameTooLarge, n, max)}
	}
	if n < sealOverhead+frameHeaderSize {
		return nil, nil, fmt.Errorf("%w: sealed frame of %d bytes, less than nonce, tag and frame header: %w", errNoMatchingKey, n, errTruncated)
	}
	sealed, err := readBody(r, int(n))
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, &decodeError{Field: "envelope", Err: fmt.Errorf("%w: %w", errTruncated, io.ErrUnexpectedEOF)}
		}
		return nil, nil, fmt.Errorf("read sealed frame: %w", err)
	}
	plain := make([]byte, 0, len(sealed)-sealOverhead)
	for _, label := range labels {
		if plain, err = decryptPayload(plain, c.keyring, label, sealed); err == nil {
			msg, err := decodeFrame(plain, lim, true)
			return msg, sealed[:sealNonceSize:sealNonceSize], err
		}
	}
	return nil, nil, err
}

// sealPacket returns body (a plain frame) ready to send as a packet: the
// label header, then body sealed when the policy says so.
func (c frameCrypto) sealPacket(label string, body []byte) []byte {
	aead := c.sealKey()
	size := labelHeaderSize(label) + len(body)
	if aead != nil {
		size += freshPacketOverhead
	}
	out := make([]byte, 0, size)
	if label != "" {
		out = appendLabelHeader(out, label)
	}
	if aead != nil && c.sendsFreshPackets() {
		return c.sealFreshPacket(out, label, body)
	}
	if aead == nil {
		return append(out, body...)
	}
	out = append(out, sealedMarker)
	return sealWith(out, aead, label, body)
}

// openPacket returns the plain frame of a received packet body (what
// follows the label header), opening it with label when it is sealed.
func (c frameCrypto) openPacket(label string, body []byte) ([]byte, error) {
	if len(body) > 0 && body[0] == freshMarker {
		return c.openFreshPacket(label, body[1:])
	}
	if len(body) == 0 || body[0] != sealedMarker {
		return body, c.checkPlain()
	}
	if c.requiresBinding() {
		return nil, errUnprotectedPacket
	}
	return decryptPayload(nil, c.keyring, label, body[1:])
}

// cryptoFailure returns the metric reason of an encryption error, and
// false for any other error.
func cryptoFailure(err error) (string, bool) {
	switch {
	case errors.Is(err, errNoMatchingKey):
		return "no_matching_key", true
	case errors.Is(err, errUnencryptedFrame):
		return "unencrypted", true
	case errors.Is(err, errEncryptionNotConfigured):
		return "not_configured", true
	case errors.Is(err, errReplayed):
		return "replay", true
	case errors.Is(err, errStalePacket):
		return "stale", true
	case errors.Is(err, errSendersFull):
		return "senders_full", true
	case errors.Is(err, errUnprotectedPacket):
		return "unprotected", true
	}
	return "", false
}
