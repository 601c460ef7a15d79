package hyparlist

import (
	"testing"
	"time"
)

// Tests of membership_checks.go: name conflicts, NameReclaimTime, and the
// aliveCheck and mergeCheck questions.

// recAt returns rec(name, inc, st) at address addr.
func recAt(name, addr string, inc uint32, st memberState) memberRecord {
	r := rec(name, inc, st)
	r.Addr = addr
	return r
}

// TestMembershipAddressConflict: a live record at another address is
// refused and reported while the name's holder is alive, suspect, or dead
// for less than NameReclaimTime; it takes the name once the holder left or
// has been dead long enough.
func TestMembershipAddressConflict(t *testing.T) {
	cfg := DefaultMembershipConfig()
	cfg.NameReclaimTime = time.Minute
	claim := recAt("x", "10.0.0.2:1", 7, memberStateAlive)
	cases := []struct {
		name     string
		held     []memberRecord // delivered in order before the claim
		after    time.Duration  // since the last held record
		conflict bool
	}{
		{"alive holder", []memberRecord{rec("x", 0, memberStateAlive)}, time.Hour, true},
		{"suspect holder", []memberRecord{rec("x", 0, memberStateAlive), rec("x", 0, memberStateSuspect)}, 0, true},
		{"dead holder, too recent", []memberRecord{rec("x", 0, memberStateAlive), rec("x", 0, memberStateDead)}, 59 * time.Second, true},
		{"dead holder, reclaimable", []memberRecord{rec("x", 0, memberStateAlive), rec("x", 0, memberStateDead)}, 61 * time.Second, false},
		{"left holder", []memberRecord{rec("x", 0, memberStateAlive), rec("x", 0, memberStateLeft)}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newStartedMembership(t, "self", cfg)
			for _, r := range c.held {
				origin := "other"
				if r.State == memberStateLeft {
					origin = r.Name // only the member may say it left (membership_sign.go)
				}
				deliverRecs(t, m, mt0, origin, r)
			}
			before := mustMember(t, m, "x")
			acts := deliverRecs(t, m, mt0.Add(c.after), "x", claim)
			conflicts := actionsOfType[memberConflict](acts)
			got := mustMember(t, m, "x")
			if !c.conflict {
				if len(conflicts) != 0 || got.Addr != claim.Addr || got.State != memberStateAlive {
					t.Fatalf("claim not applied: holds %+v, conflicts %+v", got, conflicts)
				}
				if len(memberChanges(NodeJoin, acts)) != 1 {
					t.Errorf("no MemberChanged(NodeJoin) for the reclaimed name")
				}
				return
			}
			if len(conflicts) != 1 {
				t.Fatalf("%d conflicts reported, want 1", len(conflicts))
			}
			if conflicts[0].Existing.Addr != before.Addr || conflicts[0].Other.Addr != claim.Addr || conflicts[0].Other.Incarnation != 7 {
				t.Errorf("conflict %+v", conflicts[0])
			}
			if got.Addr != before.Addr || got.State != before.State || got.Incarnation != before.Incarnation {
				t.Errorf("conflicting claim changed the record: %+v → %+v", before, got)
			}
			if n := len(memberChanges(NodeUpdate, acts)) + len(memberChanges(NodeJoin, acts)); n != 0 {
				t.Errorf("%d member events for a refused claim", n)
			}
		})
	}
}

// TestMembershipNameReclaimZero: with NameReclaimTime zero a dead member's
// name is free at once; a stale claim (lower incarnation than held) is
// ignored without a conflict.
func TestMembershipNameReclaimZero(t *testing.T) {
	m := newStartedMembership(t, "self", DefaultMembershipConfig())
	deliverRecs(t, m, mt0, "o", rec("x", 3, memberStateAlive))
	if acts := deliverRecs(t, m, mt0, "x", recAt("x", "10.0.0.2:1", 1, memberStateAlive)); len(actionsOfType[memberConflict](acts)) != 0 {
		t.Errorf("a stale claim was reported as a conflict")
	}
	deliverRecs(t, m, mt0, "o", rec("x", 3, memberStateDead))
	deliverRecs(t, m, mt0, "x", recAt("x", "10.0.0.2:1", 4, memberStateAlive))
	if got := mustMember(t, m, "x"); got.Addr != "10.0.0.2:1" || got.State != memberStateAlive {
		t.Errorf("dead name not reclaimed at once: %+v", got)
	}
}

