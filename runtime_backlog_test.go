package hyparlist

import (
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// reserveAsync runs b.reserve(cost, done) on a goroutine and returns the
// channel its result arrives on.
func reserveAsync(b *userBacklog, cost int, done <-chan struct{}) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- b.reserve(cost, done) }()
	return errc
}

// returned reports whether errc has a result, once every goroutine of
// the bubble is blocked.
func returned(errc <-chan error) (error, bool) {
	synctest.Wait()
	select {
	case err := <-errc:
		return err, true
	default:
		return nil, false
	}
}

// TestUserBacklogAdmission: a reservation is admitted while the backlog
// plus it stays within the byte bound and below the frame bound (or into
// an empty backlog, however large); otherwise it waits until frames
// leave, and a closed done ends the wait with ErrShutdown.
func TestUserBacklogAdmission(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		never := make(chan struct{})
		b := newUserBacklog(100, 3)
		for range 2 {
			if err := b.reserve(40, never); err != nil {
				t.Fatal(err)
			}
		}
		errc := reserveAsync(b, 40, never) // 80 + 40 > 100
		if _, ok := returned(errc); ok {
			t.Fatal("reservation over the byte bound admitted")
		}
		b.remove(40)
		if err, ok := returned(errc); !ok || err != nil {
			t.Fatalf("reservation not admitted after room was made: %v, %v", ok, err)
		}
		if err := b.reserve(20, never); err != nil { // 100 bytes, 3 frames
			t.Fatal(err)
		}
		roomc := make(chan error, 1)
		go func() { roomc <- b.waitRoom(0, never) }()
		if _, ok := returned(roomc); ok {
			t.Fatal("waitRoom returned while the backlog is full")
		}
		b.remove(20)
		if err, ok := returned(roomc); !ok || err != nil {
			t.Fatalf("waitRoom still waiting after a frame left: %v, %v", ok, err)
		}
		for _, c := range []int{40, 40} {
			b.remove(c)
		}
		if bytes, frames := b.level(); bytes != 0 || frames != 0 {
			t.Fatalf("level %d bytes, %d frames, want 0", bytes, frames)
		}
		if err := b.reserve(500, never); err != nil { // larger than the bound
			t.Fatalf("an empty backlog refused a large payload: %v", err)
		}
		b.remove(500)

		f := newUserBacklog(100, 2) // the frame bound
		for range 2 {
			if err := f.reserve(1, never); err != nil {
				t.Fatal(err)
			}
		}
		errc = reserveAsync(f, 1, never)
		if _, ok := returned(errc); ok {
			t.Fatal("reservation beyond the frame bound admitted")
		}
		f.remove(1)
		if err, ok := returned(errc); !ok || err != nil {
			t.Fatalf("reservation not admitted after a frame left: %v, %v", ok, err)
		}

		done := make(chan struct{})
		errc = reserveAsync(f, 1, done) // f is full again
		if _, ok := returned(errc); ok {
			t.Fatal("reservation into a full backlog admitted")
		}
		close(done)
		if err, ok := returned(errc); !ok || !errors.Is(err, ErrShutdown) {
			t.Fatalf("wait ended by done returned %v, %v; want ErrShutdown", ok, err)
		}
	})
}

