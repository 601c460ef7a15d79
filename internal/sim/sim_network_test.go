package sim

import (
	"testing"
	"time"

	"github.com/hyparlist/hyparlist"
)

func TestLatencyIsFixedPerLinkAndInRange(t *testing.T) {
	cfg := testNetConfig(100)
	nw := newSimNetwork(&cfg, 100)
	distinct := map[int64]bool{}
	for a := int32(0); a < 100; a++ {
		for b := int32(0); b < 100; b++ {
			l := nw.latency(a, b)
			if l < int64(cfg.LatencyMin) || l > int64(cfg.LatencyMax) {
				t.Fatalf("latency %d→%d = %v out of range", a, b, time.Duration(l))
			}
			if l != nw.latency(a, b) {
				t.Fatalf("latency %d→%d changes", a, b)
			}
			distinct[l] = true
		}
	}
	if len(distinct) < 1000 {
		t.Fatalf("only %d distinct latencies over 10000 links", len(distinct))
	}
}

func TestLinksAreFIFO(t *testing.T) {
	s, err := newFakeSimulation(testNetConfig(20))
	if err != nil {
		t.Fatal(err)
	}
	s.JoinAll()
	// Every node sends numbered probes to node 0 in several bursts, some at
	// the same instant.
	for burst := 0; burst < 5; burst++ {
		for i := int32(1); i < 20; i++ {
			f := s.nodes[i].hv.(*fakeMembership)
			f.probe(s.peers[0], 3)
			s.stepHyParView(i, hyparlist.Start{}) // flush the probes (Start re-arms a harmless tick)
		}
		s.RunFor(time.Duration(burst+1) * time.Millisecond)
	}
	s.RunFor(time.Second)
	got := s.nodes[0].hv.(*fakeMembership).gotSeq
	if len(got) != 19 {
		t.Fatalf("probes from %d senders, want 19", len(got))
	}
	for from, seqs := range got {
		if len(seqs) != 15 {
			t.Fatalf("%d probes from %s, want 15", len(seqs), from)
		}
		for k, v := range seqs {
			if int(v) != k+1 {
				t.Fatalf("probes from %s arrived as %v", from, seqs)
			}
		}
	}
}

func TestCrashIsNoticedOnlyThroughFailedSends(t *testing.T) {
	cfg := testNetConfig(30)
	s, err := newFakeSimulation(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.JoinAll() // a star around node 0
	s.RunFor(2 * time.Second)
	crashAt := s.now
	s.CrashNode(0)
	if s.Up(0) || s.UpCount() != 29 {
		t.Fatalf("after crash: up(0)=%v upcount=%d", s.Up(0), s.UpCount())
	}
	// Nobody may know before the detection delay has passed.
	s.RunFor(cfg.DetectionDelayMin - time.Millisecond)
	for i := 1; i < 30; i++ {
		if f := s.nodes[i].hv.(*fakeMembership); len(f.failed) != 0 {
			t.Fatalf("node %d told of the crash after %v", i, s.Now()-time.Duration(crashAt))
		}
	}
	// Keepalives every second: noticed within period + max delay + latency.
	limit := time.Second + cfg.DetectionDelayMax + cfg.LatencyMax
	s.RunFor(limit)
	for i := 1; i < 30; i++ {
		f := s.nodes[i].hv.(*fakeMembership)
		if len(f.failed) != 1 || f.failed[0] != "n0" {
			t.Fatalf("node %d got failures %v, want exactly [n0]", i, f.failed)
		}
		after := f.failedAt[0].Sub(s.epoch.Add(time.Duration(crashAt)))
		if after < cfg.DetectionDelayMin || after > limit {
			t.Fatalf("node %d noticed the crash after %v", i, after)
		}
	}
	// The crashed node itself never runs again.
	if f := s.nodes[0].hv.(*fakeMembership); len(f.failed) != 0 {
		t.Fatalf("crashed node got events: %v", f.failed)
	}
}

func TestPartitionFailsCrossLinksAndHeals(t *testing.T) {
	s, err := newFakeSimulation(testNetConfig(40))
	if err != nil {
		t.Fatal(err)
	}
	s.JoinAll()
	s.RunFor(time.Second)
	if err := s.Partition(0.5); err != nil {
		t.Fatal(err)
	}
	s.RunFor(6 * time.Second)
	crossFailed, sameFailed := 0, 0
	for i := 1; i < 40; i++ {
		f := s.nodes[i].hv.(*fakeMembership)
		if s.net.side[i] != s.net.side[0] {
			crossFailed += len(f.failed)
		} else {
			sameFailed += len(f.failed)
		}
	}
	if crossFailed == 0 || sameFailed != 0 {
		t.Fatalf("link failures: %d across the partition, %d within a side", crossFailed, sameFailed)
	}
	s.Heal()
	idx, err := s.Broadcast(0, false)
	if err != nil {
		t.Fatal(err)
	}
	s.RunUntilSettled(idx)
	// The fake cores do not repair their views, so after healing node 0
	// still reaches only its own side.
	st := s.BroadcastStats(idx)
	if st.Delivered == 40 || st.Delivered < 2 {
		t.Fatalf("delivered %d of 40 after the fake cores lost the cross links", st.Delivered)
	}
	if err := s.Partition(1.5); err == nil {
		t.Fatal("partition fraction 1.5 accepted")
	}
}

func TestSimConfigValidation(t *testing.T) {
	bad := []func(*SimConfig){
		func(c *SimConfig) { c.Nodes = 0 },
		func(c *SimConfig) { c.LatencyMax = c.LatencyMin - 1 },
		func(c *SimConfig) { c.Loss = 1 },
		func(c *SimConfig) { c.DetectionDelayMin = -1 },
		func(c *SimConfig) { c.Contact = 9 },
		func(c *SimConfig) { c.PathSamples = 0 },
	}
	for i, mutate := range bad {
		cfg := testNetConfig(10)
		mutate(&cfg)
		if _, err := newFakeSimulation(cfg); err == nil {
			t.Errorf("case %d: invalid config accepted", i)
		}
	}
}