// TestMembershipSelfConflict: a live record claiming the local node's name
// at another address is reported, not refuted; a dead one at another
// address (the node's previous life) is refuted.
func TestMembershipSelfConflict(t *testing.T) {
	m := newStartedMembership(t, "self", DefaultMembershipConfig())
	acts := deliverRecs(t, m, mt0, "o", recAt("self", "10.0.0.9:1", 4, memberStateAlive))
	if c := actionsOfType[memberConflict](acts); len(c) != 1 || c[0].Existing.Name != "self" || c[0].Other.Addr != "10.0.0.9:1" {
		t.Fatalf("conflicts %+v, want one about self", c)
	}
	if recs := announcedRecords(t, acts); len(recs) != 0 || m.localMember().Incarnation != 0 {
		t.Fatalf("a conflicting claim was refuted: %+v", recs)
	}
	acts = deliverRecs(t, m, mt0, "o", recAt("self", "10.0.0.9:1", 4, memberStateDead))
	if recs := announcedRecords(t, acts); len(recs) != 1 || recs[0].Incarnation != 5 || recs[0].Addr != "self:7946" {
		t.Fatalf("dead record of a previous life not refuted: %+v", recs)
	}
}

// TestMembershipAliveCheck: with CheckAlive a record that would make a
// member live, change its address or metadata, or (alive) its incarnation
// waits for the verdict, as memberlist asks on every alive message it
// applies; a suspicion and a repeat do not ask.
func TestMembershipAliveCheck(t *testing.T) {
	cfg := DefaultMembershipConfig()
	cfg.checkAlive = true
	m := newStartedMembership(t, "self", cfg)

	acts := deliverRecs(t, m, mt0, "x", rec("x", 0, memberStateAlive))
	checks := actionsOfType[aliveCheck](acts)
	if len(checks) != 1 || checks[0].Record.Name != "x" {
		t.Fatalf("checks %+v, want one for x", checks)
	}
	if _, ok := m.Member("x"); ok {
		t.Fatalf("x added before the verdict")
	}
	if acts := stepActs(m, mt0, aliveVerdict{Check: checks[0], Accept: false}); len(acts) != 0 {
		t.Fatalf("a rejection produced %v", acts)
	}
	if _, ok := m.Member("x"); ok {
		t.Fatalf("x added after a rejection")
	}
	acts = stepActs(m, mt0, aliveVerdict{Check: checks[0], Accept: true})
	if len(memberChanges(NodeJoin, acts)) != 1 || mustMember(t, m, "x").State != memberStateAlive {
		t.Fatalf("accepted x not joined: %v", acts)
	}

	// A repeat does not ask, nor does a suspicion; the refutation (same
	// address and metadata, a new incarnation) does, and a rejected one
	// leaves the member suspect.
	if acts := deliverRecs(t, m, mt0, "a", rec("x", 0, memberStateAlive)); len(acts) != 0 {
		t.Errorf("a repeat gave %v", acts)
	}
	if acts := deliverRecs(t, m, mt0, "a", rec("x", 0, memberStateSuspect)); len(actionsOfType[aliveCheck](acts)) != 0 {
		t.Errorf("a suspicion asked for a verdict")
	}
	checks = actionsOfType[aliveCheck](deliverRecs(t, m, mt0, "x", rec("x", 1, memberStateAlive)))
	if len(checks) != 1 || checks[0].Record.Incarnation != 1 {
		t.Fatalf("refutation: checks %+v, want one at incarnation 1", checks)
	}
	stepActs(m, mt0, aliveVerdict{Check: checks[0], Accept: false})
	if got := mustMember(t, m, "x"); got.State != memberStateSuspect || got.Incarnation != 0 {
		t.Fatalf("a rejected refutation changed x: %+v", got)
	}
	stepActs(m, mt0, aliveVerdict{Check: checks[0], Accept: true})
	if got := mustMember(t, m, "x"); got.State != memberStateAlive || got.Incarnation != 1 {
		t.Fatalf("an accepted refutation did not apply: %+v", got)
	}
	// A re-announcement at a higher incarnation asks too.
	if n := len(actionsOfType[aliveCheck](deliverRecs(t, m, mt0, "a", rec("x", 2, memberStateAlive)))); n != 1 {
		t.Errorf("a new incarnation: %d checks, want 1", n)
	}
	// New metadata asks; a verdict overtaken by a newer record does nothing.
	newMeta := rec("x", 2, memberStateAlive)
	newMeta.Meta = []byte("m")
	checks = actionsOfType[aliveCheck](deliverRecs(t, m, mt0, "x", newMeta))
	if len(checks) != 1 {
		t.Fatalf("metadata change: %d checks, want 1", len(checks))
	}
	deliverRecs(t, m, mt0, "a", rec("x", 3, memberStateSuspect))
	stepActs(m, mt0, aliveVerdict{Check: checks[0], Accept: true})
	if got := mustMember(t, m, "x"); got.Incarnation != 3 || got.State != memberStateSuspect {
		t.Errorf("an overtaken verdict changed x: %+v", got)
	}
}

