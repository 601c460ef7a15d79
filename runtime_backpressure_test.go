package hyparlist

import (
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// Settings of the back-pressure tests: a link stalled for stallFor stays
// below the write deadline (TCPTimeout) and the neighbour's silence limit
// (KeepaliveInterval + KeepaliveTimeout), so only the queues can fail it.
const (
	stallFor          = 3 * time.Second
	stallPayloadBytes = 16 << 10
	stallQueueBytes   = 64 << 10
)

// stallConfig keeps links alive through a stall of stallFor and bounds
// each send queue to stallQueueBytes (four payloads of stallPayloadBytes
// minus a frame's overhead: three fit).
func stallConfig(conf *Config) {
	conf.TCPTimeout = 10 * time.Second
	conf.KeepaliveInterval = 10 * time.Second
	conf.KeepaliveTimeout = 5 * time.Second
	conf.PeerSendQueueDepth = 16
	conf.PeerSendQueueBytes = stallQueueBytes
}

// stallPayloads returns n distinct payloads of size bytes.
func stallPayloads(tag string, n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		p := make([]byte, size)
		copy(p, fmt.Sprintf("%s-%03d", tag, i))
		out[i] = p
	}
	return out
}

// waitDeliveredOnce waits until rec has every payload, then 10 virtual
// seconds longer (callers run in a synctest bubble, so the quiet period is
// exact, not a guess at timing), and checks that it got each exactly once
// and nothing else.
func waitDeliveredOnce(t *testing.T, rec *recorder, payloads [][]byte) {
	t.Helper()
	eventually(t, time.Minute, rec.name+" to deliver every payload", func() bool {
		for _, p := range payloads {
			if rec.count(p) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(10 * time.Second) // room for late duplicates
	for i, p := range payloads {
		if n := rec.count(p); n != 1 {
			t.Errorf("%s delivered payload %d %d times, want once", rec.name, i, n)
		}
	}
	if n := len(rec.messages()); n != len(payloads) {
		t.Errorf("%s delivered %d messages, want %d", rec.name, n, len(payloads))
	}
}

// neighborDowns returns the names NotifyNeighborDown reported to rec.
func neighborDowns(rec *recorder) []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.downs)
}

// TestRuntimeFullUserQueueDefers relays a burst of broadcasts through a
// node whose link to the next one is stalled (chain src — relay — dst,
// src and dst cut off from each other): the payloads that do not fit in
// the relay's user queue are announced instead (metric
// hyparlist.link.user_deferred), the link is not failed, and once it
// drains dst grafts them and delivers every broadcast exactly once.
func TestRuntimeFullUserQueueDefers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		relay := c.addWithSink("node-00", stallConfig, sink) // the only node counted
		dst := c.add("node-01", stallConfig)
		src := c.add("node-02", func(conf *Config) {
			stallConfig(conf)
			conf.PeerSendQueueBytes = 8 << 20 // the whole burst reaches the relay at once
		})
		c.net.partition([]string{dst.rec.name}, []string{src.rec.name})
		c.joinAll()
		eventually(t, time.Minute, "the chain", func() bool {
			return allSee(c.nodes, 3) && len(relay.ml.Neighbors()) == 2
		})

		if err := c.net.setDelay(relay.rec.name, dst.rec.name, stallFor); err != nil {
			t.Fatal(err)
		}
		payloads := stallPayloads("relayed", 16, stallPayloadBytes)
		for _, p := range payloads {
			if err := src.ml.Broadcast(p); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait() // the relay has queued or deferred the whole burst
		if n := counterSum(sink, "hyparlist.link.user_deferred"); n == 0 {
			t.Errorf("no payload deferred: the burst fitted in the queues")
		}
		if err := c.net.setDelay(relay.rec.name, dst.rec.name, 0); err != nil {
			t.Fatal(err)
		}
		waitDeliveredOnce(t, dst.rec, payloads)
		// dst's link attempts to src, across the cut, may fail; the
		// stalled link must not.
		if downs := neighborDowns(relay.rec); slices.Contains(downs, dst.rec.name) {
			t.Errorf("%s lost %s as a neighbour", relay.rec.name, dst.rec.name)
		}
		if downs := neighborDowns(dst.rec); slices.Contains(downs, relay.rec.name) {
			t.Errorf("%s lost %s as a neighbour", dst.rec.name, relay.rec.name)
		}
	})
}

