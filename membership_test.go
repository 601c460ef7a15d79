package hyparlist

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestMembershipStartJoinsSelfFirstNeighbourAnnounces(t *testing.T) {
	m, err := NewMembership(testPeer("self"), DefaultMembershipConfig(), rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if acts := stepActs(m, mt0, NeighborUp{Peer: testPeer("a")}); len(acts) != 0 {
		t.Errorf("events before Start produced %d actions", len(acts))
	}
	m.Step(mt0, updateMeta{Meta: []byte("m0")})
	acts := stepActs(m, mt0, Start{})
	joined := memberChanges(NodeJoin, acts)
	if len(joined) != 1 || joined[0].Member.Name != "self" || string(joined[0].Member.Meta) != "m0" {
		t.Errorf("Start joined %+v, want the local node with meta m0", joined)
	}
	if recs := announcedRecords(t, acts); len(recs) != 0 {
		t.Errorf("Start announced %+v with no neighbour to hear it", recs)
	}
	if n := len(timersOf[memberPushPullTimer](acts)) + len(timersOf[memberDeadProbeTimer](acts)) +
		len(timersOf[memberLivenessProbeTimer](acts)); n != 3 {
		t.Errorf("Start armed %d periodic timers, want 3", n)
	}
	if got := m.Members(); len(got) != 1 || got[0].Name != "self" {
		t.Errorf("Members() = %+v", got)
	}
	if len(stepActs(m, mt0, Start{})) != 0 {
		t.Errorf("a second Start did something")
	}
	recs := announcedRecords(t, stepActs(m, mt0, NeighborUp{Peer: testPeer("a")}))
	if len(recs) != 1 || recs[0].Name != "self" || recs[0].State != memberStateAlive || recs[0].Incarnation != 0 {
		t.Errorf("the first neighbour announced %+v, want the local node alive at 0", recs)
	}
}

func TestNewMembershipRejects(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	bad := DefaultMembershipConfig()
	bad.SuspicionMult = 0
	cases := []struct {
		name string
		self Peer
		cfg  MembershipConfig
		rng  *rand.Rand
		want error
	}{
		{"config", testPeer("a"), bad, rng, errInvalidMembershipConfig},
		{"nil rng", testPeer("a"), DefaultMembershipConfig(), nil, errInvalidMembershipSelf},
		{"empty name", Peer{}, DefaultMembershipConfig(), rng, errInvalidMembershipSelf},
		{"long name", Peer{Name: string(make([]byte, maxMemberNameLen+1))}, DefaultMembershipConfig(), rng, errInvalidMemberRecord},
	}
	for _, c := range cases {
		if _, err := NewMembership(c.self, c.cfg, c.rng); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestMembershipConfigValidate(t *testing.T) {
	if err := DefaultMembershipConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	mutations := map[string]func(*MembershipConfig){
		"SuspicionMult":           func(c *MembershipConfig) { c.SuspicionMult = 0 },
		"SuspicionMaxTimeoutMult": func(c *MembershipConfig) { c.SuspicionMaxTimeoutMult = 0 },
		"SuspicionInterval":       func(c *MembershipConfig) { c.SuspicionInterval = 0 },
		"SuspicionConfirmations":  func(c *MembershipConfig) { c.SuspicionConfirmations = maxSuspicionConfirmations + 1 },
		"PushPullInterval":        func(c *MembershipConfig) { c.PushPullInterval = -1 },
		"ReclaimTime":             func(c *MembershipConfig) { c.ReclaimTime = 0 },
		"DeadProbeInterval":       func(c *MembershipConfig) { c.DeadProbeInterval = -1 },
		"LivenessProbeInterval":   func(c *MembershipConfig) { c.LivenessProbeInterval = -1 },
		"MaxMembers":              func(c *MembershipConfig) { c.MaxMembers = 0 },
		"MaxAnnouncementRecords":  func(c *MembershipConfig) { c.MaxAnnouncementRecords = maxAnnouncementRecords + 1 },
		"MaxLocalStateSize":       func(c *MembershipConfig) { c.MaxLocalStateSize = -1 },
	}
	for field, mutate := range mutations {
		c := DefaultMembershipConfig()
		mutate(&c)
		err := c.Validate()
		if !errors.Is(err, errInvalidMembershipConfig) || !bytes.Contains([]byte(err.Error()), []byte(field)) {
			t.Errorf("%s: Validate() = %v", field, err)
		}
	}
}

// TestMembershipRefutation: the local record is authoritative; anything at
// an incarnation at least as high that differs is refuted with a higher
// incarnation, anything older is ignored.
func TestMembershipRefutation(t *testing.T) {
	other := rec("self", 0, memberStateAlive)
	other.Addr = "elsewhere:1"
	cases := []struct {
		name    string
		in      memberRecord
		wantInc uint32 // 0: no refutation
	}{
		{"suspect at own", rec("self", 0, memberStateSuspect), 1},
		{"dead above own", rec("self", 5, memberStateDead), 6},
		{"left above own", rec("self", 2, memberStateLeft), 3},
		{"alive elsewhere (a conflict)", other, 0},
		{"own record", rec("self", 0, memberStateAlive), 0},
		{"max incarnation", rec("self", math.MaxUint32, memberStateDead), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newStartedMembership(t, "self", DefaultMembershipConfig())
			acts := deliverRecs(t, m, mt0, "accuser", c.in)
			recs := announcedRecords(t, acts)
			if c.wantInc == 0 {
				if len(recs) != 0 || m.localMember().Incarnation != 0 {
					t.Fatalf("no refutation expected, announced %+v", recs)
				}
				return
			}
			want := memberRecord{Name: "self", Addr: "self:7946", Incarnation: c.wantInc, State: memberStateAlive}
			if len(recs) != 1 || recs[0].Name != want.Name || recs[0].Addr != want.Addr || recs[0].Incarnation != want.Incarnation || recs[0].State != want.State {
				t.Fatalf("announced %+v, want %+v", recs, want)
			}
			if got := m.localMember(); got.Incarnation != c.wantInc || got.State != memberStateAlive {
				t.Errorf("local record %+v", got)
			}
			if m.counters().Refutations != 1 {
				t.Errorf("Refutations = %d", m.counters().Refutations)
			}
			// Older news about the local node is ignored now.
			if recs := announcedRecords(t, deliverRecs(t, m, mt0, "accuser", rec("self", c.wantInc-1, memberStateDead))); len(recs) != 0 {
				t.Errorf("refuted a stale record: %+v", recs)
			}
		})
	}
}

func TestMembershipUpdateMeta(t *testing.T) {
	m := newStartedMembership(t, "self", DefaultMembershipConfig())
	acts := stepActs(m, mt0, updateMeta{Meta: []byte("v2")})
	recs := announcedRecords(t, acts)
	if len(recs) != 1 || recs[0].Incarnation != 1 || string(recs[0].Meta) != "v2" {
		t.Errorf("UpdateMeta announced %+v", recs)
	}
	if u := memberChanges(NodeUpdate, acts); len(u) != 1 || string(u[0].Member.Meta) != "v2" {
		t.Errorf("UpdateMeta reported %+v", u)
	}
	if acts := stepActs(m, mt0, updateMeta{Meta: make([]byte, maxMemberMetaLen+1)}); len(acts) != 0 || m.localMember().Incarnation != 1 {
		t.Errorf("oversized meta was accepted")
	}
}

// TestMembershipBatchesOneStep: the changes of one step travel in one
// announcement, split only at MaxAnnouncementRecords.
func TestMembershipBatchesOneStep(t *testing.T) {
	cfg := DefaultMembershipConfig()
	cfg.MaxAnnouncementRecords = 2
	m := newStartedMembership(t, "self", cfg)
	var recs []memberRecord
	for _, n := range []string{"a", "b", "c"} {
		recs = append(recs, rec(n, 0, memberStateAlive))
	}
	deliverRecs(t, m, mt0, "a", recs...)
	// Two records about the local node in one anti-entropy message: two
	// refutations in one step travel as one record in one announcement.
	acts := stepActs(m, mt0, Receive{From: testPeer("a"), Msg: memberRecordsMsg{Buckets: 64, Records: []memberRecord{
		rec("self", 3, memberStateSuspect), rec("self", 4, memberStateDead),
	}}})
	if bs := actionsOfType[BroadcastPayload](acts); len(bs) != 1 {
		t.Fatalf("%d announcements for one step, want 1", len(bs))
	}
	if got := announcedRecords(t, acts); len(got) != 1 || got[0].Incarnation != 5 {
		t.Errorf("announced %+v, want one refutation at 5", got)
	}
	// A step that changed three records splits at MaxAnnouncementRecords.
	m.pending = append(m.pending, rec("a", 0, memberStateSuspect), rec("b", 0, memberStateSuspect), rec("c", 0, memberStateSuspect))
	m.finishStep()
	if bs := actionsOfType[BroadcastPayload](m.Drain()); len(bs) != 2 {
		t.Errorf("3 records with MaxAnnouncementRecords 2 gave %d announcements, want 2", len(bs))
	}
}

func TestMembershipLeave(t *testing.T) {
	m := newStartedMembership(t, "self", DefaultMembershipConfig())
	acts := stepActs(m, mt0, leaveCluster{})
	var order []string
	for _, a := range acts {
		switch a := a.(type) {
		case MemberChanged:
			if a.Event == NodeLeave {
				order = append(order, "left")
			}
		case BroadcastPayload:
			order = append(order, "broadcast")
		case leaveAnnounced:
			order = append(order, "announced")
		}
	}
	if want := []string{"left", "broadcast", "announced"}; !equalStrings(order, want) {
		t.Errorf("LeaveCluster actions %v, want %v", order, want)
	}
	recs := announcedRecords(t, acts)
	if len(recs) != 1 || recs[0].State != memberStateLeft || recs[0].Incarnation != 0 {
		t.Errorf("announced %+v, want left@0", recs)
	}
	if m.NumMembers() != 0 {
		t.Errorf("NumMembers after leave = %d", m.NumMembers())
	}
	if acts := deliverRecs(t, m, mt0, "x", rec("self", 0, memberStateDead)); len(acts) != 0 {
		t.Errorf("a left node acted: %v", acts)
	}
	// A leave before Start still completes.
	n, _ := NewMembership(testPeer("n"), DefaultMembershipConfig(), rand.New(rand.NewPCG(1, 1)))
	if la := actionsOfType[leaveAnnounced](stepActs(n, mt0, leaveCluster{})); len(la) != 1 {
		t.Errorf("leave before Start: %d LeaveAnnounced", len(la))
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestMembershipReclaimAndReturn: a dead member is kept for ReclaimTime
// and then forgotten; its name may come back at a new address with a
// higher incarnation at any time, or at any incarnation after reclaim.
func TestMembershipReclaimAndReturn(t *testing.T) {
	cfg := DefaultMembershipConfig()
	cfg.ReclaimTime = time.Minute
	m := newStartedMembership(t, "self", cfg)
	deliverRecs(t, m, mt0, "x", rec("x", 3, memberStateAlive))
	acts := deliverRecs(t, m, mt0, "a", rec("x", 3, memberStateDead))
	reclaim := timersOf[memberDeadlineTimer](acts)
	if len(reclaim) != 1 || reclaim[0].After != time.Minute {
		t.Fatalf("reclaim timers %+v, want one after 1m", reclaim)
	}
	// Same name at a new address, incarnation 0: stale while the tombstone
	// is held.
	moved := rec("x", 0, memberStateAlive)
	moved.Addr = "new:1"
	if acts := deliverRecs(t, m, mt0.Add(time.Second), "x", moved); len(memberChanges(NodeJoin, acts)) != 0 {
		t.Errorf("alive@0 overrode dead@3")
	}
	// An early timer does nothing.
	m.Step(mt0.Add(30*time.Second), TimerFired{Timer: reclaim[0].Timer})
	if _, ok := m.Member("x"); !ok {
		t.Fatalf("tombstone forgotten before ReclaimTime")
	}
	m.Step(mt0.Add(time.Minute), TimerFired{Timer: reclaim[0].Timer})
	if _, ok := m.Member("x"); ok {
		t.Fatalf("tombstone kept after ReclaimTime")
	}
	acts = deliverRecs(t, m, mt0.Add(61*time.Second), "x", moved)
	j := memberChanges(NodeJoin, acts)
	if len(j) != 1 || j[0].Member.Addr != "new:1" {
		t.Errorf("return after reclaim: joined %+v", j)
	}

	// Before reclaim, a higher incarnation at a new address is a join.
	m2 := newStartedMembership(t, "self", cfg)
	deliverRecs(t, m2, mt0, "y", rec("y", 3, memberStateAlive))
	deliverRecs(t, m2, mt0, "a", rec("y", 3, memberStateDead))
	back := rec("y", 4, memberStateAlive)
	back.Addr = "new:2"
	j = memberChanges(NodeJoin, deliverRecs(t, m2, mt0.Add(time.Second), "y", back))
	if len(j) != 1 || j[0].Member.Addr != "new:2" || j[0].Member.Incarnation != 4 {
		t.Errorf("return with a higher incarnation: joined %+v", j)
	}
}

// TestMembershipDeadProbe: one ProbeMember per DeadProbeInterval, for dead
// members only.
func TestMembershipDeadProbe(t *testing.T) {
	cfg := DefaultMembershipConfig()
	m := newStartedMembership(t, "self", cfg)
	if p := actionsOfType[ProbeMember](stepActs(m, mt0, TimerFired{Timer: memberDeadProbeTimer{}})); len(p) != 0 {
		t.Errorf("probe with no dead member: %+v", p)
	}
	deliverRecs(t, m, mt0, "x", rec("left1", 0, memberStateLeft), rec("dead1", 0, memberStateDead), rec("alive1", 0, memberStateAlive))
	for i := range 20 {
		acts := stepActs(m, mt0.Add(time.Duration(i)*cfg.DeadProbeInterval), TimerFired{Timer: memberDeadProbeTimer{}})
		p := actionsOfType[ProbeMember](acts)
		if len(p) != 1 || p[0].Peer.Name != "dead1" || !p[0].Dead {
			t.Fatalf("tick %d probed %+v, want dead1 once", i, p)
		}
		if tm := timersOf[memberDeadProbeTimer](acts); len(tm) != 1 || tm[0].After != cfg.DeadProbeInterval {
			t.Fatalf("tick %d re-armed %+v", i, tm)
		}
	}
}

// TestMembershipLivenessProbe: one ProbeMember per LivenessProbeInterval,
// for live members that are neither the local node nor neighbours; a
// failed probe accuses.
func TestMembershipLivenessProbe(t *testing.T) {
	cfg := DefaultMembershipConfig()
	m := newStartedMembership(t, "self", cfg)
	deliverRecs(t, m, mt0, "x", rec("nb", 0, memberStateAlive), rec("far", 0, memberStateAlive), rec("dead1", 0, memberStateDead))
	m.Step(mt0, NeighborUp{Peer: testPeer("nb")})
	m.Drain()
	probed := 0
	for i := range 50 {
		acts := stepActs(m, mt0.Add(time.Duration(i)*cfg.LivenessProbeInterval), TimerFired{Timer: memberLivenessProbeTimer{}})
		p := actionsOfType[ProbeMember](acts)
		if len(p) > 1 || len(p) == 1 && (p[0].Peer.Name != "far" || p[0].Dead) {
			t.Fatalf("tick %d probed %+v, want at most far", i, p)
		}
		probed += len(p)
		if tm := timersOf[memberLivenessProbeTimer](acts); len(tm) != 1 || tm[0].After != cfg.LivenessProbeInterval {
			t.Fatalf("tick %d re-armed %+v", i, tm)
		}
	}
	if probed < 25 {
		t.Errorf("far probed %d times in 50 ticks", probed)
	}
	recs := announcedRecords(t, stepActs(m, mt0, LinkFailed{Peer: testPeer("far")}))
	if len(recs) != 1 || recs[0].State != memberStateSuspect {
		t.Errorf("failed probe announced %+v, want a suspicion", recs)
	}
}

// TestMembershipUserState: the Delegate push/pull hooks travel with every
// exchange, on both sides.
func TestMembershipUserState(t *testing.T) {
	a := newStartedMembership(t, "a", DefaultMembershipConfig())
	b := newStartedMembership(t, "b", DefaultMembershipConfig())
	acts := stepActs(a, mt0, NeighborUp{Peer: testPeer("b")})
	pp := actionsOfType[PushPullState](acts)
	if len(pp) != 1 || pp[0].Peer.Name != "b" || !pp[0].Join {
		t.Fatalf("join exchange asked %+v", pp)
	}
	digest := actionsOfType[Send](acts)[0]
	pp = actionsOfType[PushPullState](stepActs(b, mt0, Receive{From: testPeer("a"), Msg: digest.Msg}))
	if len(pp) != 1 || pp[0].Peer.Name != "a" || !pp[0].Join {
		t.Fatalf("responder asked %+v", pp)
	}
	sends := actionsOfType[Send](stepActs(a, mt0, LocalStateReady{Peer: testPeer("b"), Join: true, State: []byte("hello")}))
	if len(sends) != 1 {
		t.Fatalf("LocalStateReady sent %d messages", len(sends))
	}
	us := sends[0].Msg.(memberUserStateMsg)
	merged := actionsOfType[mergeRemoteState](stepActs(b, mt0, Receive{From: testPeer("a"), Msg: &us}))
	if len(merged) != 1 || string(merged[0].State) != "hello" || !merged[0].Join || merged[0].From.Name != "a" {
		t.Errorf("MergeRemoteState %+v", merged)
	}
	if acts := stepActs(a, mt0, LocalStateReady{Peer: testPeer("b")}); len(acts) != 0 {
		t.Errorf("an empty state was sent")
	}
}

// TestMembershipUserStateShared: the core sends the state it is handed
// without copying it, so that a driver answering many exchanges with one
// buffer keeps one copy alive (review s3, H4).
func TestMembershipUserStateShared(t *testing.T) {
	a := newStartedMembership(t, "a", DefaultMembershipConfig())
	state := []byte("shared state")
	for _, peer := range []string{"b", "c"} {
		sends := actionsOfType[Send](stepActs(a, mt0, LocalStateReady{Peer: testPeer(peer), State: state}))
		if len(sends) != 1 {
			t.Fatalf("LocalStateReady for %s sent %d messages", peer, len(sends))
		}
		if got := sends[0].Msg.(memberUserStateMsg).State; len(got) != len(state) || &got[0] != &state[0] {
			t.Errorf("state sent to %s is a copy", peer)
		}
	}
}

// TestMembershipIgnoresBadInput: malformed messages and payloads change
// nothing and do not panic.
func TestMembershipIgnoresBadInput(t *testing.T) {
	m := newStartedMembership(t, "self", DefaultMembershipConfig())
	deliverRecs(t, m, mt0, "x", rec("x", 0, memberStateAlive))
	root := m.table.root
	bad := []Event{
		Deliver{Class: ClassMembership, Payload: []byte{1, 200, 1}},
		Deliver{Class: ClassUser, Payload: []byte("not membership")},
		Receive{From: testPeer("x"), Msg: memberDigestMsg{Buckets: 63}},
		Receive{From: testPeer("x"), Msg: memberBucketsMsg{Hashes: make([]uint64, 65)}},
		Receive{From: testPeer("x"), Msg: memberRecordsMsg{Buckets: 64, Want: []uint16{64}}},
		Receive{From: testPeer("x"), Msg: memberRecordsMsg{Buckets: 64, Want: []uint16{3, 3}}},
		Receive{From: testPeer("x"), Msg: memberRecordsMsg{Buckets: 100}},
		Receive{From: testPeer("x"), Msg: memberRecordsMsg{Buckets: 64, Records: make([]memberRecord, maxMemberRecordsPerMessage+1)}},
		Receive{From: testPeer("x"), Msg: memberRecordsMsg{Buckets: 64, Records: []memberRecord{{Name: ""}, {Name: "y", State: 9}}}},
		Receive{From: testPeer("x"), Msg: pruneMsg{}},
		Receive{From: testPeer("x"), Msg: (*memberRecordsMsg)(nil)},
		Receive{From: testPeer("x"), Msg: (*memberDigestMsg)(nil)},
		TimerFired{Timer: memberDeadlineTimer{}},
		LinkFailed{Peer: testPeer("unknown")},
		LinkFailed{Peer: testPeer("self")},
		NeighborUp{Peer: testPeer("self")},
		NeighborDown{Peer: testPeer("nobody")},
		JoinCluster{Contact: testPeer("x")},
	}
	for _, ev := range bad {
		acts := stepActs(m, mt0, ev)
		if len(actionsOfType[BroadcastPayload](acts))+len(actionsOfType[Send](acts))+len(memberChanges(NodeLeave, acts)) != 0 {
			t.Errorf("%T %+v produced %v", ev, ev, acts)
		}
	}
	if m.table.root != root || m.NumMembers() != 2 {
		t.Errorf("bad input changed the table")
	}
	if m.counters().BadAnnouncements != 1 {
		t.Errorf("BadAnnouncements = %d, want 1", m.counters().BadAnnouncements)
	}
}

// TestMembershipMaxMembers: the table never grows past MaxMembers; a live
// member evicts the oldest tombstone, a tombstone evicts nothing.
func TestMembershipMaxMembers(t *testing.T) {
	cfg := DefaultMembershipConfig()
	cfg.MaxMembers = 3
	m := newStartedMembership(t, "self", cfg)
	deliverRecs(t, m, mt0, "x", rec("old", 0, memberStateDead))
	deliverRecs(t, m, mt0.Add(time.Second), "x", rec("newer", 0, memberStateDead))
	deliverRecs(t, m, mt0, "x", rec("t3", 0, memberStateDead))
	if _, ok := m.Member("t3"); ok {
		t.Errorf("a tombstone evicted a tombstone")
	}
	deliverRecs(t, m, mt0, "x", rec("live", 0, memberStateAlive))
	if _, ok := m.Member("old"); ok || m.table.len() != 3 {
		t.Errorf("live member did not evict the oldest tombstone (len %d)", m.table.len())
	}
	deliverRecs(t, m, mt0, "x", rec("live2", 0, memberStateAlive))
	deliverRecs(t, m, mt0, "x", rec("live3", 0, memberStateAlive))
	if m.table.len() != 3 {
		t.Errorf("table len %d, want 3", m.table.len())
	}
}

// TestMembershipDrainReleased: the next Step clears the actions a Drain
// handed out, so that large anti-entropy messages do not stay reachable
// from an idle core.
func TestMembershipDrainReleased(t *testing.T) {
	m := newStartedMembership(t, "self", DefaultMembershipConfig())
	m.Step(mt0, NeighborUp{Peer: testPeer("a")})
	acts := m.Drain()
	if len(acts) == 0 {
		t.Fatal("NeighborUp produced no action")
	}
	backing := acts[:cap(acts)]
	m.Step(mt0, NeighborDown{Peer: testPeer("a")})
	for i, a := range backing[:len(acts)] {
		if a != nil {
			t.Fatalf("drained action %d (%T) still referenced after the next Step", i, a)
		}
	}
}
