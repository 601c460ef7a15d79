// Membership core: the neighbours it knows of and when to start an anti-
// entropy exchange.

package hyparlist

import (
	"slices"
	"strings"
	"time"
)

// This file owns the neighbours the membership core knows of (HyParView's
// active view, from NeighborUp, NeighborDown and LinkFailed) and decides
// when an anti-entropy exchange with one of them starts: every
// PushPullInterval with a random neighbour, and after a new link.

// maxMembershipNeighbors bounds the neighbours the core tracks; HyParView's
// active view is far smaller (5 by default, HyParView §5.1).
const maxMembershipNeighbors = 256

// memberPushPullTimer is the periodic anti-entropy timer.
type memberPushPullTimer struct{}

func (memberPushPullTimer) isTimer() {}

// onPushPullTimer exchanges with a random neighbour and re-arms.
func (m *Membership) onPushPullTimer() {
	m.followUps = 0
	if len(m.neighbors) > 0 {
		m.exchangeWith(m.neighbors[m.rng.IntN(len(m.neighbors))])
	}
	m.emit(SetTimer{After: m.cfg.PushPullInterval, Timer: memberPushPullTimer{}})
}

// onLinkExchangeTimer exchanges with a new neighbour if it still is one.
func (m *Membership) onLinkExchangeTimer(t memberLinkExchangeTimer) {
	if p, ok := m.neighbor(t.Name); ok {
		m.exchangeWith(p)
	}
}

// exchangeWith starts an exchange: a join exchange while the node has not
// synchronised with anyone yet (membership_join.go), a plain one after.
func (m *Membership) exchangeWith(p Peer) {
	if m.joinWanted() {
		m.startJoinExchange(p)
		return
	}
	m.startExchange(p, false)
}

// onNeighborUp tracks a new neighbour. A live link is evidence of life but
// cannot raise the peer's incarnation (only the peer can), so it only
// leads to an exchange. With the first neighbour after isolation (the
// node's very first one included: Start announces nothing) the node
// exchanges at once (its join exchange) and announces itself if its
// latest announcement was made with no neighbour to hear it, or less than
// selfAnnounceSettle before it lost the last one (announceSelfIfUnsent);
// while the join exchange
// with the joinVia contact has no answer yet, this is another join
// exchange (a contact that is busy may never answer). Otherwise the side
// with the smaller name
// exchanges after linkExchangeDelay, so that a link is not synchronised
// twice and a node that just joined through another link is
// already in sync (O(1) digest) when its other new neighbours check.
func (m *Membership) onNeighborUp(p Peer) {
	if p.Name == m.self.Name || p.Name == "" {
		return
	}
	m.confirm(p.Name)
	wasAlone := len(m.neighbors) == 0
	if !m.addNeighbor(p) {
		return
	}
	if wasAlone {
		m.announceSelfIfUnsent()
		m.exchangeWith(p)
		return
	}
	if m.self.Name < p.Name {
		after := linkExchangeDelay + time.Duration(m.rng.Int64N(int64(linkExchangeDelay)))
		m.emit(SetTimer{After: after, Timer: memberLinkExchangeTimer{Name: p.Name}})
	}
}

// joinVia is the command "the node is joining through Contact": the
// node's join exchange (its first) starts with Contact at once, whether
// or not Contact is a neighbour, as memberlist's Join runs its push/pull
// with the node it contacts (the runtime feeds it once the handshake
// with Contact is done). Without it the join exchange is with the first
// neighbour. Ignored once the join exchange started.
type joinVia struct {
	Contact Peer
}

// onJoinVia starts the join exchange with contact if it has not
// started.
func (m *Membership) onJoinVia(contact Peer) {
	if m.joined || contact.Name == m.self.Name || contact.Name == "" {
		return
	}
	m.exchangeWith(contact)
}

// linkExchangeDelay is the least delay between a new link and its
// exchange (up to twice that with jitter). Not from a paper: long enough for
// a joining node's join exchange (a few round trips) to finish.
const linkExchangeDelay = time.Second

// memberLinkExchangeTimer fires when the exchange with a new neighbour is
// due.
type memberLinkExchangeTimer struct {
	Name string
}

func (memberLinkExchangeTimer) isTimer() {}

// addNeighbor inserts p in the sorted neighbour list; false if it was
// there or the list is full.
func (m *Membership) addNeighbor(p Peer) bool {
	i, found := m.neighborIndex(p.Name)
	if found {
		m.neighbors[i] = p
		return false
	}
	if len(m.neighbors) >= maxMembershipNeighbors {
		return false
	}
	m.neighbors = slices.Insert(m.neighbors, i, p)
	m.neighborCredit = slices.Insert(m.neighborCredit, i, m.newBucket())
	return true
}

// removeNeighbor forgets p, its new-member allowance and, if p was the
// join exchange's neighbour, what is left of that exchange's exemption.
func (m *Membership) removeNeighbor(p Peer) {
	i, found := m.neighborIndex(p.Name)
	if found {
		m.neighbors = slices.Delete(m.neighbors, i, i+1)
		m.neighborCredit = slices.Delete(m.neighborCredit, i, i+1)
		if len(m.neighbors) == 0 {
			m.onIsolated() // membership_announce.go
		}
	}
	if p.Name == m.joinPeer {
		m.joinPeer, m.joinCredit = "", 0
	}
}

// neighbor returns the tracked neighbour called name.
func (m *Membership) neighbor(name string) (Peer, bool) {
	i, found := m.neighborIndex(name)
	if !found {
		return Peer{}, false
	}
	return m.neighbors[i], true
}

// neighborIndex finds name in the sorted neighbour list.
func (m *Membership) neighborIndex(name string) (int, bool) {
	return slices.BinarySearchFunc(m.neighbors, name, func(q Peer, name string) int { return strings.Compare(q.Name, name) })
}
