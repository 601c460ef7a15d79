// Membership core: the deadlines of member entries and the one timer that
// serves them.

package hyparlist

import "time"

// This file owns the deadlines of member entries and the one timer that
// serves them all. An entry has at most one deadline at a time, implied by
// its state:
//
//   - entryAnnounce set: an announcement of its record is due unless the
//     record was heard meanwhile (announceDue);
//   - live and entryUnconfirmed set: it is checked, or its suspicion
//     expires, whichever is first (membership_confirm.go);
//   - suspect: its suspicion expires (membership_suspicion.go);
//   - dead or left: its tombstone is reclaimed (membership_tombstone.go).
//
// Entries with a deadline sit in a binary min-heap ordered by deadline, and
// a single memberDeadlineTimer is armed for the earliest. A timer per
// entry would leave one pending timer per suspected or dead member in the
// driver — thousands per node after a partition, most of them stale once a
// confirmation shortened a suspicion — where the heap costs one slot per
// entry and the driver holds one timer, plus one stale timer each time the
// earliest deadline moved earlier.

// memberDeadlineTimer fires when the earliest entry deadline may be due.
type memberDeadlineTimer struct{}

func (memberDeadlineTimer) isTimer() {}

// deadlineOf returns e's deadline on the core clock; ok is false if e has
// none.
func (m *Membership) deadlineOf(e *memberEntry) (at int64, ok bool) {
	switch {
	case e == m.local():
		return 0, false
	case e.flags&entryAnnounce != 0:
		at := e.changed + int64(m.announceDelay(e))
		if e.state.live() {
			at = alignUp(at, int64(proxyAnnounceBatch))
		}
		return at, true
	case e.flags&entryUnconfirmed != 0 && e.state.live():
		return m.confirmDeadline(e), true
	case e.state == memberStateSuspect:
		if e.susp == nil {
			return 0, false
		}
		return e.susp.deadline, true
	case !e.state.live():
		return e.changed + int64(m.cfg.ReclaimTime), true
	}
	return 0, false
}

// refreshDeadline puts e in the heap, moves it or takes it out, after a
// change of the state its deadline depends on.
func (m *Membership) refreshDeadline(e *memberEntry) {
	at, ok := m.deadlineOf(e)
	h, a := &m.deadlines, &m.table.arena
	switch {
	case !ok && e.heapPos >= 0:
		h.remove(a, e)
	case ok && e.heapPos < 0:
		h.push(a, e, at)
	case ok:
		h.fix(a, e, at)
	}
}

// armDeadlineTimer arms the timer for the earliest deadline unless a timer
// at or before it is pending. Called at the end of every step.
func (m *Membership) armDeadlineTimer() {
	if len(m.deadlines.items) == 0 {
		return
	}
	at := m.deadlines.items[0].at
	if m.deadlineArmed && m.deadlineAt <= at {
		return
	}
	m.deadlineArmed, m.deadlineAt = true, at
	m.emit(SetTimer{After: max(0, time.Duration(at-m.clock)), Timer: memberDeadlineTimer{}})
}

// onDeadlineTimer handles every entry whose deadline has come.
func (m *Membership) onDeadlineTimer() {
	if m.deadlineArmed && m.deadlineAt <= m.clock {
		m.deadlineArmed = false
	}
	for h, a := &m.deadlines, &m.table.arena; len(h.items) > 0 && h.items[0].at <= m.clock; {
		e := h.entry(a, 0)
		h.remove(a, e)
		switch {
		case e.flags&entryAnnounce != 0:
			m.announceDue(e)
		case e.flags&entryUnconfirmed != 0 && e.state.live():
			m.onConfirmDeadline(e)
		case e.state == memberStateSuspect:
			m.expireSuspicion(e)
		case !e.state.live():
			m.reclaim(e)
		}
	}
}

// deadlineItem is one heap slot: an entry's arena index and its deadline.
type deadlineItem struct {
	at  int64
	idx uint32
}

// deadlineHeap is a binary min-heap of entries by deadline; each entry
// knows its slot (memberEntry.heapPos). Its methods take the table's arena,
// which holds the entries.
type deadlineHeap struct {
	items []deadlineItem
}

// entry returns the entry of slot i.
func (h *deadlineHeap) entry(a *entryArena, i int) *memberEntry { return a.at(h.items[i].idx) }

func (h *deadlineHeap) push(a *entryArena, e *memberEntry, at int64) {
	e.heapPos = int32(len(h.items))
	h.items = append(h.items, deadlineItem{at: at, idx: e.idx})
	h.up(a, len(h.items)-1)
}

func (h *deadlineHeap) fix(a *entryArena, e *memberEntry, at int64) {
	i := int(e.heapPos)
	h.items[i].at = at
	if !h.up(a, i) {
		h.down(a, i)
	}
}

func (h *deadlineHeap) remove(a *entryArena, e *memberEntry) {
	i, last := int(e.heapPos), len(h.items)-1
	e.heapPos = -1
	if i != last {
		h.items[i] = h.items[last]
		h.entry(a, i).heapPos = int32(i)
	}
	h.items[last] = deadlineItem{}
	h.items = h.items[:last]
	if i != last && !h.up(a, i) {
		h.down(a, i)
	}
	if len(h.items) == 0 {
		h.items = nil // release the array of a burst
	}
}

func (h *deadlineHeap) less(i, j int) bool { return h.items[i].at < h.items[j].at }

func (h *deadlineHeap) swap(a *entryArena, i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.entry(a, i).heapPos = int32(i)
	h.entry(a, j).heapPos = int32(j)
}

// up moves slot i towards the root and reports whether it moved.
func (h *deadlineHeap) up(a *entryArena, i int) bool {
	moved := false
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.swap(a, i, p)
		i, moved = p, true
	}
	return moved
}

func (h *deadlineHeap) down(a *entryArena, i int) {
	for n := len(h.items); ; {
		c := 2*i + 1
		if c >= n {
			return
		}
		if c+1 < n && h.less(c+1, c) {
			c++
		}
		if !h.less(c, i) {
			return
		}
		h.swap(a, i, c)
		i = c
	}
}

// proxyAnnounceBatch is the grid, on the core clock, to which the
// deadlines of proxy announcements are rounded up, so that the records a
// node announces on its peers' behalf within one such window share one
// announcement (up to MembershipConfig.MaxAnnouncementRecords records):
// each announcement is checked by every node that receives it, and in a
// join storm a node may owe dozens. Not from a paper; it adds less than a
// second to a wait of proxyAnnounceDelay or more.
const proxyAnnounceBatch = time.Second

// alignUp rounds at up to a multiple of grid (at ≥ 0, grid > 0).
func alignUp(at, grid int64) int64 {
	if r := at % grid; r != 0 {
		return at + grid - r
	}
	return at
}

// announceDelay is how long after its state began an entry flagged
// entryAnnounce is announced.
func (m *Membership) announceDelay(e *memberEntry) time.Duration {
	if e.state.live() {
		return proxyAnnounceDelay
	}
	return m.deadAnnounceDelay(e)
}

// announceDue announces e's record unless it was heard since the
// announcement was scheduled, then gives e its next deadline.
func (m *Membership) announceDue(e *memberEntry) {
	e.flags &^= entryAnnounce
	if e.flags&entryHeard == 0 {
		e.flags |= entryHeard
		kind := announceProxy
		if !e.state.live() {
			kind = announceDead
		}
		m.announce(kind, e.record())
	}
	m.refreshDeadline(e)
}
