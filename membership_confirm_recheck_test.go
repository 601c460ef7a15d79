// Tests: a member learned second-hand whose check is answered is checked
// again at growing intervals, until it is heard from itself or a check
// fails (membership_confirm.go, recheckWait).

package hyparlist

import (
	"slices"
	"testing"
	"time"
)

// TestMembershipAnsweredCheckRepeats: a neighbour relays the records of
// two members nobody vouched for. Both answer their check at
// ConfirmTimeout (the driver reports nothing); both are checked again at
// 3 and then 9 ConfirmTimeouts after they were listed. One is then heard
// from itself and is checked no more; the other's next check fails and it
// is marked dead. Before recheckWait an answered check was the last: a
// forger answering at its ghosts' addresses once kept them listed until a
// liveness probe happened to pick them.
func TestMembershipAnsweredCheckRepeats(t *testing.T) {
	cfg := DefaultMembershipConfig()
	ct := cfg.ConfirmTimeout
	m := newStartedMembership(t, "self", cfg)
	m.Step(mt0, NeighborUp{Peer: testPeer("relay")})
	m.Drain()
	deliverRecs(t, m, mt0, "relay", rec("ghost", 0, memberStateAlive), rec("quiet", 0, memberStateAlive))
	both := []string{"ghost", "quiet"}
	if got := confirmProbes(fireDeadlines(m, mt0.Add(ct))); !slices.Equal(got, both) {
		t.Fatalf("checks at ConfirmTimeout: %v, want %v", got, both)
	}
	// Both answer: nothing is fed. A relayed record of a higher
	// incarnation does not postpone the next check.
	deliverRecs(t, m, mt0.Add(2*ct), "relay", rec("ghost", 3, memberStateAlive))
	if got := confirmProbes(fireDeadlines(m, mt0.Add(3*ct-time.Millisecond))); len(got) != 0 {
		t.Fatalf("checked again before 3 ConfirmTimeouts: %v", got)
	}
	if got := confirmProbes(fireDeadlines(m, mt0.Add(3*ct))); !slices.Equal(got, both) {
		t.Fatalf("checks at 3 ConfirmTimeouts: %v, want %v", got, both)
	}
	if got := confirmProbes(fireDeadlines(m, mt0.Add(9*ct-time.Millisecond))); len(got) != 0 {
		t.Fatalf("checked again before 9 ConfirmTimeouts: %v", got)
	}
	if got := confirmProbes(fireDeadlines(m, mt0.Add(9*ct))); !slices.Equal(got, both) {
		t.Fatalf("checks at 9 ConfirmTimeouts: %v, want %v", got, both)
	}
	// quiet speaks to the node itself: vouched for, no more checks.
	m.Step(mt0.Add(10*ct), Receive{From: testPeer("quiet"), Msg: memberDigestMsg{}})
	m.Drain()
	// ghost's check fails: marked dead.
	acts := stepActs(m, mt0.Add(10*ct), MemberUnreachable{Peer: testPeer("ghost"), Refused: true})
	if len(memberChanges(NodeLeave, acts)) != 1 || mustMember(t, m, "ghost").State != memberStateDead {
		t.Fatalf("ghost after its failed check: %v, want dead", mustMember(t, m, "ghost").State)
	}
	for _, at := range []time.Duration{27 * ct, 81 * ct, 300 * ct} {
		if got := confirmProbes(fireDeadlines(m, mt0.Add(at))); len(got) != 0 {
			t.Errorf("checks at %v: %v, want none", at, got)
		}
	}
	if got := mustMember(t, m, "quiet").State; got != memberStateAlive {
		t.Errorf("quiet: %v, want alive", got)
	}
}
