// Runtime: the dialer slots (Config.MaxConcurrentDialers), fewer while the
// node is behind.

package hyparlist

import (
	"slices"
	"sync"
)

// This file owns the dialer slots: the bound on the outgoing streams a node
// sets up at once. A slot is held from the dial until the handshake's
// answer (or the failure) by a link's first writer (runtime_conn.go
// dialLink), a liveness probe (runLoop.probe, which skips the probe when no
// slot is free), each attempt of Join (runtime_join_retry.go),
// SendReliable, SendToAddress and Ping. The confirmation checks of
// second-hand members have a bound of their own (maxRunningChecks,
// runtime_confirm.go), and so have the key checks (runtime_sign.go).
//
// A dial in progress holds a socket, and its accepted end at the peer
// another, until the peer's reader has answered the handshake. A node that
// is behind (its local health score above 0: its loop late, or its own
// dials failing for want of descriptors, runtime_localfail.go) is one whose
// dials are slow to finish, and the slower they finish the longer each
// holds its sockets: in the bench's join storm of 1,000 nodes in one
// process (descriptor limit 20,000), link dials in progress held 2.6 k
// descriptors at the peak, and streams dialled but not yet accepted or
// handshaken about 3 k more (BENCHMARKS.md, session 14). So, as for the
// checks (runningChecksLimit), the slots are halved for each step of the
// score, down to minDialersBehind; a link whose dial finds no slot waits
// for one, holding no socket, with its frames in its queue.
//
// The limit depends only on the node's own health score, which measures
// the node's own loop and its own dials; a peer that slows the node down
// leaves it minDialersBehind slots, and while the node is behind a
// liveness probe, the least urgent dial, starts only when it leaves a slot
// free for links (tryAcquireSpare).
//
// The first dial of a link of the node's active view, or of a link that
// carries a DISCONNECT, goes before the other waiting dials (acquireAs
// with outLink.dialUrgent, also read when it changes during the wait): a
// peer fails its link as silent if the first frame on this node's link
// comes later than TCPTimeout plus the link silence limit
// (runtime_silence.go), and a peer that still counts this node as a
// neighbour does so unless the DISCONNECT comes first. In the bench's
// join storm of 1,000 nodes (BENCHMARKS.md, session 15) the active views'
// links were about one in six of the waiting dials, behind transient and
// closed links. That order
// is capped: after maxUrgentInARow slots in a row went to urgent dials
// while another dial waited, the next slot goes to the oldest of the
// others, so that join retries, SendReliable, shuffles and repairs always
// progress (a review of session 15's uncapped order found that urgent
// dials could keep them waiting without bound).

// minDialersBehind is the fewest dialer slots of a node that is behind
// (at most Config.MaxConcurrentDialers): a dial to an address that hangs
// until TCPTimeout holds its slot that long, so two such dials (addresses
// a shuffle can bring into the passive view) still leave two slots for
// links, Join and the Send calls (with 2, two hanging dials stopped every
// other for TCPTimeout: found by review). Not from a paper.
const minDialersBehind = 4

// maxUrgentInARow is the most dialer slots given in a row to urgent
// dials (active-view links) while another dial waits: one slot in every
// maxUrgentInARow+1 then goes to the oldest other waiter, so an urgent
// dial still waits for at most a quarter of the slots given back, and no
// other dial waits for more than maxUrgentInARow+1 grants per waiter ahead
// of it. Not from a paper.
const maxUrgentInARow = 3

// dialerLimit is the number of dialer slots at health score score for
// a configured maxDialers: maxDialers when healthy, halved for each step
// of the score, at least minDialersBehind (or maxDialers, if smaller).
func dialerLimit(maxDialers, score int) int {
	floor := min(maxDialers, minDialersBehind)
	return max(floor, maxDialers>>min(max(score, 0), 31))
}

// dialerSlots is a semaphore whose size changes with the health score.
// Slots go to waiting dialers in the order they came (a slot given back
// goes to the oldest waiter, not to a dialler arriving later), urgent ones
// first up to maxUrgentInARow in a row (acquireAs), and waits
// are channel operations, so that a blocked dialler is durably blocked for
// testing/synctest. The waiters are the goroutines that dial (links'
// writers, Join, the Send calls), one entry each. Safe for concurrent use.
type dialerSlots struct {
	mu    sync.Mutex
	used  int
	limit int
	// waiters are the waiting dialers, oldest first.
	waiters []dialWaiter
	// urgentRun counts the slots given in a row to urgent waiters while
	// another waited (at most maxUrgentInARow).
	urgentRun int
}