// TestLinkQueuesCountBacklog: a link's user frames count in the node's
// backlog from enqueue until they are taken or discarded; control frames
// and refused frames do not count.
func TestLinkQueuesCountBacklog(t *testing.T) {
	b := newUserBacklog(1<<20, 100)
	q := newLinkQueues(4, 1<<20)
	q.backlog = b
	for i := range 5 { // the fifth is refused
		q.enqueue(userGossip(uint64(i)))
	}
	q.enqueue(memberGossip(0))
	cost := int64(frameCost(userGossip(0)))
	if bytes, frames := b.level(); bytes != 4*cost || frames != 4 {
		t.Fatalf("backlog %d bytes, %d frames; want %d, 4", bytes, frames, 4*cost)
	}
	if _, ok := q.takeUser(); !ok {
		t.Fatal("no user frame")
	}
	if _, frames := b.level(); frames != 3 {
		t.Fatalf("backlog %d frames after a take, want 3", frames)
	}
	if n := q.discard(); n != 4 {
		t.Errorf("discarded %d frames, want 4", n)
	}
	if bytes, frames := b.level(); bytes != 0 || frames != 0 {
		t.Errorf("backlog %d bytes, %d frames after discard, want 0", bytes, frames)
	}
	if n := q.queuedBytes(); n != 0 {
		t.Errorf("%d bytes counted in discarded queues", n)
	}
}

// result waits up to a minute for the result on errc.
func result(t *testing.T, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(time.Minute):
		t.Fatal("Broadcast still waiting after a minute")
		return nil
	}
}

// burst broadcasts payloads from n in order on a goroutine of its own and
// reports the first error (or nil) on the returned channel once it stops.
func burst(n *Memberlist, payloads [][]byte) <-chan error {
	ch := make(chan error, 1)
	go func() {
		for _, p := range payloads {
			if err := n.Broadcast(p); err != nil {
				ch <- err
				return
			}
		}
		ch <- nil
	}()
	return ch
}

// blockedBurst broadcasts payloads from n in order on a goroutine of its
// own and checks that it waits (the backlog is full) once every
// goroutine is blocked. It counts the calls that returned in sent and
// reports the first error (or nil) on errc once it stops.
func blockedBurst(t *testing.T, n *Memberlist, payloads [][]byte) (errc <-chan error, sent *atomic.Int32) {
	t.Helper()
	sent = new(atomic.Int32)
	ch := make(chan error, 1)
	go func() {
		for _, p := range payloads {
			if err := n.Broadcast(p); err != nil {
				ch <- err
				return
			}
			sent.Add(1)
		}
		ch <- nil
	}()
	if _, ok := returned(ch); ok {
		t.Fatal("the burst went through a stalled link without waiting")
	}
	return ch, sent
}

// stalledPair joins two nodes with stallConfig and stalls the link from
// the first to the second for stallFor. Bytes written during the stall
// arrive stallFor after they were written, so nothing of a burst drains
// before then.
func stalledPair(t *testing.T, sink metricSink) (c *testCluster, from, to *testNode) {
	t.Helper()
	c = newMockCluster(t, 0, nil)
	from = c.addWithSink("node-00", stallConfig, sink)
	to = c.add("node-01", stallConfig)
	c.joinAll()
	eventually(t, time.Minute, "the pair", func() bool { return allSee(c.nodes, 2) && len(from.ml.Neighbors()) == 1 })
	if err := c.net.setDelay(from.rec.name, to.rec.name, stallFor); err != nil {
		t.Fatal(err)
	}
	return c, from, to
}

// TestRuntimeBroadcastWaitsForStalledNeighbor sends a burst of local
// broadcasts to a stalled neighbour: Broadcast blocks once the backlog
// is full, returns as the neighbour drains, and the neighbour delivers
// every broadcast exactly once; no payload is deferred and no link fails.
func TestRuntimeBroadcastWaitsForStalledNeighbor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c, from, to := stalledPair(t, sink)
		defer c.shutdown()
		payloads := stallPayloads("local", 16, stallPayloadBytes)
		start := time.Now()
		errc, sent := blockedBurst(t, from.ml, payloads)
		if n := int(sent.Load()); n == 0 || n >= len(payloads) {
			t.Fatalf("%d broadcasts returned before the wait, want some but not all", n)
		}
		bytes, frames := from.ml.backlog.level()
		if bytes > stallQueueBytes || frames > 16 {
			t.Errorf("backlog %d bytes, %d frames, beyond its bound", bytes, frames)
		}
		if err := c.net.setDelay(from.rec.name, to.rec.name, 0); err != nil {
			t.Fatal(err)
		}
		if err := result(t, errc); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < stallFor {
			t.Errorf("the burst took %v, less than the stall (%v)", took, stallFor)
		}
		waitDeliveredOnce(t, to.rec, payloads)
		if n := counterSum(sink, "hyparlist.link.user_deferred"); n != 0 {
			t.Errorf("%v local payloads deferred", n)
		}
		if keys := counterKeys(sink, "hyparlist.link.failed"); len(keys) != 0 {
			t.Errorf("links failed: %v", keys)
		}
		if bytes, frames := from.ml.backlog.level(); bytes != 0 || frames != 0 {
			t.Errorf("backlog %d bytes, %d frames once drained, want 0", bytes, frames)
		}
	})
}

