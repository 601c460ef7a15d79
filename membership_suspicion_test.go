package hyparlist

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"
)

// TestSuspicionBounds: min = SuspicionMult × max(1, log10 N) ×
// SuspicionInterval and max = SuspicionMaxTimeoutMult × min, with the
// defaults 4, 6, 1s.
func TestSuspicionBounds(t *testing.T) {
	cfg := DefaultMembershipConfig()
	cases := []struct {
		n      int
		lo, hi time.Duration
	}{
		{0, 4 * time.Second, 24 * time.Second},
		{1, 4 * time.Second, 24 * time.Second},
		{10, 4 * time.Second, 24 * time.Second},
		{100, 8 * time.Second, 48 * time.Second},
		{1000, 12 * time.Second, 72 * time.Second},
		{10000, 16 * time.Second, 96 * time.Second},
	}
	for _, c := range cases {
		lo, hi := suspicionBounds(cfg, c.n)
		if lo.Round(time.Millisecond) != c.lo || hi.Round(time.Millisecond) != c.hi {
			t.Errorf("n=%d: bounds %v..%v, want %v..%v", c.n, lo, hi, c.lo, c.hi)
		}
	}
}

// TestSuspicionTimeoutShrinks: max with no confirmation, min after K,
// strictly decreasing in between (Lifeguard).
func TestSuspicionTimeoutShrinks(t *testing.T) {
	lo, hi := 12*time.Second, 72*time.Second
	if got := suspicionTimeout(lo, hi, 3, 0); got != hi {
		t.Errorf("c=0: %v, want %v", got, hi)
	}
	prev := hi
	for c := 1; c <= 3; c++ {
		got := suspicionTimeout(lo, hi, 3, c)
		if got >= prev || got < lo {
			t.Errorf("c=%d: %v after %v", c, got, prev)
		}
		prev = got
	}
	if got := suspicionTimeout(lo, hi, 3, 3); got != lo {
		t.Errorf("c=K: %v, want %v", got, lo)
	}
	if got := suspicionTimeout(lo, hi, 0, 0); got != lo {
		t.Errorf("K=0: %v, want %v", got, lo)
	}
}

// withMembers returns a started core that knows n-1 other alive members
// m0..m{n-2}, each from its own announcement (so none is unconfirmed,
// membership_confirm.go).
func withMembers(t *testing.T, cfg MembershipConfig, n int) *Membership {
	t.Helper()
	m := newStartedMembership(t, "self", cfg)
	for i := range n - 1 {
		name := fmt.Sprintf("m%d", i)
		deliverRecs(t, m, mt0, name, rec(name, 0, memberStateAlive))
	}
	if m.NumMembers() != n {
		t.Fatalf("NumMembers = %d, want %d", m.NumMembers(), n)
	}
	return m
}

