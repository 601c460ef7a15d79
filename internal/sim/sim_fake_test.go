package sim

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/hyparlist/hyparlist"
)

// Fake cores for testing the simulator's engine on its own: a membership
// core that links every joiner to its contact and sends keepalives, and a
// broadcast core that floods. They record what they observe.

// fakeTick is the fakes' timer. Timer is a closed interface, so it is a
// timer taken from a real core: the fakes only need a value to hand back.
var fakeTick = realTimer()

// realTimer returns the first timer a started HyParView core asks for.
func realTimer() hyparlist.Timer {
	hv, err := hyparlist.NewHyParView(hyparlist.Peer{Name: "t", Addr: "t"}, hyparlist.DefaultHyParViewConfig(), rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		panic(err)
	}
	hv.Step(time.Unix(0, 0), hyparlist.Start{})
	for _, a := range hv.Drain() {
		if st, ok := a.(hyparlist.SetTimer); ok {
			return st.Timer
		}
	}
	panic("a started HyParView core sets no timer")
}

type fakeMembership struct {
	self    hyparlist.Peer
	period  time.Duration
	active  []hyparlist.Peer
	out     []hyparlist.Action
	rng     *rand.Rand
	seqSent uint8
	// observations
	failed   []string    // peers reported by LinkFailed
	failedAt []time.Time // when
	gotSeq   map[string][]uint8
	draws    []uint64 // a few rng draws, to check per-node streams
}

func newFakeMembership(self hyparlist.Peer, rng *rand.Rand) *fakeMembership {
	return &fakeMembership{self: self, period: time.Second, rng: rng, gotSeq: map[string][]uint8{}}
}

func (f *fakeMembership) Step(now time.Time, ev hyparlist.Event) {
	switch ev := ev.(type) {
	case hyparlist.Start:
		f.draws = append(f.draws, f.rng.Uint64())
		f.out = append(f.out, hyparlist.SetTimer{After: f.period, Timer: fakeTick})
	case hyparlist.JoinCluster:
		f.add(ev.Contact)
		f.out = append(f.out, hyparlist.Send{To: ev.Contact, Msg: hyparlist.Join{}})
	case hyparlist.Receive:
		switch m := ev.Msg.(type) {
		case hyparlist.Join:
			f.add(ev.From)
		case hyparlist.ForwardJoin: // a numbered probe, see the FIFO test
			f.gotSeq[ev.From.Name] = append(f.gotSeq[ev.From.Name], m.TTL)
		}
	case hyparlist.TimerFired:
		for _, p := range f.active {
			f.out = append(f.out, hyparlist.Send{To: p, Msg: hyparlist.Keepalive{}})
		}
		f.out = append(f.out, hyparlist.SetTimer{After: f.period, Timer: fakeTick})
	case hyparlist.LinkFailed:
		f.failed = append(f.failed, ev.Peer.Name)
		f.failedAt = append(f.failedAt, now)
		if i := slices.Index(f.active, ev.Peer); i >= 0 {
			f.active = slices.Delete(f.active, i, i+1)
			f.out = append(f.out, hyparlist.NeighborDown(ev))
		}
	}
}

func (f *fakeMembership) add(p hyparlist.Peer) {
	if !slices.Contains(f.active, p) {
		f.active = append(f.active, p)
		f.out = append(f.out, hyparlist.NeighborUp{Peer: p})
	}
}

// probe queues k numbered ForwardJoin messages to p.
func (f *fakeMembership) probe(p hyparlist.Peer, k int) {
	for i := 0; i < k; i++ {
		f.seqSent++
		f.out = append(f.out, hyparlist.Send{To: p, Msg: hyparlist.ForwardJoin{TTL: f.seqSent}})
	}
}

func (f *fakeMembership) Drain() []hyparlist.Action {
	out := f.out
	f.out = nil
	return out
}

func (f *fakeMembership) ActiveView() []hyparlist.Peer  { return slices.Clone(f.active) }
func (f *fakeMembership) PassiveView() []hyparlist.Peer { return nil }

// fakeFlood is a broadcast core that pushes every new payload to all its
// neighbours.
type fakeFlood struct {
	self      hyparlist.Peer
	neighbors []hyparlist.Peer
	seen      map[hyparlist.MessageID]bool
	seq       uint64
	out       []hyparlist.Action
}

func (f *fakeFlood) Step(now time.Time, ev hyparlist.Event) {
	switch ev := ev.(type) {
	case hyparlist.NeighborUp:
		f.neighbors = append(f.neighbors, ev.Peer)
	case hyparlist.NeighborDown:
		if i := slices.Index(f.neighbors, ev.Peer); i >= 0 {
			f.neighbors = slices.Delete(f.neighbors, i, i+1)
		}
	case hyparlist.BroadcastPayload:
		f.seq++
		f.push(hyparlist.Gossip{ID: hyparlist.MessageID{Origin: f.self.Name, Seq: f.seq}, Payload: ev.Payload}, f.self)
	case hyparlist.Receive:
		if g, ok := ev.Msg.(hyparlist.Gossip); ok {
			g.Round++
			f.push(g, ev.From)
		}
	}
}

func (f *fakeFlood) push(g hyparlist.Gossip, from hyparlist.Peer) {
	if f.seen[g.ID] {
		return
	}
	f.seen[g.ID] = true
	f.out = append(f.out, hyparlist.Deliver{ID: g.ID, Payload: g.Payload, From: from, Hops: g.Round})
	for _, p := range f.neighbors {
		if p != from {
			f.out = append(f.out, hyparlist.Send{To: p, Msg: g})
		}
	}
}

func (f *fakeFlood) Drain() []hyparlist.Action {
	out := f.out
	f.out = nil
	return out
}

// fakeFactory builds fake cores.
func fakeFactory(self hyparlist.Peer, rng *rand.Rand) (simMembership, simCore, error) {
	return newFakeMembership(self, rng), &fakeFlood{self: self, seen: map[hyparlist.MessageID]bool{}}, nil
}

// testNetConfig is a small network config for engine tests.
func testNetConfig(n int) SimConfig {
	return SimConfig{
		Nodes: n, Seed: 7,
		LatencyMin: time.Millisecond, LatencyMax: 50 * time.Millisecond,
		DetectionDelayMin: time.Second, DetectionDelayMax: 3 * time.Second,
		JoinInterval: 10 * time.Millisecond, PayloadSize: 8,
		SettleMin: time.Second, SettleMax: time.Minute, PathSamples: 50,
	}
}
