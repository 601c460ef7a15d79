// Runtime: the shares of the held broadcasts — when the hold is full, a
// name (and within a name, a key) that holds more than another gives up
// its newest held broadcast to it.

package hyparlist

// The hold (runtime_sign_hold.go) is bounded node-wide: maxHeldBroadcasts
// broadcasts and maxHeldBytes bytes of payload. Until session 14 a
// broadcast that found it full was refused, whoever held the rest: a
// forger sending broadcasts under its own key in one live member's name
// starts one key check of that name (once per keyCheckInterval) and, while
// it runs, could fill the whole hold, so that a genuinely restarted
// node's first broadcasts, whose check ran at the same time, were refused
// again (and lost where no other neighbour could repair them).
//
// Now a full hold makes room by share (makeRoom): a broadcast of name N
// signed by key K that does not fit takes the newest held broadcast of
// the name holding the most, when that name holds more than N will once
// the broadcast is held; else, within N, of the key holding the most, when
// that key holds more of N than K will. The measure is the number of broadcasts for the count bound,
// and payload bytes for the byte bound. The broadcast taken is refused
// as if its check had failed (origin_key or origin_unverified,
// hyparlist.origin.held reason evicted): not marked seen, so Plumtree can
// still get it from another neighbour's IHAVE. When nothing larger than
// its own share can give way, the new broadcast is refused (reason full).
//
// So while the hold is not full nothing changes: one name may still hold
// all of it (under TLS a two-node cluster whose first broadcasts wait for
// a dial depends on that: there no other neighbour can repair a refused
// broadcast, TestTLSHeldBroadcastsBounded). While it is full, each name
// whose check is running keeps at least an even share: of k names holding,
// each can hold maxHeldBroadcasts/k broadcasts and maxHeldBytes/k bytes,
// and since at most maxKeyChecks checks run at once, never less than
// heldShareFloor broadcasts and heldShareFloorBytes bytes. A forger
// flooding other names takes nothing from that floor.
//
// In the same name, keys share the name's part in the same way: a forger
// flooding a name under one key while its genuine holder restarts (both
// held by the same check) keeps at most half of the name's part once the
// genuine broadcasts claim theirs, and the check delivers only the key it
// binds. A forger who signs each broadcast with a new key makes every
// forged key hold one; the genuine key then keeps what it holds (a key
// holding one gives way to none, and ties go to the key held last) but
// its later broadcasts are refused as before the hold.
// Nothing here helps a genuine restart whose broadcasts arrive while no
// check of its name may start (one ran within keyCheckInterval, which a
// forger's broadcast in that name can cause): they are refused at once
// (SECURITY.md).

// The least share of the hold a name whose key check is running keeps
// while the hold is full: the bounds divided among the most names that can
// hold at once (one per running check).
const (
	heldShareFloor      = maxHeldBroadcasts / maxKeyChecks
	heldShareFloorBytes = maxHeldBytes / maxKeyChecks
)

// heldRef points at one held GOSSIP: byName[name][i].
type heldRef struct {
	name string
	i    int
}

// makeRoom evicts held GOSSIPs, by share, until one more of name signed by
// k with size payload bytes fits both bounds, and reports whether it does.
// It evicts nothing when it cannot make enough room.
func (l *runLoop) makeRoom(name string, k originKey, size int) bool {
	h := &l.origins.held
	if size > maxHeldBytes {
		return false
	}
	gone := make(map[heldRef]bool)
	count, held := h.count, h.bytes
	for count >= maxHeldBroadcasts || held+size > maxHeldBytes {
		r, ok := h.victim(name, k, size, count < maxHeldBroadcasts, gone)
		if !ok {
			return false
		}
		gone[r] = true
		count--
		held -= len(h.byName[r.name][r.i].g.Payload)
	}
	l.evictHeld(gone)
	return true
}

// evictHeld removes and refuses the held GOSSIPs in gone.
func (l *runLoop) evictHeld(gone map[heldRef]bool) {
	h := &l.origins.held
	for name, list := range h.byName {
		kept := list[:0:0]
		for i, e := range list {
			if !gone[heldRef{name, i}] {
				kept = append(kept, e)
				continue
			}
			h.count--
			h.bytes -= len(e.g.Payload)
			l.refuseHeld(e, heldEvicted)
		}
		if len(kept) < len(list) {
			h.byName[name] = kept
		}
	}
}

// victim returns the GOSSIP to evict, of those not gone, so that one of
// name signed by k may be held: the newest of the largest share larger
// than the one it joins (first among names, then among name's keys),
// measured in payload bytes when byBytes, else in broadcasts. Ties go to
// the smaller name or key, so the choice does not depend on map order.
func (h *heldBroadcasts) victim(name string, k originKey, size int, byBytes bool, gone map[heldRef]bool) (heldRef, bool) {
	weight := func(e heldGossip) int {
		if byBytes {
			return len(e.g.Payload)
		}
		return 1
	}
	names := make(map[string]int, len(h.byName))
	for n, list := range h.byName {
		for i, e := range list {
			if !gone[heldRef{n, i}] {
				names[n] += weight(e)
			}
		}
	}
	// The newcomer's share once it is held: a name (or key) gives way only
	// to one that would still hold less than it, so a large broadcast of a
	// name holding nothing cannot take a share below its own size (found
	// by review: a 4 MiB broadcast evicted every held one).
	grow := 1
	if byBytes {
		grow = size
	}
	target, most := name, names[name]+grow
	for n, u := range names {
		if u > most || (u == most && target != name && n < target) {
			target, most = n, u
		}
	}
	keys := make(map[originKey]int)
	newest := make(map[originKey]int)
	for i, e := range h.byName[target] {
		if !gone[heldRef{target, i}] {
			keys[e.key] += weight(e)
			newest[e.key] = i
		}
	}
	var pick originKey
	least := -1
	if target == name {
		// No other name holds more: take from a larger key of name.
		least = keys[k] + grow
	}
	found := false
	for key, u := range keys {
		if u <= least || (target == name && key == k) {
			continue
		}
		// Ties go to the key whose held broadcast came last, so that a
		// forger signing each broadcast with a new key displaces its own
		// latest, not a genuine one held before (found by review: ties by
		// key order let a forger choose keys that sort after it).
		if !found || u > keys[pick] || (u == keys[pick] && newest[key] > newest[pick]) {
			pick, found = key, true
		}
	}
	if !found {
		return heldRef{}, false
	}
	list := h.byName[target]
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].key == pick && !gone[heldRef{target, i}] && weight(list[i]) > 0 {
			return heldRef{target, i}, true
		}
	}
	return heldRef{}, false
}
