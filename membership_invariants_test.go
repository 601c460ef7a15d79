package hyparlist

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkMembershipInvariants fails t if m's table is inconsistent: sets,
// positions, hashes and deadlines must agree with the records.
func checkMembershipInvariants(t testing.TB, m *Membership) {
	t.Helper()
	tb := &m.table
	total, live, root, names := 0, 0, uint64(0), uint64(0)
	for bi := range tb.buckets {
		b := &tb.buckets[bi]
		h := uint64(0)
		for i, k := range b.keys {
			e := tb.arena.at(k.idx)
			total++
			name := e.id.name
			if e.idx != k.idx || fineBucketOf(e.id.nameHash) != bi || k.hash != keyHash(e.id.nameHash) || (i > 0 && b.keys[i-1].hash > k.hash) {
				t.Fatalf("%s: entry %s misplaced in bucket %d at %d", m.self.Name, name, bi, i)
			}
			if tb.get(name) != e {
				t.Fatalf("%s: entry %s not found by name", m.self.Name, name)
			}
			if fresh := newMemberIdent(name, e.id.addr, e.id.meta, e.id.vsn); e.id.nameHash != fresh.nameHash || e.id.contentHash != fresh.contentHash {
				t.Fatalf("%s: stale identity hashes for %s", m.self.Name, name)
			}
			if e.state.live() {
				live++
				names ^= e.id.nameHash
			}
			if (e.susp != nil) != (e.state == memberStateSuspect) {
				t.Fatalf("%s: %s is %v with suspicion %v", m.self.Name, name, e.state, e.susp != nil)
			}
			at, due := m.deadlineOf(e)
			if due != (e.heapPos >= 0) || (due && m.deadlines.items[e.heapPos] != deadlineItem{at: at, idx: e.idx}) {
				t.Fatalf("%s: %s (%v) deadline %v at heap slot %d", m.self.Name, name, e.state, due, e.heapPos)
			}
			h ^= e.recHash()
		}
		if h != b.hash {
			t.Fatalf("%s: bucket %d hash is stale", m.self.Name, bi)
		}
		root ^= h
	}
	if root != tb.root || names != tb.liveNames || total != tb.len() || live != tb.nLive {
		t.Fatalf("%s: root or counts stale (%d entries, len %d, %d live, counted %d)", m.self.Name, total, tb.len(), live, tb.nLive)
	}
	for i := uint32(0); i < tb.arena.next; i++ {
		if e := tb.arena.at(i); e.id == nil && (e.heapPos != -1 || !slices.Contains(tb.arena.free, i)) {
			t.Fatalf("%s: released entry %d not free", m.self.Name, i)
		}
	}
	for i := 1; i < len(m.deadlines.items); i++ {
		if m.deadlines.items[i].at < m.deadlines.items[(i-1)/2].at {
			t.Fatalf("%s: deadline heap out of order at %d", m.self.Name, i)
		}
	}
	if n := len(m.deadlines.items); n > 0 && (!m.deadlineArmed || m.deadlineAt > m.deadlines.items[0].at) {
		t.Fatalf("%s: %d deadlines and no timer armed for the earliest", m.self.Name, n)
	}
	if total > m.cfg.MaxMembers+1 {
		t.Fatalf("%s: %d entries, MaxMembers %d", m.self.Name, total, m.cfg.MaxMembers)
	}
	if m.started && tb.get(m.self.Name) != m.local() {
		t.Fatalf("%s: the local entry is not in the table", m.self.Name)
	}
	ms := m.Members()
	if !slices.IsSortedFunc(ms, func(a, b Member) int { return strings.Compare(a.Name, b.Name) }) || len(ms) != m.NumMembers() {
		t.Fatalf("%s: Members() unsorted or miscounted", m.self.Name)
	}
	if len(m.neighbors) > maxMembershipNeighbors {
		t.Fatalf("%s: %d neighbours", m.self.Name, len(m.neighbors))
	}
}

// FuzzMembershipStep drives one core with events decoded from the fuzz
// input (announcements, anti-entropy messages, link events, timers) and
// checks the table invariants after every step. Nothing may panic.
func FuzzMembershipStep(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte("suspect dead left alive refute reclaim probe digest"))
	f.Fuzz(func(t *testing.T, in []byte) {
		cfg := DefaultMembershipConfig()
		cfg.MaxMembers = 8
		cfg.ReclaimTime = 30 * time.Second
		m, err := NewMembership(testPeer("n0"), cfg, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		now := mt0
		m.Step(now, Start{})
		m.Drain()
		var timers []Timer
		for len(in) >= 2 {
			op, arg := in[0], in[1]
			in = in[2:]
			now = now.Add(time.Duration(arg) * 100 * time.Millisecond)
			name := "n" + string(rune('0'+arg%10))
			r := memberRecord{Name: name, Addr: name, Incarnation: uint32(arg>>4) % 4, State: memberState(arg>>2) % 4}
			var ev Event
			switch op % 10 {
			case 0, 1:
				p, _ := appendAnnouncement(nil, []memberRecord{r})
				origin := "n" + string(rune('0'+op%7))
				ev = Deliver{ID: MessageID{Origin: origin}, Class: ClassMembership, Payload: p, From: testPeer(origin)}
			case 2:
				r.AgeSeconds = uint32(arg)
				ev = Receive{From: testPeer(name), Msg: memberRecordsMsg{Buckets: 64, Want: []uint16{uint16(arg % 64)}, Records: []memberRecord{r}}}
			case 3:
				ev = LinkFailed{Peer: testPeer(name)}
			case 4:
				ev = NeighborUp{Peer: testPeer(name)}
			case 5:
				ev = NeighborDown{Peer: testPeer(name)}
			case 6:
				if len(timers) == 0 {
					continue
				}
				i := int(arg) % len(timers)
				ev = TimerFired{Timer: timers[i]}
				timers = slices.Delete(timers, i, i+1)
			case 7:
				hashes := make([]uint64, 64)
				if len(in) >= 8 {
					hashes[arg%64] = binary.LittleEndian.Uint64(in)
				}
				ev = Receive{From: testPeer(name), Msg: memberBucketsMsg{Hashes: hashes}}
			case 8:
				ev = updateMeta{Meta: []byte{arg}}
			case 9:
				ev = MemberUnreachable{Peer: Peer{Name: name, Addr: name}}
			}
			m.Step(now, ev)
			for _, a := range m.Drain() {
				if st, ok := a.(SetTimer); ok && len(timers) < 64 {
					timers = append(timers, st.Timer)
				}
			}
			checkMembershipInvariants(t, m)
		}
	})
}
