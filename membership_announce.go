// Membership core: batching the local node's record changes into
// announcements.

package hyparlist

// This file owns announcements: the record changes the local node decided
// during one step are batched, one record per name, into as few Plumtree
// broadcasts as MembershipConfig.MaxAnnouncementRecords allows.

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

// flushAnnouncements emits the step's announcements as BroadcastPayload
// actions of class ClassMembership.
func (m *Membership) flushAnnouncements() {
	for recs := m.pending; len(recs) > 0; {
		n := min(len(recs), m.cfg.MaxAnnouncementRecords)
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
