// Tests of the dialer slots (runtime_dialers.go).

package hyparlist

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// TestDialerLimit: all the slots while healthy, halved per step of the
// score, never below minDialersBehind nor above the configured number.
func TestDialerLimit(t *testing.T) {
	for _, c := range []struct{ max, score, want int }{
		{8, 0, 8}, {8, 1, 4}, {8, 2, 4}, {8, 3, 4}, {8, 7, 4}, {8, 100, 4}, {8, -1, 8},
		{16, 2, 4}, {1, 0, 1}, {1, 5, 1}, {2, 3, 2}, {256, 3, 32},
	} {
		if got := dialerLimit(c.max, c.score); got != c.want {
			t.Errorf("dialerLimit(%d, %d) = %d, want %d", c.max, c.score, got, c.want)
		}
	}
}

// TestDialerSlotsFollowLimit: a lowered limit makes the next dialler
// wait, a probe leaves the last free slot to links while the limit is
// lowered, and a raised limit wakes the waiting dialler.
func TestDialerSlotsFollowLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDialerSlots(8)
		d.setLimit(2)
		if !d.tryAcquireSpare(8) {
			t.Fatal("probe refused with 2 slots free")
		}
		if d.tryAcquireSpare(8) {
			t.Fatal("probe took the last free slot while behind")
		}
		if !d.acquire(nil, nil) {
			t.Fatal("link refused the last free slot")
		}
		var got atomic.Bool
		go func() { got.Store(d.acquire(nil, nil)) }()
		synctest.Wait()
		if got.Load() {
			t.Fatal("a third dialler got a slot with a limit of 2")
		}
		d.setLimit(8)
		synctest.Wait()
		if !got.Load() {
			t.Fatal("the waiting dialler did not get a slot once the limit rose")
		}
		if n := d.inUse(); n != 3 {
			t.Errorf("%d slots in use, want 3", n)
		}
		if !d.tryAcquireSpare(8) {
			t.Error("healthy: probe refused with slots free")
		}
	})
}

// TestRuntimeDialersShrinkWhileBehind: a node whose own dial failed for
// want of descriptors counts itself behind at its next health update, and
// from then on sets up at most dialerLimit streams at once instead of
// MaxConcurrentDialers; the slots come back as it recovers.
func TestRuntimeDialersShrinkWhileBehind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 2, nil)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "two members", func() bool { return allSee(c.nodes, 2) })
		a, b := c.nodes[0].ml, c.nodes[1]
		maxDialers := a.config.MaxConcurrentDialers
		emfile := fmt.Errorf("dial %s: %w", b.rec.name, &os.SyscallError{Syscall: "socket", Err: syscall.EMFILE})
		if err := a.submit(loopFunc(func(l *runLoop) {
			l.onProbeResult(ProbeMember{Peer: Peer{Name: b.rec.name, Addr: b.ml.LocalNode().Address()}}, Peer{}, emfile)
			l.runQueue()
		})); err != nil {
			t.Fatal(err)
		}
		time.Sleep(a.config.keepaliveInterval())
		synctest.Wait()
		score := a.GetHealthScore()
		if score == 0 {
			t.Fatal("health score 0 after a local failure")
		}
		want := dialerLimit(maxDialers, score)
		if want >= maxDialers {
			t.Fatalf("dialerLimit(%d, %d) = %d: the test needs a lower limit", maxDialers, score, want)
		}
		// Take slots as Join and SendReliable do, while the node is behind.
		var took atomic.Int32
		stop := make(chan struct{})
		for range maxDialers {
			go func() {
				if a.dialers.acquire(stop, nil) {
					took.Add(1)
				}
			}()
		}
		synctest.Wait()
		if n := int(took.Load()); n != want {
			t.Errorf("behind at score %d: %d dialers at once, want %d (MaxConcurrentDialers %d)", score, n, want, maxDialers)
		}
		close(stop)
		for range int(took.Load()) {
			a.dialers.release()
		}
		eventually(t, time.Minute, "the score back to 0", func() bool { return a.GetHealthScore() == 0 })
		a.dialers.mu.Lock()
		limit := a.dialers.limit
		a.dialers.mu.Unlock()
		if limit != maxDialers {
			t.Errorf("healthy again: %d slots, want %d", limit, maxDialers)
		}
	})
}

