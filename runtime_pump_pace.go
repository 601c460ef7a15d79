// Runtime: the broadcast pump's pace — a round every GossipInterval while
// the node sees no broadcasts, pumpBusyDivisor times as often while they
// flow.

package hyparlist

import (
	"sync/atomic"
	"time"
)

// The pump (runtime_pump.go) pulls Delegate.GetBroadcasts once per round,
// so a broadcast queued in the application's TransmitLimitedQueue waits
// for the next round: up to one round interval, the whole of the queue
// path's latency at low rates (BENCHMARKS.md: p99 98–200 ms at 1
// broadcast/s with LAN defaults, against memberlist's 418–766 ms). A
// shorter interval costs a wake-up and an empty GetBroadcasts call per
// round on every node, which an idle cluster should not pay. So the pace
// follows the traffic: a node that delivered a user broadcast to
// NotifyMsg, or pulled a new payload from its queue, within the last
// pumpBusyWindow runs its rounds every GossipInterval/pumpBusyDivisor; a
// node that saw neither runs them every GossipInterval, as before. In a
// cluster with broadcasts anywhere every node delivers them, so the next
// broadcast's origin is already at the fast pace when its application
// queues it. Not in memberlist, whose gossip rounds keep one pace.

// pumpBusyDivisor divides the pump's interval while the node sees
// broadcasts: 50 ms rounds at the LAN default GossipInterval of 200 ms.
const pumpBusyDivisor = 4

// pumpBusyWindow is how long after the last broadcast it saw a node keeps
// the fast pace.
const pumpBusyWindow = 10 * time.Second

// pumpPace holds when the node last saw a broadcast, for the pump's next
// interval. It is written by the delivery path and the pump, read by the
// pump.
type pumpPace struct {
	busyUntil atomic.Int64 // UnixNano; 0: never busy
}

// markBusy records a broadcast seen at now.
func (p *pumpPace) markBusy(now time.Time) {
	p.busyUntil.Store(now.Add(pumpBusyWindow).UnixNano())
}

// interval returns the time to the next round after one that ended at
// now, for a pump whose quiet interval is quiet.
func (p *pumpPace) interval(now time.Time, quiet time.Duration) time.Duration {
	if now.UnixNano() < p.busyUntil.Load() {
		return max(quiet/pumpBusyDivisor, time.Millisecond)
	}
	return quiet
}
