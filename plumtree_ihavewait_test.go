// Plumtree core tests: the IDs of an IHAVE from a neighbour eager in their
// tree wait GraftTimeout2 even beside lazy ones (plumtree_ihavewait.go).

package hyparlist

import (
	"fmt"
	"testing"
)

// TestPlumtreeIHaveEagerEntriesWaitLess: b is eager in o's tree and lazy
// in q's; its IHAVE of o/2 and q/2 grafts o/2 after GraftTimeout2 (b will
// not push it) and q/2 after GraftTimeout1 (it may come from a).
func TestPlumtreeIHaveEagerEntriesWaitLess(t *testing.T) {
	cfg := treesConfig()
	h := newPtHarness(t, cfg, "a", "b")
	h.recv("a", gossipOf("o", 1, 0, "p"))
	h.recv("a", gossipOf("q", 1, 0, "p"))
	h.recv("b", pruneMsg{Root: "q"})
	ih := ihaveMsg{Entries: []ihaveEntry{{ID: MessageID{Origin: "o", Seq: 2}, Round: 1}, {ID: MessageID{Origin: "q", Seq: 2}, Round: 1}}}
	acts := h.recv("b", ih)
	wantActions(t, "b announces o/2 and q/2", acts,
		fmt.Sprintf("timer %v plumtree-graft1[o/2]", cfg.GraftTimeout2),
		fmt.Sprintf("timer %v plumtree-graft1[q/2]", cfg.GraftTimeout1))
	wantActions(t, "o/2's timer", h.step(TimerFired{Timer: acts[0].(SetTimer).Timer}),
		"send b graft [o/2]", fmt.Sprintf("timer %v plumtree-graft2[o/2]", cfg.GraftTimeout2))
	wantActions(t, "q/2's timer", h.step(TimerFired{Timer: acts[1].(SetTimer).Timer}),
		"send b graft [q/2]", fmt.Sprintf("timer %v plumtree-graft2[q/2]", cfg.GraftTimeout2))
}
