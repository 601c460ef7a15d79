// Plumtree core: checkInvariants, the full consistency check of its tables
// (tests and simulator).

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
	if err := p.checkTrees(); err != nil {
		return err
	}

	if len(p.missing.m) > p.cfg.MissingMax {
		return fmt.Errorf("plumtree %s: %d missing messages, max %d", p.self.Name, len(p.missing.m), p.cfg.MissingMax)
	}
	indexed := 0
	for _, seqs := range p.missing.byRoot {
		indexed += len(seqs)
	}
	if indexed != len(p.missing.m) {
		return fmt.Errorf("plumtree %s: %d missing messages indexed by origin, %d missing", p.self.Name, indexed, len(p.missing.m))
	}
	for id, e := range p.missing.m {
		if _, ok := p.missing.byRoot[id.Origin][id.Seq]; !ok {
			return fmt.Errorf("plumtree %s: missing %v not indexed by origin", p.self.Name, id)
		}
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
	bytes, live := 0, 0
	for g := range c.q {
		q := &c.q[g]
		for k := range q.len() {
			ref := ptRefOf(g, (q.first+uint32(k))&ptSeqMask)
			e := c.at(ref)
			if !e.live {
				continue
			}
			live++
			se := p.seen.at(e.seen)
			switch {
			case se == nil || e.seen.group() != g:
				return fmt.Errorf("plumtree %s: cached message %x not in the seen set", p.self.Name, e.seen)
			case !se.cached || se.cache != ref || ptGroupOf(e.class) != g:
				return fmt.Errorf("plumtree %s: seen entry of cached message %v does not point back", p.self.Name, se.id)
			}
			bytes += ptCacheSize(e.payload, se.id) + len(e.sig)
		}
	}
	if bytes != c.bytes || bytes > c.maxBytes || live != c.n {
		return fmt.Errorf("plumtree %s: cache bytes %d, accounted %d, max %d; %d live entries, counted %d", p.self.Name, bytes, c.bytes, c.maxBytes, live, c.n)
	}

	s := &p.seen
	if s.len() > s.max || s.len() != s.q[0].len()+s.q[1].len() {
		return fmt.Errorf("plumtree %s: seen set holds %d IDs, max %d", p.self.Name, s.len(), s.max)
	}
	used := 0
	for _, v := range s.slots {
		if v != ptEmptySlot {
			used++
		}
	}
	if used != s.len() {
		return fmt.Errorf("plumtree %s: seen index holds %d slots for %d IDs", p.self.Name, used, s.len())
	}
	for g := range s.q {
		q := &s.q[g]
		for k := range q.len() {
			ref := ptRefOf(g, (q.first+uint32(k))&ptSeqMask)
			e := s.at(ref)
			if f, fref := s.find(e.id); f != e || fref != ref {
				return fmt.Errorf("plumtree %s: seen ID %v not found by the index", p.self.Name, e.id)
			}
			if e.cached && c.get(e.cache) == nil {
				return fmt.Errorf("plumtree %s: seen ID %v marked cached, cache entry gone", p.self.Name, e.id)
			}
		}
	}
	return nil
}

// checkTrees checks the neighbours' slots and the per-root trees: each
// slot held by one neighbour and marked used, a slot for every neighbour
// while one is free, at most MaxTrees trees, each found by the index, with
// overrides only for used slots, lazy only where overridden, and a parent
// that is a neighbour's slot or none.
func (p *Plumtree) checkTrees() error {
	var slots uint64
	for _, pp := range p.peers.list {
		if pp.slot < 0 {
			if len(p.peers.list) <= ptMaxSlots {
				return fmt.Errorf("plumtree %s: neighbour %s has no slot, %d neighbours", p.self.Name, pp.peer.Name, len(p.peers.list))
			}
			continue
		}
		bit := uint64(1) << uint(pp.slot)
		if pp.slot >= ptMaxSlots || slots&bit != 0 {
			return fmt.Errorf("plumtree %s: slot %d of %s invalid or shared", p.self.Name, pp.slot, pp.peer.Name)
		}
		slots |= bit
	}
	if slots != p.peers.slots {
		return fmt.Errorf("plumtree %s: slots in use %#x, marked %#x", p.self.Name, slots, p.peers.slots)
	}
	t := &p.trees
	if len(t.list) > max(p.cfg.MaxTrees, 0) || len(t.index) != len(t.list) {
		return fmt.Errorf("plumtree %s: %d trees, %d indexed, MaxTrees %d", p.self.Name, len(t.list), len(t.index), p.cfg.MaxTrees)
	}
	if sh := t.shared; sh.root != "" || sh.set&^slots != 0 || sh.lazy&^sh.set != 0 ||
		sh.parent >= ptMaxSlots || (sh.parent >= 0 && slots&(uint64(1)<<uint(sh.parent)) == 0) {
		return fmt.Errorf("plumtree %s: shared tree root %q, overrides %#x, lazy %#x, parent %d, slots %#x", p.self.Name, sh.root, sh.set, sh.lazy, sh.parent, slots)
	}
	for i, tr := range t.list {
		switch {
		case tr.root == "" || t.index[tr.root] != int32(i):
			return fmt.Errorf("plumtree %s: tree %q not indexed", p.self.Name, tr.root)
		case tr.set&^slots != 0:
			return fmt.Errorf("plumtree %s: tree %s overrides free slots %#x", p.self.Name, tr.root, tr.set&^slots)
		case tr.lazy&^tr.set != 0:
			return fmt.Errorf("plumtree %s: tree %s lazy without override %#x", p.self.Name, tr.root, tr.lazy&^tr.set)
		case tr.parent >= ptMaxSlots || (tr.parent >= 0 && slots&(uint64(1)<<uint(tr.parent)) == 0):
			return fmt.Errorf("plumtree %s: tree %s has parent slot %d, not a neighbour's", p.self.Name, tr.root, tr.parent)
		case tr.used > t.tick:
			return fmt.Errorf("plumtree %s: tree %s used at %d, clock %d", p.self.Name, tr.root, tr.used, t.tick)
		}
	}
	return nil
}