// TestRuntimeDeferUntilControlFull sends broadcast payloads to a peer that
// never takes a frame (its handshake hangs): the first PeerSendQueueDepth
// fill the user queue; the next are announced in batches, one IHAVE of
// their IDs and rounds per deferredBatchMax payloads or per
// IHaveInterval, on the control queue; only a batch that finds the
// control queue full fails the link.
func TestRuntimeDeferUntilControlFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const depth = 4
		a, peer, sink := muteSetup(t, func(conf *Config) { conf.PeerSendQueueDepth = depth })

		type result struct {
			heldBeforeFlush int
			queuedBefore    int
			ihave           ihaveMsg
			failedAt        int
		}
		reply := make(chan result, 1)
		if err := a.ml.submit(loopFunc(func(l *runLoop) {
			var r result
			first := l.link(peer)
			gossip := func(i int) gossipMsg {
				return gossipMsg{ID: MessageID{Origin: "o", Seq: uint64(i)}, Class: ClassUser, Round: 7, Payload: []byte("p")}
			}
			for i := range depth + 10 {
				l.send(peer, gossip(i))
			}
			// Ten announcements held, none queued until the flush.
			r.heldBeforeFlush, r.queuedBefore = len(first.deferred), first.ctrlLen()
			l.flushDeferred()
			f, _ := first.takeCtrl()
			r.ihave, _ = f.msg.(ihaveMsg)
			first.enqueue(f)
			r.failedAt = -1
			for i := range depth*deferredBatchMax + 1 {
				l.send(peer, gossip(depth+10+i))
				if l.links[peer.Name] != first {
					r.failedAt = i
					break
				}
			}
			reply <- r
		})); err != nil {
			t.Fatal(err)
		}
		r := <-reply
		if r.heldBeforeFlush != 10 || r.queuedBefore != 0 {
			t.Errorf("before the flush: %d announcements held, %d control frames queued; want 10, 0", r.heldBeforeFlush, r.queuedBefore)
		}
		if len(r.ihave.Entries) != 10 {
			t.Fatalf("flushed IHAVE has %d entries, want 10", len(r.ihave.Entries))
		}
		for i, e := range r.ihave.Entries {
			if want := (ihaveEntry{ID: MessageID{Origin: "o", Seq: uint64(depth + i)}, Round: 7}); e != want {
				t.Errorf("entry %d = %+v, want %+v", i, e, want)
			}
		}
		// One batch is queued; depth-1 more full batches fit, and the
		// payload after them finds a full batch and a full control queue.
		if want := depth * deferredBatchMax; r.failedAt != want {
			t.Errorf("link failed at send %d after the flush, want %d", r.failedAt, want)
		}
		if got, want := counterSum(sink, "hyparlist.link.user_deferred"), float64(10+depth*deferredBatchMax); got != want {
			t.Errorf("%v payloads deferred, want %v", got, want)
		}
		if got := counterSum(sink, "hyparlist.link.failed;reason=queue_full"); got != 1 {
			t.Errorf("%v queue_full failures, want 1", got)
		}
	})
}

// TestRuntimeDeferFlushRetries: a batch of held announcements that finds
// the control queue full when its IHAVE window closes stays held and is
// queued at the next window once a control frame has left; the link is
// not failed. Before session 13 the full control queue failed the link
// at once and its held announcements were lost.
func TestRuntimeDeferFlushRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const depth = 4
		a, peer, sink := muteSetup(t, func(conf *Config) { conf.PeerSendQueueDepth = depth })

		type result struct {
			open, armed     bool
			held, heldAfter int
			ctrlAfter       int
		}
		reply := make(chan result, 1)
		if err := a.ml.submit(loopFunc(func(l *runLoop) {
			var r result
			k := l.link(peer)
			for range depth {
				k.enqueue(outFrame{msg: keepaliveMsg{}})
			}
			for i := range depth + 10 {
				l.send(peer, gossipMsg{ID: MessageID{Origin: "o", Seq: uint64(i)}, Class: ClassUser, Payload: []byte("p")})
			}
			l.flushDeferred() // the control queue is full
			r.open = l.links[peer.Name] == k
			r.held = len(k.deferred)
			r.armed = l.deferArmed && slices.Contains(l.deferredLinks, k)
			k.takeCtrl()
			l.flushDeferred() // the next window: it fits
			r.heldAfter, r.ctrlAfter = len(k.deferred), k.ctrlLen()
			reply <- r
		})); err != nil {
			t.Fatal(err)
		}
		r := <-reply
		if !r.open || r.held != 10 || !r.armed {
			t.Errorf("control queue full: link open %v, %d held, retry armed %v; want true, 10, true", r.open, r.held, r.armed)
		}
		if r.heldAfter != 0 || r.ctrlAfter != depth {
			t.Errorf("next window: %d held, %d control frames; want 0, %d", r.heldAfter, r.ctrlAfter, depth)
		}
		if got := counterSum(sink, "hyparlist.link.failed"); got != 0 {
			t.Errorf("%v link failures, want 0", got)
		}
	})
}

// TestRuntimeDeferListedOnce: a link whose full batch is queued by
// deferUser while it waits for a retry stays listed once in
// deferredLinks, however many full batches pass.
func TestRuntimeDeferListedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const depth = 4
		a, peer, _ := muteSetup(t, func(conf *Config) { conf.PeerSendQueueDepth = depth })
		reply := make(chan int, 1)
		if err := a.ml.submit(loopFunc(func(l *runLoop) {
			k := l.link(peer)
			seq := uint64(0)
			send := func(n int) {
				for range n {
					l.send(peer, gossipMsg{ID: MessageID{Origin: "o", Seq: seq}, Class: ClassUser, Payload: []byte("p")})
					seq++
				}
			}
			send(depth) // fills the user queue
			for range 3 {
				// A full batch and one more: the batch is queued on the
				// control queue, the extra one held.
				send(deferredBatchMax + 1)
				for k.ctrlLen() < depth {
					k.enqueue(outFrame{msg: keepaliveMsg{}})
				}
				l.flushDeferred() // control queue full: held, retried
				k.takeCtrl()      // room for the next full batch
			}
			reply <- len(l.deferredLinks)
		})); err != nil {
			t.Fatal(err)
		}
		if n := <-reply; n != 1 {
			t.Errorf("link listed %d times in deferredLinks, want 1", n)
		}
	})
}
