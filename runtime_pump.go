// Runtime: the broadcast pump, Delegate.GetBroadcasts every GossipInterval
// (a quarter of it while broadcasts flow, runtime_pump_pace.go) into
// Plumtree.

package hyparlist

import (
	"errors"
	"sync"
	"time"
)

// This file owns the memberlist-style broadcast path: every
// GossipInterval a pump round (a goroutine started by a timer) drains Delegate.GetBroadcasts and hands
// each new payload to Plumtree exactly once.
//
// A round pulls repeatedly, each pull with a limit of the room left in
// the links' broadcast backlog (runtime_backlog.go, at least
// UDPBufferSize), until the Delegate returns nothing (a drain), or the
// round has been handed pumpRoundBytes bytes, or made pumpRoundPulls
// pulls. While a pull's worth does not fit in the backlog the pump waits
// and does not pull: the broadcasts wait in the application's
// TransmitLimitedQueue, as they would in memberlist between gossip rounds.
//
// memberlist retransmits a queued broadcast on several gossip rounds
// (TransmitLimitedQueue returns it RetransmitMult×ceil(log10(N+1)) times,
// once per GetBroadcasts call at most), and Serf-style applications
// re-queue a broadcast they received so that it spreads further. Plumtree
// already delivers each broadcast to every connected node, so both would
// only produce duplicates. The pump therefore recognises every payload it
// sent and every user broadcast delivered to this node (recentPayloads,
// runtime_recent.go) for as long as the queue may hand it out again, and
// skips it. Since a round pulls until the queue is empty, a
// TransmitLimitedQueue hands out all of a broadcast's retransmissions
// within one round when the budget allows, and then forgets it. Not in
// memberlist: two equal payloads handed out while the first is remembered
// are one broadcast; send one of them through Broadcast to get two.

// pullOrder: the payloads of one pull are handed to Plumtree, and so
// delivered everywhere, in the reverse of the order GetBroadcasts returned
// them. A TransmitLimitedQueue returns, among broadcasts sent as often, the
// longer before the shorter and of one length the newest first; a
// memberlist receiver usually handles the parts of one gossip packet last
// first (its handoff queue is a stack). So on memberlist, broadcasts of one
// size queued back to back usually reach NotifyMsg in the order they were
// queued (serf's TestSerf_eventsUser expects it); reversing each pull gives
// that order here every time (TestRuntimePullDeliveredInQueueOrder).

// pumpRoundBytes bounds the payload bytes (plus overhead) one pump round
// accepts from GetBroadcasts, sent or recognised: 1 MiB per
// GossipInterval, 5 MiB/s at the LAN default. A TransmitLimitedQueue hands
// each payload out up to RetransmitMult×ceil(log10(N+1)) times (8 at
// N=64), and with a Serf-style re-queue every node's queue holds every
// broadcast, so this drains about 640 one-KiB broadcasts a second at N=64.
// What is left waits for the next round.
const pumpRoundBytes = 1 << 20

// pumpRoundPulls bounds the GetBroadcasts calls of one pump round. A
// TransmitLimitedQueue hands a broadcast out at most once per call, so
// emptying it takes as many calls as its transmit limit
// (RetransmitMult×ceil(log10(N+1)): 20 for 100,000 nodes at the default
// RetransmitMult of 4).
const pumpRoundPulls = 64

// broadcastOverhead is the overhead passed to Delegate.GetBroadcasts: the
// bytes a payload costs on the wire beyond its length in a Gossip frame
// (frame header, msgpack array and bin headers, message ID and round),
// with a name of typical length. It only guides the application's packing.
const broadcastOverhead = frameHeaderSize + 32

// pumpTimer runs a pump round every interval until shutdown, each on a
// goroutine of its own started by a timer (time.AfterFunc), so that no
// goroutine waits between rounds. The next round is timed when one ends.
type pumpTimer struct {
	mu    sync.Mutex
	timer *time.Timer
	// worker is the last round's (nil before the first), which stop
	// waits for; closed is set by stop.
	worker *appWorker
	closed bool
	// beforeExit, when set, is every round's appWorker.beforeExit; tests
	// use it to hold a round on its way out.
	beforeExit func()
	// pace sets the time to the next round (runtime_pump_pace.go).
	pace pumpPace
}