// TestMembershipMergeCheck: with CheckMerge the records of a join
// exchange wait for the verdict, the answer to the peer does not; other
// exchanges merge at once.
func TestMembershipMergeCheck(t *testing.T) {
	cfg := DefaultMembershipConfig()
	cfg.checkMerge = true
	m := newStartedMembership(t, "self", cfg)
	peer := testPeer("p")
	recs := []memberRecord{rec("p", 0, memberStateAlive), rec("q", 0, memberStateAlive)}
	selfBucket := uint16(fineBucketOf(nameHash("self")) / (fineBuckets / 64))
	acts := stepActs(m, mt0, Receive{From: peer, Msg: memberRecordsMsg{Join: true, Buckets: 64, Want: []uint16{selfBucket}, Records: recs}})
	checks := actionsOfType[mergeCheck](acts)
	if len(checks) != 1 || checks[0].From != peer || len(checks[0].Records) != 2 {
		t.Fatalf("merge checks %+v", checks)
	}
	if len(actionsOfType[Send](acts)) != 1 {
		t.Errorf("the join exchange was not answered before the verdict")
	}
	if m.NumMembers() != 1 {
		t.Fatalf("records merged before the verdict")
	}
	stepActs(m, mt0, mergeVerdict{Check: checks[0], Accept: false})
	if m.NumMembers() != 1 {
		t.Fatalf("records merged after a veto")
	}
	acts = stepActs(m, mt0, mergeVerdict{Check: checks[0], Accept: true})
	if m.NumMembers() != 3 || len(memberChanges(NodeJoin, acts)) != 2 {
		t.Fatalf("accepted join records: %d members, %d joins", m.NumMembers(), len(memberChanges(NodeJoin, acts)))
	}
	acts = stepActs(m, mt0, Receive{From: peer, Msg: memberRecordsMsg{Buckets: 64, Records: []memberRecord{rec("r", 0, memberStateAlive)}}})
	if len(actionsOfType[mergeCheck](acts)) != 0 || m.NumMembers() != 4 {
		t.Errorf("a periodic exchange was checked or not merged")
	}
}

