package sim

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

func TestEventQueueOrdersByTimeThenInsertion(t *testing.T) {
	var q eventQueue
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 5000
	for i := 0; i < n; i++ {
		// Few distinct times, so that ties are common.
		q.push(simEvent{at: rng.Int64N(50), node: int32(i)})
	}
	prevAt, prevSeq := int64(-1), uint64(0)
	for i := 0; i < n; i++ {
		ev := q.pop()
		if ev.at < prevAt || (ev.at == prevAt && ev.seq <= prevSeq) {
			t.Fatalf("pop %d: (%d, %d) after (%d, %d)", i, ev.at, ev.seq, prevAt, prevSeq)
		}
		// seq is assigned in push order, which is node order here.
		if ev.seq != uint64(ev.node)+1 {
			t.Fatalf("event of node %d has seq %d", ev.node, ev.seq)
		}
		prevAt, prevSeq = ev.at, ev.seq
	}
	if q.len() != 0 {
		t.Fatalf("queue holds %d events after draining", q.len())
	}
}

// fakeRun runs a small scripted scenario on fake cores and returns what it
// observed, for determinism checks.
func fakeRun(t *testing.T, seed uint64) (MessageStats, []BroadcastStats, [][]string, [][]uint64) {
	t.Helper()
	cfg := testNetConfig(60)
	cfg.Seed = seed
	cfg.Contact = ContactRandom
	cfg.Loss = 0.01
	s, err := newFakeSimulation(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.JoinAll()
	s.RunFor(5 * time.Second)
	var bs []BroadcastStats
	for k := 0; k < 5; k++ {
		idx, err := s.Broadcast(s.RandomUpNode(), true)
		if err != nil {
			t.Fatal(err)
		}
		s.RunUntilSettled(idx)
		bs = append(bs, s.BroadcastStats(idx))
	}
	if _, err := s.Crash(0.3); err != nil {
		t.Fatal(err)
	}
	s.RunFor(10 * time.Second)
	var failed [][]string
	var draws [][]uint64
	for i := range s.nodes {
		f := s.nodes[i].hv.(*fakeMembership)
		failed = append(failed, f.failed)
		draws = append(draws, f.draws)
	}
	return s.Stats(), bs, failed, draws
}

func TestSimulationIsDeterministic(t *testing.T) {
	st1, bs1, f1, d1 := fakeRun(t, 42)
	st2, bs2, f2, d2 := fakeRun(t, 42)
	if !reflect.DeepEqual(st1, st2) || !reflect.DeepEqual(bs1, bs2) || !reflect.DeepEqual(f1, f2) || !reflect.DeepEqual(d1, d2) {
		t.Fatal("two runs with the same seed differ")
	}
	st3, bs3, _, d3 := fakeRun(t, 43)
	if reflect.DeepEqual(st1, st3) && reflect.DeepEqual(bs1, bs3) {
		t.Fatal("runs with different seeds are identical")
	}
	if reflect.DeepEqual(d1, d3) {
		t.Fatal("node random streams do not depend on the seed")
	}
	// Each node has its own stream.
	if reflect.DeepEqual(d1[1], d1[2]) {
		t.Fatal("nodes 1 and 2 share a random stream")
	}
}

func TestBroadcastTrackingWithFloodCore(t *testing.T) {
	s, err := newFakeSimulation(testNetConfig(40))
	if err != nil {
		t.Fatal(err)
	}
	// ContactSame: a star around node 0, so the fake flood core is a tree.
	s.JoinAll()
	s.RunFor(2 * time.Second)
	idx, err := s.Broadcast(5, true)
	if err != nil {
		t.Fatal(err)
	}
	if !s.RunUntilSettled(idx) {
		t.Fatal("broadcast did not settle")
	}
	st := s.BroadcastStats(idx)
	if st.Delivered != 40 || st.FloodDelivered != 40 || st.Up != 40 {
		t.Fatalf("delivered %d flood %d up %d, want 40", st.Delivered, st.FloodDelivered, st.Up)
	}
	if st.RMR != 0 || st.PayloadReceived != 39 || st.FloodPayloadReceived != 39 {
		t.Fatalf("rmr %v payload %d flood payload %d on a tree", st.RMR, st.PayloadReceived, st.FloodPayloadReceived)
	}
	if st.LDH != 2 || st.FloodLDH != 2 || st.Duplicates != 0 {
		t.Fatalf("ldh %d flood ldh %d duplicates %d, want 2, 2, 0", st.LDH, st.FloodLDH, st.Duplicates)
	}
	if !st.Settled || st.SettledAt < st.SentAt+time.Second {
		t.Fatalf("settled %v at %v, sent at %v (SettleMin 1s)", st.Settled, st.SettledAt, st.SentAt)
	}
	if _, err := s.Broadcast(1000, false); err == nil {
		t.Fatal("broadcast from a node that does not exist succeeded")
	}
}

// TestSettleWaitsForFailureNotices checks the settling rule: a broadcast is
// not settled while a failure notice caused by one of its sends is queued.
func TestSettleWaitsForFailureNotices(t *testing.T) {
	cfg := testNetConfig(20)
	cfg.SettleMin = 0
	s, err := newFakeSimulation(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.JoinAll() // a star around node 0
	s.RunFor(100 * time.Millisecond)
	s.CrashNode(7)
	idx, err := s.Broadcast(0, false)
	if err != nil {
		t.Fatal(err)
	}
	if !s.RunUntilSettled(idx) {
		t.Fatal("did not settle")
	}
	st := s.BroadcastStats(idx)
	if st.Delivered != 19 || st.Up != 19 {
		t.Fatalf("delivered %d of %d", st.Delivered, st.Up)
	}
	if after := st.SettledAt - st.SentAt; after < cfg.DetectionDelayMin {
		t.Fatalf("settled %v after sending, before the failure notice (≥ %v)", after, cfg.DetectionDelayMin)
	}
	if got := s.nodes[0].hv.(*fakeMembership).failed; len(got) != 1 || got[0] != "n7" {
		t.Fatalf("node 0 was told of failures %v, want [n7]", got)
	}
	// Without a crash it settles as soon as the last copy is in.
	idx, _ = s.Broadcast(0, false)
	s.RunUntilSettled(idx)
	if st := s.BroadcastStats(idx); st.SettledAt-st.SentAt > cfg.LatencyMax {
		t.Fatalf("settled after %v, want within one link latency", st.SettledAt-st.SentAt)
	}
}