// startPump times the first pump round, interval from now.
func (m *Memberlist) startPump(interval time.Duration) *pumpTimer {
	p := &pumpTimer{}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timer = time.AfterFunc(interval, func() { m.pumpTick(p, interval) })
	return p
}

// pumpTick is one round's goroutine: it runs the round and times the
// next, unless the node shuts down.
func (m *Memberlist) pumpTick(p *pumpTimer, interval time.Duration) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	prev := p.worker
	w := newAppWorker()
	w.beforeExit = p.beforeExit
	p.worker = w
	p.mu.Unlock()
	defer w.exit()
	if prev != nil {
		<-prev.exited // the round before has ended; let it finish exiting
	}
	if !m.pumpRound(w, &p.pace) {
		return
	}
	p.mu.Lock()
	if !p.closed {
		p.timer.Reset(p.pace.interval(time.Now(), interval))
	}
	p.mu.Unlock()
}

// stop stops the rounds and waits for the last one to exit, unless it is
// inside GetBroadcasts (appWorker.wait); call it after shutdownCh closes.
// A nil pump has nothing to stop.
func (p *pumpTimer) stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.closed = true
	p.timer.Stop()
	w := p.worker
	p.mu.Unlock()
	w.wait()
}

// pumpRound pulls Delegate.GetBroadcasts until it returns nothing or the
// round's budget is spent, and hands each new payload to the loop; a new
// payload marks pace busy. It reports false once the node shuts down.
func (m *Memberlist) pumpRound(w *appWorker, pace *pumpPace) bool {
	budget := pumpRoundBytes
	for range pumpRoundPulls {
		if budget < m.config.UDPBufferSize {
			return true
		}
		// While a pull's worth does not fit in the links' backlog, the
		// broadcasts stay in the application's queue (runtime_backlog.go).
		if m.backlog.waitRoom(m.config.UDPBufferSize, m.shutdownCh) != nil {
			return false
		}
		limit := min(budget, max(m.config.UDPBufferSize, m.backlog.freeBytes()))
		if !w.enter(m.shutdownCh) {
			return false
		}
		payloads := m.config.Delegate.GetBroadcasts(broadcastOverhead, limit)
		w.leave()
		now := time.Now()
		if len(payloads) == 0 {
			// Empty under a limit that a remembered payload would not fit
			// proves nothing about the queue: no drain. A payload longer
			// than any pull's limit is never handed out.
			if limit >= min(broadcastOverhead+m.recent.longest(), pumpRoundBytes) {
				m.recent.drained(now)
			}
			return true
		}
		// A pull's payloads go to Plumtree last first (pullOrder).
		for i := len(payloads) - 1; i >= 0; i-- {
			p := payloads[i]
			budget -= broadcastOverhead + len(p)
			if len(p) == 0 || !m.seePayload(now, m.recent.key(p)) {
				continue
			}
			pace.markBusy(now)
			err := m.broadcast(ClassUser, p)
			switch {
			case errors.Is(err, ErrShutdown):
				return false
			case err != nil:
				m.logger.Warn("dropping broadcast from GetBroadcasts", "error", err, "bytes", len(p))
			}
		}
		if budget <= 0 {
			return true
		}
	}
	return true
}

// seePayload records a sighting of the payload with key k in the
// recognition set and reports whether it was new.
func (m *Memberlist) seePayload(now time.Time, k payloadKey) bool {
	isNew, evicted := m.recent.see(now, k)
	if evicted > 0 {
		m.metrics.recentEvicted(evicted)
	}
	return isNew
}

// notePayload logs a delivery's sighting of the payload with key k in
// the recognition set (runtime_recent_log.go).
func (m *Memberlist) notePayload(now time.Time, k payloadKey) {
	if evicted := m.recent.note(now, k); evicted > 0 {
		m.metrics.recentEvicted(evicted)
	}
}

// clonePayload returns a copy of p that the caller may not change.
func clonePayload(p []byte) []byte { return append([]byte(nil), p...) }
