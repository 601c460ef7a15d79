// Plumtree core tests: many roots broadcasting at a high rate after a
// quiet spell, the bench harness's N = 64, 1,000/s cell on the core driver.

package hyparlist

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPlumtreeBurstFigures plays the bench harness's native cell at N = 64
// on the core driver with the runtime's LAN settings: a random overlay
// (a tree plus 128 links), every node broadcasting once (its join), 10 s
// of quiet (more than TreeIdle), then 1,000 broadcasts from random
// origins, one per millisecond, over links of 0.1 ms up to 2, 20, 50 and
// 100 ms (the longer ones stand for the queues of a loaded machine: the
// bench's traced run at N = 64 saw 21 ms per hop at the median, 93 ms at
// the 99th percentile). It fails unless every node delivers every
// broadcast exactly once, and logs the payloads sent, the GRAFTs that
// asked for payloads, the broadcasts that took 400 ms or more to reach
// every node (a repair round: IHAVE 100 ms + GraftTimeout 500 ms), the
// 50th, 90th and 99th percentiles of the time to every node, the
// payloads sent per broadcast by a root's first, second, ... broadcast of
// the burst, and how many of those took 400 ms or more. BENCHMARKS.md
// (sessions 10, 12 and 13) has the figures.
func TestPlumtreeBurstFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("4 runs of 1,000 broadcasts on 64 cores")
	}
	for _, latMax := range []time.Duration{2 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond} {
		figures, _ := ptBurst(t, latMax)
		t.Log(figures)
	}
}

// TestPlumtreeBurstNoRepairRound: in the same burst over links of up to 2,
// 20 and 50 ms, no broadcast takes a repair round (400 ms or more) to
// reach every node, the start of the roots' trees included. Before session
// 13's rules (plumtree_parent.go, and in plumtree_gap.go the shared tree's
// payloads behind their root's own tree, the trees a node is outside of,
// and no second gap GRAFT) 37 and 43 of the 1,000 did with links of up to
// 2 and 20 ms; with links of up to 50 ms, 22 did until roots' own trees
// started as trees of first arrivals instead of copies of the shared tree
// (session 15, plumtree_shared.go). These counts are for this test's seed:
// over 8 other seeds session 15's review counted 0–6 such broadcasts with
// links of up to 50 ms (main before it: 2–25) and 0–1 at 20 ms (0–19).
func TestPlumtreeBurstNoRepairRound(t *testing.T) {
	if testing.Short() {
		t.Skip("3 runs of 1,000 broadcasts on 64 cores")
	}
	for _, latMax := range []time.Duration{2 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond} {
		if figures, slow := ptBurst(t, latMax); slow > 0 {
			t.Errorf("%d broadcasts took a repair round: %s", slow, figures)
		}
	}
}

// ptBurst runs one burst with links of 0.1 ms to latMax and returns its
// figures and the broadcasts that took 400 ms or more to reach every node.
func ptBurst(t *testing.T, latMax time.Duration) (string, int) {
	t.Helper()
	c := DefaultLANConfig()
	cfg := c.plumtreeConfig()
	rng := rand.New(rand.NewPCG(41, 42))
	lat := func() time.Duration {
		return 100*time.Microsecond + time.Duration(rng.Int64N(int64(latMax)))
	}
	net, names := ptTreePlusLinks(t, cfg, rng, 64, lat)
	counting := false
	grafts, payloads := 0, 0
	perMsg := make(map[MessageID]int)
	unshared := func(id MessageID) MessageID { id.Seq &^= ptSharedBit; return id }
	net.drop = func(_, _ string, m Message) bool {
		if !counting {
			return false
		}
		switch m := m.(type) {
		case graftMsg:
			if len(m.IDs) > 0 {
				grafts++
			}
		case gossipMsg:
			payloads++
			perMsg[unshared(m.ID)]++
		}
		return false
	}
	start := net.elapsed() + time.Second
	for _, o := range names {
		net.at(start, func() { net.broadcast(o, "join") })
	}
	net.run(0)
	net.now = net.now.Add(10 * time.Second)
	counting = true
	sent := make(map[MessageID]time.Duration)
	last := make(map[MessageID]time.Duration)
	index := make(map[MessageID]int)
	perRoot := make(map[string]int)
	net.onDeliver = func(node string, d Deliver) {
		id := unshared(d.ID)
		if d.Hops == 0 {
			sent[id] = net.elapsed()
			index[id] = perRoot[node]
			perRoot[node]++
		}
		last[id] = net.elapsed()
	}
	t0 := net.elapsed()
	const broadcasts = 1000
	for i := range broadcasts {
		o := names[rng.IntN(len(names))]
		net.at(t0+time.Duration(i)*time.Millisecond, func() { net.broadcast(o, "p") })
	}
	net.run(0)
	if len(sent) != broadcasts {
		t.Fatalf("%d broadcasts sent, want %d", len(sent), broadcasts)
	}
	slow := 0
	var byIndex [7][3]int
	lats := make([]time.Duration, 0, len(sent))
	for id, at := range sent {
		lats = append(lats, last[id]-at)
		for _, name := range names {
			orig := id
			if n := net.nodes[name].delivered[orig] + net.nodes[name].delivered[MessageID{Origin: id.Origin, Seq: id.Seq | ptSharedBit}]; n != 1 {
				t.Fatalf("links ≤%v: %s delivered %s/%d %d times", latMax, name, id.Origin, id.Seq, n)
			}
		}
		k := min(index[id], len(byIndex)-1)
		if last[id]-at >= 400*time.Millisecond {
			slow++
			byIndex[k][2]++
		}
		byIndex[k][0] += perMsg[id]
		byIndex[k][1]++
	}
	slices.Sort(lats)
	var b strings.Builder
	fmt.Fprintf(&b, "links ≤%v: %d payloads (%.3f per receiver), %d GRAFTs for payloads, %d of %d broadcasts ≥ 400 ms; time to every node p50 %v p90 %v p99 %v; payloads per broadcast by the root's 1st, 2nd, ... broadcast:",
		latMax, payloads, float64(payloads)/float64(broadcasts*(len(names)-1)), grafts, slow, broadcasts,
		lats[len(lats)/2].Round(time.Millisecond), lats[len(lats)*9/10].Round(time.Millisecond), lats[len(lats)*99/100].Round(time.Millisecond))
	for k, v := range byIndex {
		if v[1] > 0 {
			fmt.Fprintf(&b, " %.1f", float64(v[0])/float64(v[1]))
			if k == len(byIndex)-1 {
				b.WriteString(" (later)")
			}
		}
	}
	b.WriteString("; broadcasts ≥ 400 ms by the same index:")
	for _, v := range byIndex {
		if v[1] > 0 {
			fmt.Fprintf(&b, " %d/%d", v[2], v[1])
		}
	}
	return b.String(), slow
}
