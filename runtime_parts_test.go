package hyparlist

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// TestTimerQueueOrder checks that timers fire in deadline order, equal
// deadlines in insertion order, and that the time.Timer follows the
// earliest deadline.
func TestTimerQueueOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newTimerQueue()
		defer q.stop()
		now := time.Now()
		q.add(now, 3*time.Second, coreRuntime, statsTimer{})
		q.add(now, time.Second, coreHyParView, silenceCheckTimer{})
		q.add(now, time.Second, corePlumtree, leaveTimer{})
		q.add(now, 2*time.Second, coreMembership, linkIdleTimer{})
		var got []coreID
		for len(got) < 4 {
			at := <-q.C()
			due := q.due(at, nil)
			q.fired(at)
			if len(due) == 0 {
				t.Fatalf("timer fired at %v with nothing due", at.Sub(now))
			}
			for _, e := range due {
				if e.at.After(at) {
					t.Errorf("timer due at %v fired at %v", e.at.Sub(now), at.Sub(now))
				}
				got = append(got, e.owner)
			}
		}
		want := []coreID{coreHyParView, corePlumtree, coreMembership, coreRuntime}
		if !slices.Equal(got, want) {
			t.Errorf("fired %v, want %v", got, want)
		}
		if q.len() != 0 {
			t.Errorf("%d timers left", q.len())
		}
		// An earlier timer added later re-arms the time.Timer.
		now = time.Now()
		q.add(now, time.Hour, coreRuntime, statsTimer{})
		q.add(now, time.Minute, coreRuntime, leaveTimer{})
		at := <-q.C()
		if d := at.Sub(now); d != time.Minute {
			t.Errorf("fired after %v, want 1m", d)
		}
	})
}

// TestDispatcherOrderAndBound checks that callbacks run in order, that
// tryPush refuses an item over the byte bound while push waits for room,
// and that an item larger than the whole bound still passes alone.
func TestDispatcherOrderAndBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		done := make(chan struct{})
		d := newDispatcher("test", 1000, done)
		defer close(done)

		gate := make(chan struct{})
		var ran []int
		d.tryPush(0, func() { <-gate })
		for i := range 3 {
			if !d.tryPush(100, func() { ran = append(ran, i) }) {
				t.Fatalf("item %d refused", i)
			}
		}
		synctest.Wait()
		// 1 + 3 items: 4×overhead + 300 bytes; 600 more do not fit.
		if d.tryPush(600, func() {}) {
			t.Error("tryPush accepted an item over the bound")
		}
		pushed := make(chan bool)
		go func() { pushed <- d.push(600, func() { ran = append(ran, 99) }) }()
		synctest.Wait()
		select {
		case <-pushed:
			t.Fatal("push did not wait for room")
		default:
		}
		close(gate)
		if !<-pushed {
			t.Fatal("push failed")
		}
		synctest.Wait()
		if want := []int{0, 1, 2, 99}; !slices.Equal(ran, want) {
			t.Errorf("ran %v, want %v", ran, want)
		}
		if !d.tryPush(5000, func() {}) {
			t.Error("an oversized item was refused by an empty queue")
		}
		synctest.Wait()
		if n, b := d.queued(); n != 0 || b != 0 {
			t.Errorf("queue holds %d items, %d bytes after draining", n, b)
		}
	})
}

// TestDispatcherWorkerOnlyWhileQueued: a dispatcher runs a goroutine
// only while it has items; the next item starts a new one, which runs
// after the previous one (order kept), and none starts after shutdown.
func TestDispatcherWorkerOnlyWhileQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		done := make(chan struct{})
		d := newDispatcher("test", 1000, done)
		if d.worker != nil {
			t.Fatal("a worker before any item")
		}
		var ran []int
		for round := range 3 {
			d.tryPush(0, func() { ran = append(ran, round) })
			w := d.worker
			synctest.Wait()
			select {
			case <-w.exited:
			default:
				t.Fatalf("round %d: the worker did not exit on an empty queue", round)
			}
		}
		if want := []int{0, 1, 2}; !slices.Equal(ran, want) {
			t.Errorf("ran %v, want %v", ran, want)
		}
		close(done)
		last := d.worker
		d.tryPush(0, func() { t.Error("a callback ran after shutdown") })
		if d.worker != last {
			t.Error("a worker started after shutdown")
		}
		d.wait()
	})
}

// TestDispatcherPushStopsAtShutdown checks that a producer waiting for room
// gives up when the node shuts down.
func TestDispatcherPushStopsAtShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		done := make(chan struct{})
		d := newDispatcher("test", 200, done)
		gate := make(chan struct{})
		d.tryPush(100, func() { <-gate })
		synctest.Wait()
		pushed := make(chan bool)
		go func() { pushed <- d.push(100, func() {}) }()
		synctest.Wait()
		close(done)
		if <-pushed {
			t.Error("push reported success after shutdown")
		}
		close(gate)
	})
}

// TestCreateErrors checks what Create refuses.
func TestCreateErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		network := newMockNetwork(nil)
		base := func() *Config {
			c := mockConfig("n", nil)
			c.Transport = network.NewTransport("n")
			return c
		}
		if _, err := Create(nil); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Create(nil) = %v", err)
		}
		c := base()
		c.Name = ""
		if _, err := Create(c); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Create without a name = %v", err)
		}
		c = base()
		c.SecretKey = bytes.Repeat([]byte{1}, 15)
		if _, err := Create(c); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Create with a 15-byte SecretKey = %v, want ErrInvalidConfig", err)
		}
		c = base()
		rec := &recorder{meta: bytes.Repeat([]byte("m"), MetaMaxSize+1)}
		c.Delegate = rec
		if _, err := Create(c); !errors.Is(err, ErrMessageTooLarge) {
			t.Errorf("Create with oversized meta = %v, want ErrMessageTooLarge", err)
		}
		// The original config is not kept: changing it later has no effect.
		c = base()
		m, err := Create(c)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Shutdown()
		c.Name = "changed"
		if got := m.LocalNode().Name; got != "n" {
			t.Errorf("LocalNode().Name = %q after changing the config", got)
		}
	})
}
