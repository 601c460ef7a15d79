// Tests: records above the incarnation ceiling are taken only in their
// member's own announcement (membership_incarnation.go).

package hyparlist

import (
	"math"
	"testing"
)

// TestMembershipIncarnationCeiling: a record of another member at
// incarnation 2^32 − 1, by anti-entropy or in another node's announcement,
// is dropped and counted, and so is one of a name not held; one at the
// ceiling is taken, and the member's own announcement goes above it, where
// a forger's record can only match the held incarnation (which the member
// refutes), never raise it. A record about the node itself at the ceiling
// is refuted above it. Without the ceiling the first forged record made x
// dead at 2^32 − 1, which x could never refute.
func TestMembershipIncarnationCeiling(t *testing.T) {
	m := newStartedMembership(t, "self", DefaultMembershipConfig())
	deliverRecs(t, m, mt0, "x", rec("x", 3, memberStateAlive))
	exchange := func(r memberRecord) {
		stepActs(m, mt0, Receive{From: testPeer("forger"), Msg: memberRecordsMsg{Buckets: 64, Records: []memberRecord{r}}})
	}
	wantX := func(st memberState, inc uint32) {
		t.Helper()
		if got := mustMember(t, m, "x"); got.State != st || got.Incarnation != inc {
			t.Fatalf("x is %v at %d, want %v at %d", got.State, got.Incarnation, st, inc)
		}
	}

	exchange(rec("x", math.MaxUint32, memberStateSuspect))
	deliverRecs(t, m, mt0, "forger", rec("x", math.MaxUint32, memberStateDead))
	wantX(memberStateAlive, 3)
	if got := m.counters().IncarnationsRefused; got != 2 {
		t.Fatalf("IncarnationsRefused = %d, want 2", got)
	}

	// Up to the ceiling anyone's record counts as before; the member's
	// own announcement goes above it, and nobody else's can follow.
	exchange(rec("x", incarnationCeiling, memberStateSuspect))
	wantX(memberStateSuspect, incarnationCeiling)
	deliverRecs(t, m, mt0, "x", rec("x", incarnationCeiling+1, memberStateAlive))
	wantX(memberStateAlive, incarnationCeiling+1)
	deliverRecs(t, m, mt0, "forger", rec("x", math.MaxUint32, memberStateSuspect))
	wantX(memberStateAlive, incarnationCeiling+1)
	exchange(rec("x", incarnationCeiling+1, memberStateSuspect)) // matches, raises nothing
	wantX(memberStateSuspect, incarnationCeiling+1)
	deliverRecs(t, m, mt0, "x", rec("x", incarnationCeiling+2, memberStateAlive))
	wantX(memberStateAlive, incarnationCeiling+2)
	exchange(rec("ghost", math.MaxUint32, memberStateAlive))
	if _, ok := m.Member("ghost"); ok {
		t.Fatalf("a name not held was listed from an exchange above the ceiling")
	}
	if got := m.counters().IncarnationsRefused; got != 4 {
		t.Fatalf("IncarnationsRefused = %d, want 4", got)
	}

	// Records about the node itself.
	exchange(rec("self", incarnationCeiling, memberStateSuspect))
	if got := mustMember(t, m, "self"); got.Incarnation != incarnationCeiling+1 || got.State != memberStateAlive {
		t.Fatalf("self is %v at %d after a suspicion at the ceiling, want alive at %d", got.State, got.Incarnation, incarnationCeiling+1)
	}
}
