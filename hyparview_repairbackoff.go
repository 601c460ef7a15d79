// HyParView core: the back-off of the periodic top-up while the cluster
// turns it away.

package hyparlist

// This file slows the periodic top-up of a non-full active view (repair
// with repairPeriodic, hyparview_repair.go) while it finds nobody. Not in
// the paper, whose nodes only repair after a loss. In a settled cluster a
// node often keeps a free slot for good: the nodes that could fill it are
// full, or already its neighbours. It then asked RepairFanout passive
// peers every RepairInterval, each a new connection in each direction, a
// NEIGHBOR, a rejection, and a probe of the rejecting node's whole active
// view (onNeighbor): in an idle 64-node cluster on DefaultLocalConfig,
// about 17 NEIGHBOR requests a second, with their handshakes about 45
// bytes a second per node, a fifth of its idle traffic (BENCHMARKS.md,
// session 11).
//
// So a periodic round whose requests were rejected, with none accepted,
// doubles the time to the next round, up to maxRepairBackoff doublings.
// The full pace comes back as soon as the view changes (a neighbour lost,
// a request accepted) or the node is isolated. Nothing is lost by waiting:
// a rejecting node keeps the requester as its first candidate for its
// next free slot (passiveEntry.wanted), and a loss is still repaired at
// once (repairReactive), so the back-off only defers rounds that were
// being turned away. Rounds are skipped, not re-timed, so the timers draw
// the same random numbers as without it.

// maxRepairBackoff bounds the doublings of the periodic top-up's period:
// at most 2^3 = 8 × RepairInterval between two rounds (40 s with
// DefaultLocalConfig, 80 s with DefaultLANConfig).
const maxRepairBackoff = 3

// repairBackoff is the state of the periodic top-up's back-off.
type repairBackoff struct {
	// doublings is the current exponent: 2^doublings ticks per round.
	doublings uint8
	// skip counts the periodic ticks still to be skipped.
	skip int
	// rejected is set when a periodic request was rejected since the
	// latest round, and cleared by an acceptance.
	rejected bool
}

// periodicRepair runs the periodic top-up on a tick of its timer, unless
// the back-off skips this tick.
func (h *HyParView) periodicRepair() {
	b := &h.repairBackoff
	switch {
	case len(h.active) == 0:
		*b = repairBackoff{}
	case b.rejected:
		b.doublings = min(b.doublings+1, maxRepairBackoff)
		b.skip = 1<<b.doublings - 1
		b.rejected = false
	}
	if b.skip > 0 {
		b.skip--
		return
	}
	h.repair(repairPeriodic)
}

// resetRepairBackoff brings the periodic top-up back to its full pace: the
// active view changed.
func (h *HyParView) resetRepairBackoff() {
	h.repairBackoff = repairBackoff{}
}
