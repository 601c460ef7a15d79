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
// positions and hashes must agree with the records.
func checkMembershipInvariants(t testing.TB, m *Membership) {
	t.Helper()
	tb := &m.table
	total, root := 0, uint64(0)
	for bi := range tb.buckets {
		b := &tb.buckets[bi]
		h := uint64(0)
		for i, e := range b.entries {
			total++
			if e.bucket() != bi || e.bucketPos != i {
				t.Fatalf("%s: entry %s in bucket %d at %d, wants %d at %d", m.self.Name, e.m.Name, bi, i, e.bucket(), e.bucketPos)
			}
			if tb.byName[e.m.Name] != e {
				t.Fatalf("%s: entry %s not indexed by name", m.self.Name, e.m.Name)
			}
			if e.recHash != recordHash(e.nameHash, e.m) || e.nameHash != nameHash(e.m.Name) {
				t.Fatalf("%s: stale hash for %s", m.self.Name, e.m.Name)
			}
			set := tb.gone
			if e.m.State.live() {
				set = tb.live
			}
			if e.setPos >= len(set) || set[e.setPos] != e {
				t.Fatalf("%s: %s (%v) not at its set position", m.self.Name, e.m.Name, e.m.State)
			}
			if (e.susp != nil) != (e.m.State == MemberStateSuspect) {
				t.Fatalf("%s: %s is %v with suspicion %v", m.self.Name, e.m.Name, e.m.State, e.susp != nil)
			}
			h ^= e.recHash
		}
		if h != b.hash {
			t.Fatalf("%s: bucket %d hash is stale", m.self.Name, bi)
		}
		root ^= h
	}
	if root != tb.root || total != len(tb.byName) || total != len(tb.live)+len(tb.gone) {
		t.Fatalf("%s: root or counts stale (%d entries, %d names, %d+%d in sets)", m.self.Name, total, len(tb.byName), len(tb.live), len(tb.gone))
	}
	if total > m.cfg.MaxMembers+1 {
		t.Fatalf("%s: %d entries, MaxMembers %d", m.self.Name, total, m.cfg.MaxMembers)
	}
	if m.started && tb.byName[m.self.Name] != m.local {
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
			r := MemberRecord{Name: name, Addr: name, Incarnation: uint32(arg>>4) % 4, State: MemberState(arg>>2) % 4}
			var ev Event
			switch op % 9 {
			case 0, 1:
				p, _ := AppendAnnouncement(nil, []MemberRecord{r})
				ev = Deliver{ID: MessageID{Origin: "n" + string(rune('0'+op%7))}, Class: ClassMembership, Payload: p}
			case 2:
				r.AgeSeconds = uint32(arg)
				ev = Receive{From: testPeer(name), Msg: MemberRecords{Buckets: 64, Want: []uint16{uint16(arg % 64)}, Records: []MemberRecord{r}}}
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
				ev = Receive{From: testPeer(name), Msg: MemberBuckets{Hashes: hashes}}
			case 8:
				ev = UpdateMeta{Meta: []byte{arg}}
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
