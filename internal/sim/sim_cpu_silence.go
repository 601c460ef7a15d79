package sim

import (
	"time"

	"github.com/hyparlist/hyparlist"
)

// This file is the runtime's silence judge as the simulator runs it with
// the CPU cost model (SimCPU.SilenceLimit > 0), following
// runtime_silence.go and runtime_awareness.go:
//
//   - a neighbour counts as heard when its frame was read: the frame's
//     arrival plus, with shared cores, the time its reader waits for a
//     core (readerWait), not when the node's loop got round to it;
//   - a new neighbour counts as heard NewLinkGrace after NeighborUp;
//   - every SilenceCheck the node (its loop: the check waits in its inbox
//     behind the frames that arrived before it, which is the runtime's
//     drain before judging) fails the links of neighbours not heard within
//     SilenceLimit × its health multiplier; the neighbour sees the
//     connection close and fails the link too;
//   - the health score (Lifeguard's local health awareness) rises by one
//     per AwarenessThreshold of lag measured since the last check (how
//     late the node's events were handled after they arrived), falls by
//     one per check without, stays below AwarenessMax, and is fed to
//     membership as LocalHealth;
//   - the writer of an active-view link sends a Keepalive of its own when
//     it has written nothing for HeartbeatAfter, without waiting for the
//     loop (with shared cores, after waiting for a core).

// heardEntry is one active-view neighbour of a node, for the judge.
type heardEntry struct {
	peer int32
	// at is when the neighbour was last heard (virtual ns).
	at int64
	// wrote is when the node last wrote on the link; hbPending is set
	// while the writer's heartbeat check is queued.
	wrote     int64
	hbPending bool
}

// silenceOn reports whether the judge runs.
func (s *Simulation) silenceOn() bool { return s.cpu != nil && s.cpu.cfg.SilenceLimit > 0 }

// heardIndex returns the position of peer in node i's list, or -1.
func (s *Simulation) heardIndex(i, peer int32) int {
	for k, e := range s.cpu.nodes[i].heard {
		if e.peer == peer {
			return k
		}
	}
	return -1
}

// onNeighbor records that peer became (up) or stopped being (!up) an
// active-view neighbour of node i.
func (s *Simulation) onNeighbor(i int32, p hyparlist.Peer, up bool) {
	if !s.silenceOn() {
		return
	}
	peer, ok := s.nodeIndex(p.Name)
	if !ok {
		return
	}
	n := &s.cpu.nodes[i]
	k := s.heardIndex(i, peer)
	if !up {
		if k >= 0 {
			n.heard = append(n.heard[:k], n.heard[k+1:]...)
		}
		return
	}
	if k < 0 {
		n.heard = append(n.heard, heardEntry{peer: peer})
		k = len(n.heard) - 1
	}
	e := &n.heard[k]
	e.at = s.now + int64(s.cpu.cfg.NewLinkGrace)
	e.wrote = s.now
	if hb := int64(s.cpu.cfg.HeartbeatAfter); hb > 0 && !e.hbPending {
		e.hbPending = true
		s.q.push(simEvent{at: s.now + hb, kind: evHeartbeat, node: i, peer: peer})
	}
}

// heardAt records that node i heard from peer at virtual time at.
func (s *Simulation) heardAt(i, peer int32, at int64) {
	if !s.silenceOn() {
		return
	}
	if k := s.heardIndex(i, peer); k >= 0 {
		e := &s.cpu.nodes[i].heard[k]
		e.at = max(e.at, at)
	}
}

// noteWrite records that node from wrote a frame to dst now.
func (s *Simulation) noteWrite(from, dst int32) {
	if !s.silenceOn() {
		return
	}
	if k := s.heardIndex(from, dst); k >= 0 {
		s.cpu.nodes[from].heard[k].wrote = s.now
	}
}

