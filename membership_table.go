package hyparlist

import (
	"slices"
	"strings"
)

// This file owns the member table: records by name, the per-bucket hashes
// anti-entropy compares (kept up to date on every change), and the sets of
// live members and of tombstones that probing samples from. The map is only ever used for lookups; everything that reaches
// an output iterates the bucket slices and sorts.

// fineBuckets is the number of buckets the table keeps hashes for; an
// exchange with fewer buckets folds adjacent ones (membership_digest.go).
const fineBuckets = MaxDigestBuckets

// memberEntry is one row of the table.
type memberEntry struct {
	m        Member // m.Meta is owned by the entry
	nameHash uint64 // selects the bucket
	recHash  uint64 // contribution to the bucket and root hashes
	// bucketPos is the entry's index in its bucket's entries.
	bucketPos int
	// setPos is the entry's index in memberTable.live or memberTable.gone,
	// whichever its state puts it in.
	setPos int
	// susp is the running suspicion while m.State is suspect.
	susp *suspicion
}

// bucket returns the entry's fine bucket.
func (e *memberEntry) bucket() int { return fineBucketOf(e.nameHash) }

type tableBucket struct {
	hash    uint64
	entries []*memberEntry
}

// memberTable holds every member record, tombstones included.
type memberTable struct {
	byName  map[string]*memberEntry
	buckets [fineBuckets]tableBucket
	// live holds the alive and suspect entries, gone the dead and left
	// ones (index sets, see setPos).
	live, gone []*memberEntry
	// root is the XOR of every recHash.
	root uint64
}

func newMemberTable() memberTable {
	return memberTable{byName: make(map[string]*memberEntry)}
}

func (t *memberTable) len() int { return len(t.byName) }

func (t *memberTable) get(name string) *memberEntry { return t.byName[name] }

// insert adds a record for a name the table does not hold. m.Meta must be
// owned by the caller from now on.
func (t *memberTable) insert(m Member) *memberEntry {
	e := &memberEntry{m: m, nameHash: nameHash(m.Name)}
	e.recHash = recordHash(e.nameHash, m)
	b := &t.buckets[e.bucket()]
	e.bucketPos = len(b.entries)
	b.entries = append(b.entries, e)
	b.hash ^= e.recHash
	t.root ^= e.recHash
	t.byName[m.Name] = e
	t.account(e, +1)
	return e
}

// update replaces e's record by m (same name); m.Meta must be owned.
func (t *memberTable) update(e *memberEntry, m Member) {
	t.account(e, -1)
	old := e.recHash
	e.m = m
	e.recHash = recordHash(e.nameHash, m)
	t.buckets[e.bucket()].hash ^= old ^ e.recHash
	t.root ^= old ^ e.recHash
	t.account(e, +1)
}

// remove forgets e.
func (t *memberTable) remove(e *memberEntry) {
	t.account(e, -1)
	b := &t.buckets[e.bucket()]
	last := b.entries[len(b.entries)-1]
	b.entries[e.bucketPos] = last
	last.bucketPos = e.bucketPos
	b.entries[len(b.entries)-1] = nil
	b.entries = b.entries[:len(b.entries)-1]
	b.hash ^= e.recHash
	t.root ^= e.recHash
	delete(t.byName, e.m.Name)
}

// account adds (sign +1) or removes (sign -1) e to or from the set its
// state puts it in.
func (t *memberTable) account(e *memberEntry, sign int) {
	set := &t.gone
	if e.m.State.live() {
		set = &t.live
	}
	if sign > 0 {
		e.setPos = len(*set)
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

// oldestGone returns the tombstone with the earliest StateChange (ties by
// name), or nil.
func (t *memberTable) oldestGone() *memberEntry {
	var best *memberEntry
	for _, e := range t.gone {
		if best == nil || e.m.StateChange.Before(best.m.StateChange) ||
			(e.m.StateChange.Equal(best.m.StateChange) && e.m.Name < best.m.Name) {
			best = e
		}
	}
	return best
}

// liveMembers returns copies of the alive and suspect members, sorted by
// name.
func (t *memberTable) liveMembers() []Member {
	out := make([]Member, 0, len(t.live))
	for _, e := range t.live {
		out = append(out, e.m.clone())
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// entriesIn returns the entries of fine buckets [lo, hi), sorted by name.
func (t *memberTable) entriesIn(lo, hi int) []*memberEntry {
	var out []*memberEntry
	for i := lo; i < hi; i++ {
		out = append(out, t.buckets[i].entries...)
	}
	slices.SortFunc(out, func(a, b *memberEntry) int { return strings.Compare(a.m.Name, b.m.Name) })
	return out
}
