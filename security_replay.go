// Security: replay windows for sealed packets (sender id, sequence, send
// time).

package hyparlist

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// This file keeps a captured encrypted packet from being accepted again
// (issue 14; memberlist accepts it again). Streams are protected by
// binding them to their handshake (security_bind.go); a packet has no
// handshake, so it carries who sent it and when, sealed:
//
//	label header   as for every packet (security_label.go), in the clear
//	marker         1 byte    freshMarker (230)
//	nonce         12 bytes   random
//	ciphertext               sender id (16 bytes, random per node run),
//	                         sequence number (8 bytes, from 1 per run),
//	                         send time (8 bytes, Unix milliseconds),
//	                         then the plain frame
//	tag           16 bytes
//
// freshPacketOverhead = 61 bytes in all, against packetSealOverhead = 29
// for the older sealed packet (marker 229, which carries none of it).
//
// A receiver accepts such a packet only if its send time is within
// packetMaxAge of its own clock (so the clocks of a cluster must agree
// within that), and, per sender id, its sequence number is new within a
// window of the last replayWindowBits numbers: a replayed packet is
// dropped and counted in hyparlist.msg.decrypt_failed (reason replay, or
// stale for an old one) and hyparlist.packet.dropped (reason decrypt).
// The windows of at most maxPacketSenders senders are kept, each until
// packetMaxAge after its last packet; when they are all taken, packets
// from a new sender are dropped (reason senders_full) until one expires.
// Only key holders can create windows.
//
// A node that seals packets (keys installed, GossipVerifyOutgoing set)
// sends this format. With GossipVerifyIncoming set it accepts only this
// format; with it off it also accepts the older one, which nodes before
// wire version 4 send. Nodes before version 4 cannot read this format: in
// a rolling upgrade of an encrypted cluster, best-effort packets from
// upgraded nodes to older ones are lost until those are upgraded too
// (MIGRATING.md).
//
// A node that restarts has no windows, so it also refuses every packet
// sent more than packetStartSkew before it started (reason stale): a
// packet captured before the restart cannot be replayed to the new run.
// The cost: a sender whose clock is behind the receiver's by more than
// packetStartSkew loses its packets to a just-started node until that
// difference has passed.
//
// Not covered: a packet captured within packetStartSkew before a node's
// restart and replayed to its new run.

// freshMarker is the first byte of a sealed packet with replay
// protection.
const freshMarker byte = 230

// Sizes of the replay-protected packet.
const (
	// senderIDSize is the length of a node run's random sender id.
	senderIDSize = 16
	// freshHeaderSize is the sealed prefix: sender id, sequence number,
	// send time.
	freshHeaderSize = senderIDSize + 8 + 8
	// freshPacketOverhead is what sealing with replay protection adds to
	// a packet.
	freshPacketOverhead = 1 + sealOverhead + freshHeaderSize
)

// Bounds of the replay windows.
const (
	// packetMaxAge is how far a packet's send time may be from the
	// receiver's clock: clock skew plus delivery time.
	packetMaxAge = 60 * time.Second
	// packetStartSkew is how long before a node's start a packet may
	// have been sent (by the sender's clock) and still be accepted by it.
	packetStartSkew = 2 * time.Second
	// replayWindowBits is how many of the latest sequence numbers of a
	// sender are remembered; an older one is refused.
	replayWindowBits = 64
	// maxPacketSenders bounds the senders whose windows are kept: about
	// 200 KiB at the bound.
	maxPacketSenders = 4096
)

var (
	// errReplayed is the error of a packet already received.
	errReplayed = errors.New("hyparlist: replayed packet refused")
	// errStalePacket is the error of a packet sent too long ago (or in
	// the future).
	errStalePacket = errors.New("hyparlist: packet send time out of range")
	// errBeforeStart is the error of a packet sent before the receiver
	// started (a replay into a new run); it wraps errStalePacket.
	errBeforeStart = fmt.Errorf("%w: sent before this node started", errStalePacket)
	// errSendersFull is the error of a packet from a new sender while
	// every replay window is taken.
	errSendersFull = errors.New("hyparlist: too many packet senders")
	// errUnprotectedPacket is the error of a sealed packet without replay
	// protection while GossipVerifyIncoming requires it.
	errUnprotectedPacket = errors.New("hyparlist: sealed packet without replay protection refused")
)

// packetReplay is a node's state for replay-protected packets: its own
// sender id and sequence, when it started, and the windows of the senders
// it hears.
type packetReplay struct {
	id      [senderIDSize]byte
	seq     atomic.Uint64
	started time.Time

	mu      sync.Mutex
	senders map[[senderIDSize]byte]*replayWindow
}

