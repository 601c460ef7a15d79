package hyparlist

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// TestMembershipClone replaces every core of a running cluster by its
// Clone, with the timers, messages and broadcasts in flight left as they
// are, and then wrecks the originals. The cluster must go on exactly as an
// identical cluster that was never cloned through a crash and its
// detection: same member lists, same traffic.
func TestMembershipClone(t *testing.T) {
	cfg := DefaultMembershipConfig()
	build := func() *mnet {
		h := newMnet(t, 4, cfg)
		h.startCluster(24, 2*time.Second)
		h.crash(h.order[10])
		h.runFor(1500 * time.Millisecond) // suspicions running
		return h
	}
	scenario := func(h *mnet) {
		for _, n := range h.order[3:6] { // besides node 10
			h.crash(n)
		}
		h.runFor(2 * time.Minute)
	}
	cloned, plain := build(), build()
	suspects := 0
	for _, n := range cloned.order {
		if !n.up {
			continue
		}
		orig := n.core
		n.core = orig.Clone(orig.rng)
		if n.core.LiveDigest() != orig.LiveDigest() {
			t.Fatalf("%s: clone's live digest differs", n.name)
		}
		for i := range orig.table.arena.next {
			if s := orig.table.arena.at(i).susp; s != nil && n.core.table.arena.at(i).susp == s {
				t.Fatalf("%s: clone shares a suspicion with the original", n.name)
			}
		}
		// Whatever the original does from now on must not reach the copy.
		orig.rng = rand.New(rand.NewPCG(1, 2))
		for _, p := range orig.neighborList() {
			orig.Step(cloned.now, LinkFailed{Peer: p})
		}
		for _, m := range orig.Members() {
			if m.State != memberStateSuspect {
				continue
			}
			suspects++
			for k := range 3 {
				orig.confirmSuspicion(orig.table.get(m.Name), fmt.Sprintf("stranger-%d", k))
			}
		}
		for k := range 40 {
			name := fmt.Sprintf("stranger-%02d", k)
			ann, err := appendAnnouncement(nil, []memberRecord{{Name: name, Addr: name + ":1", Incarnation: 3}})
			if err != nil {
				t.Fatal(err)
			}
			orig.Step(cloned.now, Deliver{ID: MessageID{Origin: name, Seq: 1}, Class: ClassMembership, Payload: ann})
		}
		orig.Step(cloned.now.Add(time.Hour), TimerFired{Timer: memberDeadlineTimer{}})
		orig.Step(cloned.now, leaveCluster{})
		orig.Drain()
	}
	scenario(cloned)
	scenario(plain)
	for i, n := range cloned.order {
		p := plain.order[i]
		if !n.up {
			continue
		}
		if got, want := n.core.Members(), p.core.Members(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s lists %v, want %v", n.name, memberKeys(got), memberKeys(want))
		}
		if n.core.LiveDigest() != p.core.LiveDigest() {
			t.Errorf("%s: live digest differs", n.name)
		}
		checkMembershipInvariants(t, n.core)
	}
	if cloned.msgs != plain.msgs || cloned.msgBytes != plain.msgBytes || cloned.deliveries != plain.deliveries {
		t.Errorf("traffic differs after cloning: %d msgs %d bytes %d deliveries, want %d %d %d",
			cloned.msgs, cloned.msgBytes, cloned.deliveries, plain.msgs, plain.msgBytes, plain.deliveries)
	}
	if suspects == 0 {
		t.Fatal("no suspicion running at the clone")
	}
	if !plain.converged(20) {
		t.Fatal("scenario: the crashes were not detected everywhere")
	}
}
