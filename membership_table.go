package hyparlist

import (
	"bytes"
	"slices"
	"strings"
)

// This file owns the member table: records by name, the per-bucket hashes
// anti-entropy compares (kept up to date on every change), and the sets of
// live members and of tombstones that probing samples from. Everything
// that reaches an output iterates the bucket slices and sorts.
//
// The table is the largest structure of a node (one row per member of the
// cluster), and the simulator holds one per simulated node, so a row is
// kept small: the parts of a record that change only with a restart or a
// metadata update (name, address, metadata and their hashes) live in an
// immutable memberIdent that rows share; a row holds a pointer to it, the
// incarnation, the state and when it began. Rows are allocated in chunks
// (entryArena) and found through per-bucket slices sorted by name hash, so
// there is no per-row allocation and no map.

// fineBuckets is the number of buckets the table keeps hashes for; an
// exchange with fewer buckets folds adjacent ones (membership_digest.go).
const fineBuckets = MaxDigestBuckets

// memberIdent is the immutable part of a member record. Once made it is
// never modified, so any number of entries may share it: the entries of one
// table that keep a member's identity across state changes and, in the
// simulator, the entries of every node's table (memberIdentPool).
type memberIdent struct {
	name, addr string
	meta       []byte // never modified
	// nameHash selects the bucket; contentHash is the hash of address and
	// metadata that recordHash mixes with the incarnation and state.
	nameHash, contentHash uint64
}

// newMemberIdent makes an identity; meta must not be modified afterwards.
func newMemberIdent(name, addr string, meta []byte) *memberIdent {
	h := fnvLenString(fnvOffset64, addr)
	h = fnvLenString(h, string(meta))
	return &memberIdent{name: name, addr: addr, meta: meta, nameHash: nameHash(name), contentHash: h}
}

// matches reports whether id has the given address and metadata.
func (id *memberIdent) matches(addr string, meta []byte) bool {
	return id.addr == addr && bytes.Equal(id.meta, meta)
}

// memberIdentPool hands out shared identities: one memberIdent per distinct
// (name, address, metadata). The simulator gives one pool to all its nodes,
// so that N nodes listing N members hold N identities, not N². A runtime
// node has no pool; its entries share identities only among themselves.
// The pool only grows; it is meant for a simulation's lifetime.
type memberIdentPool struct {
	byName map[string][]*memberIdent
}

func newMemberIdentPool() *memberIdentPool {
	return &memberIdentPool{byName: make(map[string][]*memberIdent)}
}

// get returns the pool's identity for (name, addr, meta), making it if
// needed. meta is copied.
func (p *memberIdentPool) get(name, addr string, meta []byte) *memberIdent {
	ids := p.byName[name]
	for _, id := range ids {
		if id.matches(addr, meta) {
			return id
		}
	}
	id := newMemberIdent(name, addr, cloneBytes(meta))
	p.byName[id.name] = append(ids, id)
	return id
}

// Entry flags.
const (
	// entryHeard: the entry's current record was delivered here in an
	// announcement, or decided and announced by this node.
	entryHeard uint8 = 1 << iota
	// entryAnnounce: an announcement of the entry's record is due at the
	// entry's deadline unless the record is heard first: on behalf of a
	// peer (membership_merge.go), or a death (membership_suspicion.go).
	entryAnnounce
)

// memberEntry is one row of the table.
type memberEntry struct {
	id *memberIdent
	// susp is the running suspicion while state is suspect.
	susp *suspicion
	// changed is when the local node saw state begin, on the core clock
	// (Membership.clock).
	changed int64
	inc     uint32
	// setPos is the entry's index in memberTable.live or memberTable.gone,
	// whichever its state puts it in.
	setPos int32
	// heapPos is the entry's index in the deadline heap, -1 when it has no
	// deadline (membership_deadlines.go).
	heapPos int32
	state   MemberState
	flags   uint8
}

// record returns the wire form of e (AgeSeconds left zero). Meta is shared
// with e and must not be modified.
func (e *memberEntry) record() MemberRecord {
	return MemberRecord{Name: e.id.name, Addr: e.id.addr, Meta: e.id.meta, Incarnation: e.inc, State: e.state}
}

// peer returns the member's name and address.
func (e *memberEntry) peer() Peer { return Peer{Name: e.id.name, Addr: e.id.addr} }

// recHash is the entry's contribution to its bucket's hash and the root.
func (e *memberEntry) recHash() uint64 { return recordHash(e.id, e.inc, e.state) }

// entryArena allocates entries in chunks, so that a table of n members is
// a handful of allocations instead of n; entries never move, so pointers
// to them stay valid until released.
type entryArena struct {
	chunk []memberEntry // unused tail of the current chunk
	free  []*memberEntry
	n     int // entries handed out and not released
}

// Chunk sizes of entryArena: each new chunk holds half as many entries as
// are in use, within these bounds.
const (
	minEntryChunk = 8
	maxEntryChunk = 256
)

func (a *entryArena) alloc() *memberEntry {
	a.n++
	if k := len(a.free); k > 0 {
		e := a.free[k-1]
		a.free[k-1] = nil
		a.free = a.free[:k-1]
		return e
	}
	if len(a.chunk) == 0 {
		a.chunk = make([]memberEntry, min(max(a.n/2, minEntryChunk), maxEntryChunk))
	}
	e := &a.chunk[0]
	a.chunk = a.chunk[1:]
	return e
}

