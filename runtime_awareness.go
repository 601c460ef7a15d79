// Runtime: the local health score (Lifeguard's awareness, GetHealthScore).

package hyparlist

import "time"

// This file owns the node's local health score: Lifeguard's "local health
// awareness" (Dadgar, Phillips, Currey, 2018, §IV-A), as memberlist keeps
// it in awareness.go, measured differently.
//
// memberlist raises its score when its own probes go unanswered or it
// has to refute a suspicion, and lowers it after a successful probe.
// hyparlist does not probe; what makes it judge a healthy neighbour
// silent is its own loop falling behind (a CPU-starved process, a long
// garbage collection), so it measures that directly. Once per keepalive
// interval the loop reports its lag: how late its timers fired and how
// long the frames it handled waited in its inbox after their reader read
// them, whichever is larger. A lag above the threshold raises the score by
// one for each threshold it spans (a stall of several intervals reaches
// the maximum at once); a lag below lowers it by one, so the node recovers
// one step per interval, as memberlist recovers one per successful probe.
//
// While the score is s, the link silence limit and the suspicion timeouts
// the node runs are multiplied by s+1 (memberlist scales its probe
// timeout and interval the same way): a node that is behind gives its
// neighbours more time rather than failing them for its own slowness. The
// score is at most Config.AwarenessMaxMultiplier − 1; a multiplier of 0
// or 1 turns the awareness off.

// awarenessLagDivisor sets the lag threshold: keepalive timeout /
// awarenessLagDivisor. A loop later than half the grace period after a
// missed keepalive risks judging a neighbour on a stale clock.
const awarenessLagDivisor = 2

// awareness is the local health score. It has no clock: its inputs are
// lags measured by the loop, which owns it.
type awareness struct {
	// max is Config.AwarenessMaxMultiplier: the score stays below it.
	max int
	// threshold is the largest lag that counts as keeping up.
	threshold time.Duration
	// score is the current score, in [0, max−1]; 0 is healthy.
	score int
}

// newAwareness returns a healthy score bounded by maxMultiplier (the
// score stays below it) for which a lag above threshold is falling behind.
// With maxMultiplier ≤ 1 or threshold ≤ 0 the score stays 0.
func newAwareness(maxMultiplier int, threshold time.Duration) awareness {
	return awareness{max: maxMultiplier, threshold: threshold}
}

// observe records the lag measured over one period and reports whether
// the score changed.
func (a *awareness) observe(lag time.Duration) bool {
	if a.max <= 1 || a.threshold <= 0 {
		return false
	}
	before := a.score
	if lag > a.threshold {
		// One step per threshold spanned, without overflowing the count.
		steps := min(lag/a.threshold, time.Duration(a.max))
		a.score = min(a.score+int(steps), a.max-1)
	} else if a.score > 0 {
		a.score--
	}
	return a.score != before
}

// multiplier is the factor applied to timeouts: score + 1.
func (a *awareness) multiplier() int { return a.score + 1 }

// scale returns d stretched by the multiplier, saturating instead of
// overflowing.
func (a *awareness) scale(d time.Duration) time.Duration {
	if d <= 0 || a.score == 0 {
		return d
	}
	m := time.Duration(a.multiplier())
	if d > maxDuration/m {
		return maxDuration
	}
	return d * m
}

// maxDuration is the longest time.Duration.
const maxDuration = time.Duration(1<<63 - 1)
