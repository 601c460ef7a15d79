// HyParView core: the back-off of the periodic top-up on its own timer
// while the cluster turns it away.

package hyparlist

// This file slows the periodic top-up of a non-full active view on the
// repair timer (HyParViewConfig.RepairInterval set; repair with
// repairPeriodic, hyparview_repair.go) while it finds nobody. Not in the
// paper, whose nodes only repair after a loss. In a settled cluster a
// node often keeps a free slot for good: the nodes that could fill it are
// full, or already its neighbours. It then asked RepairFanout passive
// peers every RepairInterval (5 s with DefaultLocalConfig), each a new
// connection in each direction, a NEIGHBOR, a rejection, and a probe of
// the rejecting node's whole active view (onNeighbor): an idle 64-node
// cluster on DefaultLocalConfig sent 8 to 17 NEIGHBOR requests a second
// in the 10 s after its joins, most of them refused (BENCHMARKS.md,
// session 11).
//
// So, on the repair timer, a periodic round of which a request was
// rejected and none accepted doubles the time to the next round, up to
// ShuffleInterval: the pace at which a core without a repair timer tops
// up from its shuffle timer, which the simulator measures. The full pace
// comes back as soon as the view changes (a neighbour lost, a request
// accepted) or the node is isolated. A node with several free slots is
// held back too: in an idle 64-node local cluster one node kept a single
// neighbour for a minute after the joins, its 12 requests every 5 s all
// refused, while 17 others with one free slot each were held back.
// Little is lost by waiting: a rejecting node keeps the requester as its
// first candidate for its next free slot (passiveEntry.wanted), and a
// loss is still repaired at once (repairReactive). Rounds are skipped,
// not re-timed, so the timers draw the same random numbers as without it.
//
// Not applied to the top-up from the shuffle timer (RepairInterval 0,
// DefaultHyParViewConfig): with it (in a form that spared nodes with two
// free slots), the simulator at 3,000 nodes (seed 7)
// kept slightly lower active degrees after its joins (mean 4.984 against
// 4.997) and mixed healing figures after crash waves (90 %: every
// survivor in one component against one isolated; 95 %: 94.7 % against
// 96.7 % in the largest component).

// repairBackoff is the state of the periodic top-up's back-off.
type repairBackoff struct {
	// periods is the number of repair periods per round: 1, 2, 4, ...
	// up to ShuffleInterval / RepairInterval.
	periods int
	// skip counts the periodic ticks still to be skipped.
	skip int
	// rejected is set when a periodic request was rejected since the
	// latest round, and cleared by an acceptance.
	rejected bool
}

// periodicRepair runs the periodic top-up on a tick of the repair timer,
// unless the back-off skips this tick.
func (h *HyParView) periodicRepair() {
	b := &h.repairBackoff
	switch {
	case len(h.active) == 0:
		*b = repairBackoff{}
	case b.rejected:
		b.periods = min(max(2*b.periods, 2), h.maxRepairPeriods())
		b.skip = b.periods - 1
		b.rejected = false
	}
	if b.skip > 0 {
		b.skip--
		return
	}
	h.repair(repairPeriodic)
}

// maxRepairPeriods is the most repair periods between two periodic
// rounds: as many as fit in a shuffle period, at least one.
func (h *HyParView) maxRepairPeriods() int {
	if h.cfg.RepairInterval <= 0 {
		return 1
	}
	return max(int(h.cfg.ShuffleInterval/h.cfg.RepairInterval), 1)
}

// resetRepairBackoff brings the periodic top-up back to its full pace: the
// active view changed.
func (h *HyParView) resetRepairBackoff() {
	h.repairBackoff = repairBackoff{}
}