func (a *entryArena) release(e *memberEntry) {
	*e = memberEntry{}
	a.n--
	a.free = append(a.free, e)
}

// bucketKey is one entry of a bucket, with its name hash inline so that a
// lookup's binary search touches only the bucket's slice.
type bucketKey struct {
	nameHash uint64
	e        *memberEntry
}

type tableBucket struct {
	hash uint64
	keys []bucketKey // sorted by nameHash
}

// memberTable holds every member record, tombstones included.
type memberTable struct {
	buckets [fineBuckets]tableBucket
	arena   entryArena
	// live holds the alive and suspect entries, gone the dead and left
	// ones (index sets, see setPos).
	live, gone []*memberEntry
	// root is the XOR of every recHash; liveNames the XOR of the name
	// hashes of the live entries (the simulator compares member lists
	// with it).
	root, liveNames uint64
}

func newMemberTable() memberTable { return memberTable{} }

func (t *memberTable) len() int { return t.arena.n }

// search returns the index of the first key of b with a name hash of at
// least nh.
func (b *tableBucket) search(nh uint64) int {
	i, _ := slices.BinarySearchFunc(b.keys, nh, func(k bucketKey, nh uint64) int {
		switch {
		case k.nameHash < nh:
			return -1
		case k.nameHash > nh:
			return 1
		}
		return 0
	})
	// BinarySearchFunc returns the first of equal keys.
	return i
}

func (t *memberTable) get(name string) *memberEntry {
	nh := nameHash(name)
	b := &t.buckets[fineBucketOf(nh)]
	for i := b.search(nh); i < len(b.keys) && b.keys[i].nameHash == nh; i++ {
		if b.keys[i].e.id.name == name {
			return b.keys[i].e
		}
	}
	return nil
}

// insert adds a record for a name the table does not hold.
func (t *memberTable) insert(id *memberIdent, inc uint32, st MemberState, changed int64) *memberEntry {
	e := t.arena.alloc()
	*e = memberEntry{id: id, inc: inc, state: st, changed: changed, heapPos: -1}
	b := &t.buckets[fineBucketOf(id.nameHash)]
	i := b.search(id.nameHash)
	for i < len(b.keys) && b.keys[i].nameHash == id.nameHash {
		i++
	}
	b.keys = slices.Insert(b.keys, i, bucketKey{nameHash: id.nameHash, e: e})
	h := e.recHash()
	b.hash ^= h
	t.root ^= h
	t.account(e, +1)
	return e
}

// set replaces e's record (same name). It keeps changed unless the state
// changes, in which case the new state began at changed.
func (t *memberTable) set(e *memberEntry, id *memberIdent, inc uint32, st MemberState, changed int64) {
	old := e.recHash()
	moves := st.live() != e.state.live()
	if moves {
		t.account(e, -1)
	}
	e.id, e.inc = id, inc
	if st != e.state {
		e.state, e.changed = st, changed
	}
	if moves {
		t.account(e, +1)
	}
	h := old ^ e.recHash()
	t.buckets[fineBucketOf(id.nameHash)].hash ^= h
	t.root ^= h
}

// remove forgets e and releases it; e has no deadline (heapPos -1).
func (t *memberTable) remove(e *memberEntry) {
	t.account(e, -1)
	b := &t.buckets[fineBucketOf(e.id.nameHash)]
	for i := b.search(e.id.nameHash); i < len(b.keys); i++ {
		if b.keys[i].e == e {
			b.keys = slices.Delete(b.keys, i, i+1)
			break
		}
	}
	h := e.recHash()
	b.hash ^= h
	t.root ^= h
	t.arena.release(e)
}

// account adds (sign +1) or removes (sign -1) e to or from the set its
// state puts it in.
func (t *memberTable) account(e *memberEntry, sign int) {
	set := &t.gone
	if e.state.live() {
		set = &t.live
		t.liveNames ^= e.id.nameHash
	}
	if sign > 0 {
		e.setPos = int32(len(*set))
		*set = append(*set, e)
		return
	}
	s := *set
	last := s[len(s)-1]
	s[e.setPos] = last
	last.setPos = e.setPos
	s[len(s)-1] = nil
	*set = s[:len(s)-1]
}

// oldestGone returns the tombstone with the earliest state change (ties by
// name), or nil.
func (t *memberTable) oldestGone() *memberEntry {
	var best *memberEntry
	for _, e := range t.gone {
		if best == nil || e.changed < best.changed || (e.changed == best.changed && e.id.name < best.id.name) {
			best = e
		}
	}
	return best
}

// entriesIn returns the entries of fine buckets [lo, hi), sorted by name.
func (t *memberTable) entriesIn(lo, hi int) []*memberEntry {
	var out []*memberEntry
	for i := lo; i < hi; i++ {
		for _, k := range t.buckets[i].keys {
			out = append(out, k.e)
		}
	}
	slices.SortFunc(out, func(a, b *memberEntry) int { return strings.Compare(a.id.name, b.id.name) })
	return out
}
