package sim

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// This file holds the scenario operations of a Simulation: joining nodes,
// crashing them, churn, and partitions. Every random choice here comes from
// the simulation's scenario stream, so the same seed picks the same nodes
// whatever the network does.

// Contact markers of an evJoin event.
const (
	joinNoContact  int32 = -1 // start alone: the first node of an overlay
	joinPickOnFire int32 = -2 // choose the contact when the join fires
)

// Join spacing used when SimConfig.JoinInterval is zero.
const (
	defaultJoinInterval = 10 * time.Millisecond
	maxJoinPhase        = 100 * time.Second
)

// JoinAll starts every node that has not started yet, one every
// SimConfig.JoinInterval of virtual time in index order, and runs the
// simulation until the last one has started. The first node of an empty
// simulation starts alone; the others join through the contact chosen by
// SimConfig.Contact among the nodes up when they join.
func (s *Simulation) JoinAll() {
	pending := 0
	for i := range s.nodes {
		if !s.nodes[i].started && !s.nodes[i].crashed {
			pending++
		}
	}
	interval := s.cfg.JoinInterval
	if interval == 0 {
		interval = min(defaultJoinInterval, maxJoinPhase/time.Duration(max(pending, 1)))
	}
	at := s.now
	last := s.now
	for i := range s.nodes {
		n := &s.nodes[i]
		if n.started || n.crashed {
			continue
		}
		contact := joinPickOnFire
		if len(s.upList) == 0 && at == s.now {
			contact = joinNoContact
		}
		s.q.push(simEvent{at: at, kind: evJoin, node: int32(i), peer: contact})
		last = at
		at += int64(interval)
	}
	s.runUntil(last, nil)
}

// AddNodes creates k new nodes (not started; see JoinAll) and returns the
// index of the first.
func (s *Simulation) AddNodes(k int) (int, error) {
	if k < 0 || len(s.nodes)+k > maxSimNodes {
		return 0, fmt.Errorf("%w: cannot add %d nodes to %d", ErrSimConfig, k, len(s.nodes))
	}
	first := len(s.nodes)
	return first, s.addNodes(k)
}

// pickContact chooses the contact of a join of node self, or -1 when no
// other node is up.
func (s *Simulation) pickContact(self int32) int32 {
	if s.cfg.Contact == ContactSame && s.net.up[0] && self != 0 {
		return 0
	}
	switch len(s.upList) {
	case 0:
		return joinNoContact
	case 1:
		if s.upList[0] == self {
			return joinNoContact
		}
		return s.upList[0]
	}
	for {
		c := s.upList[s.scene.IntN(len(s.upList))]
		if c != self {
			return c
		}
	}
}

// markUp and markDown keep upList, the nodes that are up, with O(1) updates.
func (s *Simulation) markUp(i int32) {
	s.net.up[i] = true
	for len(s.upPos) <= int(i) {
		s.upPos = append(s.upPos, -1)
	}
	s.upPos[i] = int32(len(s.upList))
	s.upList = append(s.upList, i)
}

func (s *Simulation) markDown(i int32) {
	s.net.up[i] = false
	p := s.upPos[i]
	last := s.upList[len(s.upList)-1]
	s.upList[p] = last
	s.upPos[last] = p
	s.upList = s.upList[:len(s.upList)-1]
	s.upPos[i] = -1
}

// Crash crashes round(fraction × up nodes) nodes chosen uniformly at random
// among the nodes up, all at the current instant, and returns their
// indices in increasing order. Nobody is told (see Simulation).
func (s *Simulation) Crash(fraction float64) ([]int, error) {
	if math.IsNaN(fraction) || fraction < 0 || fraction > 1 {
		return nil, fmt.Errorf("%w: crash fraction %v out of range [0, 1]", ErrSimConfig, fraction)
	}
	return s.crashRandom(int(math.Round(fraction * float64(len(s.upList))))), nil
}

// crashRandom crashes k nodes chosen uniformly among the nodes up and
// returns them in increasing order.
func (s *Simulation) crashRandom(k int) []int {
	victims := s.pickUpNodes(k)
	for _, v := range victims {
		s.CrashNode(v)
	}
	return victims
}

// CrashNode crashes node i now; it is a no-op for a node that is not up.
func (s *Simulation) CrashNode(i int) {
	if i < 0 || i >= len(s.nodes) || !s.net.up[i] {
		return
	}
	s.nodes[i].crashed = true
	s.markDown(int32(i))
}

// RandomUpNode returns a node chosen uniformly among the nodes up (from the
// scenario stream), or -1 if none is.
func (s *Simulation) RandomUpNode() int {
	if len(s.upList) == 0 {
		return -1
	}
	pool := slices.Clone(s.upList)
	slices.Sort(pool)
	return int(pool[s.scene.IntN(len(pool))])
}

// Partition splits all nodes into two sides, putting each node on side 1
// with probability fraction (scenario stream), and makes messages between
// the sides fail like messages to crashed nodes. A new partition replaces
// the previous one.
func (s *Simulation) Partition(fraction float64) error {
	if math.IsNaN(fraction) || fraction < 0 || fraction > 1 {
		return fmt.Errorf("%w: partition fraction %v out of range [0, 1]", ErrSimConfig, fraction)
	}
	for i := range s.net.side {
		s.net.side[i] = 0
		if s.scene.Float64() < fraction {
			s.net.side[i] = 1
		}
	}
	s.net.partitioned = true
	return nil
}

// Heal ends the partition.
func (s *Simulation) Heal() { s.net.partitioned = false }

// Churn runs the simulation for d, and every period crashes k nodes chosen
// among the nodes up and adds k fresh nodes that join through a contact
// chosen by SimConfig.Contact (node 0 when it is up, else a random node).
// The fresh nodes get new indices; a crashed node never comes back.
func (s *Simulation) Churn(d, period time.Duration, k int) error {
	if period <= 0 || k < 0 {
		return fmt.Errorf("%w: churn period %v, count %d", ErrSimConfig, period, k)
	}
	end := s.now + int64(d)
	for s.now+int64(period) <= end {
		s.RunFor(period)
		s.crashRandom(k)
		first, err := s.AddNodes(k)
		if err != nil {
			return err
		}
		for i := first; i < first+k; i++ {
			s.q.push(simEvent{at: s.now, kind: evJoin, node: int32(i), peer: joinPickOnFire})
		}
	}
	s.runUntil(end, nil)
	return nil
}

// pickUpNodes returns k nodes chosen uniformly among the nodes up
// (scenario stream), or all of them when k is at least their number, in
// increasing order.
func (s *Simulation) pickUpNodes(k int) []int {
	pool := slices.Clone(s.upList)
	slices.Sort(pool)
	k = min(k, len(pool))
	if k < len(pool) {
		for i := 0; i < k; i++ {
			j := i + s.scene.IntN(len(pool)-i)
			pool[i], pool[j] = pool[j], pool[i]
		}
		pool = pool[:k]
		slices.Sort(pool)
	}
	out := make([]int, len(pool))
	for i, v := range pool {
		out[i] = int(v)
	}
	return out
}

// randomNodeIn returns a node chosen uniformly among the nodes i with
// mask[i] (scenario stream), or -1 if there is none.
func (s *Simulation) randomNodeIn(mask []bool) int {
	var pool []int
	for i, in := range mask {
		if in {
			pool = append(pool, i)
		}
	}
	if len(pool) == 0 {
		return -1
	}
	return pool[s.scene.IntN(len(pool))]
}
