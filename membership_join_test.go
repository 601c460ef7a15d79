package hyparlist

import (
	"testing"
	"time"
)

// Tests of the join exchange and its retries (membership_join.go).

// joinRelay is a tiny driver of a few membership cores on a virtual clock:
// Sends between them arrive at once unless drop says otherwise, timers
// fire when due.
type joinRelay struct {
	t      *testing.T
	now    time.Time
	cores  map[string]*Membership
	timers []relayTimer
	drop   func(from, to string, msg Message) bool
	sent   []relaySend
}

type relayTimer struct {
	at    time.Time
	node  string
	timer Timer
}

type relaySend struct {
	from, to string
	msg      Message
}

// step feeds ev to node and acts on the actions.
func (r *joinRelay) step(node string, ev Event) {
	m := r.cores[node]
	m.Step(r.now, ev)
	acts := append([]Action(nil), m.Drain()...)
	for _, a := range acts {
		switch a := a.(type) {
		case SetTimer:
			r.timers = append(r.timers, relayTimer{at: r.now.Add(a.After), node: node, timer: a.Timer})
		case Send:
			r.sent = append(r.sent, relaySend{from: node, to: a.To.Name, msg: a.Msg})
			if _, ok := r.cores[a.To.Name]; ok && (r.drop == nil || !r.drop(node, a.To.Name, a.Msg)) {
				r.step(a.To.Name, Receive{From: testPeer(node), Msg: a.Msg})
			}
		}
	}
}

// advance moves the clock to until, firing the timers due on the way.
func (r *joinRelay) advance(until time.Time) {
	for {
		k := -1
		for i, t := range r.timers {
			if !t.at.After(until) && (k < 0 || t.at.Before(r.timers[k].at)) {
				k = i
			}
		}
		if k < 0 {
			r.now = until
			return
		}
		t := r.timers[k]
		r.timers = append(r.timers[:k], r.timers[k+1:]...)
		r.now = t.at
		r.step(t.node, TimerFired{Timer: t.timer})
	}
}

// joinDigestsTo counts the join digests node sent to peer.
func (r *joinRelay) joinDigestsTo(node, peer string) int {
	n := 0
	for _, s := range r.sent {
		if d, ok := s.msg.(memberDigestMsg); ok && d.Join && s.from == node && s.to == peer {
			n++
		}
	}
	return n
}

// TestMembershipJoinExchangeRetried: a joiner whose join exchange with its
// first neighbour is lost (the neighbour evicted it and the link went
// with what was in flight, as in a join storm) starts the join exchange
// again with another neighbour after joinExchangeRetry, and lists every
// member long before the periodic exchange. Before the retry the joiner
// listed only itself and the neighbours' announcements until its
// PushPullInterval.
func TestMembershipJoinExchangeRetried(t *testing.T) {
	cfg := DefaultMembershipConfig()
	r := &joinRelay{t: t, now: mt0, cores: map[string]*Membership{}}
	members := newNames("member", 40)
	// "a" and "b" are members of the cluster that know every member; "z"
	// joins. Their names make z the side that would wait for a link
	// exchange with neither (the smaller name starts it).
	for _, name := range []string{"a", "b"} {
		m := newStartedMembership(t, name, cfg)
		deliverOwnRecs(t, m, mt0, members...)
		r.cores[name] = m
	}
	r.cores["z"] = newStartedMembership(t, "z", cfg)
	lostFromA := true
	r.drop = func(from, to string, msg Message) bool {
		return lostFromA && (from == "a" || to == "a")
	}

	r.step("z", NeighborUp{Peer: testPeer("a")}) // the walk's end links z first
	if got := r.joinDigestsTo("z", "a"); got != 1 {
		t.Fatalf("join digests z→a after the first neighbour: %d, want 1 at once", got)
	}
	r.step("z", NeighborUp{Peer: testPeer("b")})   // another walk ends at b
	r.step("z", NeighborDown{Peer: testPeer("a")}) // a evicted z; the exchange is lost
	lostFromA = false

	r.advance(mt0.Add(joinExchangeRetry - time.Millisecond))
	if got := r.joinDigestsTo("z", "b"); got != 0 {
		t.Fatalf("join digests z→b before joinExchangeRetry: %d, want 0", got)
	}
	r.advance(mt0.Add(joinExchangeRetry))
	if got := r.joinDigestsTo("z", "b"); got != 1 {
		t.Fatalf("join digests z→b at joinExchangeRetry: %d, want 1", got)
	}
	if got, want := r.cores["z"].NumMembers(), len(members)+2; got != want {
		t.Errorf("z lists %d members after the retried join exchange, want %d", got, want)
	}
	if s := r.cores["z"].counters(); s.NewMembersDropped != 0 {
		t.Errorf("the retried join exchange's records were rate-limited: %d dropped", s.NewMembersDropped)
	}

	// Answered: no further retry.
	r.advance(mt0.Add(cfg.PushPullInterval - time.Millisecond))
	if got := r.joinDigestsTo("z", "a") + r.joinDigestsTo("z", "b"); got != 2 {
		t.Errorf("join digests in all after the answer: %d, want 2", got)
	}
}

// TestMembershipJoinExchangeRetriesBounded: a joiner whose join exchanges
// are never answered starts maxJoinExchanges of them, then leaves the
// repair to the periodic exchange.
func TestMembershipJoinExchangeRetriesBounded(t *testing.T) {
	cfg := DefaultMembershipConfig()
	r := &joinRelay{t: t, now: mt0, cores: map[string]*Membership{}}
	r.cores["z"] = newStartedMembership(t, "z", cfg)
	r.drop = func(string, string, Message) bool { return true }
	r.step("z", NeighborUp{Peer: testPeer("a")})
	r.advance(mt0.Add(time.Duration(maxJoinExchanges+2) * joinExchangeRetry))
	n := 0
	for _, s := range r.sent {
		if d, ok := s.msg.(memberDigestMsg); ok && d.Join {
			n++
		}
	}
	if n != maxJoinExchanges {
		t.Errorf("%d join digests with no answer, want %d", n, maxJoinExchanges)
	}
}
