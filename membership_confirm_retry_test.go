package hyparlist

import (
	"slices"
	"testing"
	"time"
)

// Tests of the retries of confirmation checks while the node is behind
// (membership_confirm_retry.go).

// TestMembershipCheckRetriedWhileBehind: three members learned second-hand
// are checked at ConfirmTimeout and their checks fail. On a healthy node a
// timed-out check marks the member dead at once, as before. On a node that
// fell behind (health multiplier 3) while the checks were dialling, a
// timed-out check puts the member's check off instead; the next
// maxConfirmRetries deadlines while the node is still behind put it off
// without a dial (putOffCheck), and the checks after them are retried
// after a timeout until maxConfirmRetries retries are spent, the failure
// after the last marking it dead. A refused
// check marks the member dead at once even while the node is behind, and
// a member heard from itself between the waits is confirmed.
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
			m.Drain()
			deliverRecs(t, m, mt0, "relay", rec("slow", 0, memberStateAlive), rec("refusing", 0, memberStateAlive), rec("late", 0, memberStateAlive))
			now := mt0.Add(ct)
			if got, want := confirmProbes(fireDeadlines(m, now)), []string{"late", "refusing", "slow"}; !slices.Equal(got, want) {
				t.Fatalf("checks at ConfirmTimeout: %v, want %v", got, want)
			}
			m.Step(now, LocalHealth{Multiplier: tc.mult})
			// The checks take a second; "refusing" is refused.
			now = now.Add(time.Second)
			for _, name := range []string{"slow", "late"} {
				m.Step(now, MemberUnreachable{Peer: testPeer(name)})
			}
			m.Step(now, MemberUnreachable{Peer: testPeer("refusing"), Refused: true})
			m.Drain()
			if st := mustMember(t, m, "refusing").State; st != memberStateDead {
				t.Errorf("refused check: refusing is %v, want dead", st)
			}
			if tc.mult <= 1 {
				for _, name := range []string{"slow", "late"} {
					if st := mustMember(t, m, name).State; st != memberStateDead {
						t.Errorf("healthy node: %s is %v after a failed check, want dead", name, st)
					}
				}
				if s := m.counters(); s.ChecksRetried != 0 || s.ChecksPutOff != 0 || s.UnconfirmedRemoved != 3 {
					t.Errorf("stats %+v, want 0 retried, 0 put off, 3 removed", s)
				}
				return
			}
			// Behind: both stay; "late" is heard from itself meanwhile.
			for _, name := range []string{"slow", "late"} {
				if st := mustMember(t, m, name).State; st != memberStateAlive {
					t.Fatalf("node behind: %s is %v after a timed-out check, want alive", name, st)
				}
			}
			m.Step(now.Add(time.Second), NeighborUp{Peer: testPeer("late")})
			m.Drain()
			dials, putOffs := 1, 0
			for deadline := 1; mustMember(t, m, "slow").State == memberStateAlive; deadline++ {
				if deadline > 2*maxConfirmRetries+1 {
					t.Fatalf("slow still alive after %d deadlines", deadline-1)
				}
				// Nothing before ConfirmTimeout × multiplier.
				if got := confirmProbes(fireDeadlines(m, now.Add(time.Duration(tc.mult)*ct-time.Millisecond))); len(got) != 0 {
					t.Fatalf("deadline %d: checks before %v: %v", deadline, time.Duration(tc.mult)*ct, got)
				}
				// Within one more ConfirmTimeout (the wait counts whole
				// ConfirmTimeouts since the member was listed) the
				// deadline comes: put off without a dial while put-offs
				// are left, then a check, retried after a timeout while
				// retries are left.
				now = now.Add(time.Duration(tc.mult+1) * ct)
				got := confirmProbes(fireDeadlines(m, now))
				if putOffs < maxConfirmRetries {
					putOffs++
					if len(got) != 0 {
						t.Fatalf("deadline %d: dialled %v while behind with put-offs left", deadline, got)
					}
					continue
				}
				if !slices.Equal(got, []string{"slow"}) {
					t.Fatalf("deadline %d: checks %v, want [slow]", deadline, got)
				}
				dials++
				now = now.Add(time.Second)
				m.Step(now, MemberUnreachable{Peer: testPeer("slow")})
				m.Drain()
			}
			if dials != maxConfirmRetries+1 || putOffs != maxConfirmRetries {
				t.Errorf("slow dead after %d checks and %d put-offs, want %d and %d", dials, putOffs, maxConfirmRetries+1, maxConfirmRetries)
			}
			if st := mustMember(t, m, "late").State; st != memberStateAlive {
				t.Errorf("late, heard from itself, is %v", st)
			}
			// late's first failure was retried too.
			if s := m.counters(); s.ChecksRetried != maxConfirmRetries+1 || s.ChecksPutOff != maxConfirmRetries || s.UnconfirmedRemoved != 2 {
				t.Errorf("stats: %d retried, %d put off, %d removed; want %d, %d, 2", s.ChecksRetried, s.ChecksPutOff, s.UnconfirmedRemoved, maxConfirmRetries+1, maxConfirmRetries)
			}
		})
	}
}

// TestMembershipCheckPutOffWhileBehind: a check that falls due while the
// node is behind is not made: no ProbeMember until maxConfirmRetries
// waits of at least ConfirmTimeout × the multiplier have passed, and none
// at all for a member heard from itself meanwhile. On a healthy node the
// check is made when due.
func TestMembershipCheckPutOffWhileBehind(t *testing.T) {
	cfg := DefaultMembershipConfig()
	ct := cfg.ConfirmTimeout
	const mult = 2
	m := newStartedMembership(t, "self", cfg)
	m.Step(mt0, NeighborUp{Peer: testPeer("relay")})
	m.Step(mt0, LocalHealth{Multiplier: mult})
	m.Drain()
	deliverRecs(t, m, mt0, "relay", rec("a", 0, memberStateAlive), rec("b", 0, memberStateAlive))
	now := mt0.Add(ct)
	var checks []string
	for i := range maxConfirmRetries {
		if got := confirmProbes(fireDeadlines(m, now)); len(got) != 0 {
			t.Fatalf("deadline %d while behind: checks %v", i+1, got)
		}
		if i == 0 {
			m.Step(now, NeighborUp{Peer: testPeer("b")}) // b heard from itself
			m.Drain()
		}
		now = now.Add(time.Duration(mult+1) * ct)
	}
	checks = confirmProbes(fireDeadlines(m, now))
	if !slices.Equal(checks, []string{"a"}) {
		t.Fatalf("after %d put-offs: checks %v, want [a]", maxConfirmRetries, checks)
	}
	if s := m.counters(); s.ChecksPutOff != maxConfirmRetries+1 { // a's, and b's first
		t.Errorf("ChecksPutOff = %d, want %d", s.ChecksPutOff, maxConfirmRetries+1)
	}
	if now.Sub(mt0) < time.Duration(1+maxConfirmRetries*mult)*ct {
		t.Errorf("checked after %v, before %d ConfirmTimeouts", now.Sub(mt0), 1+maxConfirmRetries*mult)
	}
	// A healthy node checks when due.
	h := newStartedMembership(t, "self", cfg)
	h.Step(mt0, NeighborUp{Peer: testPeer("relay")})
	h.Drain()
	deliverRecs(t, h, mt0, "relay", rec("a", 0, memberStateAlive))
	if got := confirmProbes(fireDeadlines(h, mt0.Add(ct))); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("healthy node: checks %v, want [a]", got)
	}
}
