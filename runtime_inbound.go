// Runtime: the bound on accepted streams and their admission.

package hyparlist

import (
	"sync"
	"time"
)

// This file owns the bound on accepted streams. Every stream another node
// opens to this one costs a reader goroutine and, after the handshake, a
// read buffer (readBufferBytes); without a bound, anyone who can reach the
// port could open streams until memory runs out, or hold every slot so
// that no other node gets in. memberlist has no such bound. The limits
// are checked when a stream is accepted, by the stream's source (its
// remote IP):
//
//   - Config.MaxInboundStreams bounds all accepted streams of the general
//     pool, and maxHandshakingStreams, much more tightly, those whose
//     handshake is not done: these come from peers nobody has
//     authenticated yet, and a legitimate handshake takes one round trip.
//     Each has at most handshakeTimeout to complete it (serverHandshake).
//   - Config.MaxHandshakesPerIP and Config.MaxInboundStreamsPerIP bound
//     what one untrusted source may hold of that pool once half of it is
//     taken, so that an outsider on one address cannot fill it, while a
//     burst from one address (nodes behind a NAT or on one host joining
//     at once) still gets in when the node is not under pressure. An
//     outsider on one address holds at most half of each pool.
//   - A trusted source (a peer in the active or passive view, or one this
//     node dialled lately: runtime_admission.go) is exempt from the
//     per-source limits and, when the general pool is full, uses
//     reservedInboundStreams and reservedHandshakingStreams slots kept for
//     it.
//
// A stream refused only for a handshake limit (the pool's, or its
// source's) is not refused at once: it waits, unread, for a handshake to
// end, at most handshakeSlotWait (runtime_conn.go admitLater), so that a
// burst of joins at one seed is admitted at the pace the seed handshakes
// instead of being refused (256 nodes joining one seed at once had 35–56
// joins refused, and 111 once the per-source limits applied, all the
// nodes being on one host). At most maxWaitingStreams wait at once, and
// at most half of them from one untrusted source, each in a goroutine of
// its own, so the acceptor goes on serving other sources and trusted
// ones, which have slots of their own. Any other stream beyond a limit, or one that waited
// in vain, is closed before anything is read from it, and counted in
// hyparlist.stream.refused (label reason: limit,
// handshake_limit, source_limit, source_handshake_limit; a handshake that
// ran out of time counts as handshake_timeout, and an admitted stream
// that carried no protocol traffic for readIdleTimeout as idle). Its
// dialler sees the stream close without an answer, as from a full listen
// backlog, and retries or gives up as for any unreachable node.

// maxHandshakingStreams bounds the accepted streams of the general pool
// still in their handshake (at most Config.MaxInboundStreams). A
// handshake takes one round trip plus decoding a Hello of a few hundred
// bytes, so even at a 300 ms WAN round trip 128 slots admit about 400 new
// streams a second, far above what a node of a 10,000-node cluster
// receives (a few transient streams per shuffle interval and probe, plus
// its neighbours' reconnections). Each costs a goroutine and at most
// maxHelloFrameSize bytes of Hello: about 2 MiB in all.
const maxHandshakingStreams = 128

// reservedInboundStreams and reservedHandshakingStreams are the slots kept
// for trusted sources beyond the general pool: room for the links of an
// active view (5 by default) and for many passive-view peers answering
// repairs and shuffles at once, even while outsiders hold every general
// slot. They add at most 64 goroutines and read buffers (1.5 MiB).
const (
	reservedInboundStreams     = 64
	reservedHandshakingStreams = 16
)

// maxHandshakeTime bounds the time an accepted stream has for its
// handshake, whatever Config.TCPTimeout (30 s in the WAN profile): a
// Hello is one frame of a few hundred bytes sent right after the dial, so
// 5 s covers many round trips, and a stream that sends nothing frees its
// slot sooner.
const maxHandshakeTime = 5 * time.Second

// maxWaitingStreams bounds the accepted streams waiting for a handshake
// slot: each holds a goroutine and a connection, nothing read. As many as
// the handshake pool: a burst twice the pool's size is admitted in turn.
const maxWaitingStreams = maxHandshakingStreams

// maxHelloFrameSize bounds the frame body of a Hello read from a stream
// not yet handshaken, instead of Config.MaxFrameSize: a Hello holds a
// name and an address (at most 512 bytes each, wireLimits), a label (at
// most 255) and two versions, so 8 KiB leaves room for later fields.
const maxHelloFrameSize = 8 << 10

// Reasons a stream is refused, for the metric's label.
const (
	refusedLimit                = "limit"
	refusedHandshakeLimit       = "handshake_limit"
	refusedSourceLimit          = "source_limit"
	refusedSourceHandshakeLimit = "source_handshake_limit"
	refusedHandshakeTimeout     = "handshake_timeout"
	refusedIdle                 = "idle"
	refusedFrameBudget          = "frame_budget"
)

// inboundTicket is what admit hands to an admitted stream, to give back to
// handshaken and release.
type inboundTicket struct {
	// source is the stream's source key.
	source string
	// perSource is set when the stream counts in bySource (an untrusted
	// stream of the general pool).
	perSource bool
	// reserved is set when the stream took a reserved slot.
	reserved bool
}

// sourceCount is what one untrusted source holds of the general pool.
type sourceCount struct {
	streams, handshaking int
}

