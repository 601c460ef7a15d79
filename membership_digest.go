// Membership core: anti-entropy, the member-table digest and the exchange that
// repairs differences.

package hyparlist

import (
	"math"
	"time"
)

// This file owns anti-entropy: the digest of the member table and the
// exchange of membership_antientropy_messages.go.
//
// Digest. Every record contributes a 64-bit hash of (name, address,
// metadata, incarnation, state) to the XOR of its bucket (chosen by the top
// byte of the FNV-1a hash of the name) and to the root. XOR makes every
// change an O(1) update. Address and metadata are hashed so that two records
// of one incarnation that differ in them (a node restarted at a new address
// before its old incarnation was forgotten) are found and refuted.
//
// Not in memberlist: memberlist's push/pull sends the whole state every
// time; here an exchange where nothing changed costs one memberDigestMsg.

// FNV-1a 64-bit parameters (FNV specification, draft-eastlake-fnv).
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime64
	}
	return h
}

// fnvLenString hashes len(s) then s, so that adjacent fields cannot run
// into each other.
func fnvLenString(h uint64, s string) uint64 {
	n := uint64(len(s))
	for range 4 {
		h ^= n & 0xff
		h *= fnvPrime64
		n >>= 8
	}
	return fnvString(h, s)
}

// mix64 is the SplitMix64 finalizer (Steele, Lea, Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014).
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// nameHash places a member in a bucket.
func nameHash(name string) uint64 { return mix64(fnvString(fnvOffset64, name)) }

// recordHash is a record's contribution to the digest: the name hash mixed
// with the hash of address and metadata (memberIdent.contentHash),
// incarnation and state.
func recordHash(id *memberIdent, inc uint32, st memberState) uint64 {
	return mix64(id.nameHash ^ mix64(id.contentHash^uint64(inc)<<8^uint64(st)))
}

// fineBucketOf returns the fine bucket of a name hash: its top byte.
func fineBucketOf(nh uint64) int { return int(nh >> 56) }

// digestBucketsFor chooses the bucket count of an exchange for a table of n
// records: the smallest of 64, 128, 256 that leaves at most 16 records per
// bucket (256 beyond 4,096 records), so that one difference costs one small
// bucket.
func digestBucketsFor(n int) int {
	b := minDigestBuckets
	for b < maxDigestBuckets && b*16 < n {
		b *= 2
	}
	return b
}

func validDigestBuckets(b int) bool {
	return b == 64 || b == 128 || b == 256
}

// foldedHashes returns the table's hashes for b buckets: bucket i of b
// covers the fine buckets [i×f, (i+1)×f) with f = fineBuckets/b.
func (t *memberTable) foldedHashes(b int) []uint64 {
	f := fineBuckets / b
	out := make([]uint64, b)
	for i := range t.buckets {
		out[i/f] ^= t.buckets[i].hash
	}
	return out
}

// startExchange opens an anti-entropy exchange with peer.
func (m *Membership) startExchange(peer Peer, join bool) {
	m.stats.Exchanges++
	m.emit(PushPullState{Peer: peer, Join: join})
	m.emit(Send{To: peer, Msg: memberDigestMsg{
		Join:    join,
		Buckets: uint16(digestBucketsFor(m.table.len())),
		Count:   uint32(m.table.len()),
		Root:    m.table.root,
	}})
}

// onDigest answers a digest: nothing when the tables are equal, the bucket
// hashes otherwise.
func (m *Membership) onDigest(from Peer, d memberDigestMsg) {
	if !validDigestBuckets(int(d.Buckets)) {
		return
	}
	m.emit(PushPullState{Peer: from, Join: d.Join})
	if d.Root == m.table.root && int(d.Count) == m.table.len() {
		return
	}
	m.emit(Send{To: from, Msg: memberBucketsMsg{Join: d.Join, Hashes: m.table.foldedHashes(int(d.Buckets))}})
}

