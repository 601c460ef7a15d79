package hyparlist

import "fmt"

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
	if len(c.slots) != c.index.Len() || len(c.slots)+len(c.free) != len(c.slab) {
		return fmt.Errorf("plumtree %s: cache holds %d entries, index %d, slab %d with %d free", p.self.Name, len(c.slots), c.index.Len(), len(c.slab), len(c.free))
	}
	bytes := 0
	for id, slot := range c.slots {
		e := &c.slab[slot]
		bytes += int(e.size)
		switch {
		case e.id != id || e.key.slot != slot:
			return fmt.Errorf("plumtree %s: cache entry %v in slot %d holds %v keyed to slot %d", p.self.Name, id, slot, e.id, e.key.slot)
		case !c.index.Has(e.key):
			return fmt.Errorf("plumtree %s: cache entry %v missing from the index", p.self.Name, id)
		case !p.seen.has(id):
			return fmt.Errorf("plumtree %s: cached message %v not in the seen set", p.self.Name, id)
		}
	}
	if bytes != c.bytes || bytes > c.maxBytes {
		return fmt.Errorf("plumtree %s: cache bytes %d, accounted %d, max %d", p.self.Name, bytes, c.bytes, c.maxBytes)
	}
	if m, ok := c.index.Min(); ok && c.next > m.expire {
		return fmt.Errorf("plumtree %s: cache next expiry %d after the index minimum %d", p.self.Name, c.next, m.expire)
	}

	s := &p.seen
	if len(s.ids) != s.n || s.n > s.max {
		return fmt.Errorf("plumtree %s: seen set holds %d IDs, ring %d, max %d", p.self.Name, len(s.ids), s.n, s.max)
	}
	return nil
}
