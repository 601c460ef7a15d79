package sim

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/hyparlist/hyparlist"
)

// Fake cores for testing the simulator's engine on its own: a membership
// core that links every joiner to its contact and sends keepalives, and a
// broadcast core that floods. They record what they observe. They send
// messages of their own (the fake* message types below): the engine
// carries any hyparlist.Message, classifies it by the core that sent it,
// and reads a broadcast through Simulation.broadcastOf, which
// newFakeSimulation points at fakeBroadcastOf.

// Message types of the fakes' messages, for the engine's per-type counts.
const (
	fakeTypeJoin hyparlist.MessageType = iota + 1
	fakeTypeProbe
	fakeTypeKeepalive
	fakeTypeGossip
)

// fakeJoin asks the receiver to link to the sender.
type fakeJoin struct{}

// fakeProbe is a numbered probe, see the FIFO test.
type fakeProbe struct{ seq uint8 }

// fakeKeepalive is the fake membership's periodic message.
type fakeKeepalive struct{}

// fakeGossip is the fake flood's payload message.
type fakeGossip struct {
	id      hyparlist.MessageID
	hops    uint16
	payload []byte
}

func (fakeJoin) Type() hyparlist.MessageType      { return fakeTypeJoin }
func (fakeProbe) Type() hyparlist.MessageType     { return fakeTypeProbe }
func (fakeKeepalive) Type() hyparlist.MessageType { return fakeTypeKeepalive }
func (fakeGossip) Type() hyparlist.MessageType    { return fakeTypeGossip }

// fakeBroadcastOf is hyparlist.BroadcastOf for the fakes' messages.
func fakeBroadcastOf(m hyparlist.Message) (hyparlist.Class, []byte, bool) {
	g, ok := m.(fakeGossip)
	return hyparlist.ClassUser, g.payload, ok
}

// newFakeSimulation builds a simulation of fake cores.
func newFakeSimulation(cfg SimConfig) (*Simulation, error) {
	s, err := newSimulation(cfg, fakeFactory)
	if err != nil {
		return nil, err
	}
	s.broadcastOf = fakeBroadcastOf
	return s, nil
}

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
	probeAt  []time.Time // when each probe was handled
	firedAt  []time.Time // when each timer fired
	draws    []uint64    // a few rng draws, to check per-node streams
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
		f.out = append(f.out, hyparlist.Send{To: ev.Contact, Msg: fakeJoin{}})
	case hyparlist.Receive:
		switch m := ev.Msg.(type) {
		case fakeJoin:
			f.add(ev.From)
		case fakeProbe:
			f.gotSeq[ev.From.Name] = append(f.gotSeq[ev.From.Name], m.seq)
			f.probeAt = append(f.probeAt, now)
		}
	case hyparlist.TimerFired:
		f.firedAt = append(f.firedAt, now)
		for _, p := range f.active {
			f.out = append(f.out, hyparlist.Send{To: p, Msg: fakeKeepalive{}})
		}
		f.out = append(f.out, hyparlist.SetTimer{After: f.period, Timer: fakeTick})
	case hyparlist.LinkFailed:
		f.failed = append(f.failed, ev.Peer.Name)
		f.failedAt = append(f.failedAt, now)
		if i := slices.Index(f.active, ev.Peer); i >= 0 {
			f.active = slices.Delete(f.active, i, i+1)
			f.out = append(f.out, hyparlist.NeighborDown{Peer: ev.Peer})
		}
	}
}

func (f *fakeMembership) add(p hyparlist.Peer) {
	if !slices.Contains(f.active, p) {
		f.active = append(f.active, p)
		f.out = append(f.out, hyparlist.NeighborUp{Peer: p})
	}
}

// probe queues k numbered probes to p.
func (f *fakeMembership) probe(p hyparlist.Peer, k int) {
	for i := 0; i < k; i++ {
		f.seqSent++
		f.out = append(f.out, hyparlist.Send{To: p, Msg: fakeProbe{seq: f.seqSent}})
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
		f.push(fakeGossip{id: hyparlist.MessageID{Origin: f.self.Name, Seq: f.seq}, payload: ev.Payload}, f.self)
	case hyparlist.Receive:
		if g, ok := ev.Msg.(fakeGossip); ok {
			g.hops++
			f.push(g, ev.From)
		}
	}
}

func (f *fakeFlood) push(g fakeGossip, from hyparlist.Peer) {
	if f.seen[g.id] {
		return
	}
	f.seen[g.id] = true
	f.out = append(f.out, hyparlist.Deliver{ID: g.id, Payload: g.payload, From: from, Hops: g.hops})
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
