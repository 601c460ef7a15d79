package hyparlist

import (
	"fmt"
	"math"
)

// checkInvariants reports the first broken internal invariant of the core,
// or nil. It scans every table, so it is meant for tests and the
// simulator's checks, not for hot paths.
func (p *Plumtree) checkInvariants() error {
	if len(p.peers.list) > p.cfg.MaxPeers {
		return fmt.Errorf("plumtree %s: %d peers, MaxPeers %d", p.self.Name, len(p.peers.list), p.cfg.MaxPeers)
	}
	queued := false
	for i, pp := range p.peers.list {
		switch {
		case pp.peer.Name == "" || pp.peer.Name == p.self.Name:
			return fmt.Errorf("plumtree %s: invalid neighbour %q", p.self.Name, pp.peer.Name)
		case i > 0 && p.peers.list[i-1].peer.Name >= pp.peer.Name:
			return fmt.Errorf("plumtree %s: neighbours not strictly sorted at %q", p.self.Name, pp.peer.Name)
		case len(pp.queue) >= p.cfg.IHaveMaxEntries:
			return fmt.Errorf("plumtree %s: queue of %s holds %d announcements, max %d", p.self.Name, pp.peer.Name, len(pp.queue), p.cfg.IHaveMaxEntries)
		}
		queued = queued || len(pp.queue) > 0
	}
	if queued && !p.flushArmed {
		return fmt.Errorf("plumtree %s: announcements queued without a flush timer", p.self.Name)
	}

	if len(p.missing.m) > p.cfg.MissingMax {
		return fmt.Errorf("plumtree %s: %d missing messages, max %d", p.self.Name, len(p.missing.m), p.cfg.MissingMax)
	}
	for id, e := range p.missing.m {
		switch {
		case e.timer == nil:
			return fmt.Errorf("plumtree %s: missing %v has no graft timer", p.self.Name, id)
		case len(e.announcers) > p.cfg.MissingMaxAnnouncers:
			return fmt.Errorf("plumtree %s: missing %v has %d announcers, max %d", p.self.Name, id, len(e.announcers), p.cfg.MissingMaxAnnouncers)
		case p.known(id):
			return fmt.Errorf("plumtree %s: delivered message %v still missing", p.self.Name, id)
		}
	}

	c := &p.cache
	if len(c.entries) != c.index.Len() {
		return fmt.Errorf("plumtree %s: cache holds %d entries, index %d", p.self.Name, len(c.entries), c.index.Len())
	}
	bytes := 0
	for _, e := range c.entries {
		bytes += e.size
	}
	if bytes != c.bytes || bytes > c.maxBytes {
		return fmt.Errorf("plumtree %s: cache bytes %d, accounted %d, max %d", p.self.Name, bytes, c.bytes, c.maxBytes)
	}
	next := int64(math.MaxInt64)
	if m, ok := c.index.Min(); ok {
		next = m.expire
	}
	if next != c.next {
		return fmt.Errorf("plumtree %s: cache next expiry %d, index minimum %d", p.self.Name, c.next, next)
	}

	s := &p.seen
	if len(s.ids) != s.n || s.n > s.max {
		return fmt.Errorf("plumtree %s: seen set holds %d IDs, ring %d, max %d", p.self.Name, len(s.ids), s.n, s.max)
	}
	return nil
}