// TestMembershipAccuseConfirmExpire: a failed link makes the local node an
// accuser (suspect announced, max timeout); each further accuser shortens
// the timeout; at expiry the accuser announces dead.
func TestMembershipAccuseConfirmExpire(t *testing.T) {
	cfg := DefaultMembershipConfig()
	m := withMembers(t, cfg, 1000) // 12s..72s
	acts := stepActs(m, mt0, LinkFailed{Peer: testPeer("m1")})
	if recs := announcedRecords(t, acts); len(recs) != 1 || !sameRecord(recs[0], rec("m1", 0, memberStateSuspect)) {
		t.Fatalf("LinkFailed announced %+v, want suspect m1@0", recs)
	}
	tm := timersOf[memberDeadlineTimer](acts)
	if len(tm) != 1 || tm[0].After != 72*time.Second {
		t.Fatalf("suspicion timer %+v, want 72s", tm)
	}
	// A second LinkFailed while suspect announces nothing more.
	if recs := announcedRecords(t, stepActs(m, mt0, LinkFailed{Peer: testPeer("m1")})); len(recs) != 0 {
		t.Errorf("second LinkFailed announced %+v", recs)
	}
	deadline := mt0.Add(72 * time.Second)
	for i, acc := range []string{"m2", "m3", "m4"} {
		acts := deliverRecs(t, m, mt0.Add(time.Second), acc, rec("m1", 0, memberStateSuspect))
		tm := timersOf[memberDeadlineTimer](acts)
		if len(tm) != 1 {
			t.Fatalf("confirmation %d: timers %+v", i+1, tm)
		}
		at := mt0.Add(time.Second).Add(tm[0].After)
		if !at.Before(deadline) {
			t.Errorf("confirmation %d: deadline %v not before %v", i+1, at, deadline)
		}
		deadline = at
	}
	if want := mt0.Add(12 * time.Second); !deadline.Equal(want) {
		t.Errorf("deadline after K confirmations %v, want %v", deadline.Sub(mt0), want.Sub(mt0))
	}
	// A fifth accuser changes nothing.
	if tm := timersOf[memberDeadlineTimer](deliverRecs(t, m, mt0.Add(2*time.Second), "m5", rec("m1", 0, memberStateSuspect))); len(tm) != 0 {
		t.Errorf("accuser past K re-armed %+v", tm)
	}
	timer := memberDeadlineTimer{}
	if acts := stepActs(m, deadline.Add(-time.Millisecond), TimerFired{Timer: timer}); len(acts) != 0 {
		t.Errorf("early timer acted: %v", acts)
	}
	acts = stepActs(m, deadline, TimerFired{Timer: timer})
	if l := memberChanges(NodeLeave, acts); len(l) != 1 || l[0].Member.State != memberStateDead {
		t.Errorf("expiry reported %+v", l)
	}
	// The first accuser announces the death after its jitter.
	delay := m.deadAnnounceDelay(m.table.get("m1"))
	if tm := timersOf[memberDeadlineTimer](acts); delay < 0 || delay >= deadAnnounceJitter || len(tm) != 1 || tm[0].After != delay {
		t.Fatalf("expiry armed %+v, want one timer after the jitter %v", tm, delay)
	}
	if delay > 0 && len(announcedRecords(t, acts)) != 0 {
		t.Errorf("announced before the jitter")
	}
	acts = stepActs(m, deadline.Add(delay), TimerFired{Timer: timer})
	if recs := announcedRecords(t, acts); len(recs) != 1 || !sameRecord(recs[0], rec("m1", 0, memberStateDead)) {
		t.Errorf("expiry announced %+v, want dead m1@0", recs)
	}
	if acts := stepActs(m, deadline, LinkFailed{Peer: testPeer("m1")}); len(acts) != 0 {
		t.Errorf("LinkFailed of a dead member acted: %v", acts)
	}
}

// TestMembershipDeadAnnouncedOnce: a first accuser that hears another
// first accuser's dead announcement during its jitter does not announce.
func TestMembershipDeadAnnouncedOnce(t *testing.T) {
	m := withMembers(t, DefaultMembershipConfig(), 1000)
	acts := stepActs(m, mt0, LinkFailed{Peer: testPeer("m1")})
	tm := timersOf[memberDeadlineTimer](acts)
	expiry := mt0.Add(tm[0].After)
	m.Step(expiry, TimerFired{Timer: memberDeadlineTimer{}})
	m.Drain()
	deliverRecs(t, m, expiry, "m2", rec("m1", 0, memberStateDead))
	acts = stepActs(m, expiry.Add(deadAnnounceJitter), TimerFired{Timer: memberDeadlineTimer{}})
	if recs := announcedRecords(t, acts); len(recs) != 0 {
		t.Errorf("announced %+v after hearing another accuser's dead announcement", recs)
	}
	if got := mustMember(t, m, "m1"); got.State != memberStateDead {
		t.Errorf("state %v, want dead", got.State)
	}
}

// TestMembershipObserverExpiresSilently: a node that only heard the
// suspicion marks the member dead at expiry without announcing.
func TestMembershipObserverExpiresSilently(t *testing.T) {
	m := withMembers(t, DefaultMembershipConfig(), 100) // 8s..48s
	acts := deliverRecs(t, m, mt0, "m2", rec("m1", 0, memberStateSuspect))
	tm := timersOf[memberDeadlineTimer](acts)
	if len(tm) != 1 || tm[0].After != 48*time.Second {
		t.Fatalf("timers %+v, want one of 48s", tm)
	}
	acts = stepActs(m, mt0.Add(48*time.Second), TimerFired{Timer: tm[0].Timer})
	if n := len(actionsOfType[BroadcastPayload](acts)); n != 0 {
		t.Errorf("observer announced %d times", n)
	}
	if got := mustMember(t, m, "m1"); got.State != memberStateDead {
		t.Errorf("state %v, want dead", got.State)
	}
}

