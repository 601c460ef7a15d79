// Tests of the membership core's counters of lost members (membershipStats).

package hyparlist

import "testing"

// TestMembershipStatsCountLossCauses: each way a live member is lost is
// counted once, under its own cause: an accusation and the expiry of its
// suspicion, a dead announcement; an exchange's dead record makes a live
// member suspect and its "left" record of a live member is refused, so an
// exchange loses none.
func TestMembershipStatsCountLossCauses(t *testing.T) {
	m := withMembers(t, DefaultMembershipConfig(), 10)
	stepActs(m, mt0, LinkFailed{Peer: testPeer("m1")})
	if s := m.counters(); s.Accusations != 1 || s.SuspicionsExpired != 0 {
		t.Fatalf("after LinkFailed: %+v, want 1 accusation", s)
	}
	_, hi := suspicionBounds(m.cfg, m.table.nLive)
	stepActs(m, mt0.Add(hi), TimerFired{Timer: memberDeadlineTimer{}})
	if s := m.counters(); s.SuspicionsExpired != 1 || s.DeadFromAnnouncements != 0 {
		t.Fatalf("after the expiry: %+v, want 1 suspicion expired", s)
	}
	deliverRecs(t, m, mt0.Add(hi), "m3", rec("m2", 0, memberStateDead))
	if s := m.counters(); s.DeadFromAnnouncements != 1 || s.SuspicionsExpired != 1 {
		t.Fatalf("after a dead announcement: %+v, want 1 from announcements", s)
	}
	stepActs(m, mt0.Add(hi), Receive{From: testPeer("m4"), Msg: memberRecordsMsg{Buckets: 64,
		Records: []memberRecord{rec("m5", 0, memberStateLeft), rec("m6", 0, memberStateDead)}}})
	if s := m.counters(); s.ForeignLeavesRefused != 1 || s.ExchangedDeathsSuspected != 1 || s.DeadFromAnnouncements != 1 || s.UnconfirmedRemoved != 0 {
		t.Fatalf("after an exchange: %+v, want the left refused, 1 suspected instead", s)
	}
	if m.NumMembers() != 8 {
		t.Errorf("NumMembers = %d, want 8", m.NumMembers())
	}
}
