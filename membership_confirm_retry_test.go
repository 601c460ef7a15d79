package hyparlist

import (
	"slices"
	"testing"
	"time"
)

// Tests of the retries of confirmation checks while the node is behind
// (membership_confirm_retry.go).

// TestMembershipCheckRetriedWhileBehind: two members learned second-hand
// are checked at ConfirmTimeout and their checks time out (a weak
// failure). On a healthy node the member is marked dead at once, as
// before. On a node whose health multiplier is 3, the member stays alive
// and is checked again 3 to 4 ConfirmTimeouts later, up to maxConfirmRetries
// times; the failure after the last retry marks it dead. A refused check
// marks the member dead at once even while the node is behind, and a
// member heard from itself between retries is confirmed.
func TestMembershipCheckRetriedWhileBehind(t *testing.T) {
	cfg := DefaultMembershipConfig()
	ct := cfg.ConfirmTimeout
	for _, tc := range []struct {
		name string
		mult int
	}{{"healthy", 1}, {"behind", 3}} {
		t.Run(tc.name, func(t *testing.T) {
			m := newStartedMembership(t, "self", cfg)
			m.Step(mt0, NeighborUp{Peer: testPeer("relay")})
			m.Step(mt0, LocalHealth{Multiplier: tc.mult})
			m.Drain()
			deliverRecs(t, m, mt0, "relay", rec("slow", 0, MemberStateAlive), rec("refusing", 0, MemberStateAlive), rec("late", 0, MemberStateAlive))
			now := mt0.Add(ct)
			if got, want := confirmProbes(fireDeadlines(m, now)), []string{"late", "refusing", "slow"}; !slices.Equal(got, want) {
				t.Fatalf("checks at ConfirmTimeout: %v, want %v", got, want)
			}
			// The checks take a second; "refusing" is refused.
			now = now.Add(time.Second)
			for _, name := range []string{"slow", "late"} {
				m.Step(now, MemberUnreachable{Peer: testPeer(name)})
			}
			m.Step(now, MemberUnreachable{Peer: testPeer("refusing"), Refused: true})
			m.Drain()
			if st := mustMember(t, m, "refusing").State; st != MemberStateDead {
				t.Errorf("refused check: refusing is %v, want dead", st)
			}
			if tc.mult <= 1 {
				for _, name := range []string{"slow", "late"} {
					if st := mustMember(t, m, name).State; st != MemberStateDead {
						t.Errorf("healthy node: %s is %v after a failed check, want dead", name, st)
					}
				}
				if s := m.Stats(); s.ChecksRetried != 0 || s.UnconfirmedRemoved != 3 {
					t.Errorf("stats %+v, want 0 retried, 3 removed", s)
				}
				return
			}
			// Behind: both stay; "late" is heard from itself meanwhile.
			for _, name := range []string{"slow", "late"} {
				if st := mustMember(t, m, name).State; st != MemberStateAlive {
					t.Fatalf("node behind: %s is %v after a timed-out check, want alive", name, st)
				}
			}
			m.Step(now.Add(time.Second), NeighborUp{Peer: testPeer("late")})
			m.Drain()
			for try := 1; try <= maxConfirmRetries; try++ {
				// Not before ConfirmTimeout × multiplier.
				if got := confirmProbes(fireDeadlines(m, now.Add(time.Duration(tc.mult)*ct-time.Millisecond))); len(got) != 0 {
					t.Fatalf("retry %d: checks before %v: %v", try, time.Duration(tc.mult)*ct, got)
				}
				// Within one more ConfirmTimeout (the wait counts whole
				// ConfirmTimeouts since the member was listed).
				now = now.Add(time.Duration(tc.mult+1) * ct)
				if got := confirmProbes(fireDeadlines(m, now)); !slices.Equal(got, []string{"slow"}) {
					t.Fatalf("retry %d: checks %v, want [slow]", try, got)
				}
				now = now.Add(time.Second)
				m.Step(now, MemberUnreachable{Peer: testPeer("slow")})
				m.Drain()
				want := MemberStateAlive
				if try == maxConfirmRetries {
					want = MemberStateDead
				}
				if st := mustMember(t, m, "slow").State; st != want {
					t.Fatalf("after check %d: slow is %v, want %v", try+1, st, want)
				}
			}
			if st := mustMember(t, m, "late").State; st != MemberStateAlive {
				t.Errorf("late, heard from itself, is %v", st)
			}
			if s := m.Stats(); s.ChecksRetried != 1+maxConfirmRetries || s.UnconfirmedRemoved != 2 {
				t.Errorf("stats: %d retried, %d removed; want %d, 2", s.ChecksRetried, s.UnconfirmedRemoved, 1+maxConfirmRetries)
			}
		})
	}
}
