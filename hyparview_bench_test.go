package hyparlist

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// hvBenchCore returns a core with full views (5 active, 30 passive).
func hvBenchCore(b *testing.B) *HyParView {
	cfg := DefaultHyParViewConfig()
	h, err := NewHyParView(hvPeer("self"), cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		b.Fatal(err)
	}
	for i := range cfg.ActiveViewSize {
		h.active = append(h.active, hvPeer(fmt.Sprint("active", i)))
	}
	for i := range cfg.PassiveViewSize {
		h.passive.entries = append(h.passive.entries, passiveEntry{peer: hvPeer(fmt.Sprint("passive", i))})
	}
	return h
}

// BenchmarkHyParViewStep measures one Step plus Drain on a node with full
// views, for the messages that dominate a steady-state overlay.
func BenchmarkHyParViewStep(b *testing.B) {
	now := hvEpoch
	b.Run("keepalive-receive", func(b *testing.B) {
		h := hvBenchCore(b)
		var ev Event = Receive{From: h.active[0], Msg: keepaliveMsg{}}
		b.ReportAllocs()
		for b.Loop() {
			h.Step(now, ev)
			h.Drain()
		}
	})
	b.Run("keepalive-timer", func(b *testing.B) {
		h := hvBenchCore(b)
		var ev Event = TimerFired{Timer: keepaliveTimer{}}
		b.ReportAllocs()
		for b.Loop() {
			h.Step(now, ev)
			h.Drain()
		}
	})
	// A shuffle walk ending here: reply with a passive sample and
	// integrate the 8 received entries into a full passive view.
	b.Run("shuffle-accept", func(b *testing.B) {
		h := hvBenchCore(b)
		evs := make([]Event, 64)
		for i := range evs {
			peers := make([]Peer, 8)
			for j := range peers {
				peers[j] = hvPeer(fmt.Sprint("remote", (i*8+j)%200))
			}
			evs[i] = Receive{From: h.active[1], Msg: shuffleMsg{Origin: peers[0], TTL: 1, Peers: peers}}
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			now = now.Add(time.Millisecond)
			h.Step(now, evs[i%len(evs)])
			h.Drain()
			i++
		}
	})
	b.Run("shuffle-forward", func(b *testing.B) {
		h := hvBenchCore(b)
		peers := []Peer{hvPeer("o"), hvPeer("p"), hvPeer("q")}
		var ev Event = Receive{From: h.active[1], Msg: shuffleMsg{Origin: peers[0], TTL: 6, Peers: peers}}
		b.ReportAllocs()
		for b.Loop() {
			h.Step(now, ev)
			h.Drain()
		}
	})
}