// TestMembershipAnnounceForPeer: a peer's own record that makes it a
// member, learned only by anti-entropy from that peer, is announced on
// its behalf after proxyAnnounceDelay, unless the peer's own announcement
// is delivered meanwhile; records about others learned the same way are
// not.
func TestMembershipAnnounceForPeer(t *testing.T) {
	m := newStartedMembership(t, "self", DefaultMembershipConfig())
	acts := stepActs(m, mt0, Receive{From: testPeer("p"), Msg: memberRecordsMsg{Buckets: 64,
		Records: []memberRecord{rec("p", 0, memberStateAlive), rec("q", 0, memberStateAlive)}}})
	if recs := announcedRecords(t, acts); len(recs) != 0 {
		t.Fatalf("announced %+v at once, want nothing before %v", recs, proxyAnnounceDelay)
	}
	tm := timersOf[memberDeadlineTimer](acts)
	if len(tm) != 1 || tm[0].After != proxyAnnounceDelay {
		t.Fatalf("timers %+v, want one after %v", tm, proxyAnnounceDelay)
	}
	recs := announcedRecords(t, stepActs(m, mt0.Add(proxyAnnounceDelay), TimerFired{Timer: tm[0].Timer}))
	if len(recs) != 1 || recs[0].Name != "p" {
		t.Fatalf("announced %+v, want p's record only", recs)
	}
	acts = stepActs(m, mt0, Receive{From: testPeer("p"), Msg: memberRecordsMsg{Buckets: 64,
		Records: []memberRecord{rec("p", 1, memberStateAlive)}}})
	if recs := announcedRecords(t, acts); len(recs) != 0 || len(timersOf[memberDeadlineTimer](acts)) != 0 {
		t.Errorf("a live peer's newer record was announced or armed a timer: %+v", acts)
	}

	// The peer's own announcement arrives within the delay: no proxy.
	m = newStartedMembership(t, "self", DefaultMembershipConfig())
	acts = stepActs(m, mt0, Receive{From: testPeer("p"), Msg: memberRecordsMsg{Buckets: 64,
		Records: []memberRecord{rec("p", 0, memberStateAlive)}}})
	tm = timersOf[memberDeadlineTimer](acts)
	deliverRecs(t, m, mt0.Add(time.Second), "p", rec("p", 0, memberStateAlive))
	if recs := announcedRecords(t, stepActs(m, mt0.Add(proxyAnnounceDelay), TimerFired{Timer: tm[0].Timer})); len(recs) != 0 {
		t.Errorf("announced %+v on behalf of a peer whose announcement was heard", recs)
	}
}

// TestMembershipMergeCheckHoldsBroadcasts: with CheckMerge, records that
// arrive by broadcast are not merged before the join exchange has started
// nor while its mergeCheck waits for a verdict (at most joinCheckWait), so
// that a vetoed cluster's records are never listed.
func TestMembershipMergeCheckHoldsBroadcasts(t *testing.T) {
	cfg := DefaultMembershipConfig()
	cfg.checkMerge = true
	m := newStartedMembership(t, "self", cfg)
	deliverRecs(t, m, mt0, "a", rec("a", 0, memberStateAlive))
	if n := m.NumMembers(); n != 1 {
		t.Fatalf("%d members after a broadcast before the join exchange, want 1", n)
	}
	peer := testPeer("p")
	stepActs(m, mt0, NeighborUp{Peer: peer})
	acts := stepActs(m, mt0, Receive{From: peer, Msg: memberRecordsMsg{Join: true, Buckets: 64, Records: []memberRecord{rec("p", 0, memberStateAlive)}}})
	checks := actionsOfType[mergeCheck](acts)
	if len(checks) != 1 {
		t.Fatalf("merge checks %+v", checks)
	}
	deliverRecs(t, m, mt0, "p", rec("q", 0, memberStateAlive))
	if n := m.NumMembers(); n != 1 {
		t.Fatalf("%d members after a broadcast while the join verdict waits, want 1", n)
	}
	stepActs(m, mt0, mergeVerdict{Check: checks[0], Accept: false})
	if n := m.NumMembers(); n != 1 {
		t.Fatalf("%d members after the veto, want 1", n)
	}
	deliverRecs(t, m, mt0, "r", rec("r", 0, memberStateAlive))
	if n := m.NumMembers(); n != 2 {
		t.Fatalf("%d members after a broadcast with no verdict pending, want 2", n)
	}
	// A verdict that never comes holds broadcasts for joinCheckWait only.
	acts = stepActs(m, mt0, Receive{From: peer, Msg: memberRecordsMsg{Join: true, Buckets: 64, Records: []memberRecord{rec("p", 0, memberStateAlive)}}})
	if len(actionsOfType[mergeCheck](acts)) != 1 {
		t.Fatal("no merge check for the second join exchange")
	}
	deliverRecs(t, m, mt0.Add(joinCheckWait), "s", rec("s", 0, memberStateAlive))
	if n := m.NumMembers(); n != 3 {
		t.Fatalf("%d members after joinCheckWait with the verdict missing, want 3", n)
	}
}
