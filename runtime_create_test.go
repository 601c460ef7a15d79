package hyparlist

import (
	"math/rand/v2"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeCreateNotifiesLocalJoin: when Create returns, the
// EventDelegate's NotifyJoin for the local node has returned, as in
// memberlist (serf reads its own member right after Create). The hook
// sleeps, so a NotifyJoin run on another goroutine could not have
// returned before Create does.
func TestRuntimeCreateNotifiesLocalJoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := newMockNetwork(rand.New(rand.NewPCG(1, 2)))
		rec := &recorder{name: "a"}
		rec.setHooks(func(*Node) { time.Sleep(time.Millisecond) }, nil)
		conf := mockConfig("a", nil)
		conf.Transport = net.NewTransport("a")
		conf.Events = rec
		ml, err := Create(conf)
		if err != nil {
			t.Fatal(err)
		}
		defer ml.Shutdown()
		rec.mu.Lock()
		joins := slices.Clone(rec.joins)
		rec.mu.Unlock()
		if !slices.Equal(joins, []string{"a"}) {
			t.Fatalf("NotifyJoin calls when Create returned: %v, want [a]", joins)
		}
	})
}

// TestRuntimeCreateAsksAliveDelegate: Create asks the AliveDelegate about
// the local node. As in memberlist, a refusal does not fail Create, but
// the node leaves itself out of its member list and reports no NotifyJoin
// for itself (serf's TestSerf_Join_Cancel expects 0 members).
func TestRuntimeCreateAsksAliveDelegate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := newMockNetwork(rand.New(rand.NewPCG(1, 2)))
		for _, reject := range []bool{false, true} {
			f := &filterDelegate{reject: func(*Node) bool { return reject }}
			rec := &recorder{name: "a"}
			conf := mockConfig("a", nil)
			conf.Transport = net.NewTransport("a")
			conf.Alive = f
			conf.Events = rec
			ml, err := Create(conf)
			if err != nil {
				t.Fatalf("reject=%v: Create: %v", reject, err)
			}
			synctest.Wait()
			f.mu.Lock()
			asked := slices.Clone(f.alive)
			f.mu.Unlock()
			rec.mu.Lock()
			joins := slices.Clone(rec.joins)
			rec.mu.Unlock()
			members := ml.NumMembers()
			ml.Shutdown()
			if !slices.Equal(asked, []string{"a"}) {
				t.Errorf("reject=%v: NotifyAlive calls %v, want [a]", reject, asked)
			}
			want := 1
			if reject {
				want = 0
			}
			if members != want || len(joins) != want {
				t.Errorf("reject=%v: %d members, NotifyJoin %v; want %d", reject, members, joins, want)
			}
		}
	})
}