// TestMembershipRefutedSuspicionDoesNotExpire: once the member refutes,
// the old timer is stale.
func TestMembershipRefutedSuspicionDoesNotExpire(t *testing.T) {
	m := withMembers(t, DefaultMembershipConfig(), 10)
	acts := stepActs(m, mt0, LinkFailed{Peer: testPeer("m1")})
	timer := timersOf[memberDeadlineTimer](acts)[0]
	deliverRecs(t, m, mt0.Add(time.Second), "m1", rec("m1", 1, memberStateAlive))
	acts = stepActs(m, mt0.Add(time.Hour), TimerFired{Timer: timer.Timer})
	if len(acts) != 0 || mustMember(t, m, "m1").State != memberStateAlive {
		t.Errorf("refuted suspicion expired: %v", acts)
	}
	// The refuted incarnation can be suspected again.
	if recs := announcedRecords(t, stepActs(m, mt0.Add(time.Hour), LinkFailed{Peer: testPeer("m1")})); len(recs) != 1 || recs[0].Incarnation != 1 {
		t.Errorf("re-accusation announced %+v", recs)
	}
}

// TestMembershipConfirmingAccuserExpiresSilently: a node that accused a
// member only after hearing another accuser announces its confirmation
// but, at expiry, marks the member dead without announcing it; the first
// accuser does.
func TestMembershipConfirmingAccuserExpiresSilently(t *testing.T) {
	m := withMembers(t, DefaultMembershipConfig(), 100)
	deliverRecs(t, m, mt0, "m2", rec("m1", 0, memberStateSuspect))
	acts := stepActs(m, mt0, LinkFailed{Peer: testPeer("m1")})
	if recs := announcedRecords(t, acts); len(recs) != 1 || !sameRecord(recs[0], rec("m1", 0, memberStateSuspect)) {
		t.Fatalf("confirmation announced %+v, want suspect m1@0", recs)
	}
	tm := timersOf[memberDeadlineTimer](acts)
	if len(tm) != 1 {
		t.Fatalf("confirmation armed %+v, want one earlier timer", tm)
	}
	acts = stepActs(m, mt0.Add(tm[0].After), TimerFired{Timer: tm[0].Timer})
	if got := mustMember(t, m, "m1"); got.State != memberStateDead {
		t.Fatalf("state %v at expiry, want dead", got.State)
	}
	if recs := announcedRecords(t, acts); len(recs) != 0 {
		t.Errorf("a confirming accuser announced %+v at expiry", recs)
	}
}

// TestSuspicionBoundsSaturate: values far beyond what Validate accepts
// give timeouts capped at maxSuspicionTimeout, never negative or wrapped.
func TestSuspicionBoundsSaturate(t *testing.T) {
	for _, c := range []struct {
		mult, maxMult int
		interval      time.Duration
	}{
		{1e10, 6, time.Second},
		{4, math.MaxInt, time.Second},
		{math.MaxInt, math.MaxInt, math.MaxInt64},
		{4, 6, math.MaxInt64},
	} {
		cfg := DefaultMembershipConfig()
		cfg.SuspicionMult, cfg.SuspicionMaxTimeoutMult, cfg.SuspicionInterval = c.mult, c.maxMult, c.interval
		for _, n := range []int{1, 10_000, math.MaxInt} {
			lo, hi := suspicionBounds(cfg, n)
			if lo <= 0 || lo > hi || hi > maxSuspicionTimeout {
				t.Errorf("%+v, n=%d: bounds %v..%v, want 0 < lo <= hi <= %v", c, n, lo, hi, maxSuspicionTimeout)
			}
			if got := suspicionTimeout(lo, hi, cfg.SuspicionConfirmations, 1); got < lo || got > hi {
				t.Errorf("%+v, n=%d: timeout after one confirmation %v, outside %v..%v", c, n, got, lo, hi)
			}
		}
	}
}

// TestMembershipConfigRejectsLongSuspicion: Validate refuses a longest
// suspicion timeout above maxSuspicionTimeout for a full member table.
func TestMembershipConfigRejectsLongSuspicion(t *testing.T) {
	ok := DefaultMembershipConfig()
	// 4 × 6 × log10(100,000) × 1s = 2 min.
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, mutate := range []func(c *MembershipConfig){
		func(c *MembershipConfig) { c.SuspicionMult = 1e10 },
		func(c *MembershipConfig) { c.SuspicionMaxTimeoutMult = math.MaxInt },
		func(c *MembershipConfig) { c.SuspicionInterval = math.MaxInt64 },
		func(c *MembershipConfig) { c.SuspicionInterval = time.Hour }, // 4 × 6 × 5 × 1h = 120h
	} {
		c := DefaultMembershipConfig()
		mutate(&c)
		if err := c.Validate(); !errors.Is(err, errInvalidMembershipConfig) {
			t.Errorf("%d × %d × %v: Validate = %v, want ErrInvalidMembershipConfig", c.SuspicionMult, c.SuspicionMaxTimeoutMult, c.SuspicionInterval, err)
		}
	}
}