// writerHeartbeat is the writer of link ev.node→ev.peer waking: it sends
// a Keepalive if nothing was written for HeartbeatAfter.
func (s *Simulation) writerHeartbeat(ev *simEvent) {
	from, dst := ev.node, ev.peer
	k := -1
	if s.net.up[from] {
		k = s.heardIndex(from, dst)
	}
	if k < 0 {
		return // link closed: its writer is gone
	}
	hb := int64(s.cpu.cfg.HeartbeatAfter)
	e := &s.cpu.nodes[from].heard[k]
	if due := e.wrote + hb; due > s.now {
		s.q.push(simEvent{at: due, kind: evHeartbeat, node: from, peer: dst})
		return
	}
	sent := s.now + s.readerWait() // the writer waits for a core too
	e.wrote = sent
	s.q.push(simEvent{at: sent + hb, kind: evHeartbeat, node: from, peer: dst})
	s.stats.Heartbeats++
	if s.net.reachable(from, dst) {
		s.q.push(simEvent{at: sent + s.net.latency(from, dst), kind: evHeartbeatIn, node: dst, peer: from})
	}
}

// noteLag records how late node i handles ev (now, on its clock).
func (s *Simulation) noteLag(i int32, ev simEvent) {
	if !s.silenceOn() {
		return
	}
	n := &s.cpu.nodes[i]
	n.lag = max(n.lag, s.now-ev.at)
}

// startSilenceCheck arms node i's judge when it starts.
func (s *Simulation) startSilenceCheck(i int32) {
	if s.silenceOn() {
		s.q.push(simEvent{at: s.now + int64(s.cpu.cfg.SilenceCheck), kind: evSilenceCheck, node: i})
	}
}

// silenceCheck runs node i's judge (on its clock) and re-arms it.
func (s *Simulation) silenceCheck(i int32) {
	cfg := &s.cpu.cfg
	n := &s.cpu.nodes[i]
	s.updateHealth(i)
	limit := int64(cfg.SilenceLimit) * int64(n.score+1)
	var silent []int32
	for _, e := range n.heard {
		if s.now-e.at > limit {
			silent = append(silent, e.peer)
		}
	}
	for _, p := range silent {
		if k := s.heardIndex(i, p); k >= 0 {
			n = &s.cpu.nodes[i]
			n.heard = append(n.heard[:k], n.heard[k+1:]...)
		}
		s.stats.SilentFailures++
		s.stats.LinkFailures++
		lf := hyparlist.LinkFailed{Peer: s.peers[p]}
		s.stepHyParView(i, lf)
		s.stepPlumtree(i, lf)
		s.feedMembership(i, lf)
		s.runMembershipWork()
		// The neighbour's reader sees the connection close.
		if s.net.reachable(i, p) {
			s.q.push(simEvent{at: s.now + s.net.latency(i, p), kind: evLinkFailed, node: p, peer: i})
		}
	}
	s.q.push(simEvent{at: s.now + int64(cfg.SilenceCheck), kind: evSilenceCheck, node: i})
}

// updateHealth feeds node i's lag since the last check to its health
// score (runtime_awareness.go's observe).
func (s *Simulation) updateHealth(i int32) {
	cfg := &s.cpu.cfg
	n := &s.cpu.nodes[i]
	lag := time.Duration(n.lag)
	s.cpu.maxLag = max(s.cpu.maxLag, n.lag)
	n.lag = 0
	if cfg.AwarenessMax <= 1 || cfg.AwarenessThreshold <= 0 {
		return
	}
	before := n.score
	if lag > cfg.AwarenessThreshold {
		steps := min(lag/cfg.AwarenessThreshold, time.Duration(cfg.AwarenessMax))
		n.score = min(n.score+int(steps), cfg.AwarenessMax-1)
	} else if n.score > 0 {
		n.score--
	}
	s.stats.maxScore = max(s.stats.maxScore, n.score)
	if n.score != before {
		s.feedMembership(i, hyparlist.LocalHealth{Multiplier: n.score + 1})
		s.runMembershipWork()
	}
}
