// Membership core: the member table, records by name and the per-bucket
// hashes.

package hyparlist

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
)

// This file owns the member table: records by name and the per-bucket
// hashes anti-entropy compares (kept up to date on every change).
// Everything that reaches an output iterates the bucket slices and sorts.
//
// The table is the largest structure of a node (one row per member of the
// cluster), and the simulator holds one per simulated node, so a row is
// kept small: the parts of a record that change only with a restart or a
// metadata update (name, address, metadata and their hashes) live in an
// immutable memberIdent that rows share; a row holds a pointer to it, the
// incarnation, the state and when it began. Rows are allocated in chunks
// (entryArena) and found through per-bucket slices of 8-byte keys sorted
// by name hash, so there is no per-row allocation and no map. Probing
// samples live members from the arena and tombstones from the deadline
// heap (every tombstone has a reclaim deadline), so the table keeps no
// sets of either.

// fineBuckets is the number of buckets the table keeps hashes for; an
// exchange with fewer buckets folds adjacent ones (membership_digest.go).
const fineBuckets = maxDigestBuckets

// memberIdent is the immutable part of a member record. Once made it is
// never modified, so any number of entries may share it: the entries of one
// table that keep a member's identity across state changes, and the copies
// of a table that Membership.Clone makes.
type memberIdent struct {
	name, addr string
	meta       []byte // never modified
	// vsn are the member's advertised protocol versions. They are not part
	// of the hashes: nodes that do not carry versions (wire version 3 and
	// older) hold the same record without them, and anti-entropy must not
	// see a difference there.
	vsn memberVersions
	// nameHash selects the bucket; contentHash is the hash of address and
	// metadata that recordHash mixes with the incarnation and state.
	nameHash, contentHash uint64
}

// newMemberIdent makes an identity; meta must not be modified afterwards.
func newMemberIdent(name, addr string, meta []byte, vsn memberVersions) *memberIdent {
	h := fnvLenString(fnvOffset64, addr)
	h = fnvLenString(h, string(meta))
	return &memberIdent{name: name, addr: addr, meta: meta, vsn: vsn, nameHash: nameHash(name), contentHash: h}
}

// matches reports whether id has the given address and metadata.
func (id *memberIdent) matches(addr string, meta []byte) bool {
	return id.addr == addr && bytes.Equal(id.meta, meta)
}

// matchesRecord reports whether id is r's identity: the same address and
// metadata, and the same versions unless r carries none.
func (id *memberIdent) matchesRecord(r memberRecord) bool {
	return id.matches(r.Addr, r.Meta) && (!r.Versions.known() || r.Versions == id.vsn)
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
	// entryUnconfirmed: a live member learned second-hand that has not
	// been heard from itself; it is checked at its deadline
	// (membership_confirm.go).
	entryUnconfirmed
	// entryChecking: the check of an unconfirmed member is under way; a
	// MemberUnreachable for it marks it dead.
	entryChecking
	// entryVouched: the member was heard from itself at least once (or
	// came in the node's join exchange); it is not checked when it comes
	// back from dead.
	entryVouched
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
	// heapPos is the entry's index in the deadline heap, -1 when it has no
	// deadline (membership_deadlines.go).
	heapPos int32
	// idx is the entry's index in the arena.
	idx   uint32
	state memberState
	flags uint8
	// retries counts the inconclusive checks of an unconfirmed member in
	// its low four bits and the checks put off without a dial in its high
	// four (membership_confirm_retry.go), and wait how many
	// ConfirmTimeouts past the first its next check is put off; both fill
	// what was padding.
	retries, wait uint8
}

// record returns the wire form of e (AgeSeconds left zero). Meta is shared
// with e and must not be modified.
func (e *memberEntry) record() memberRecord {
	return memberRecord{Name: e.id.name, Addr: e.id.addr, Meta: e.id.meta, Incarnation: e.inc, State: e.state, Versions: e.id.vsn}
}

// peer returns the member's name and address.
func (e *memberEntry) peer() Peer { return Peer{Name: e.id.name, Addr: e.id.addr} }

// recHash is the entry's contribution to its bucket's hash and the root.
func (e *memberEntry) recHash() uint64 { return recordHash(e.id, e.inc, e.state) }

// entryArena allocates entries in fixed-size chunks addressed by index,
// so that a table of n members is n/entryChunk allocations instead of n;
// entries never move, so pointers to them stay valid until released. A
// released entry (id nil) waits on the free list for reuse.
type entryArena struct {
	chunks [][]memberEntry
	free   []uint32
	next   uint32 // indices below next have been handed out
	n      int    // entries in use
}

// entryChunkBits sets the chunk size: 32 entries, 1.25 KiB, so
// that a small cluster's table does not hold a chunk sized for a large
// one (256 entries, 10 KiB, were 10 KiB of the heap of each node of an
// idle 16- or 64-node cluster: BENCHMARKS.md, session 10: heap per
// node). The number of members is not bounded by it: chunks are added
// as the table grows.
const (
	entryChunkBits = 5
	entryChunk     = 1 << entryChunkBits
)

// at returns the entry of index i (in use or not); i must be below next.
func (a *entryArena) at(i uint32) *memberEntry {
	return &a.chunks[i>>entryChunkBits][i&(entryChunk-1)]
}

