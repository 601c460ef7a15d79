// Tests of the membership side of signed broadcasts: only a member's own
// announcement may say it left.

package hyparlist

import "testing"

// TestMembershipForeignLeaveRefused: a "left" record about a live member
// fires no MemberChanged(NodeLeave) when it comes in another node's announcement or by
// anti-entropy (each counted in ForeignLeavesRefused); it does in the
// member's own announcement. A "left" record of a name not held is kept as
// a tombstone, without an event. Without the rule the first forged record
// fired MemberChanged(NodeLeave) (issue 14, finding 4).
func TestMembershipForeignLeaveRefused(t *testing.T) {
	m := newStartedMembership(t, "self", DefaultMembershipConfig())
	deliverRecs(t, m, mt0, "x", rec("x", 3, memberStateAlive))

	acts := deliverRecs(t, m, mt0, "forger", rec("x", 3, memberStateLeft))
	if n := len(memberChanges(NodeLeave, acts)); n != 0 {
		t.Fatalf("a left record in another node's announcement fired %d MemberChanged(NodeLeave)", n)
	}
	acts = stepActs(m, mt0, Receive{From: testPeer("forger"), Msg: memberRecordsMsg{Buckets: 64,
		Records: []memberRecord{rec("x", 4, memberStateLeft)}}})
	if n := len(memberChanges(NodeLeave, acts)); n != 0 {
		t.Fatalf("a left record by anti-entropy fired %d MemberChanged(NodeLeave)", n)
	}
	if got := mustMember(t, m, "x"); got.State != memberStateAlive || got.Incarnation != 3 {
		t.Fatalf("x is %v at %d after forged leaves, want alive at 3", got.State, got.Incarnation)
	}
	if got := m.counters().ForeignLeavesRefused; got != 2 {
		t.Errorf("ForeignLeavesRefused = %d, want 2", got)
	}

	// A stale one is ignored as before, not counted.
	deliverRecs(t, m, mt0, "forger", rec("x", 2, memberStateLeft))
	if got := m.counters().ForeignLeavesRefused; got != 2 {
		t.Errorf("a stale left record counted: ForeignLeavesRefused = %d", got)
	}

	// Suspicion still works: anyone may say a member is dead.
	deliverRecs(t, m, mt0, "y", rec("y", 0, memberStateAlive))
	acts = deliverRecs(t, m, mt0, "accuser", rec("y", 0, memberStateDead))
	if n := len(memberChanges(NodeLeave, acts)); n != 1 {
		t.Errorf("a dead record fired %d MemberChanged(NodeLeave), want 1", n)
	}

	// The member's own word is taken.
	acts = deliverRecs(t, m, mt0, "x", rec("x", 3, memberStateLeft))
	if l := memberChanges(NodeLeave, acts); len(l) != 1 || l[0].Member.State != memberStateLeft {
		t.Fatalf("x's own left announcement: MemberChanged(NodeLeave) %+v, want one, left", l)
	}

	// A name not held: a tombstone, no event.
	acts = stepActs(m, mt0, Receive{From: testPeer("p"), Msg: memberRecordsMsg{Buckets: 64,
		Records: []memberRecord{rec("gone", 1, memberStateLeft)}}})
	if got := mustMember(t, m, "gone"); got.State != memberStateLeft || len(memberChanges(NodeLeave, acts)) != 0 {
		t.Errorf("an unknown member's left record: held %v, %d events", got.State, len(memberChanges(NodeLeave, acts)))
	}
}