// TestMembershipSuspicionStretchedWhileBehind: with a local health
// multiplier of 3 (LocalHealth), a suspicion that expires gets its timeout
// once more, three times: 48s becomes 144s from the start. Back to
// healthy, a new suspicion expires on time.
func TestMembershipSuspicionStretchedWhileBehind(t *testing.T) {
	m := withMembers(t, DefaultMembershipConfig(), 100) // 8s..48s
	m.Step(mt0, LocalHealth{Multiplier: 3})
	acts := deliverRecs(t, m, mt0, "m2", rec("m1", 0, memberStateSuspect))
	tm := timersOf[memberDeadlineTimer](acts)
	if len(tm) != 1 || tm[0].After != 48*time.Second {
		t.Fatalf("timers %+v, want one of 48s", tm)
	}
	acts = stepActs(m, mt0.Add(48*time.Second), TimerFired{Timer: tm[0].Timer})
	if got := mustMember(t, m, "m1"); got.State != memberStateSuspect {
		t.Fatalf("state %v at the unstretched expiry, want suspect", got.State)
	}
	if tm := timersOf[memberDeadlineTimer](acts); len(tm) != 1 || tm[0].After != 96*time.Second {
		t.Fatalf("timers %+v, want one of 96s (144s from the start)", tm)
	}
	// Healthy again: the stretch already given stays, only once.
	m.Step(mt0.Add(100*time.Second), LocalHealth{Multiplier: 1})
	stepActs(m, mt0.Add(144*time.Second), TimerFired{Timer: memberDeadlineTimer{}})
	if got := mustMember(t, m, "m1"); got.State != memberStateDead {
		t.Fatalf("state %v at the stretched expiry, want dead", got.State)
	}
	acts = deliverRecs(t, m, mt0.Add(150*time.Second), "m2", rec("m3", 0, memberStateSuspect))
	tm = timersOf[memberDeadlineTimer](acts)
	stepActs(m, mt0.Add(198*time.Second), TimerFired{Timer: memberDeadlineTimer{}})
	if got := mustMember(t, m, "m3"); got.State != memberStateDead {
		t.Errorf("healthy node: m3 %v at expiry, want dead (timers %+v)", got.State, tm)
	}
}

// TestSuspicionConfirmationsCapped: a suspicion waits for no more
// confirmations than can come: n−2 among n live members (everyone but the
// suspect and the first accuser) and MaxAccusers−1, as memberlist caps
// its k by n−2. In a 3-node cluster one confirmation reaches the shortest
// timeout, in a 2-node one the first accusation does, so a small cluster
// detects a crash as fast as memberlist does with the same Config.
func TestSuspicionConfirmationsCapped(t *testing.T) {
	cfg := DefaultMembershipConfig() // K = 3
	for _, tc := range []struct{ n, maxAccusers, want int }{
		{2, 0, 0}, {3, 0, 1}, {4, 0, 2}, {5, 0, 3}, {1000, 0, 3}, {1000, 2, 1}, {1000, 5, 3},
	} {
		c := cfg
		c.MaxAccusers = tc.maxAccusers
		if got := suspicionConfirmations(c, tc.n); got != tc.want {
			t.Errorf("n=%d MaxAccusers=%d: K=%d, want %d", tc.n, tc.maxAccusers, got, tc.want)
		}
	}
	for _, n := range []int{2, 3} {
		m := withMembers(t, cfg, n)
		lo, _ := suspicionBounds(cfg, n)
		acts := stepActs(m, mt0, LinkFailed{Peer: testPeer("m0")})
		if n == 3 {
			acts = deliverRecs(t, m, mt0, "m1", rec("m0", 0, memberStateSuspect))
		}
		tm := timersOf[memberDeadlineTimer](acts)
		if len(tm) != 1 || tm[0].After != lo {
			t.Errorf("n=%d: suspicion timer %+v after every possible accuser, want the shortest, %v", n, tm, lo)
		}
	}
}

// TestRuntimeSuspicionConfirmationsConfig: the runtime caps the
// confirmations by SuspicionMult−2 as memberlist does, and the accusers by
// the active view size.
func TestRuntimeSuspicionConfirmationsConfig(t *testing.T) {
	for _, tc := range []struct{ mult, want int }{{1, 0}, {3, 1}, {4, 2}, {8, 3}} {
		c := DefaultLANConfig()
		c.SuspicionMult = tc.mult
		m := c.membershipConfig()
		if m.SuspicionConfirmations != tc.want || m.MaxAccusers != c.ActiveViewSize {
			t.Errorf("SuspicionMult %d: SuspicionConfirmations %d MaxAccusers %d, want %d and %d", tc.mult, m.SuspicionConfirmations, m.MaxAccusers, tc.want, c.ActiveViewSize)
		}
	}
}
