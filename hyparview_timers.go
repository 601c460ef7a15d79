// HyParView core: its periodic timers and their jitter.

package hyparlist

import "time"

// This file owns the HyParView timers. Periodic timers are armed by Start
// and re-arm themselves when they fire; each period is jittered by ±10%
// from the injected random source (and the first one falls anywhere in the
// first period) so that thousands of nodes started together do not fire
// in lockstep.

// shuffleTimer drives the periodic shuffle (HyParView §4.4) and, unless
// HyParViewConfig.RepairInterval is set, the periodic top-up of a non-full
// active view.
type shuffleTimer struct{}

// repairTimer drives the periodic top-up of a non-full active view when
// HyParViewConfig.RepairInterval is set.
type repairTimer struct{}

// keepaliveTimer drives the Keepalive on every active link.
type keepaliveTimer struct{}

// rejoinTimer drives the re-bootstrap check of an isolated node.
type rejoinTimer struct{}

// lostPeerTimer drives the retry of one recently lost peer.
type lostPeerTimer struct{}

// neighborTimeout expires the low-priority NEIGHBOR request with the given
// id sent to the peer called name.
type neighborTimeout struct {
	name string
	id   uint64
}

func (shuffleTimer) isTimer()    {}
func (repairTimer) isTimer()     {}
func (keepaliveTimer) isTimer()  {}
func (rejoinTimer) isTimer()     {}
func (lostPeerTimer) isTimer()   {}
func (neighborTimeout) isTimer() {}

// jitterDivisor sets the periodic timers' jitter to ±period/jitterDivisor.
const jitterDivisor = 10

// armFirst arms a periodic timer for the first time, at a uniformly random
// point of its first period. A zero period leaves the timer off.
func (h *HyParView) armFirst(period time.Duration, t Timer) {
	if period <= 0 {
		return
	}
	h.setTimer(1+time.Duration(h.rng.Int64N(int64(period))), t)
}

// rearm arms a periodic timer for its next period, jittered by ±10%.
func (h *HyParView) rearm(period time.Duration, t Timer) {
	if period <= 0 {
		return
	}
	d := period
	if j := period / jitterDivisor; j > 0 {
		d += time.Duration(h.rng.Int64N(int64(2*j)+1)) - j
	}
	h.setTimer(d, t)
}

// startTimers arms every periodic timer (the Start event).
func (h *HyParView) startTimers() {
	h.armFirst(h.cfg.ShuffleInterval, shuffleTimer{})
	h.armFirst(h.cfg.KeepaliveInterval, keepaliveTimer{})
	h.armFirst(h.cfg.RejoinInterval, rejoinTimer{})
	if h.cfg.MaxLostPeers > 0 {
		h.armFirst(h.cfg.LostPeerRetryInterval, lostPeerTimer{})
	}
	// Armed last, and only when set, so that a core without it draws
	// the same random numbers as before the field existed.
	h.armFirst(h.cfg.RepairInterval, repairTimer{})
}

// onTimer dispatches a fired timer; unknown timers are ignored.
func (h *HyParView) onTimer(t Timer) {
	switch t := t.(type) {
	case shuffleTimer:
		h.rearm(h.cfg.ShuffleInterval, t)
		if h.cfg.RepairInterval <= 0 {
			h.repair(repairPeriodic)
		}
		h.shuffle()
	case repairTimer:
		h.rearm(h.cfg.RepairInterval, t)
		h.periodicRepair()
	case keepaliveTimer:
		h.rearm(h.cfg.KeepaliveInterval, t)
		for _, p := range h.active {
			h.send(p, keepaliveMsg{})
		}
	case rejoinTimer:
		h.rearm(h.cfg.RejoinInterval, t)
		h.rejoin()
	case lostPeerTimer:
		h.rearm(h.cfg.LostPeerRetryInterval, t)
		h.retryLost()
	case neighborTimeout:
		h.neighborTimedOut(t)
	}
}
