package hyparlist

import (
	"reflect"
	"testing"
	"time"
)

// forkScenario runs the same scripted events on s and returns what they
// produced.
func forkScenario(t *testing.T, s *Simulation) (MessageStats, []BroadcastStats, OverlayStats, [][]Peer) {
	t.Helper()
	if _, err := s.Crash(0.3); err != nil {
		t.Fatal(err)
	}
	var bs []BroadcastStats
	for k := 0; k < 3; k++ {
		idx, err := s.Broadcast(s.RandomUpNode(), true)
		if err != nil {
			t.Fatal(err)
		}
		s.RunUntilSettled(idx)
		bs = append(bs, s.BroadcastStats(idx))
	}
	s.RunShuffleRounds(2)
	views := make([][]Peer, len(s.nodes))
	for i := range s.nodes {
		views[i] = append(s.nodes[i].hv.ActiveView(), s.nodes[i].hv.PassiveView()...)
	}
	return s.Stats(), bs, s.Overlay(), views
}

func TestForkEqualsRebuild(t *testing.T) {
	cfg := DefaultSimConfig()
	cfg.Nodes = 300
	cfg.Seed = 11
	build := func() *Simulation {
		s, err := NewSimulation(cfg)
		if err != nil {
			t.Fatal(err)
		}
		s.JoinAll()
		s.RunShuffleRounds(3)
		// Leave broadcasts, caches and timers in flight at the fork.
		if _, err := s.Broadcast(3, true); err != nil {
			t.Fatal(err)
		}
		s.RunFor(20 * time.Millisecond)
		return s
	}
	orig := build()
	fork := orig.Fork()
	st1, bs1, ov1, v1 := forkScenario(t, fork)
	st2, bs2, ov2, v2 := forkScenario(t, orig) // after the fork ran: no shared state
	st3, bs3, ov3, v3 := forkScenario(t, build())
	for name, same := range map[string]bool{
		"stats":      reflect.DeepEqual(st1, st3) && reflect.DeepEqual(st2, st3),
		"broadcasts": reflect.DeepEqual(bs1, bs3) && reflect.DeepEqual(bs2, bs3),
		"overlay":    reflect.DeepEqual(ov1, ov3) && reflect.DeepEqual(ov2, ov3),
		"views":      reflect.DeepEqual(v1, v3) && reflect.DeepEqual(v2, v3),
	} {
		if !same {
			t.Errorf("%s differ between fork, original and rebuild", name)
		}
	}
	if bs3[0].Delivered == 0 || st3.Sent[typeGossip] == 0 {
		t.Fatalf("scenario did nothing: %+v", bs3[0])
	}
}
