package hyparlist

import (
	"container/heap"
	"strings"
	"time"
)

// This file is the one virtual-time driver of the cores' tests: a clock
// and a queue of scheduled work, run in order of time and, for equal
// times, of scheduling, so that a run depends only on its seed. The test
// networks of the three cores are built on it and differ only in what the
// network does with a core's actions:
//
//   - hvNet (hyparview_net_test.go): HyParView cores; a send is delivered
//     at once, in FIFO order, and a send to a crashed node comes back as
//     LinkFailed; only timers take virtual time.
//   - ptNet (plumtree_net_test.go): Plumtree cores on static links, each
//     with a one-way latency; a link that goes down loses what is in
//     flight on it.
//   - mnet (membership_harness_test.go): Membership cores with a stand-in
//     for Plumtree (a broadcast reaches every reachable node after a seeded
//     delay) and for HyParView (a neighbour graph that fails and repairs).
//
// The runtime's tests do not use it: they run whole nodes on a MockNetwork
// inside testing/synctest bubbles (runtime_harness_test.go).

// stepper is a pure core as a driver sees it.
type stepper interface {
	Step(now time.Time, ev Event)
	Drain() []Action
}

// vclock is the virtual clock and its queue of scheduled work. The zero
// value is not usable: set now to the epoch.
type vclock struct {
	now time.Time
	seq uint64 // scheduling order; every scheduled event takes one
	q   vqueue
}

type vevent struct {
	at  time.Time
	seq uint64
	fn  func()
}

type vqueue []vevent

func (q vqueue) Len() int { return len(q) }
func (q vqueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q vqueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *vqueue) Push(x any)   { *q = append(*q, x.(vevent)) }
func (q *vqueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = vevent{}
	*q = old[:len(old)-1]
	return e
}

// nextSeq takes the next number of the scheduling order.
func (c *vclock) nextSeq() uint64 {
	c.seq++
	return c.seq
}

// scheduleAt runs fn when the clock reaches t (at once in the next run if t
// has passed).
func (c *vclock) scheduleAt(t time.Time, fn func()) {
	heap.Push(&c.q, vevent{at: t, seq: c.nextSeq(), fn: fn})
}

// schedule runs fn after d of virtual time.
func (c *vclock) schedule(d time.Duration, fn func()) { c.scheduleAt(c.now.Add(d), fn) }

// pending reports how many events wait.
func (c *vclock) pending() int { return len(c.q) }

// nextAt returns the time of the earliest waiting event; call it only
// when pending() > 0.
func (c *vclock) nextAt() time.Time { return c.q[0].at }

// runNext moves the clock to the earliest waiting event and runs it.
func (c *vclock) runNext() {
	e := heap.Pop(&c.q).(vevent)
	c.now = e.at
	e.fn()
}

// runUntil runs every event due at or before t, including those they
// schedule, and leaves the clock at t.
func (c *vclock) runUntil(t time.Time) {
	for len(c.q) > 0 && !c.q[0].at.After(t) {
		c.runNext()
	}
	c.now = t
}

// runFor is runUntil(now + d).
func (c *vclock) runFor(d time.Duration) { c.runUntil(c.now.Add(d)) }

// stepCore feeds ev to core at the clock's time and returns the actions it
// drained (valid until core's next step).
func (c *vclock) stepCore(core stepper, ev Event) []Action {
	core.Step(c.now, ev)
	return core.Drain()
}

// fmtPeers formats the names of peers, in order, as "[a b c]" (traces and
// failure messages of every test network).
func fmtPeers(ps []Peer) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return "[" + strings.Join(names, " ") + "]"
}