// TestDialerSlotsInOrder: a slot given back goes to the dialler that
// waited for it, not to one that asks later (found by review: a holder
// that gave its slot back and asked again got it 100 times in 100).
func TestDialerSlotsInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDialerSlots(1)
		d.acquire(nil, nil)
		var waited atomic.Bool
		go func() {
			d.acquire(nil, nil)
			waited.Store(true)
			d.release()
		}()
		synctest.Wait()
		for range 100 {
			d.release()
			d.acquire(nil, nil)
			time.Sleep(10 * time.Millisecond) // a dial
		}
		d.release()
		if !waited.Load() {
			t.Error("the waiting dialler got no slot in 100 releases")
		}
		synctest.Wait()
		if n := d.inUse(); n != 0 {
			t.Errorf("%d slots in use at the end, want 0", n)
		}
	})
}

// TestDialerSlotsGiveUp: a dialler that gives up takes nothing, and one
// given a slot as it gives up passes the slot on.
func TestDialerSlotsGiveUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDialerSlots(1)
		d.acquire(nil, nil)
		stop := make(chan struct{})
		res := make(chan bool, 1)
		go func() { res <- d.acquire(stop, nil) }()
		synctest.Wait()
		close(stop)
		if <-res {
			t.Fatal("acquire reported a slot after stop")
		}
		d.release()
		if n := d.inUse(); n != 0 {
			t.Fatalf("%d slots in use after the release, want 0", n)
		}
		if !d.tryAcquire() {
			t.Fatal("a free slot refused")
		}
	})
}

// TestDialerSlotsUrgentFirst: a slot given back goes to the oldest waiter
// whose urgent flag is set (a link of the active view), also when the flag
// was set while it waited, before older waiters without; then to the
// oldest of those. Fails with the slots in plain order of arrival.
func TestDialerSlotsUrgentFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDialerSlots(1)
		d.acquire(nil, nil)
		var u1, u2, never atomic.Bool
		u1.Store(true)
		order := waitInOrder(d, []string{"plain", "not yet", "urgent", "never"}, []func() bool{nil, u2.Load, u1.Load, never.Load})
		u2.Store(true)
		got := order(5)
		if want := []string{"not yet", "urgent", "plain", "never"}; !slices.Equal(got, want) {
			t.Errorf("slots given in the order %v, want %v", got, want)
		}
	})
}

// TestDialerSlotsUrgentCapped: however many urgent dials wait, the oldest
// other waiter gets a slot after maxUrgentInARow urgent grants in a row,
// and the next other one after as many more. Fails with urgent waiters
// always first (session 15's storm15 branch, 7e0b14f: the plain waiters
// got the last two of 12 slots).
func TestDialerSlotsUrgentCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDialerSlots(1)
		d.acquire(nil, nil)
		var urgent atomic.Bool
		urgent.Store(true)
		names := []string{"plain1", "plain2"}
		flags := []func() bool{nil, nil}
		for i := range 10 {
			names = append(names, fmt.Sprintf("urgent%d", i))
			flags = append(flags, urgent.Load)
		}
		got := waitInOrder(d, names, flags)(len(names))
		run := maxUrgentInARow
		if i := slices.Index(got, "plain1"); i != run {
			t.Errorf("plain1 got slot %d (order %v), want %d", i, got, run)
		}
		if i := slices.Index(got, "plain2"); i != 2*run+1 {
			t.Errorf("plain2 got slot %d (order %v), want %d", i, got, 2*run+1)
		}
	})
}

// waitInOrder starts one waiter per name on d, in order, urgent when its
// flag is set; the function it returns gives back n slots one at a time
// and returns the names in the order they got one. Call it in a bubble.
func waitInOrder(d *dialerSlots, names []string, urgent []func() bool) func(n int) []string {
	var mu sync.Mutex
	var order []string
	for i, name := range names {
		go func() {
			d.acquireAs(urgent[i], nil, nil)
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
		}()
		synctest.Wait()
	}
	return func(n int) []string {
		for range n {
			d.release()
			synctest.Wait()
		}
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(order)
	}
}
