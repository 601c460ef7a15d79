// Tests of the exchange's tombstones of live members, held as suspicions
// (membership_exchange_dead.go).

package hyparlist

import (
	"testing"
	"time"
)

// TestMembershipExchangedDeathIsSuspicion: a dead record that an exchange
// brings of a member held alive makes it suspect at that incarnation, not
// dead: no NotifyLeave, still listed. Its refutation keeps it; without
// one it is declared dead when the suspicion expires (the longest
// timeout: nobody accused it), without an announcement. A dead
// announcement still marks a member dead at once, and a relayed alive
// record at the tombstone's incarnation does not undo the suspicion.
func TestMembershipExchangedDeathIsSuspicion(t *testing.T) {
	m := withMembers(t, DefaultMembershipConfig(), 10)
	exchange := func(now time.Time, recs ...memberRecord) []Action {
		return stepActs(m, now, Receive{From: testPeer("m0"), Msg: memberRecordsMsg{Buckets: 64, Records: recs}})
	}
	acts := exchange(mt0, rec("m1", 0, memberStateDead), rec("m2", 0, memberStateDead))
	if l := memberChanges(NodeLeave, acts); len(l) != 0 {
		t.Fatalf("exchange's tombstones reported %+v as left", l)
	}
	for _, name := range []string{"m1", "m2"} {
		if st := mustMember(t, m, name).State; st != memberStateSuspect {
			t.Fatalf("%s is %v after an exchange's tombstone, want suspect", name, st)
		}
	}
	if m.NumMembers() != 10 {
		t.Fatalf("NumMembers = %d, want 10", m.NumMembers())
	}
	// The same tombstone again, and a relayed alive copy at the same
	// incarnation, change nothing.
	if acts := exchange(mt0.Add(time.Second), rec("m1", 0, memberStateDead)); len(memberChanges(NodeLeave, acts)) != 0 {
		t.Errorf("a second tombstone reported a leave")
	}
	deliverRecs(t, m, mt0.Add(time.Second), "m3", rec("m2", 0, memberStateAlive))
	if st := mustMember(t, m, "m2").State; st != memberStateSuspect {
		t.Errorf("m2 is %v after a relayed alive copy, want suspect", st)
	}
	// m1 refutes; m2 does not.
	deliverRecs(t, m, mt0.Add(2*time.Second), "m1", rec("m1", 1, memberStateAlive))
	_, hi := suspicionBounds(m.cfg, m.table.nLive)
	var left []MemberChanged
	for now := mt0; !now.After(mt0.Add(hi)); now = now.Add(time.Second) {
		acts := fireDeadlines(m, now)
		left = append(left, memberChanges(NodeLeave, acts)...)
		if recs := announcedRecords(t, acts); len(recs) != 0 {
			t.Errorf("at %v: announced %+v", now.Sub(mt0), recs)
		}
		if len(left) == 0 && now.Before(mt0.Add(hi)) && mustMember(t, m, "m2").State != memberStateSuspect {
			t.Fatalf("m2 left its suspicion at %v, before %v", now.Sub(mt0), hi)
		}
	}
	if len(left) != 1 || left[0].Member.Name != "m2" || left[0].Member.State != memberStateDead {
		t.Fatalf("by the longest timeout %v: left %+v, want m2 dead", hi, left)
	}
	if st := mustMember(t, m, "m1").State; st != memberStateAlive {
		t.Errorf("m1 refuted and is %v", st)
	}
	// A dead announcement is applied at once.
	acts = deliverRecs(t, m, mt0.Add(hi), "m4", rec("m3", 0, memberStateDead))
	if l := memberChanges(NodeLeave, acts); len(l) != 1 || l[0].Member.Name != "m3" {
		t.Errorf("dead announcement: left %+v, want m3", l)
	}
}
