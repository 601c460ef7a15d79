package hyparlist

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// Tests of the per-neighbour rate limit on records of new members
// (membership_ratelimit.go; issue 14, finding 3).

// newNames returns n alive records of distinct names with the prefix.
func newNames(prefix string, n int) []memberRecord {
	out := make([]memberRecord, n)
	for i := range out {
		out[i] = rec(fmt.Sprintf("%s-%05d", prefix, i), 1, memberStateAlive)
	}
	return out
}

// unlimitedNewMembersConfig is the default without the new-member limit,
// for tests that fill a table with thousands of records at one instant.
func unlimitedNewMembersConfig() MembershipConfig {
	cfg := DefaultMembershipConfig()
	cfg.MaxNewMembersPerSecond = 0
	return cfg
}

// rateLimitedConfig is the default with a limit of 10 a second, burst 100.
func rateLimitedConfig() MembershipConfig {
	cfg := DefaultMembershipConfig()
	cfg.MaxNewMembersPerSecond = 10
	cfg.NewMembersBurst = 100
	return cfg
}

// TestMembershipNewMembersRateLimit: a neighbour that sends 1,000 new names
// in one instant adds only its burst; the rest are dropped and counted,
// while updates of known members from it still apply; a second later it
// adds the rate's worth; another neighbour has its own allowance, which
// starts at one second's worth. Without the limit all 1,000 were added.
func TestMembershipNewMembersRateLimit(t *testing.T) {
	cfg := rateLimitedConfig()
	m := newStartedMembership(t, "self", cfg)
	m.Step(mt0, NeighborUp{Peer: testPeer("n")})
	m.Step(mt0, NeighborUp{Peer: testPeer("o")})
	m.Drain()
	now := mt0.Add(time.Minute) // n's allowance is full: the burst
	deliverRecs(t, m, now, "n", newNames("flood", 1000)...)
	if got, want := m.NumMembers(), 1+cfg.NewMembersBurst; got != want {
		t.Fatalf("after 1,000 new names at once: %d members, want %d (self + burst)", got, want)
	}
	if got, want := m.counters().NewMembersDropped, uint64(1000-cfg.NewMembersBurst); got != want {
		t.Errorf("NewMembersDropped = %d, want %d", got, want)
	}

	// Updates of known members are not limited.
	known := rec("flood-00000", 2, memberStateAlive)
	deliverRecs(t, m, now, "n", known)
	if got := mustMember(t, m, known.Name); got.Incarnation != 2 {
		t.Errorf("update of a known member from a neighbour over its limit: incarnation %d, want 2", got.Incarnation)
	}

	// One second later: the rate's worth.
	deliverRecs(t, m, now.Add(time.Second), "n", newNames("later", 50)...)
	if got, want := m.NumMembers(), 1+cfg.NewMembersBurst+cfg.MaxNewMembersPerSecond; got != want {
		t.Errorf("a second later: %d members, want %d", got, want)
	}

	// Another neighbour, linked just now, has one second's worth.
	now = now.Add(time.Second)
	m.Step(now, NeighborUp{Peer: testPeer("p")})
	before := m.NumMembers()
	deliverRecs(t, m, now, "p", newNames("fresh", 50)...)
	if got, want := m.NumMembers()-before, cfg.MaxNewMembersPerSecond; got != want {
		t.Errorf("a new neighbour added %d names at once, want %d", got, want)
	}

	// Reconnecting earns one second's worth, not the burst.
	m.Step(now, NeighborDown{Peer: testPeer("n")})
	m.Step(now, NeighborUp{Peer: testPeer("n")})
	before = m.NumMembers()
	deliverRecs(t, m, now, "n", newNames("again", 50)...)
	if got, want := m.NumMembers()-before, cfg.MaxNewMembersPerSecond; got != want {
		t.Errorf("after reconnecting a neighbour added %d names at once, want %d", got, want)
	}
	if len(m.neighborCredit) != len(m.neighbors) {
		t.Errorf("%d allowances for %d neighbours", len(m.neighborCredit), len(m.neighbors))
	}
}

// TestMembershipNewMembersLimitOff: zero disables the limit.
func TestMembershipNewMembersLimitOff(t *testing.T) {
	cfg := DefaultMembershipConfig()
	cfg.MaxNewMembersPerSecond, cfg.NewMembersBurst = 0, 0
	m := newStartedMembership(t, "self", cfg)
	deliverRecs(t, m, mt0, "n", newNames("x", 500)...)
	if m.NumMembers() != 501 || m.counters().NewMembersDropped != 0 {
		t.Errorf("limit off: %d members, %d dropped; want 501, 0", m.NumMembers(), m.counters().NewMembersDropped)
	}
}

