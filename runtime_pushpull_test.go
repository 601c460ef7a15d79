package hyparlist

import (
	"bytes"
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// Tests of the bounds on the application state of anti-entropy exchanges
// (runtime_pushpull.go, review s3 H4).

// TestStateExchangesBounds: one slot per peer and kind (a second request
// before the first is answered waits for that answer, statePending), at most
// maxStateExchanges slots, one LocalState call shared by every request
// until stateExchangeWindow after its answer, and a dropped call frees
// the slots that waited for it.
func TestStateExchangesBounds(t *testing.T) {
	var g stateExchanges
	now := time.Unix(1000, 0)
	peer := func(i int) Peer { return Peer{Name: fmt.Sprintf("p%03d", i), Addr: "a:1"} }

	if d := g.request(now, peer(0), false); d != stateFetch {
		t.Fatalf("first request = %v, want stateFetch", d)
	}
	if d := g.request(now, peer(0), false); d != statePending {
		t.Errorf("second request of a peer before its answer = %v, want statePending", d)
	}
	if d := g.request(now, peer(0), true); d != stateFetch {
		t.Errorf("join request of a peer with a routine slot = %v, want stateFetch", d)
	}
	for i := 1; i < maxStateExchanges-1; i++ {
		if d := g.request(now, peer(i), false); d != stateWait {
			t.Fatalf("request %d while fetching = %v, want stateWait", i, d)
		}
	}
	if d := g.request(now, peer(maxStateExchanges), false); d != stateDropped {
		t.Errorf("request beyond %d slots = %v, want stateDropped", maxStateExchanges, d)
	}

	state := []byte("state")
	waiting, released := g.fetched(now, false, state)
	if len(waiting) != maxStateExchanges-1 || released != 0 {
		t.Fatalf("fetched: %d waiting, %d released; want %d, 0", len(waiting), released, maxStateExchanges-1)
	}
	if got := g.expire(now.Add(stateExchangeWindow - 1)); got != 0 || len(g.slots) != maxStateExchanges {
		t.Errorf("expire within the window released %d bytes, kept %d slots", got, len(g.slots))
	}
	if d := g.request(now, peer(0), false); d != stateDropped {
		t.Errorf("second request of a peer after its answer = %v, want stateDropped", d)
	}
	if d := g.request(now, peer(500), false); d != stateDropped {
		t.Errorf("request while every slot is held = %v, want stateDropped", d)
	}

	// After the window the answered slots and the shared state are gone;
	// the join slot still waits for its call.
	later := now.Add(stateExchangeWindow)
	if got := g.expire(later); got != len(state) || len(g.slots) != 1 || !g.slots[0].join {
		t.Fatalf("expire after the window released %d bytes, kept %+v", got, g.slots)
	}
	if d := g.request(later, peer(0), false); d != stateFetch {
		t.Errorf("request after the window = %v, want stateFetch", d)
	}
	waiting, _ = g.fetched(later, false, state)
	if d := g.request(later, peer(1), false); d != stateShare || len(waiting) != 1 {
		t.Errorf("request with a fresh state = %v (%d waited), want stateShare", d, len(waiting))
	}

	// A call that was never queued frees its waiting slots.
	g.fetchDropped(true)
	if d := g.request(later, peer(0), true); d != stateFetch {
		t.Errorf("join request after a dropped call = %v, want stateFetch", d)
	}
}

// TestRuntimeDigestFloodSharesState: a peer that sends a burst of
// MemberDigests makes the node call LocalState once and send its state
// once per stateExchangeWindow, and the shared state counts in the message
// dispatcher's budget. Without the bounds every digest cost a LocalState
// call and a copy of the state.
func TestRuntimeDigestFloodSharesState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 2, nil)
		defer c.shutdown()
		victim, flooder := c.nodes[0], c.nodes[1]
		state := bytes.Repeat([]byte("s"), 64<<10)
		victim.rec.update(func(r *recorder) { r.state = state })
		to := Peer{Name: victim.rec.name, Addr: victim.ml.LocalNode().Address()}
		flood := func() {
			onLoop(t, flooder.ml, func(l *runLoop) {
				for range 200 {
					l.send(to, memberDigestMsg{Join: true, Buckets: minDigestBuckets, Root: 1})
				}
			})
			synctest.Wait()
		}
		counts := func() (asks, merged int) {
			victim.rec.mu.Lock()
			asks = victim.rec.stateAsks
			victim.rec.mu.Unlock()
			flooder.rec.mu.Lock()
			defer flooder.rec.mu.Unlock()
			return asks, len(flooder.rec.merged)
		}

		flood()
		if asks, merged := counts(); asks != 1 || merged != 1 {
			t.Errorf("after 200 digests: %d LocalState calls, %d states merged; want 1, 1", asks, merged)
		}
		if _, held := victim.ml.msgQueue.queued(); held < len(state) {
			t.Errorf("message queue accounts %d bytes while the %d-byte state is kept", held, len(state))
		}

		time.Sleep(stateExchangeWindow)
		flood()
		if asks, merged := counts(); asks != 2 || merged != 2 {
			t.Errorf("after a second burst a window later: %d LocalState calls, %d states merged; want 2, 2", asks, merged)
		}
	})
}
