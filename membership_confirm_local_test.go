// Tests of the failures a node causes itself (runtime_localfail.go) in the
// membership core: a check whose dial failed for want of the node's own
// resources, and a link that failed so.

package hyparlist

import (
	"slices"
	"testing"
	"time"
)

// TestMembershipCheckLocalFailurePutOff: on a healthy node (multiplier 1)
// a check that failed with MemberUnreachable.Local does not mark the
// member dead: the check is put off (ChecksPutOff), made again a
// ConfirmTimeout later, and only once the put-offs are spent does a local
// failure count as a failed check. A weak failure that is not local still
// marks the member dead at once, as before.
func TestMembershipCheckLocalFailurePutOff(t *testing.T) {
	cfg := DefaultMembershipConfig()
	ct := cfg.ConfirmTimeout
	m := newStartedMembership(t, "self", cfg)
	m.Step(mt0, NeighborUp{Peer: testPeer("relay")})
	m.Drain()
	deliverRecs(t, m, mt0, "relay", rec("local", 0, memberStateAlive), rec("weak", 0, memberStateAlive))
	now := mt0.Add(ct)
	if got := confirmProbes(fireDeadlines(m, now)); !slices.Equal(got, []string{"local", "weak"}) {
		t.Fatalf("checks at ConfirmTimeout: %v, want [local weak]", got)
	}
	now = now.Add(time.Second)
	m.Step(now, MemberUnreachable{Peer: testPeer("local"), Local: true})
	m.Step(now, MemberUnreachable{Peer: testPeer("weak")})
	m.Drain()
	if st := mustMember(t, m, "weak").State; st != memberStateDead {
		t.Errorf("weak failure on a healthy node: weak is %v, want dead", st)
	}
	for i := range maxConfirmRetries {
		if st := mustMember(t, m, "local").State; st != memberStateAlive {
			t.Fatalf("after %d local failures: local is %v, want alive", i+1, st)
		}
		if got := confirmProbes(fireDeadlines(m, now.Add(ct/2))); len(got) != 0 {
			t.Fatalf("local failure %d: checked again after %v: %v", i+1, ct/2, got)
		}
		now = now.Add(2 * ct)
		if got := confirmProbes(fireDeadlines(m, now)); !slices.Equal(got, []string{"local"}) {
			t.Fatalf("local failure %d: checks %v, want [local]", i+1, got)
		}
		now = now.Add(time.Second)
		m.Step(now, MemberUnreachable{Peer: testPeer("local"), Local: true})
		m.Drain()
	}
	if st := mustMember(t, m, "local").State; st != memberStateDead {
		t.Errorf("after %d put-offs a local failure counts: local is %v, want dead", maxConfirmRetries, st)
	}
	if s := m.counters(); s.ChecksPutOff != maxConfirmRetries || s.UnconfirmedRemoved != 2 {
		t.Errorf("stats: %d put off, %d removed; want %d and 2", s.ChecksPutOff, s.UnconfirmedRemoved, maxConfirmRetries)
	}
}

// TestMembershipLocalLinkFailureNotAccused: a healthy node accuses the
// peer of a link that failed on weak evidence, but not of one that failed
// for want of its own resources (LinkFailed.Local).
func TestMembershipLocalLinkFailureNotAccused(t *testing.T) {
	m := withMembers(t, DefaultMembershipConfig(), 10)
	for _, p := range []string{"m1", "m2"} {
		stepActs(m, mt0, NeighborUp{Peer: testPeer(p)})
	}
	stepActs(m, mt0, LinkFailed{Peer: testPeer("m1"), Weak: true, Local: true})
	stepActs(m, mt0, LinkFailed{Peer: testPeer("m2"), Weak: true})
	if st := mustMember(t, m, "m1").State; st != memberStateAlive {
		t.Errorf("local link failure: m1 is %v, want alive", st)
	}
	if st := mustMember(t, m, "m2").State; st != memberStateSuspect {
		t.Errorf("weak link failure on a healthy node: m2 is %v, want suspect", st)
	}
	if s := m.counters(); s.Accusations != 1 || s.AccusationsWithheld != 1 {
		t.Errorf("stats: %d accusations, %d withheld; want 1 and 1", s.Accusations, s.AccusationsWithheld)
	}
}
