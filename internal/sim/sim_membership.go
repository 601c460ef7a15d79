package sim

import (
	"time"

	"github.com/hyparlist/hyparlist"
)

// This file runs the membership core (membership.go) on every simulated
// node when SimConfig.Membership is set, wired as the runtime wires it
// (runtime_loop.go):
//
//   - HyParView's NeighborUp/NeighborDown go to Plumtree, then membership
//     ("Plumtree before membership", membership.go); LinkFailed notices go
//     to HyParView, Plumtree and membership;
//   - membership's BroadcastPayload goes to the node's Plumtree, and
//     Plumtree's Deliver of class ClassMembership comes back to membership;
//   - membership's Send travels on the simulated network, SetTimer comes
//     back as TimerFired, messages of types 32–47 are fed to membership;
//   - ProbeMember is answered at once from the network's reachability (the
//     runtime dials): a dead member that can be reached is joined through
//     (HyParView JoinCluster, as onProbeResult does); a live member that
//     cannot gets a LinkFailed notice after the detection delay, or at
//     once a MemberUnreachable for a confirmation check (Confirm), as does a
//     name that is no simulated node (a ghost);
//   - PushPullState is answered with an empty LocalStateReady (the
//     simulator has no application state).
//
// Membership events are queued and stepped after the event being
// dispatched, as the runtime's work queue does, so that no core is stepped
// while its own actions are being routed (a membership announcement that
// Plumtree delivers locally would otherwise re-enter membership).

// simCoreMembership marks a membership timer (simEvent.aux).
const simCoreMembership uint16 = 2

// streamMembership is the first random stream of the nodes' membership
// cores: node i uses streamMembership+i (the runtime, too, gives membership
// its own generator).
const streamMembership uint64 = 1 << 48

// simWork is one queued membership event.
type simWork struct {
	node int32
	ev   hyparlist.Event
}

// feedMembership queues ev for node i's membership core, if it runs one.
func (s *Simulation) feedMembership(i int32, ev hyparlist.Event) {
	if s.nodes[i].ms == nil {
		return
	}
	s.msWork = append(s.msWork, simWork{node: i, ev: ev})
}

// runMembershipWork steps the queued membership events, in order, until
// none is left. Membership traffic is never part of a user broadcast, so
// it carries no broadcast tag.
func (s *Simulation) runMembershipWork() {
	if s.msRunning || len(s.msWork) == 0 {
		return
	}
	s.msRunning = true
	tag := s.curTag
	s.curTag = 0
	for k := 0; k < len(s.msWork); k++ {
		w := s.msWork[k]
		s.msWork[k] = simWork{}
		if s.net.up[w.node] {
			s.stepMembership(w.node, w.ev)
		}
	}
	s.msWork = s.msWork[:0]
	s.curTag = tag
	s.msRunning = false
}

// stepMembership feeds ev to node i's membership core and carries out its
// actions.
func (s *Simulation) stepMembership(i int32, ev hyparlist.Event) {
	m := s.nodes[i].ms
	m.Step(s.epoch.Add(time.Duration(s.now)), ev)
	for _, a := range m.Drain() {
		switch a := a.(type) {
		case hyparlist.Send:
			s.send(i, simCoreMembership, a.To, a.Msg)
		case hyparlist.SetTimer:
			// Periodic work like HyParView's timers: untagged.
			s.q.push(simEvent{at: s.now + int64(max(a.After, 0)), kind: evTimer, node: i, timer: a.Timer, aux: simCoreMembership})
		case hyparlist.BroadcastPayload:
			s.stepPlumtree(i, a)
		case hyparlist.ProbeMember:
			s.probeMember(i, a)
		case hyparlist.PushPullState:
			s.feedMembership(i, hyparlist.LocalStateReady{Peer: a.Peer, Join: a.Join})
		case hyparlist.MemberChanged:
			if a.Event == hyparlist.NodeLeave {
				s.mv.memberLeft(s, a.Member)
			}
			s.memberTableChanged()
		default:
			// The core's other actions are addressed to the
			// application (its delegates: merges, leaves, conflicts,
			// the alive and merge checks), and the simulator has none.
		}
	}
}

// probeMember acts on node i's ProbeMember as the runtime's
// onProbeResult does, with the network's reachability standing in for a
// dial.
func (s *Simulation) probeMember(i int32, a hyparlist.ProbeMember) {
	s.mv.probes++
	dst, ok := s.nodeIndex(a.Peer.Name)
	if !ok {
		if a.Confirm {
			// A forged member (InjectGhosts): nobody answers there.
			s.feedMembership(i, hyparlist.MemberUnreachable{Peer: a.Peer})
			return
		}
		s.stats.Invalid++
		return
	}
	reached := s.net.reachable(i, dst)
	switch {
	case !reached && a.Confirm:
		s.feedMembership(i, hyparlist.MemberUnreachable{Peer: a.Peer})
	case reached && a.Dead:
		s.stepHyParView(i, hyparlist.JoinCluster{Contact: s.peers[dst]})
	case !reached && !a.Dead:
		s.notifyFailure(i, dst)
	}
}
