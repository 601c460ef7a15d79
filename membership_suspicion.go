// Membership core: suspicion of a failed neighbour, its timeout and its
// expiry.

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
// SuspicionConfirmations, capped by the confirmations that can come
// (suspicionConfirmations: n−2 and MaxAccusers−1, as memberlist caps its
// k by n−2). A crashed node loses all its HyParView links at
// once, so several neighbours accuse it and it is declared dead after about
// min; a single flaky link yields one accuser and max, which leaves the
// suspected node ample time to hear the suspicion through its other links
// and refute it.
//
// Every node that hears a suspicion runs its own timeout (one deadline in
// the entry heap, membership_deadlines.go) and marks the member dead when
// it expires. Only a first accuser — a node that accused before it heard
// of any other accuser — announces the death, after a short jitter and
// only if no other first accuser's announcement arrived meanwhile; the
// others, confirming accusers included, mark it without announcing. The announcement serves
// the nodes whose timeout is longer (they heard fewer confirmations) or
// that never heard the suspicion; one per accuser that started it is
// enough, and anti-entropy spreads the dead record should that one be
// lost. Not Lifeguard's letter, where every accuser announces: with up to
// SuspicionConfirmations+1 accusers per failure, that multiplied the dead
// announcements of a partition by up to four.

// maxSuspicionConfirmations bounds SuspicionConfirmations and so the
// accusers kept per suspicion.
const maxSuspicionConfirmations = 16

// maxSuspicionTimeout is the longest suspicion timeout. Validate refuses a
// configuration whose longest timeout, SuspicionMaxTimeoutMult ×
// SuspicionMult × log10(MaxMembers) × SuspicionInterval, exceeds it, and
// suspicionBounds saturates at it, so no product can overflow
// time.Duration. Not from a paper: memberlist's profiles stay under 15
// minutes (WAN: 6 × 6 × log10(N) × 5s), and a member suspected for a day
// is better declared dead and left to refute.
const maxSuspicionTimeout = 24 * time.Hour

// suspicion is the running suspicion of one member. Every node that heard
// it keeps one, so it is kept small: times on the core clock, accusers by
// name hash.
type suspicion struct {
	// start is when the local node heard the suspicion; deadline when it
	// expires (the entry's deadline, membership_deadlines.go).
	start, deadline int64
	// lo is the shortest timeout; the longest is lo ×
	// SuspicionMaxTimeoutMult (suspicionBounds).
	lo time.Duration
	// accusers are the name hashes of the distinct nodes that announced the
	// suspicion, first accuser first; at most k+1 are kept. Two accusers whose 64-bit name hashes collide count once.
	accusers []uint64
	// first is set when the local node accused the member before hearing
	// of any other accuser: it announces dead at expiry.
	first bool
	// stretched is set once the timeout was stretched because the local
	// node was behind at expiry (LocalHealth); it is stretched only once.
	stretched bool
	// k is the confirmations this suspicion waits for at most
	// (suspicionConfirmations).
	k int
}

// suspicionConfirmations is K for a suspicion among n live members:
// SuspicionConfirmations, capped by the confirmations that can come, n−2
// (everyone but the suspect and the first accuser) and MaxAccusers−1.
func suspicionConfirmations(cfg MembershipConfig, n int) int {
	k := min(cfg.SuspicionConfirmations, n-2)
	if cfg.MaxAccusers > 0 {
		k = min(k, cfg.MaxAccusers-1)
	}
	return max(k, 0)
}

// LocalHealth is the event "the local node's health multiplier is now
// Multiplier" (Lifeguard's local health awareness; the runtime measures
// it, runtime_awareness.go). While it is above 1, a suspicion that
// expires is given its timeout once more, times Multiplier, before the
// member is declared dead: a node that is behind may not yet have read
// the refutation waiting for it. A multiplier below 1 counts as 1.
type LocalHealth struct {
	Multiplier int
}

func (LocalHealth) isEvent() {}

// SuspicionTimeouts returns the shortest and the longest suspicion timeout
// for a cluster of members live members: SuspicionMult × max(1,
// log10(members)) × SuspicionInterval, and that times
// SuspicionMaxTimeoutMult, each capped. A suspected member that nobody
// else accuses is declared dead after the longest; each independent
// confirmation brings the deadline closer to the shortest (Lifeguard).
func (c MembershipConfig) SuspicionTimeouts(members int) (shortest, longest time.Duration) {
	return suspicionBounds(c, members)
}

// suspicionBounds returns min and max of the suspicion timeout for n live
// members, each at most maxSuspicionTimeout.
func suspicionBounds(cfg MembershipConfig, n int) (lo, hi time.Duration) {
	lo = saturateSuspicion(suspicionMinNanos(cfg, n))
	return lo, suspicionMax(lo, cfg.SuspicionMaxTimeoutMult)
}

