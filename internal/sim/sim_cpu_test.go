package sim

import (
	"errors"
	"testing"
	"time"

	"github.com/hyparlist/hyparlist"
)

// cpuTestConfig is a network of n fake nodes with a fixed 1 ms latency and
// the given CPU model.
func cpuTestConfig(n int, cpu SimCPU) SimConfig {
	cfg := testNetConfig(n)
	cfg.LatencyMin, cfg.LatencyMax = time.Millisecond, time.Millisecond
	cfg.CPU = cpu
	return cfg
}

// sendProbes makes node from send k probes to node to now, outside any
// slice (so they cost the sender nothing).
func sendProbes(s *Simulation, from, to int32, k int) {
	s.nodes[from].hv.(*fakeMembership).probe(s.peers[to], k)
	s.stepHyParView(from, hyparlist.Start{}) // flush the probes (Start re-arms a harmless tick)
}

// fake returns node i's fake membership core.
func fake(s *Simulation, i int32) *fakeMembership { return s.nodes[i].hv.(*fakeMembership) }

// since returns the virtual time of t.
func since(s *Simulation, t time.Time) time.Duration { return t.Sub(s.epoch) }

func TestCPUBusyNodeQueuesFramesAndFiresTimersLate(t *testing.T) {
	const frame = 20 * time.Millisecond
	run := func(cpu SimCPU) *Simulation {
		s, err := newFakeSimulation(cpuTestConfig(2, cpu))
		if err != nil {
			t.Fatal(err)
		}
		s.JoinAll() // node 0 starts at 0 (its first tick is due at 1 s), node 1 at 10 ms
		s.RunFor(100 * time.Millisecond)
		sendProbes(s, 1, 0, 100)
		s.RunFor(5 * time.Second)
		return s
	}

	off := run(SimCPU{})
	if got := since(off, fake(off, 0).firedAt[0]); got != time.Second {
		t.Fatalf("without the cost model node 0's first tick fired at %v, want 1s", got)
	}

	on := run(SimCPU{Mode: CPUPerNode, Costs: SimCPUCosts{Frame: frame}})
	f := fake(on, 0)
	if len(f.probeAt) != 100 {
		t.Fatalf("node 0 handled %d probes, want 100", len(f.probeAt))
	}
	// The probes arrive together at 101 ms and are handled one after
	// another, each taking its cost.
	for k := 1; k < len(f.probeAt); k++ {
		if d := f.probeAt[k].Sub(f.probeAt[k-1]); d < frame {
			t.Fatalf("probe %d handled %v after probe %d, want ≥ %v", k, d, k-1, frame)
		}
	}
	if got, want := since(on, f.probeAt[99]), 101*time.Millisecond+100*frame; got < want {
		t.Fatalf("last probe handled at %v, want ≥ %v", got, want)
	}
	// The tick due at 1 s waits behind the 2 s of probes in the inbox.
	if got := since(on, f.firedAt[0]); got < 101*time.Millisecond+100*frame {
		t.Fatalf("node 0's first tick fired at %v, want after the probes (≥ %v)", got, 101*time.Millisecond+100*frame)
	}
	// Node 1 did no such work: its tick is on time.
	if got := since(on, fake(on, 1).firedAt[0]); got > 1010*time.Millisecond+frame {
		t.Fatalf("idle node 1's first tick fired at %v", got)
	}
}

func TestCPUSharedCoresSerialiseNodes(t *testing.T) {
	const frame = 10 * time.Millisecond
	// finish returns when the receivers 0 and 3 handled the last of 50
	// probes each, sent to both at the same instant, counted from the
	// instant they were sent.
	finish := func(cpu SimCPU) (time.Duration, time.Duration) {
		s, err := newFakeSimulation(cpuTestConfig(4, cpu))
		if err != nil {
			t.Fatal(err)
		}
		s.JoinAll()
		s.RunFor(500 * time.Millisecond)
		sent := s.Now()
		sendProbes(s, 1, 0, 50)
		sendProbes(s, 2, 3, 50)
		s.RunFor(5 * time.Second)
		a, b := fake(s, 0).probeAt, fake(s, 3).probeAt
		if len(a) != 50 || len(b) != 50 {
			t.Fatalf("%v: receivers handled %d and %d probes, want 50 each", cpu.Mode, len(a), len(b))
		}
		return since(s, a[49]) - sent, since(s, b[49]) - sent
	}
	costs := SimCPUCosts{Frame: frame}
	// A core each: both receivers are done after about 50 frames (plus
	// the keepalives they handle meanwhile).
	a, b := finish(SimCPU{Mode: CPUPerNode, Costs: costs})
	if a >= 60*frame || b >= 60*frame {
		t.Fatalf("a core per node: done after %v and %v, want < %v", a, b, 60*frame)
	}
	// Two shared cores are as good as one each for two busy nodes.
	a, b = finish(SimCPU{Mode: CPUShared, Cores: 2, Costs: costs})
	if a >= 60*frame || b >= 60*frame {
		t.Fatalf("two shared cores: done after %v and %v, want < %v", a, b, 60*frame)
	}
	// One shared core handles the 100 frames one after another, taking
	// turns slice by slice: neither receiver is done before 90 frames.
	a, b = finish(SimCPU{Mode: CPUShared, Cores: 1, Slice: frame, Costs: costs})
	if a < 90*frame || b < 90*frame || max(a, b) < 100*frame {
		t.Fatalf("one shared core: done after %v and %v, want both ≥ %v and one ≥ %v", a, b, 90*frame, 100*frame)
	}
}

