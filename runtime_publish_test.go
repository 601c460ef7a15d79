// Tests of runLoop.publish: the snapshot it keeps up to date change by
// change equals one rebuilt from the whole member table.

package hyparlist

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// newPublishLoop returns a started run loop for a node called n000 that no
// Memberlist runs: publish and the membership core are driven by hand.
func newPublishLoop(tb testing.TB, vetoed bool) *runLoop {
	tb.Helper()
	cfg := DefaultLANConfig()
	cfg.Name = "n000"
	cfg.BindAddr, cfg.AdvertiseAddr = "127.0.0.1", "127.0.0.1"
	if err := cfg.validate(); err != nil {
		tb.Fatalf("Validate: %v", err)
	}
	m := &Memberlist{config: cfg, self: Peer{Name: "n000", Addr: "127.0.0.1:7946"}, localVetoed: vetoed}
	l, err := newRunLoop(m, rand.New(rand.NewPCG(1, 2)), nil)
	if err != nil {
		tb.Fatalf("newRunLoop: %v", err)
	}
	l.ms.Step(mt0, Start{})
	l.ms.Drain()
	l.dirty = true
	l.publish()
	return l
}

// fullSnapshotMembers is the oracle: the listed members rebuilt from the
// table, as publish did before it applied changes only.
func fullSnapshotMembers(l *runLoop) []*Node {
	var out []*Node
	for _, mem := range l.ms.Members() {
		if mem.State.live() && !(l.m.localVetoed && mem.Name == l.m.self.Name) {
			out = append(out, l.m.memberNode(mem))
		}
	}
	return out
}

// checkSnapshot fails unless the published snapshot lists want, has the
// right local node and is sorted.
func checkSnapshot(t *testing.T, l *runLoop, step int) {
	t.Helper()
	s := l.m.snap.Load()
	want := fullSnapshotMembers(l)
	if len(s.members) != len(want) {
		t.Fatalf("step %d: %d members published, table lists %d", step, len(s.members), len(want))
	}
	for i := range want {
		if fmt.Sprint(*s.members[i]) != fmt.Sprint(*want[i]) {
			t.Fatalf("step %d: member %d published as %+v, table has %+v", step, i, *s.members[i], *want[i])
		}
	}
	local := l.m.memberNode(l.ms.localMember())
	if fmt.Sprint(*s.local) != fmt.Sprint(*local) {
		t.Fatalf("step %d: local node %+v, want %+v", step, *s.local, *local)
	}
}

// randomChange applies one random change to a member through the
// membership core: a new member, a new incarnation, suspect, dead, left,
// new metadata or address, a forgotten record, or new local metadata.
func randomChange(l *runLoop, rng *rand.Rand, names int) {
	name := fmt.Sprintf("n%03d", 1+rng.IntN(names))
	e := l.ms.table.get(name)
	if e == nil {
		l.ms.merge(memberRecord{Name: name, Addr: fmt.Sprintf("10.0.0.%d:7946", 1+rng.IntN(200)), Incarnation: 1, State: memberStateAlive}, mergeSource{})
		return
	}
	r := e.record()
	r.Incarnation++
	switch rng.IntN(8) {
	case 0:
		r.State = memberStateSuspect
	case 1:
		r.State = memberStateDead
	case 2:
		r.State = memberStateLeft
	case 3:
		r.Meta = []byte(fmt.Sprintf("meta-%d", rng.IntN(1000)))
	case 4:
		r.Addr = fmt.Sprintf("10.0.1.%d:7946", 1+rng.IntN(200))
		r.State = memberStateAlive
	case 5:
		if !e.state.live() {
			l.ms.forget(e)
			return
		}
	case 6:
		l.ms.updateMeta([]byte(fmt.Sprintf("local-%d", rng.IntN(1000))))
		return
	default:
		r.State = memberStateAlive
	}
	l.ms.merge(r, mergeSource{})
}

// TestPublishAppliesEveryChange applies random member changes through the
// membership core, a few per publish, and compares every snapshot with one
// rebuilt from the whole table; also when the AliveDelegate refused the
// local node, and across change logs that overflow.
func TestPublishAppliesEveryChange(t *testing.T) {
	for _, vetoed := range []bool{false, true} {
		t.Run(fmt.Sprintf("vetoed=%v", vetoed), func(t *testing.T) {
			l := newPublishLoop(t, vetoed)
			rng := rand.New(rand.NewPCG(7, uint64(len(fmt.Sprint(vetoed)))))
			checkSnapshot(t, l, 0)
			for step := 1; step <= 3000; step++ {
				n := 1 + rng.IntN(3)
				if step%500 == 0 {
					n = 200 // overflows the change log: a full rebuild
				}
				for range n {
					randomChange(l, rng, 120)
				}
				l.ms.Drain()
				prev := l.m.snap.Load()
				before := slices.Clone(prev.members)
				l.dirty = true
				l.publish()
				if !slices.Equal(prev.members, before) {
					t.Fatalf("step %d: publish changed the previous snapshot", step)
				}
				checkSnapshot(t, l, step)
			}
		})
	}
}