// dialWaiter is one waiting dialler.
type dialWaiter struct {
	// granted is closed when the waiter is given a slot.
	granted chan struct{}
	// urgent, when not nil and true, puts the waiter before those
	// without (outLink.dialUrgent).
	urgent func() bool
}

// isUrgent reports whether w goes before the other waiters.
func (w dialWaiter) isUrgent() bool { return w.urgent != nil && w.urgent() }

// newDialerSlots returns limit free slots.
func newDialerSlots(limit int) *dialerSlots {
	return &dialerSlots{limit: max(limit, 1)}
}

// acquire takes a slot, waiting behind earlier waiters for one; it
// reports false, having taken nothing, when stop or done closes first.
func (d *dialerSlots) acquire(stop, done <-chan struct{}) bool {
	return d.acquireAs(nil, stop, done)
}

// acquireAs is acquire for a dialler that, while urgent reports true,
// goes before the waiters for whom it does not (up to maxUrgentInARow
// slots in a row); nil is never urgent. urgent is called with the slots'
// lock held: it must not take it.
func (d *dialerSlots) acquireAs(urgent func() bool, stop, done <-chan struct{}) bool {
	d.mu.Lock()
	if d.used < d.limit && len(d.waiters) == 0 {
		d.used++
		d.mu.Unlock()
		return true
	}
	granted := make(chan struct{})
	d.waiters = append(d.waiters, dialWaiter{granted: granted, urgent: urgent})
	d.mu.Unlock()
	select {
	case <-granted:
		return true
	case <-stop:
	case <-done:
	}
	d.mu.Lock()
	if i := slices.IndexFunc(d.waiters, func(w dialWaiter) bool { return w.granted == granted }); i >= 0 {
		d.waiters = slices.Delete(d.waiters, i, i+1)
		d.mu.Unlock()
		return false
	}
	d.mu.Unlock()
	d.release() // granted as it gave up: pass the slot on
	return false
}

// tryAcquire takes a slot if one is free and no dialler waits, without
// waiting.
func (d *dialerSlots) tryAcquire() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.takeLocked(1)
}

// tryAcquireSpare is tryAcquire that, while the limit is below maxDialers
// (the node is behind), takes a slot only when another stays free.
func (d *dialerSlots) tryAcquireSpare(maxDialers int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	need := 1
	if d.limit < maxDialers {
		need = 2
	}
	return d.takeLocked(need)
}

// takeLocked takes one slot if need are free and no dialler waits.
func (d *dialerSlots) takeLocked(need int) bool {
	if d.used+need > d.limit || len(d.waiters) > 0 {
		return false
	}
	d.used++
	return true
}

// release gives back a slot, to the oldest waiter if there is one.
func (d *dialerSlots) release() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.used--
	d.grantLocked()
}

// setLimit sets the number of slots. Dials already holding a slot keep it:
// a lower limit applies as they end.
func (d *dialerSlots) setLimit(limit int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.limit = max(limit, 1)
	d.grantLocked()
}

// grantLocked gives the free slots to the oldest urgent waiters, then to
// the oldest others; after maxUrgentInARow urgent grants in a row while
// another waiter waited, the oldest other goes first.
func (d *dialerSlots) grantLocked() {
	for d.used < d.limit && len(d.waiters) > 0 {
		i := d.nextLocked()
		w := d.waiters[i]
		d.waiters = slices.Delete(d.waiters, i, i+1)
		d.used++
		close(w.granted)
	}
}

// nextLocked returns the index of the waiter to give the next slot to,
// and counts the run of urgent grants.
func (d *dialerSlots) nextLocked() int {
	urgent := slices.IndexFunc(d.waiters, dialWaiter.isUrgent)
	other := slices.IndexFunc(d.waiters, func(w dialWaiter) bool { return !w.isUrgent() })
	switch {
	case urgent < 0 || other < 0:
		d.urgentRun = 0
		return max(urgent, other, 0)
	case d.urgentRun < maxUrgentInARow:
		d.urgentRun++
		return urgent
	default:
		d.urgentRun = 0
		return other
	}
}

// inUse returns the slots taken.
func (d *dialerSlots) inUse() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.used
}
