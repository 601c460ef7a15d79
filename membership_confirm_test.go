package hyparlist

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// Tests of the confirmation of new members learned second-hand
// (membership_confirm.go; issue 14: forged records of nodes that do not
// exist must expire in seconds).

// confirmProbes returns the names of the Confirm probes among acts,
// sorted.
func confirmProbes(acts []Action) []string {
	var out []string
	for _, p := range actionsOfType[ProbeMember](acts) {
		if p.Confirm {
			out = append(out, p.Peer.Name)
		}
	}
	slices.Sort(out)
	return out
}

// fireDeadlines steps the deadline timer at now and returns the actions.
func fireDeadlines(m *Membership, now time.Time) []Action {
	return stepActs(m, now, TimerFired{Timer: memberDeadlineTimer{}})
}

// TestMembershipGhostsExpire: a neighbour relays in its own announcement
// 50 alive records of names that no node runs, and the records of two
// real members; one real member is then heard from itself. At
// ConfirmTimeout the node checks the other real member and the 50
// ghosts, once each; the ghosts' checks fail and they are marked dead
// without an announcement, the real member's check succeeds and it stays.
// A relayed record of a higher incarnation, or a suspicion, does not
// postpone the check, and a ghost brought back is checked again.
// Before the check existed, every ghost stayed alive until a liveness
// probe happened to pick it, one member per LivenessProbeInterval.
func TestMembershipGhostsExpire(t *testing.T) {
	cfg := DefaultMembershipConfig()
	m := newStartedMembership(t, "self", cfg)
	m.Step(mt0, NeighborUp{Peer: testPeer("forger")})
	m.Drain()
	var recs []memberRecord
	var ghosts []string
	for i := range 50 {
		name := fmt.Sprintf("ghost-%02d", i)
		ghosts = append(ghosts, name)
		recs = append(recs, rec(name, 0, memberStateAlive))
	}
	recs = append(recs, rec("real-heard", 0, memberStateAlive), rec("real-quiet", 0, memberStateAlive))
	deliverRecs(t, m, mt0, "forger", recs...)
	if got := m.NumMembers(); got != 53 {
		t.Fatalf("%d members after the relayed records, want 53", got)
	}
	// real-heard announces itself (its own broadcast, relayed by the
	// forger's link): vouched for.
	payload, err := appendAnnouncement(nil, []memberRecord{rec("real-heard", 0, memberStateAlive)})
	if err != nil {
		t.Fatal(err)
	}
	m.Step(mt0.Add(time.Second), Deliver{ID: MessageID{Origin: "real-heard", Seq: 1}, Class: ClassMembership, Payload: payload, From: testPeer("forger")})
	// A higher incarnation of a ghost, relayed again, does not postpone
	// its check.
	deliverRecs(t, m, mt0.Add(2*time.Second), "forger", rec("ghost-00", 5, memberStateAlive))
	// A ghost accused (a liveness probe failed) is still checked at
	// ConfirmTimeout, before its suspicion expires.
	m.Step(mt0.Add(3*time.Second), LinkFailed{Peer: testPeer("ghost-01")})
	m.Drain()

	if acts := fireDeadlines(m, mt0.Add(cfg.ConfirmTimeout-time.Millisecond)); len(confirmProbes(acts)) != 0 {
		t.Fatalf("checks before ConfirmTimeout: %v", confirmProbes(acts))
	}
	acts := fireDeadlines(m, mt0.Add(cfg.ConfirmTimeout))
	want := append(slices.Clone(ghosts), "real-quiet")
	slices.Sort(want)
	if got := confirmProbes(acts); !slices.Equal(got, want) {
		t.Fatalf("checks at ConfirmTimeout: %v, want the 50 ghosts and real-quiet", got)
	}
	if again := confirmProbes(fireDeadlines(m, mt0.Add(cfg.ConfirmTimeout+500*time.Millisecond))); len(again) != 0 {
		t.Errorf("checked again: %v", again)
	}

	// The ghosts cannot be reached; real-quiet can (nothing is fed).
	now := mt0.Add(cfg.ConfirmTimeout + time.Second)
	var left int
	for _, g := range ghosts {
		acts := stepActs(m, now, MemberUnreachable{Peer: testPeer(g)})
		if recs := announcedRecords(t, acts); len(recs) != 0 {
			t.Errorf("%s: unreachable announced %+v", g, recs)
		}
		left += len(memberChanges(NodeLeave, acts))
	}
	if left != 50 {
		t.Errorf("%d MemberChanged(NodeLeave) for 50 unreachable ghosts", left)
	}
	if got := m.NumMembers(); got != 3 {
		t.Errorf("%d members after the checks, want 3 (self, real-heard, real-quiet)", got)
	}
	for _, g := range ghosts {
		if got := mustMember(t, m, g); got.State != memberStateDead {
			t.Errorf("%s: %v, want dead", g, got.State)
		}
	}
	// A ghost brought back at a higher incarnation by a relayed record is
	// checked again.
	deliverRecs(t, m, now, "forger", rec("ghost-02", 7, memberStateAlive))
	if got := mustMember(t, m, "ghost-02"); got.State != memberStateAlive {
		t.Fatalf("revived ghost-02: %v, want alive", got.State)
	}
	if got := confirmProbes(fireDeadlines(m, now.Add(cfg.ConfirmTimeout))); !slices.Equal(got, []string{"ghost-02"}) {
		t.Errorf("checks after a revival: %v, want ghost-02", got)
	}
	// An unreachable report for a member that was not being checked
	// changes nothing.
	if acts := stepActs(m, now, MemberUnreachable{Peer: testPeer("real-heard")}); len(acts) != 0 || mustMember(t, m, "real-heard").State != memberStateAlive {
		t.Errorf("MemberUnreachable of a vouched member acted: %v", acts)
	}
}