// inboundLimiter counts the accepted streams. It is safe for concurrent
// use: the acceptor admits streams, their readers release them.
type inboundLimiter struct {
	maxStreams         int
	maxHandshaking     int
	perSourceStreams   int
	perSourceHandshake int

	mu          sync.Mutex
	streams     int
	handshaking int
	rStreams    int
	rHandshake  int
	// bySource holds the untrusted sources with a stream open; an entry
	// goes when its last stream does, so it holds at most maxStreams.
	bySource map[string]*sourceCount
	// waiting counts the streams waiting for a handshake slot, at most
	// maxWaitingStreams, and waitingBy those of each untrusted source,
	// at most half of that; freed is closed (and replaced) when a
	// handshake ends, to wake them.
	waiting   int
	waitingBy map[string]int
	freed     chan struct{}
}

// newInboundLimiter returns a limiter of maxStreams streams, of which at
// most maxHandshakingStreams are in their handshake, and of which one
// untrusted source holds at most perSourceStreams, perSourceHandshakes of
// them in their handshake.
func newInboundLimiter(maxStreams, perSourceStreams, perSourceHandshakes int) *inboundLimiter {
	return &inboundLimiter{
		maxStreams:         maxStreams,
		maxHandshaking:     min(maxHandshakingStreams, maxStreams),
		perSourceStreams:   min(perSourceStreams, maxStreams),
		perSourceHandshake: perSourceHandshakes,
		bySource:           make(map[string]*sourceCount),
		waitingBy:          make(map[string]int),
		freed:              make(chan struct{}),
	}
}

// waits reports whether a stream refused for reason may wait for a slot.
func waits(reason string) bool {
	return reason == refusedHandshakeLimit || reason == refusedSourceHandshakeLimit
}

// startWait counts a stream from source that will wait for a handshake
// slot; false when maxWaitingStreams already wait, or half of them from
// this untrusted source. Each successful call must be followed by one
// stopWait with the same arguments.
func (l *inboundLimiter) startWait(source string, trusted bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.waiting >= maxWaitingStreams || !trusted && 2*l.waitingBy[source] >= maxWaitingStreams {
		return false
	}
	l.waiting++
	if !trusted {
		l.waitingBy[source]++
	}
	return true
}

// retry is admit for a waiting stream; it also returns a channel that is
// closed when a handshake ends after this attempt.
func (l *inboundLimiter) retry(source string, trusted bool) (inboundTicket, string, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, reason := l.admitLocked(source, trusted)
	return t, reason, l.freed
}

// stopWait forgets a waiting stream, admitted or not.
func (l *inboundLimiter) stopWait(source string, trusted bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waiting--
	if !trusted {
		if l.waitingBy[source]--; l.waitingBy[source] <= 0 {
			delete(l.waitingBy, source)
		}
	}
}

// wakeLocked wakes the waiting streams, if any.
func (l *inboundLimiter) wakeLocked() {
	if l.waiting > 0 {
		close(l.freed)
		l.freed = make(chan struct{})
	}
}

// admit counts a new stream from source, in its handshake, and returns
// its ticket and ""; or, when a limit is reached, it counts nothing and
// returns the refusal's reason. trusted exempts the stream from the
// per-source limits and lets it use the reserved slots.
func (l *inboundLimiter) admit(source string, trusted bool) (inboundTicket, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.admitLocked(source, trusted)
}

func (l *inboundLimiter) admitLocked(source string, trusted bool) (inboundTicket, string) {
	generalFull := ""
	switch {
	case l.streams >= l.maxStreams:
		generalFull = refusedLimit
	case l.handshaking >= l.maxHandshaking:
		generalFull = refusedHandshakeLimit
	}
	if trusted {
		switch {
		case generalFull == "":
			l.streams++
			l.handshaking++
			return inboundTicket{}, ""
		case l.rStreams < reservedInboundStreams && l.rHandshake < reservedHandshakingStreams:
			l.rStreams++
			l.rHandshake++
			return inboundTicket{reserved: true}, ""
		}
		return inboundTicket{}, generalFull
	}
	if generalFull != "" {
		return inboundTicket{}, generalFull
	}
	sc := l.bySource[source]
	if sc == nil {
		sc = &sourceCount{}
	}
	// The per-source limits apply once half the pool is taken: a burst
	// from one address (nodes behind a NAT, or on one host, joining at
	// once) gets in while the node is not under pressure.
	switch {
	case sc.streams >= l.perSourceStreams && 2*l.streams >= l.maxStreams:
		return inboundTicket{}, refusedSourceLimit
	case sc.handshaking >= l.perSourceHandshake && 2*l.handshaking >= l.maxHandshaking:
		return inboundTicket{}, refusedSourceHandshakeLimit
	}
	sc.streams++
	sc.handshaking++
	l.bySource[source] = sc
	l.streams++
	l.handshaking++
	return inboundTicket{source: source, perSource: true}, ""
}

// handshaken records that an admitted stream's handshake is over
// (successful or not). Call it once per stream.
func (l *inboundLimiter) handshaken(t inboundTicket) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.reserved {
		l.rHandshake--
		return
	}
	l.handshaking--
	if sc := l.bySource[t.source]; t.perSource && sc != nil {
		sc.handshaking--
	}
	l.wakeLocked()
}

// release forgets an admitted stream whose handshake is over.
func (l *inboundLimiter) release(t inboundTicket) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.reserved {
		l.rStreams--
		return
	}
	l.streams--
	if sc := l.bySource[t.source]; t.perSource && sc != nil {
		if sc.streams--; sc.streams <= 0 {
			delete(l.bySource, t.source)
		}
	}
	l.wakeLocked()
}

// open returns the number of streams admitted and not released.
func (l *inboundLimiter) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.streams + l.rStreams
}
