package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// This file is -timeline: every interval, from the joins to the end of the
// run, one line on stderr of what the cluster did in that interval (links
// failed, announcements, frames, signature checks, CPU) and how far behind
// its nodes are (their local health scores), to see when the silent
// failures happen relative to the joins and whether the nodes that fail
// links are themselves behind.

// healthReporter is a node that reports its local health score
// (hyparlist's GetHealthScore).
type healthReporter interface{ healthScore() int }

// timelineKeys are the counters a timeline line shows, as deltas.
var timelineKeys = []string{
	"link.failed.silent", "link.neighbor_down", "link.down_unsent", "link.down_dropped", "msg.refused.not_link", "member.announcements", "member.suspicions_expired",
	"frames_sent.gossip", "frames_sent.keepalive", "plumtree.graft", "plumtree.prune",
	"sig.checked", "msg.refused.replay", "link.dial_failed",
}

// startTimeline logs one line every interval until the returned function
// is called; interval 0 does nothing.
func (c *cluster) startTimeline(interval time.Duration) func() {
	if interval <= 0 {
		return func() {}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		start, cpu0, prev := time.Now(), cpuTime(), c.sys.counters()
		last := start
		for {
			select {
			case <-t.C:
			case <-stop:
				return
			}
			cur, cpu, now := c.sys.counters(), cpuTime(), time.Now()
			var b strings.Builder
			fmt.Fprintf(&b, "timeline +%.0f s: cores %.2f pairs %.3f", now.Sub(start).Seconds(),
				(cpu-cpu0).Seconds()/now.Sub(last).Seconds(), float64(c.app.pairs.Load())/float64(c.opt.n*(c.opt.n-1)))
			for _, k := range timelineKeys {
				if d := cur[k] - prev[k]; d != 0 {
					fmt.Fprintf(&b, " %s=%d", k, d)
				}
			}
			b.WriteString(" health " + c.healthHistogram())
			c.logf("%s", b.String())
			cpu0, prev, last = cpu, cur, now
		}
	}()
	return func() { close(stop); <-done }
}

// healthHistogram counts the live nodes by local health score, as
// score:count pairs.
func (c *cluster) healthHistogram() string {
	counts := map[int]int{}
	for i, nd := range c.nodes {
		h, ok := nd.(healthReporter)
		if !ok || !c.app.alive[i].Load() {
			continue
		}
		counts[h.healthScore()]++
	}
	scores := make([]int, 0, len(counts))
	for s := range counts {
		scores = append(scores, s)
	}
	slices.Sort(scores)
	var parts []string
	for _, s := range scores {
		parts = append(parts, fmt.Sprintf("%d:%d", s, counts[s]))
	}
	return strings.Join(parts, " ")
}

// missedSummary says what the deliveries a broadcast phase missed have in
// common: how many nodes each broadcast reached, how many of the missing
// (broadcast, node) pairs are of nodes that missed every broadcast, and of
// nodes that did not list the broadcast's origin as a member.
func (c *cluster) missedSummary(p *phase, origins []int) string {
	n := c.opt.n
	reached := make([]int, len(origins))
	missedBy := make([]int, n)
	missing, originUnknown := 0, 0
	for seq, o := range origins {
		if p.sent[seq].Load() == 0 {
			continue
		}
		for i := range n {
			if !c.app.alive[i].Load() {
				continue
			}
			if p.recv[seq*n+i].Load() != 0 {
				reached[seq]++
				continue
			}
			missing++
			missedBy[i]++
			if !c.app.present[i*n+o].Load() {
				originUnknown++
			}
		}
	}
	missedAll, missedSome := 0, 0
	for _, m := range missedBy {
		switch {
		case m == len(origins):
			missedAll++
		case m > 0:
			missedSome++
		}
	}
	return fmt.Sprintf("nodes reached per broadcast %v; %d (broadcast, node) pairs missing: %d of nodes that missed every broadcast (%d nodes), %d of nodes that missed some (%d nodes), %d where the node did not list the origin",
		reached, missing, missedAll*len(origins), missedAll, missing-missedAll*len(origins), missedSome, originUnknown)
}