// suspicionMinNanos is the shortest suspicion timeout for n live members,
// SuspicionMult × max(1, log10(n)) × SuspicionInterval, in nanoseconds
// and as a float so that it cannot overflow.
func suspicionMinNanos(cfg MembershipConfig, n int) float64 {
	scale := math.Max(1, math.Log10(math.Max(1, float64(n))))
	return float64(cfg.SuspicionMult) * scale * float64(cfg.SuspicionInterval)
}

// suspicionMax is the longest suspicion timeout, lo × mult, at most
// maxSuspicionTimeout.
func suspicionMax(lo time.Duration, mult int) time.Duration {
	return max(lo, saturateSuspicion(float64(lo)*float64(mult)))
}

// saturateSuspicion converts ns nanoseconds to a duration in [1ns,
// maxSuspicionTimeout].
func saturateSuspicion(ns float64) time.Duration {
	if !(ns < float64(maxSuspicionTimeout)) { // also NaN
		return maxSuspicionTimeout
	}
	return max(time.Duration(ns), 1)
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

// startSuspicion starts the suspicion of e, which just became suspect.
// accuser is the node that announced it ("" when learned by
// anti-entropy).
func (m *Membership) startSuspicion(e *memberEntry, accuser string) {
	lo, hi := suspicionBounds(m.cfg, m.table.nLive)
	s := &suspicion{start: m.clock, lo: lo, k: suspicionConfirmations(m.cfg, m.table.nLive)}
	if accuser != "" {
		s.accusers = append(make([]uint64, 0, 1), nameHash(accuser))
		s.first = accuser == m.self.Name
	}
	s.deadline = m.clock + int64(suspicionTimeout(lo, hi, s.k, 0))
	e.susp = s
}

// confirmSuspicion records accuser as one more independent accuser of e
// and shortens the timeout accordingly. It reports whether accuser was
// added.
func (m *Membership) confirmSuspicion(e *memberEntry, accuser string) bool {
	s := e.susp
	if s == nil || accuser == "" || len(s.accusers) > s.k {
		return false
	}
	h := nameHash(accuser)
	if slices.Contains(s.accusers, h) {
		return false
	}
	s.accusers = append(s.accusers, h)
	c := len(s.accusers) - 1
	hi := suspicionMax(s.lo, m.cfg.SuspicionMaxTimeoutMult)
	if d := s.start + int64(suspicionTimeout(s.lo, hi, s.k, c)); d < s.deadline {
		s.deadline = d
		m.refreshDeadline(e)
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
	if e == nil || e == m.local() {
		return
	}
	kind := announceAccuse
	switch e.state {
	case memberStateAlive:
		m.stats.Accusations++
		m.applyChange(e, e.id, e.inc, memberStateSuspect, mergeSource{origin: m.self.Name, broadcast: true})
	case memberStateSuspect:
		if !m.confirmSuspicion(e, m.self.Name) {
			return
		}
		kind = announceConfirm
	default:
		return
	}
	m.announce(kind, e.record())
}

// expireSuspicion declares e dead: its suspicion expired without a
// refutation. A first accuser announces it after deadAnnounceDelay unless
// another one's announcement arrives first.
func (m *Membership) expireSuspicion(e *memberEntry) {
	if s := e.susp; s != nil && !s.stretched && m.healthMult > 1 {
		// The local node is behind: give the member its timeout again,
		// times the multiplier, once (see LocalHealth).
		s.stretched = true
		s.deadline = s.start + int64(saturateSuspicion(float64(s.deadline-s.start)*float64(m.healthMult)))
		if s.deadline > m.clock {
			m.refreshDeadline(e)
			return
		}
	}
	first := e.susp != nil && e.susp.first
	m.stats.SuspicionsExpired++
	m.applyChange(e, e.id, e.inc, memberStateDead, mergeSource{broadcast: true})
	if first {
		e.flags |= entryAnnounce
		m.refreshDeadline(e)
	}
}

// deadAnnounceJitter bounds deadAnnounceDelay. Not from a paper: about
// twice the time an announcement takes to reach 10^4 nodes (0.5–1 s).
const deadAnnounceJitter = 2 * time.Second

// deadAnnounceDelay is how long after the expiry a first accuser waits
// before it announces the death: a delay in [0, deadAnnounceJitter) that
// differs between accusers (a hash of the member's and the accuser's
// names), so that when several nodes accused at once, the first
// announcement usually reaches the others before their own is due.
func (m *Membership) deadAnnounceDelay(e *memberEntry) time.Duration {
	return time.Duration(mix64(e.id.nameHash^m.selfHash) % uint64(deadAnnounceJitter))
}