// TestMembershipVouchedMembersNotChecked: a member's own announcement, a
// message from it, a link with it, and the node's own join exchange
// vouch for it: no check. A record brought by anti-entropy from a
// neighbour is checked, and a check becomes moot when the member is
// heard from before it fails.
func TestMembershipVouchedMembersNotChecked(t *testing.T) {
	cfg := DefaultMembershipConfig()
	m := newStartedMembership(t, "self", cfg)
	m.Step(mt0, joinVia{Contact: testPeer("c")})
	m.Step(mt0, NeighborUp{Peer: testPeer("c")})
	m.Step(mt0, Receive{From: testPeer("c"), Msg: memberRecordsMsg{Join: true, Buckets: 64, Records: newNames("cluster", 100)}})
	deliverRecs(t, m, mt0, "own", rec("own", 0, memberStateAlive))
	deliverRecs(t, m, mt0, "c", rec("linked", 0, memberStateAlive), rec("spoke", 0, memberStateAlive))
	m.Step(mt0, NeighborUp{Peer: testPeer("linked")})
	m.Step(mt0, Receive{From: testPeer("spoke"), Msg: memberDigestMsg{}})
	m.Step(mt0, Receive{From: testPeer("c"), Msg: memberRecordsMsg{Buckets: 64, Records: []memberRecord{rec("repaired", 0, memberStateAlive)}}})
	m.Drain()
	if got := m.NumMembers(); got != 105 {
		t.Fatalf("%d members, want 105", got)
	}
	acts := fireDeadlines(m, mt0.Add(cfg.ConfirmTimeout))
	if got := confirmProbes(acts); !slices.Equal(got, []string{"repaired"}) {
		t.Fatalf("checks %v, want only the member repaired by anti-entropy", got)
	}
	// "repaired" links before its check fails: it stays.
	m.Step(mt0.Add(cfg.ConfirmTimeout), NeighborUp{Peer: testPeer("repaired")})
	m.Step(mt0.Add(cfg.ConfirmTimeout), MemberUnreachable{Peer: testPeer("repaired")})
	if got := mustMember(t, m, "repaired"); got.State != memberStateAlive {
		t.Errorf("repaired: %v after it linked, want alive", got.State)
	}
}

// TestMembershipConfirmOff: ConfirmTimeout zero checks nothing.
func TestMembershipConfirmOff(t *testing.T) {
	cfg := DefaultMembershipConfig()
	cfg.ConfirmTimeout = 0
	m := newStartedMembership(t, "self", cfg)
	deliverRecs(t, m, mt0, "n", newNames("x", 20)...)
	if got := confirmProbes(fireDeadlines(m, mt0.Add(time.Hour))); len(got) != 0 {
		t.Errorf("checks with ConfirmTimeout 0: %v", got)
	}
}

