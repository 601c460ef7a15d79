// Tests of the broadcast pump's pace (runtime_pump_pace.go).

package hyparlist

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimePumpPaceFollowsTraffic: a node that has seen no user
// broadcast pulls its queue once per GossipInterval; once it has delivered
// one it pulls pumpBusyDivisor times as often, and pumpBusyWindow after
// the last one it is back at GossipInterval.
func TestRuntimePumpPaceFollowsTraffic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := joinedCluster(t, 2, nil)
		quietNode, sender := c.nodes[0], c.nodes[1]
		iv := quietNode.ml.config.broadcastPullInterval()
		busy := iv / pumpBusyDivisor
		if busy >= iv {
			t.Fatalf("the busy interval %v is not shorter than GossipInterval %v", busy, iv)
		}
		quietNode.rec.update(func(r *recorder) { r.tlq = &TransmitLimitedQueue{NumNodes: quietNode.ml.NumMembers, RetransmitMult: 4} })
		sq := &TransmitLimitedQueue{NumNodes: sender.ml.NumMembers, RetransmitMult: 4}
		sender.rec.update(func(r *recorder) { r.tlq = sq })

		gaps := func(from, to time.Time) []time.Duration {
			var at []time.Time
			quietNode.rec.update(func(r *recorder) {
				for _, p := range r.pulls {
					if !p.at.Before(from) && p.at.Before(to) {
						at = append(at, p.at)
					}
				}
			})
			at = slices.CompactFunc(at, time.Time.Equal) // one per round
			var out []time.Duration
			for i := 1; i < len(at); i++ {
				out = append(out, at[i].Sub(at[i-1]))
			}
			return out
		}
		allEqual := func(name string, got []time.Duration, want time.Duration) {
			t.Helper()
			if len(got) < 5 {
				t.Fatalf("%s: %d gaps between rounds, want at least 5", name, len(got))
			}
			for _, g := range got {
				if g != want {
					t.Fatalf("%s: gaps between rounds %v, want every one %v", name, got, want)
				}
			}
		}

		start := time.Now()
		time.Sleep(20 * iv)
		allEqual("before any broadcast", gaps(start, time.Now()), iv)

		msg := []byte("one broadcast")
		sq.QueueBroadcast(&testBroadcast{msg: msg})
		eventually(t, time.Minute, "the broadcast delivered", func() bool { return quietNode.rec.count(msg) == 1 })
		busyFrom := time.Now().Add(iv) // the round after the delivery
		time.Sleep(pumpBusyWindow / 2)
		allEqual("after a delivery", gaps(busyFrom, time.Now()), busy)

		time.Sleep(pumpBusyWindow)
		quietFrom := time.Now()
		time.Sleep(20 * iv)
		allEqual("a window after the last broadcast", gaps(quietFrom, time.Now()), iv)
	})
}