func TestSilenceJudgeAndStalledNode(t *testing.T) {
	// Node 0's loop is stalled for 5 s by a burst of frames while node 1
	// is healthy.
	run := func(heartbeat time.Duration) (*Simulation, CPUStats) {
		s, err := newFakeSimulation(cpuTestConfig(2, SimCPU{
			Mode:               CPUPerNode,
			Costs:              SimCPUCosts{Frame: 20 * time.Millisecond},
			SilenceLimit:       1500 * time.Millisecond,
			SilenceCheck:       time.Second,
			HeartbeatAfter:     heartbeat,
			AwarenessMax:       8,
			AwarenessThreshold: 250 * time.Millisecond,
		}))
		if err != nil {
			t.Fatal(err)
		}
		s.JoinAll()
		s.RunFor(3 * time.Second)
		if st := s.CPUStats(); st.SilentFailures != 0 {
			t.Fatalf("%d links failed as silent before the stall", st.SilentFailures)
		}
		sendProbes(s, 1, 0, 250)
		s.RunFor(15 * time.Second)
		return s, s.CPUStats()
	}

	// The writers' own keepalives keep the stalled node heard, and the
	// stalled node judges its neighbour on frames stamped when read.
	s, st := run(1250 * time.Millisecond)
	if st.SilentFailures != 0 || len(fake(s, 0).failed)+len(fake(s, 1).failed) != 0 {
		t.Fatalf("with writer heartbeats: %d links failed as silent, failures seen %v / %v",
			st.SilentFailures, fake(s, 0).failed, fake(s, 1).failed)
	}
	if st.MaxHealthScore == 0 {
		t.Fatal("the stalled node's health score never rose")
	}
	if s.Stats().Heartbeats == 0 {
		t.Fatal("no writer heartbeat was sent while the loop was stalled")
	}

	// Without them, the healthy neighbour fails the stalled node's link.
	s, st = run(0)
	if st.SilentFailures == 0 {
		t.Fatal("without writer heartbeats no link was failed as silent")
	}
	if len(fake(s, 1).failed) == 0 {
		t.Fatal("node 1 did not fail its link to the stalled node 0")
	}
}

func TestSimCPUValidate(t *testing.T) {
	for _, c := range []SimCPU{
		{Mode: 9},
		{Mode: CPUShared},
		{Mode: CPUShared, Cores: -1},
		{Mode: CPUPerNode, Costs: SimCPUCosts{Frame: -1}},
		{Mode: CPUPerNode, SilenceLimit: time.Second},
		{Mode: CPUPerNode, AwarenessMax: -1},
	} {
		cfg := cpuTestConfig(2, c)
		if _, err := newFakeSimulation(cfg); !errors.Is(err, ErrSimConfig) {
			t.Errorf("%+v: err %v, want ErrSimConfig", c, err)
		}
	}
	if _, err := ParseSimCPUMode("fast"); !errors.Is(err, ErrSimConfig) {
		t.Errorf("ParseSimCPUMode(fast): %v", err)
	}
}

func TestStormExperimentSmall(t *testing.T) {
	// 64 nodes joining one seed at once on two shared cores settle
	// without silent failures; with the costs multiplied by 1,000 they
	// cannot in the deadline.
	run := func(scale float64) SimResult {
		cfg := DefaultExperimentConfig()
		cfg.Sim.Nodes = 64
		cfg.Sim.LatencyMin, cfg.Sim.LatencyMax = 50*time.Microsecond, 100*time.Microsecond
		WithRuntimeLAN(&cfg.Sim, CPUShared, 2, 8)
		cfg.Sim.CPU.Costs = cfg.Sim.CPU.Costs.Scaled(scale)
		cfg.Experiments = []string{ExperimentStorm}
		cfg.StormDeadline = 30 * time.Second
		var out []SimResult
		if err := RunExperiments(cfg, func(r SimResult) { out = append(out, r) }); err != nil {
			t.Fatal(err)
		}
		if len(out) != 1 || out[0].Experiment != ExperimentStorm || out[0].CPUMode != "shared" {
			t.Fatalf("results %+v", out)
		}
		return out[0]
	}
	r := run(1)
	if r.MembershipConvergedSeconds == nil || *r.StormPairsRatio != 1 || *r.LinksFailedSilentJoin != 0 || *r.LinksFailedSilentAfter != 0 {
		t.Fatalf("storm of 64: converged %v, pairs %v, silent %v / %v", r.MembershipConvergedSeconds, *r.StormPairsRatio,
			*r.LinksFailedSilentJoin, *r.LinksFailedSilentAfter)
	}
	r = run(1000)
	if r.MembershipConvergedSeconds != nil || *r.CPUBusyCores < 1.9 {
		t.Fatalf("storm of 64 at 1,000× the costs: converged %v, %v cores busy", r.MembershipConvergedSeconds, *r.CPUBusyCores)
	}
}
