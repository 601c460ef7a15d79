package hyparlist

import "math/bits"

// This file measures the simulated membership cores: traffic, false
// deaths, and whether every live node lists exactly the live set.

// simMemberView accumulates membership measurements of a simulation.
type simMemberView struct {
	// gossipBytes and directBytes are the encoded sizes of the Gossip
	// frames of class ClassMembership and of the membership core's own
	// messages (types 32–47) handed to the network.
	gossipBytes, directBytes uint64
	// falseDeaths counts MemberLeft(dead) reports, by any node, about a
	// node that was up at the time; falseDead marks those nodes.
	falseDeaths uint64
	falseDead   []uint64
	probes      uint64
	buf         []byte
}

// bytes returns the membership bytes sent so far.
func (v *simMemberView) bytes() uint64 { return v.gossipBytes + v.directBytes }

// sent accounts msg, about to be handed to the network.
func (v *simMemberView) sent(msg Message) {
	t := msg.Type()
	direct := t >= typeMemberDigest && t < typeHello
	if !direct {
		g, ok := msg.(gossipMsg)
		if !ok || g.Class != ClassMembership {
			return
		}
	}
	b, err := EncodeMessage(v.buf[:0], msg, DefaultWireLimits())
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

// memberLeft records a MemberLeft report.
func (v *simMemberView) memberLeft(s *Simulation, m Member) {
	if m.State != MemberStateDead {
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
// exactly the up nodes as live (alive or suspect): same count and same XOR
// of name hashes, which each table keeps up to date on every change, so a
// check costs O(N). False without membership.
func (s *Simulation) MembershipConverged() bool {
	if !s.cfg.Membership {
		return false
	}
	want := len(s.upList)
	for _, i := range s.upList {
		if s.nodes[i].ms.NumMembers() != want {
			return false
		}
	}
	var h uint64
	for _, i := range s.upList {
		h ^= nameHash(s.peers[i].Name)
	}
	for _, i := range s.upList {
		if s.nodes[i].ms.table.liveNames != h {
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
		e := m.table.get(s.peers[c].Name)
		if e == nil || e.state.live() {
			return false
		}
	}
	return true
}