// replayWindow is what a receiver remembers of one sender: the highest
// sequence number, a bit per number below it (bit 0 is top), and when it
// last accepted a packet.
type replayWindow struct {
	top  uint64
	bits uint64
	last time.Time
}

// newPacketReplay returns the state of a node run started at started,
// with a fresh random sender id.
func newPacketReplay(started time.Time) *packetReplay {
	p := &packetReplay{started: started, senders: make(map[[senderIDSize]byte]*replayWindow)}
	_, _ = rand.Read(p.id[:]) // crypto/rand.Read never fails
	return p
}

// appendHeader appends the sealed prefix of the next packet sent at now.
func (p *packetReplay) appendHeader(dst []byte, now time.Time) []byte {
	dst = append(dst, p.id[:]...)
	dst = binary.BigEndian.AppendUint64(dst, p.seq.Add(1))
	return binary.BigEndian.AppendUint64(dst, uint64(now.UnixMilli()))
}

// accept checks the opened packet plain (prefix and frame) received at
// now, records it, and returns its frame.
func (p *packetReplay) accept(plain []byte, now time.Time) ([]byte, error) {
	if len(plain) < freshHeaderSize {
		return nil, fmt.Errorf("%w: %d bytes, less than the replay header", errNoMatchingKey, len(plain))
	}
	var id [senderIDSize]byte
	copy(id[:], plain)
	seq := binary.BigEndian.Uint64(plain[senderIDSize:])
	sent := time.UnixMilli(int64(binary.BigEndian.Uint64(plain[senderIDSize+8:])))
	if d := now.Sub(sent); d > packetMaxAge || d < -packetMaxAge {
		return nil, fmt.Errorf("%w: sent %v from now", errStalePacket, d)
	}
	if d := p.started.Sub(sent); d > packetStartSkew {
		return nil, fmt.Errorf("%w (%v before)", errBeforeStart, d)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.senders[id]
	if w == nil {
		if len(p.senders) >= maxPacketSenders {
			p.expireLocked(now)
		}
		if len(p.senders) >= maxPacketSenders {
			return nil, errSendersFull
		}
		p.senders[id] = &replayWindow{top: seq, bits: 1, last: now}
		return plain[freshHeaderSize:], nil
	}
	if err := w.record(seq); err != nil {
		return nil, err
	}
	w.last = now
	return plain[freshHeaderSize:], nil
}

// record marks seq as received, or fails if it was, or is too old to
// tell.
func (w *replayWindow) record(seq uint64) error {
	switch {
	case seq > w.top:
		if shift := seq - w.top; shift >= replayWindowBits {
			w.bits = 1
		} else {
			w.bits = w.bits<<shift | 1
		}
		w.top = seq
		return nil
	case w.top-seq >= replayWindowBits:
		return fmt.Errorf("%w: sequence %d is older than the window (top %d)", errReplayed, seq, w.top)
	}
	bit := uint64(1) << (w.top - seq)
	if w.bits&bit != 0 {
		return fmt.Errorf("%w: sequence %d", errReplayed, seq)
	}
	w.bits |= bit
	return nil
}

// expireLocked forgets the senders not heard for packetMaxAge: any packet
// of theirs still to come is stale.
func (p *packetReplay) expireLocked(now time.Time) {
	for id, w := range p.senders {
		if now.Sub(w.last) > packetMaxAge {
			delete(p.senders, id)
		}
	}
}

// sealFreshPacket appends to out the replay-protected sealing of body.
func (c frameCrypto) sealFreshPacket(out []byte, label string, body []byte) []byte {
	plain := make([]byte, 0, freshHeaderSize+len(body))
	plain = c.replay.appendHeader(plain, time.Now())
	plain = append(plain, body...)
	out = append(out, freshMarker)
	return sealWith(out, c.keyring.primaryAEAD(), label, plain)
}

// openFreshPacket opens sealed (what follows freshMarker) and checks it
// against the replay windows.
func (c frameCrypto) openFreshPacket(label string, sealed []byte) ([]byte, error) {
	plain, err := decryptPayload(nil, c.keyring, label, sealed)
	if err != nil {
		return nil, err
	}
	if c.replay == nil {
		return nil, fmt.Errorf("%w: no replay windows", errSendersFull)
	}
	return c.replay.accept(plain, time.Now())
}

// sendsFreshPackets reports whether the node seals packets with replay
// protection: whenever it seals them (a frameCrypto built by
// newFrameCrypto).
func (c frameCrypto) sendsFreshPackets() bool {
	return c.replay != nil && c.sealKey() != nil
}