// TestMembershipJoinExchangeNotLimited: the records of the node's own join
// exchange, from the neighbour it started it with, all count; join records
// from another neighbour, or later records from the contact outside the
// join exchange, are limited.
func TestMembershipJoinExchangeNotLimited(t *testing.T) {
	cfg := rateLimitedConfig()
	m := newStartedMembership(t, "self", cfg)
	m.Step(mt0, joinVia{Contact: testPeer("c")})
	acts := stepActs(m, mt0, NeighborUp{Peer: testPeer("c")})
	if len(actionsOfType[Send](acts)) == 0 {
		t.Fatalf("no join exchange started with the contact: %v", acts)
	}
	recs := newNames("member", 600)
	for i := 0; i < len(recs); i += maxMemberRecordsPerMessage {
		chunk := recs[i:min(i+maxMemberRecordsPerMessage, len(recs))]
		m.Step(mt0, Receive{From: testPeer("c"), Msg: memberRecordsMsg{Join: true, Buckets: 64, Records: chunk}})
	}
	if got := m.NumMembers(); got != 601 || m.counters().NewMembersDropped != 0 {
		t.Fatalf("join exchange of 600 members: %d members, %d dropped; want 601, 0", got, m.counters().NewMembersDropped)
	}

	m.Step(mt0, NeighborUp{Peer: testPeer("x")})
	m.Step(mt0, Receive{From: testPeer("x"), Msg: memberRecordsMsg{Join: true, Buckets: 64, Records: newNames("forged", 200)}})
	m.Step(mt0, Receive{From: testPeer("c"), Msg: memberRecordsMsg{Buckets: 64, Records: newNames("plain", 200)}})
	// x and c each have one second's worth (c's neighbour allowance is
	// separate from its join exemption).
	if got, want := m.NumMembers(), 601+2*cfg.MaxNewMembersPerSecond; got != want {
		t.Errorf("after 200 join records from another neighbour and 200 plain ones from the contact: %d members, want %d", got, want)
	}
}

// TestMembershipRateLimitedJoinConverges: 200 nodes join over 20s on the
// membership harness with a limit low enough to drop records (2 a second,
// burst 20; in the harness every announcement comes straight from its
// origin, so most share the allowance of non-neighbours), and still
// converge to identical lists: anti-entropy brings the dropped ones.
func TestMembershipRateLimitedJoinConverges(t *testing.T) {
	const n = 200
	cfg := DefaultMembershipConfig()
	cfg.MaxNewMembersPerSecond, cfg.NewMembersBurst = 2, 20
	h := newMnet(t, 7, cfg)
	took := h.startCluster(n, 20*time.Second)
	var dropped uint64
	for _, o := range h.upNodes() {
		dropped += o.core.counters().NewMembersDropped
	}
	t.Logf("%d nodes converged %v after the last join; %d records of new members dropped", n, took, dropped)
	if dropped == 0 {
		t.Errorf("no record dropped: the limit did not bite, the test shows nothing")
	}
}

// TestConfigNewMembersRateLimit: the Config fields are validated and
// reach the membership core.
func TestConfigNewMembersRateLimit(t *testing.T) {
	for _, tc := range []struct {
		rate, burst int
		bad         string
	}{
		{1000, 10000, ""},
		{0, 0, ""}, // off
		{-1, 10, "MaxNewMembersPerSecond"},
		{maxNewMembersPerSecond + 1, 10, "MaxNewMembersPerSecond"},
		{10, 0, "NewMembersBurst"},
		{10, maxNewMembersBurst + 1, "NewMembersBurst"},
	} {
		c := DefaultLANConfig()
		c.Name = "node"
		c.MaxNewMembersPerSecond, c.NewMembersBurst = tc.rate, tc.burst
		err := c.validate()
		if tc.bad == "" {
			if err != nil {
				t.Errorf("rate %d burst %d: %v", tc.rate, tc.burst, err)
				continue
			}
			m := c.membershipConfig()
			if m.MaxNewMembersPerSecond != tc.rate || m.NewMembersBurst != tc.burst {
				t.Errorf("rate %d burst %d reached the core as %d, %d", tc.rate, tc.burst, m.MaxNewMembersPerSecond, m.NewMembersBurst)
			}
			if err := m.Validate(); err != nil {
				t.Errorf("rate %d burst %d: core config: %v", tc.rate, tc.burst, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("rate %d burst %d: Validate() = %v, want ErrInvalidConfig", tc.rate, tc.burst, err)
		} else if got := invalidFields(err); len(got) != 1 || got[0] != tc.bad {
			t.Errorf("rate %d burst %d: invalid fields %q, want %s", tc.rate, tc.burst, got, tc.bad)
		}
		m := DefaultMembershipConfig()
		m.MaxNewMembersPerSecond, m.NewMembersBurst = tc.rate, tc.burst
		if !errors.Is(m.Validate(), errInvalidMembershipConfig) {
			t.Errorf("rate %d burst %d: MembershipConfig.Validate() = %v", tc.rate, tc.burst, m.Validate())
		}
	}
	d := DefaultLANConfig()
	if d.MaxNewMembersPerSecond != 1000 || d.NewMembersBurst != 10000 {
		t.Errorf("defaults %d, %d; want 1000, 10000 (README, Config docs)", d.MaxNewMembersPerSecond, d.NewMembersBurst)
	}
}
