package hyparlist

import (
	"sync"
	"time"
)

// This file owns the bound on accepted streams. Every stream another node
// opens to this one costs a reader goroutine and, after the handshake, a
// read buffer (readBufferBytes); without a bound, anyone who can reach the
// port could open streams until memory runs out. memberlist has no such
// bound. Two limits apply, checked when a stream is accepted:
//
//   - Config.MaxInboundStreams bounds all accepted streams;
//   - maxHandshakingStreams bounds, much more tightly, the streams whose
//     handshake is not done: these come from peers nobody has
//     authenticated yet, and a legitimate handshake takes one round trip.
//     Each has at most TCPTimeout to complete it (serverHandshake), so an
//     idle one is closed then.
//
// A stream beyond the stream limit is closed at once, before anything is
// read from it. A stream beyond the handshake limit waits, unread, for a
// handshake to end, at most half of TCPTimeout (the dialler allows
// TCPTimeout for the whole handshake): a burst of joins at one seed is
// then admitted at the pace the seed handshakes instead of being refused
// (256 nodes joining one seed at once had 35–56 joins refused). Meanwhile
// the acceptor takes no other stream; they wait in the listen backlog. A
// stream that still finds no slot is closed. Refusals are counted in
// hyparlist.stream.refused (label reason: limit, handshake_limit; a
// handshake that ran out of time counts as handshake_timeout). The
// dialler sees the stream close without an answer, as from a full listen
// backlog, and retries or gives up as for any unreachable node.

// maxHandshakingStreams bounds the accepted streams still in their
// handshake (at most Config.MaxInboundStreams). A handshake takes one
// round trip plus decoding a Hello of a few hundred bytes, so even at a
// 300 ms WAN round trip 128 slots admit about 400 new streams a second,
// far above what a node of a 10,000-node cluster receives (a few
// transient streams per shuffle interval and probe, plus its neighbours'
// reconnections). Each costs a goroutine and at most maxHelloFrameSize
// bytes of Hello: about 2 MiB in all.
const maxHandshakingStreams = 128

// maxHelloFrameSize bounds the frame body of a Hello read from a stream
// not yet handshaken, instead of Config.MaxFrameSize: a Hello holds a
// name and an address (at most 512 bytes each, WireLimits), a label (at
// most 255) and two versions, so 8 KiB leaves room for later fields.
const maxHelloFrameSize = 8 << 10

// Reasons a stream is refused, for the metric's label.
const (
	refusedLimit            = "limit"
	refusedHandshakeLimit   = "handshake_limit"
	refusedHandshakeTimeout = "handshake_timeout"
)

// inboundLimiter counts the accepted streams. It is safe for concurrent
// use: the acceptor admits streams, their readers release them.
type inboundLimiter struct {
	maxStreams     int
	maxHandshaking int

	mu          sync.Mutex
	streams     int
	handshaking int
	// freed is signalled when a handshake ends, for admitWithin.
	freed chan struct{}
}

// newInboundLimiter returns a limiter of maxStreams streams, of which at
// most maxHandshakingStreams are in their handshake.
func newInboundLimiter(maxStreams int) *inboundLimiter {
	return &inboundLimiter{maxStreams: maxStreams, maxHandshaking: min(maxHandshakingStreams, maxStreams),
		freed: make(chan struct{}, 1)}
}

// admitWithin is admit, except that a stream refused only for the
// handshake limit waits up to wait for a handshake to end (or until stop
// closes) and is admitted if one did. Only one goroutine (the acceptor)
// may wait at a time.
func (l *inboundLimiter) admitWithin(wait time.Duration, stop <-chan struct{}) string {
	reason := l.admit()
	if reason != refusedHandshakeLimit || wait <= 0 {
		return reason
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-l.freed:
		case <-t.C:
			return refusedHandshakeLimit
		case <-stop:
			return refusedHandshakeLimit
		}
		if reason = l.admit(); reason != refusedHandshakeLimit {
			return reason
		}
	}
}

// admit counts a new stream, in its handshake, and returns ""; or, when a
// limit is reached, it counts nothing and returns the refusal's reason.
func (l *inboundLimiter) admit() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.streams >= l.maxStreams:
		return refusedLimit
	case l.handshaking >= l.maxHandshaking:
		return refusedHandshakeLimit
	}
	l.streams++
	l.handshaking++
	return ""
}

// handshaken records that an admitted stream's handshake is over
// (successful or not). Call it once per stream.
func (l *inboundLimiter) handshaken() {
	l.mu.Lock()
	l.handshaking--
	l.mu.Unlock()
	select {
	case l.freed <- struct{}{}:
	default: // a signal is pending already
	}
}

// release forgets an admitted stream whose handshake is over.
func (l *inboundLimiter) release() {
	l.mu.Lock()
	l.streams--
	l.mu.Unlock()
}

// open returns the number of streams admitted and not released.
func (l *inboundLimiter) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.streams
}