// onBuckets sends the local records of the buckets that differ and asks
// for the peer's.
func (m *Membership) onBuckets(from Peer, mb memberBucketsMsg) {
	b := len(mb.Hashes)
	if !validDigestBuckets(b) {
		return
	}
	mine := m.table.foldedHashes(b)
	var want []uint16
	for i, h := range mine {
		if h != mb.Hashes[i] {
			want = append(want, uint16(i))
		}
	}
	if len(want) == 0 {
		return
	}
	m.sendRecordChunks(from, mb.Join, b, want, m.recordsIn(b, want, mb.Join))
}

// onRecords merges a peer's records and, when asked, answers with the local
// records of the wanted buckets as they were before the merge.
func (m *Membership) onRecords(from Peer, mr memberRecordsMsg) {
	b := int(mr.Buckets)
	if !validDigestBuckets(b) || len(mr.Records) > maxMemberRecordsPerMessage || len(mr.Want) > b {
		return
	}
	for i, w := range mr.Want {
		if int(w) >= b || i > 0 && w <= mr.Want[i-1] {
			return // out of range, or not strictly increasing
		}
	}
	m.joinAnswer(mr)
	var answer []memberRecord
	if len(mr.Want) > 0 {
		answer = m.recordsIn(b, mr.Want, mr.Join)
	}
	if mr.Join && m.cfg.checkMerge {
		if recs := validRecords(mr.Records); len(recs) > 0 {
			m.joinChecks++
			m.joinChecksUntil = m.clock + int64(joinCheckWait)
			m.emit(mergeCheck{From: from, Records: recs})
		}
	} else {
		before := m.table.version
		for _, r := range mr.Records {
			if r.validate() == nil {
				m.merge(r, mergeSource{peer: from.Name, join: mr.Join})
			}
		}
		if len(mr.Want) == 0 {
			m.noteAnswer(m.table.version != before)
		}
	}
	if len(mr.Want) > 0 {
		m.sendRecordChunks(from, mr.Join, b, nil, answer)
	}
}

// validRecords returns copies of the valid records of recs.
func validRecords(recs []memberRecord) []memberRecord {
	var out []memberRecord
	for _, r := range recs {
		if r.validate() == nil {
			r.Meta = cloneBytes(r.Meta)
			out = append(out, r)
		}
	}
	return out
}

// sendRecordChunks sends recs in messages of at most
// maxMemberRecordsPerMessage records; want travels in the first one. At
// least one message is sent when want is not empty, so that the peer
// answers even when the local buckets are empty.
func (m *Membership) sendRecordChunks(to Peer, join bool, b int, want []uint16, recs []memberRecord) {
	for first := true; first || len(recs) > 0; first = false {
		n := min(len(recs), maxMemberRecordsPerMessage)
		if n == 0 && len(want) == 0 {
			return
		}
		m.emit(Send{To: to, Msg: memberRecordsMsg{Join: join, Buckets: uint16(b), Want: want, Records: recs[:n:n]}})
		recs = recs[n:]
		want = nil
	}
}

// recordsIn returns the wire form of every local record in the wanted
// buckets of a b-bucket exchange, sorted by name within each bucket;
// in a join exchange, not the live members that are still unconfirmed.
// Tombstones carry their age.
func (m *Membership) recordsIn(b int, want []uint16, join bool) []memberRecord {
	f := fineBuckets / b
	var out []memberRecord
	for _, w := range want {
		for _, e := range m.table.entriesIn(int(w)*f, int(w+1)*f) {
			if join && e.flags&entryUnconfirmed != 0 && e.state.live() {
				// A joiner takes its join exchange's records as vouched
				// for; one not confirmed here yet reaches it later by
				// anti-entropy, as unconfirmed (membership_confirm.go).
				continue
			}
			r := e.record()
			if !e.state.live() {
				r.AgeSeconds = ageSeconds(time.Duration(m.clock - e.changed))
			}
			out = append(out, r)
		}
	}
	return out
}

// ageSeconds converts an age to whole seconds, rounded up so that a
// tombstone passed on from node to node only ever gets older (and is
// forgotten no later than by its first holder), clamped to the uint32 range.
func ageSeconds(d time.Duration) uint32 {
	s := (d + time.Second - 1) / time.Second
	switch {
	case s <= 0:
		return 0
	case s > math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(s)
}