// TestMembershipJoinExemptionExpires: the node's own join exchange is
// exempt from the new-member limit (and vouches for its records) only for
// joinExemptionTime: join records from the same contact after that are
// limited like any others and are checked.
func TestMembershipJoinExemptionExpires(t *testing.T) {
	cfg := rateLimitedConfig()
	m := newStartedMembership(t, "self", cfg)
	m.Step(mt0, joinVia{Contact: testPeer("c")})
	m.Step(mt0, NeighborUp{Peer: testPeer("c")})
	recs := newNames("member", 300)
	for i := 0; i < len(recs); i += maxMemberRecordsPerMessage {
		chunk := recs[i:min(i+maxMemberRecordsPerMessage, len(recs))]
		m.Step(mt0.Add(joinExemptionTime-time.Second), Receive{From: testPeer("c"), Msg: memberRecordsMsg{Join: true, Buckets: 64, Records: chunk}})
	}
	if got := m.NumMembers(); got != 301 || m.counters().NewMembersDropped != 0 {
		t.Fatalf("join records within the exemption: %d members, %d dropped; want 301, 0", got, m.counters().NewMembersDropped)
	}
	later := mt0.Add(joinExemptionTime)
	before := m.NumMembers()
	late := newNames("late", 300)
	for i := 0; i < len(late); i += maxMemberRecordsPerMessage {
		chunk := late[i:min(i+maxMemberRecordsPerMessage, len(late))]
		m.Step(later, Receive{From: testPeer("c"), Msg: memberRecordsMsg{Join: true, Buckets: 64, Records: chunk}})
	}
	// c's own allowance, quiet for a minute: the burst.
	if got, want := m.NumMembers()-before, cfg.NewMembersBurst; got != want {
		t.Errorf("join records after the exemption added %d names, want the burst %d", got, want)
	}
	if got := m.counters().NewMembersDropped; got != uint64(300-cfg.NewMembersBurst) {
		t.Errorf("NewMembersDropped = %d, want %d", got, 300-cfg.NewMembersBurst)
	}
	m.Drain()
	acts := fireDeadlines(m, later.Add(cfg.ConfirmTimeout))
	if got := len(confirmProbes(acts)); got != cfg.NewMembersBurst {
		t.Errorf("%d checks of the late join records, want %d", got, cfg.NewMembersBurst)
	}
}

// TestMembershipJoinExchangeLeavesOutUnconfirmed: a contact does not hand
// a joiner, which takes its join exchange's records as vouched for, the
// members it has not confirmed itself; an ordinary exchange still carries
// them (the receiver holds them unconfirmed and checks them).
func TestMembershipJoinExchangeLeavesOutUnconfirmed(t *testing.T) {
	m := newStartedMembership(t, "self", DefaultMembershipConfig())
	deliverRecs(t, m, mt0, "forger", rec("ghost", 0, memberStateAlive))
	deliverRecs(t, m, mt0, "real", rec("real", 0, memberStateAlive))
	names := func(recs []memberRecord) []string {
		var out []string
		for _, r := range recs {
			out = append(out, r.Name)
		}
		slices.Sort(out)
		return out
	}
	if got := names(m.recordsIn(1, []uint16{0}, true)); !slices.Equal(got, []string{"real", "self"}) {
		t.Errorf("join exchange records %v, want real and self", got)
	}
	if got := names(m.recordsIn(1, []uint16{0}, false)); !slices.Equal(got, []string{"ghost", "real", "self"}) {
		t.Errorf("exchange records %v, want ghost, real and self", got)
	}
}

// TestConfigMemberConfirmTimeout: Config.MemberConfirmTimeout defaults to
// 5s in every profile, reaches the membership core, and a negative value
// is refused.
func TestConfigMemberConfirmTimeout(t *testing.T) {
	for _, c := range []*Config{DefaultLANConfig(), DefaultWANConfig(), DefaultLocalConfig()} {
		if c.MemberConfirmTimeout != 5*time.Second {
			t.Errorf("default MemberConfirmTimeout %v, want 5s (README, Config docs)", c.MemberConfirmTimeout)
		}
	}
	c := DefaultLANConfig()
	c.Name = "node"
	c.MemberConfirmTimeout = 2 * time.Second
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.membershipConfig().ConfirmTimeout; got != 2*time.Second {
		t.Errorf("core ConfirmTimeout %v, want 2s", got)
	}
	c.MemberConfirmTimeout = -time.Second
	if err := c.validate(); !errors.Is(err, ErrInvalidConfig) || !slices.Equal(invalidFields(err), []string{"MemberConfirmTimeout"}) {
		t.Errorf("negative MemberConfirmTimeout: %v", err)
	}
}
