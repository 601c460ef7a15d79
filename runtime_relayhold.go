// Runtime: relays hold back — a stream reader waits before handing the
// loop a broadcast payload while the node's broadcast backlog is full.

package hyparlist

import (
	"errors"
	"fmt"
	"time"
)

// This file puts relaying inside the broadcast back-pressure (issues 10
// and 14). The backlog (runtime_backlog.go) made a local Broadcast wait
// for the node's slowest link, but a payload relayed for another node
// was never held back: it was queued, or announced by IHAVE when the
// link's user queue was full (runtime_backpressure.go) and grafted later.
// The relay kept reading, so its upstream's queues never filled, the
// origin's Broadcast never waited, and the cluster took broadcasts at the
// offered rate while deliveries fell seconds behind. With signature
// checks on (under TLS every application broadcast; without TLS with
// VerifyUserBroadcasts) a node that cannot check as fast as payloads
// arrive fills its inbox and stops reading; its upstream then deferred
// to IHAVE, its neighbours grafted, and a payload grafted more than
// originWindowBits sequence numbers after its origin's newest was refused
// as seq_too_old and lost (BENCHMARKS.md, "Session 11: signature checks
// and back-pressure").
//
// Now a stream reader that has read a Plumtree GOSSIP of ClassUser (a
// payload to check, deliver and relay) reserves the frame's cost in the
// node's backlog before handing it to the loop, waiting while it does
// not fit (holdRelay, userBacklog.reserveBefore); the loop releases the
// reservation once it has checked the payload and queued it on its links
// (runLoop.onReadFrame), so the payloads read but not yet checked count
// in the backlog as the queued ones do. The stream is then not read: the sender's writes block once the stream's
// buffers are full, its user queue fills, and it holds back in turn, up
// to the origin, whose Broadcast waits. So a node that checks or forwards
// slowly slows the cluster's origins instead of accepting what it cannot
// pass on: it neither checks nor forwards nor defers to IHAVE the payloads
// it has not read. The chain is as long as the buffers between the
// nodes: the loop's inbox (Config.HandoffQueueDepth), each link's send
// queues and the kernel's stream buffers (Config.StreamBufferBytes).
//
// A wait lasts at most relayHoldMax(): links carry payloads both ways, so
// two relays whose backlogs are full of payloads for each other would
// otherwise wait for each other forever. After that the payload goes to
// the loop as before, and a link queue that is still full defers it to
// IHAVE. Control frames behind a held payload on the same stream wait
// with it; relayHoldMax is well below the silence and write limits, so a
// hold alone fails no link. Counted in hyparlist.relay.held (waits) and
// hyparlist.relay.hold_expired (waits that ended at the limit). The
// cost, measured (BENCHMARKS.md, "Session 12: signature checks inside
// back-pressure"): at N = 32 on 2 cores with checks on and 4,096
// broadcasts/s offered, most holds expired and the cluster took fewer
// broadcasts a second than before in two pairs of three (656–1,208
// against 528–1,722), with no delivery lost, no seq_too_old and no link
// failed, where the code before failed links in every pair and lost
// deliveries to seq_too_old in one. Not in the papers, which leave flow control out.

// Metrics of the relays' holds.
var (
	keyRelayHeld        = []string{"hyparlist", "relay", "held"}
	keyRelayHoldExpired = []string{"hyparlist", "relay", "hold_expired"}
)

// relayHoldMax is the longest a reader holds a payload back: a quarter of
// the shorter of TCPTimeout (a writer with no progress for that long
// fails its link) and KeepaliveTimeout (the silence limit), at least a
// millisecond.
func (m *Memberlist) relayHoldMax() time.Duration {
	return max(min(m.config.TCPTimeout, m.config.KeepaliveTimeout)/4, time.Millisecond)
}

// holdRelay reserves room in the node's backlog for msg, a frame just
// read, when it is a GOSSIP of ClassUser, waiting while the payload does
// not fit, at most relayHoldMax; past that limit it counts the payload
// anyway. It returns the bytes reserved (0 for other frames and when the
// node shuts down), which the loop releases once it has handled the frame
// (runLoop.onReadFrame). Other frames pass at once.
func (m *Memberlist) holdRelay(msg Message) int {
	g, ok := msg.(gossipMsg)
	if !ok || g.Class != ClassUser || m.backlog == nil {
		return 0
	}
	cost := frameCost(outFrame{msg: g})
	if m.backlog.tryReserve(cost) {
		return cost
	}
	m.metrics.sink.IncrCounterWithLabels(keyRelayHeld, 1, m.metrics.labels)
	expire := time.NewTimer(m.relayHoldMax())
	defer expire.Stop()
	err := m.backlog.reserveBefore(cost, expire.C, m.shutdownCh)
	switch {
	case err == nil:
	case errors.Is(err, errHoldExpired):
		m.metrics.sink.IncrCounterWithLabels(keyRelayHoldExpired, 1, m.metrics.labels)
	default:
		return 0
	}
	return cost
}

// errHoldExpired ends a reserveBefore at its limit.
var errHoldExpired = errors.New("broadcast backlog still full")

// tryReserve counts a frame of cost bytes if it fits at once and reports
// whether it did.
func (b *userBacklog) tryReserve(cost int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.fitsLocked(cost) {
		return false
	}
	b.bytes += int64(cost)
	b.frames++
	return true
}

// reserveBefore is reserve with a limit: it counts the frame when it
// fits, and also, returning errHoldExpired, when expire fires first. It
// counts nothing when done closes first, and returns an error wrapping
// ErrShutdown.
func (b *userBacklog) reserveBefore(cost int, expire <-chan time.Time, done <-chan struct{}) error {
	for {
		b.mu.Lock()
		if b.fitsLocked(cost) {
			b.bytes += int64(cost)
			b.frames++
			b.mu.Unlock()
			return nil
		}
		b.waiting = true
		room := b.room
		b.mu.Unlock()
		select {
		case <-room:
		case <-expire:
			b.mu.Lock()
			b.bytes += int64(cost)
			b.frames++
			b.mu.Unlock()
			return errHoldExpired
		case <-done:
			return fmt.Errorf("hold a relayed payload: %w", ErrShutdown)
		}
	}
}

// onReadFrame handles in, then releases the backlog its reader reserved
// for it (holdRelay) once Plumtree has queued it on the links it goes to.
func (l *runLoop) onReadFrame(in inbound) {
	l.onInbound(in)
	if in.reserved > 0 {
		l.runQueue()
		l.m.backlog.remove(in.reserved)
	}
}
