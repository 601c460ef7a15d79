// Tests of the accusations a node behind withholds (membership_accuse_behind.go).

package hyparlist

import "testing"

// TestMembershipWeakFailureNotAccusedWhileBehind: a node that is behind
// (health multiplier above 1) does not accuse a peer whose link failed on
// weak evidence: nothing announced, the member stays alive, the link is
// forgotten. A strong failure (the peer's process gone) is accused while
// behind, and a weak one is accused by a node that keeps up.
func TestMembershipWeakFailureNotAccusedWhileBehind(t *testing.T) {
	m := withMembers(t, DefaultMembershipConfig(), 10)
	stepActs(m, mt0, NeighborUp{Peer: testPeer("m1")})
	stepActs(m, mt0, LocalHealth{Multiplier: 3})
	acts := stepActs(m, mt0, LinkFailed{Peer: testPeer("m1"), Weak: true})
	if recs := announcedRecords(t, acts); len(recs) != 0 {
		t.Fatalf("behind, weak failure: announced %+v", recs)
	}
	if st := mustMember(t, m, "m1").State; st != memberStateAlive {
		t.Fatalf("behind, weak failure: m1 is %v, want alive", st)
	}
	if _, ok := m.neighbor("m1"); ok {
		t.Errorf("m1 still a neighbour after its link failed")
	}
	if s := m.counters(); s.AccusationsWithheld != 1 || s.Accusations != 0 {
		t.Errorf("stats %+v, want 1 withheld, 0 accusations", s)
	}
	acts = stepActs(m, mt0, LinkFailed{Peer: testPeer("m2")})
	if recs := announcedRecords(t, acts); len(recs) != 1 || !sameRecord(recs[0], rec("m2", 0, memberStateSuspect)) {
		t.Errorf("behind, strong failure: announced %+v, want suspect m2", recs)
	}
	stepActs(m, mt0, LocalHealth{Multiplier: 1})
	acts = stepActs(m, mt0, LinkFailed{Peer: testPeer("m3"), Weak: true})
	if recs := announcedRecords(t, acts); len(recs) != 1 || !sameRecord(recs[0], rec("m3", 0, memberStateSuspect)) {
		t.Errorf("healthy, weak failure: announced %+v, want suspect m3", recs)
	}
}