func (a *entryArena) alloc() *memberEntry {
	a.n++
	var i uint32
	if k := len(a.free); k > 0 {
		i = a.free[k-1]
		a.free = a.free[:k-1]
	} else {
		i = a.next
		a.next++
		if int(i>>entryChunkBits) == len(a.chunks) {
			a.chunks = append(a.chunks, make([]memberEntry, entryChunk))
		}
	}
	e := a.at(i)
	e.idx = i
	return e
}

func (a *entryArena) release(e *memberEntry) {
	i := e.idx
	*e = memberEntry{idx: i, heapPos: -1}
	a.n--
	a.free = append(a.free, i)
}

// bucketKey is one entry of a bucket: 32 bits of its name hash (the bits
// below the bucket's byte) and its arena index, so that a lookup's binary
// search touches only the bucket's slice.
type bucketKey struct {
	hash uint32
	idx  uint32
}

// keyHash returns the bits of a name hash a bucket key keeps.
func keyHash(nh uint64) uint32 { return uint32(nh >> 24) }

type tableBucket struct {
	hash uint64
	keys []bucketKey // sorted by hash
}

// memberTable holds every member record, tombstones included.
type memberTable struct {
	buckets [fineBuckets]tableBucket
	arena   entryArena
	// nLive counts the alive and suspect entries.
	nLive int
	// root is the XOR of every recHash; liveNames the XOR of the name
	// hashes of the live entries (Membership.LiveDigest).
	root, liveNames uint64
	// version counts the changes of records (insert, set, remove), so a
	// driver can tell cheaply whether its copy of the list is stale.
	version uint64
	// touched logs the names changed, when a driver asked for it
	// (membership_touched.go).
	touched touchLog
}

func newMemberTable() memberTable { return memberTable{} }

func (t *memberTable) len() int { return t.arena.n }

// search returns the index of the first key of b with a hash of at least
// h.
func (b *tableBucket) search(h uint32) int {
	lo, hi := 0, len(b.keys)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if b.keys[m].hash < h {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (t *memberTable) get(name string) *memberEntry {
	nh := nameHash(name)
	b, h := &t.buckets[fineBucketOf(nh)], keyHash(nh)
	for i := b.search(h); i < len(b.keys) && b.keys[i].hash == h; i++ {
		if e := t.arena.at(b.keys[i].idx); e.id.name == name {
			return e
		}
	}
	return nil
}

// insert adds a record for a name the table does not hold.
func (t *memberTable) insert(id *memberIdent, inc uint32, st memberState, changed int64) *memberEntry {
	e := t.arena.alloc()
	e.id, e.inc, e.state, e.changed, e.heapPos = id, inc, st, changed, -1
	b, h := &t.buckets[fineBucketOf(id.nameHash)], keyHash(id.nameHash)
	i := b.search(h)
	for i < len(b.keys) && b.keys[i].hash == h {
		i++
	}
	b.keys = slices.Insert(b.keys, i, bucketKey{hash: h, idx: e.idx})
	rh := e.recHash()
	b.hash ^= rh
	t.root ^= rh
	t.account(e, +1)
	t.version++
	t.touched.touch(id.name, t.nLive)
	return e
}

// set replaces e's record (same name). It keeps changed unless the state
// changes, in which case the new state began at changed.
func (t *memberTable) set(e *memberEntry, id *memberIdent, inc uint32, st memberState, changed int64) {
	old := e.recHash()
	t.account(e, -1)
	e.id, e.inc = id, inc
	if st != e.state {
		e.state, e.changed = st, changed
	}
	t.account(e, +1)
	h := old ^ e.recHash()
	t.buckets[fineBucketOf(id.nameHash)].hash ^= h
	t.root ^= h
	t.version++
	t.touched.touch(id.name, t.nLive)
}

// remove forgets e and releases it; e has no deadline (heapPos -1).
func (t *memberTable) remove(e *memberEntry) {
	t.account(e, -1)
	b, h := &t.buckets[fineBucketOf(e.id.nameHash)], keyHash(e.id.nameHash)
	for i := b.search(h); i < len(b.keys); i++ {
		if b.keys[i].idx == e.idx {
			b.keys = slices.Delete(b.keys, i, i+1)
			break
		}
	}
	rh := e.recHash()
	b.hash ^= rh
	t.root ^= rh
	t.version++
	t.touched.touch(e.id.name, t.nLive)
	t.arena.release(e)
}

// account adds (sign +1) or removes (sign -1) e to or from the live
// counts, if its state is live.
func (t *memberTable) account(e *memberEntry, sign int) {
	if e.state.live() {
		t.nLive += sign
		t.liveNames ^= e.id.nameHash
	}
}

// randomLive returns a uniformly chosen live entry, or nil after tries
// draws that hit none (a released or dead slot of the arena).
func (t *memberTable) randomLive(rng *rand.Rand, tries int) *memberEntry {
	if t.nLive == 0 {
		return nil
	}
	for range tries {
		if e := t.arena.at(uint32(rng.IntN(int(t.arena.next)))); e.id != nil && e.state.live() {
			return e
		}
	}
	return nil
}

// entriesIn returns the entries of fine buckets [lo, hi), sorted by name.
func (t *memberTable) entriesIn(lo, hi int) []*memberEntry {
	var out []*memberEntry
	for i := lo; i < hi; i++ {
		for _, k := range t.buckets[i].keys {
			out = append(out, t.arena.at(k.idx))
		}
	}
	slices.SortFunc(out, func(a, b *memberEntry) int { return strings.Compare(a.id.name, b.id.name) })
	return out
}