// TestRuntimeShutdownUnblocksBroadcast: a Broadcast waiting for room
// returns an error wrapping ErrShutdown when the node shuts down.
func TestRuntimeShutdownUnblocksBroadcast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, from, _ := stalledPair(t, globalSink{})
		defer c.shutdown()
		errc, _ := blockedBurst(t, from.ml, stallPayloads("shutdown", 16, stallPayloadBytes))
		if err := from.ml.Shutdown(); err != nil {
			t.Fatal(err)
		}
		if err := result(t, errc); !errors.Is(err, ErrShutdown) {
			t.Fatalf("waiting Broadcast returned %v, want ErrShutdown", err)
		}
	})
}

// TestRuntimeBacklogEmptiesWhenLinkFails: when the stalled neighbour's
// link fails (here it is isolated: the stream is reset), the payloads
// left in its queue leave the backlog, which returns to zero, and the
// waiting Broadcast returns.
func TestRuntimeBacklogEmptiesWhenLinkFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, from, to := stalledPair(t, globalSink{})
		defer c.shutdown()
		errc, _ := blockedBurst(t, from.ml, stallPayloads("fail", 16, stallPayloadBytes))
		if _, frames := from.ml.backlog.level(); frames == 0 {
			t.Fatal("nothing in the backlog of a stalled link")
		}
		c.net.isolate(to.rec.name)
		if err := result(t, errc); err != nil {
			t.Fatalf("Broadcast after the link failed: %v", err)
		}
		synctest.Wait()
		if bytes, frames := from.ml.backlog.level(); bytes != 0 || frames != 0 {
			t.Errorf("backlog %d bytes, %d frames after the link failed, want 0", bytes, frames)
		}
	})
}

// TestRuntimePumpWaitsForRoom: while the backlog is full (here, of
// PeerSendQueueDepth small payloads) the pump does not call
// GetBroadcasts, so the application's broadcast stays queued; once the
// neighbour drains it is pulled and delivered.
func TestRuntimePumpWaitsForRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, from, to := stalledPair(t, globalSink{})
		defer c.shutdown()
		payloads := stallPayloads("pumped", 201, 1<<10)
		errc, _ := blockedBurst(t, from.ml, payloads[:200])
		if _, frames := from.ml.backlog.level(); frames < int64(from.ml.config.PeerSendQueueDepth) {
			t.Fatalf("backlog of %d frames, want the frame bound", frames)
		}
		from.rec.queue(payloads[200])
		time.Sleep(10 * from.ml.config.GossipInterval)
		if stallFor <= 10*from.ml.config.GossipInterval {
			t.Fatal("the stall ended while the pump was watched")
		}
		var queued int
		from.rec.update(func(r *recorder) { queued = len(r.queued) })
		if queued != 1 {
			t.Fatalf("GetBroadcasts was called while the backlog was full (%d queued, want 1)", queued)
		}
		if err := c.net.setDelay(from.rec.name, to.rec.name, 0); err != nil {
			t.Fatal(err)
		}
		if err := result(t, errc); err != nil {
			t.Fatal(err)
		}
		waitDeliveredOnce(t, to.rec, payloads)
	})
}
