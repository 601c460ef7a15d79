// Membership core: batching the local node's record changes into
// announcements.

package hyparlist

import "time"

// This file owns announcements: the record changes the local node decided
// during one step are batched, one record per name, into as few Plumtree
// broadcasts as MembershipConfig.MaxAnnouncementRecords allows.
//
// The local record is announced with the node's first neighbour, and then
// whenever it changes (a refutation, new metadata, a leave). A node that
// lost every neighbour and gets a new one does not announce itself again
// unless its latest announcement was made while it had no neighbour to
// send it to, or less than selfAnnounceSettle before it lost the last
// one (selfSent clear; the announcement may have been lost with the
// links that carried it): the exchange it starts with the new
// neighbour at once carries its record, and a neighbour that did not hold
// it announces it on the node's behalf (entryAnnounce,
// membership_merge.go), while one that held it as suspect or dead sends
// that back and the node refutes. In a join storm on one seed the seed's
// JOINs evict its newest neighbours, who had no other yet: at 1,000 nodes
// this re-announcement was 40 % of the storm's announcements
// (BENCHMARKS.md, session 10), each checked by every node.

// announce queues r for the announcement of this step, for the reason
// kind; a later record about the same name replaces an earlier one.
func (m *Membership) announce(kind announceKind, r memberRecord) {
	m.stats.AnnouncedRecords[kind]++
	for i := range m.pending {
		if m.pending[i].Name == r.Name {
			m.pending[i] = r
			return
		}
	}
	m.pending = append(m.pending, r)
}

// announceSelfIfUnsent announces the local record with the first
// neighbour after isolation, unless its latest announcement was made
// while the node had a neighbour and at least selfAnnounceSettle before
// it lost the last one (see the file comment).
func (m *Membership) announceSelfIfUnsent() {
	if m.selfSent {
		return
	}
	kind := announceJoin
	if m.stats.AnnouncedRecords[announceJoin] > 0 {
		kind = announceRejoin
	}
	m.announce(kind, m.local().record())
}

// selfAnnounceSettle is how long an announcement of the local record must
// have had before the node lost its last neighbour for the node to count
// it as sent (onIsolated). Not from a paper: an announcement crosses 10^4
// nodes in about 0.5–1 s (proxyAnnounceDelay); what is still queued on a
// link that closes is lost, and a joiner whose contact evicts it at once
// (HyParView's JOIN to a full active view) may have had nothing out.
const selfAnnounceSettle = 2 * time.Second

// onIsolated is called when the node loses its last neighbour: an
// announcement of the local record made less than selfAnnounceSettle ago
// is announced again with the next neighbour.
func (m *Membership) onIsolated() {
	if m.selfSent && m.clock-m.selfSentAt < int64(selfAnnounceSettle) {
		m.selfSent = false
	}
}

// flushAnnouncements emits the step's announcements as BroadcastPayload
// actions of class ClassMembership.
func (m *Membership) flushAnnouncements() {
	for recs := m.pending; len(recs) > 0; {
		n := min(len(recs), m.cfg.MaxAnnouncementRecords)
		for _, r := range recs[:n] {
			if r.Name == m.self.Name {
				m.selfSent, m.selfSentAt = len(m.neighbors) > 0, m.clock
			}
		}
		payload, err := appendAnnouncement(nil, recs[:n])
		recs = recs[n:]
		if err != nil {
			continue // unreachable: every queued record was validated
		}
		m.stats.Announcements++
		m.emit(BroadcastPayload{Class: ClassMembership, Payload: payload})
	}
	clear(m.pending)
	m.pending = m.pending[:0]
}
