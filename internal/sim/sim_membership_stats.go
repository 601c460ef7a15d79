package sim

import (
	"math/bits"

	"github.com/hyparlist/hyparlist"
)

// This file measures the simulated membership cores: traffic, false
// deaths, and whether every live node lists exactly the live set.

// simMemberView accumulates membership measurements of a simulation.
type simMemberView struct {
	// gossipBytes and directBytes are the encoded sizes of the Gossip
	// frames of class ClassMembership and of the membership core's own
	// messages handed to the network.
	gossipBytes, directBytes uint64
	// falseDeaths counts MemberChanged(NodeLeave) reports of a dead
	// member, by any node, about a node that was up at the time;
	// falseDead marks those nodes.
	falseDeaths uint64
	falseDead   []uint64
	probes      uint64
	buf         []byte
}

// bytes returns the membership bytes sent so far.
func (v *simMemberView) bytes() uint64 { return v.gossipBytes + v.directBytes }

// sent accounts msg, sent by core core, about to be handed to the network.
func (v *simMemberView) sent(core uint16, msg hyparlist.Message,
	broadcastOf func(hyparlist.Message) (hyparlist.Class, []byte, bool)) {
	direct := core == simCoreMembership
	if !direct {
		class, _, ok := broadcastOf(msg)
		if !ok || class != hyparlist.ClassMembership {
			return
		}
	}
	b, err := hyparlist.AppendMessage(v.buf[:0], msg)
	if err != nil {
		return
	}
	v.buf = b[:0]
	if direct {
		v.directBytes += uint64(len(b))
	} else {
		v.gossipBytes += uint64(len(b))
	}
}

// memberLeft records a MemberChanged(NodeLeave) report.
func (v *simMemberView) memberLeft(s *Simulation, m hyparlist.Member) {
	if hyparlist.NodeStateType(m.State) != hyparlist.StateDead {
		return
	}
	if j, ok := s.nodeIndex(m.Name); ok && s.net.up[j] {
		v.falseDeaths++
		simSetBit(&v.falseDead, j)
	}
}

// MembershipEnabled reports whether the nodes run the membership core.
func (s *Simulation) MembershipEnabled() bool { return s.cfg.Membership }

// MembershipBytes returns the membership bytes sent so far: ClassMembership
// Gossip frames plus the membership core's own messages.
func (s *Simulation) MembershipBytes() uint64 { return s.mv.bytes() }

// FalsePositiveDeaths returns how many distinct nodes were declared dead
// by some node while they were up, and how many such declarations there
// were.
func (s *Simulation) FalsePositiveDeaths() (nodes int, reports uint64) {
	for _, w := range s.mv.falseDead {
		nodes += bits.OnesCount64(w)
	}
	return nodes, s.mv.falseDeaths
}

// MembershipConverged reports whether every up node's membership lists
// exactly the up nodes as live (alive or suspect). One up node's list is
// compared name by name with the up nodes; every other node must list as
// many live members with the same Membership.LiveDigest, which each core
// keeps up to date on every change, so a check costs O(N log N). False
// without membership or with no node up.
func (s *Simulation) MembershipConverged() bool {
	if !s.cfg.Membership || len(s.upList) == 0 {
		return false
	}
	want := len(s.upList)
	for _, i := range s.upList {
		if s.nodes[i].ms.NumMembers() != want {
			return false
		}
	}
	ref := s.nodes[s.upList[0]].ms
	for _, m := range ref.Members() {
		if j, ok := s.nodeIndex(m.Name); !ok || !s.net.up[j] {
			return false
		}
	}
	digest := ref.LiveDigest()
	for _, i := range s.upList {
		if s.nodes[i].ms.LiveDigest() != digest {
			return false
		}
	}
	return true
}

// listsDead reports whether node i's membership lists every node of
// crashed as dead or left.
func (s *Simulation) listsDead(i int32, crashed []int) bool {
	m := s.nodes[i].ms
	for _, c := range crashed {
		mb, ok := m.Member(s.peers[c].Name)
		if !ok || live(mb) {
			return false
		}
	}
	return true
}

// live reports whether m is alive or suspect (the membership core's
// states are NodeStateType's values).
func live(m hyparlist.Member) bool {
	st := hyparlist.NodeStateType(m.State)
	return st == hyparlist.StateAlive || st == hyparlist.StateSuspect
}
