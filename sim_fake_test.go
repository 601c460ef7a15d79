package hyparlist

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Fake cores for testing the simulator's engine on its own: a membership
// core that links every joiner to its contact and sends keepalives, and a
// broadcast core that floods. They record what they observe.

type fakeTick struct{}

func (fakeTick) isTimer() {}

type fakeMembership struct {
	self    Peer
	period  time.Duration
	active  []Peer
	out     []Action
	rng     *rand.Rand
	seqSent uint8
	// observations
	failed   []string    // peers reported by LinkFailed
	failedAt []time.Time // when
	gotSeq   map[string][]uint8
	draws    []uint64 // a few rng draws, to check per-node streams
}

func newFakeMembership(self Peer, rng *rand.Rand) *fakeMembership {
	return &fakeMembership{self: self, period: time.Second, rng: rng, gotSeq: map[string][]uint8{}}
}

func (f *fakeMembership) Step(now time.Time, ev Event) {
	switch ev := ev.(type) {
	case Start:
		f.draws = append(f.draws, f.rng.Uint64())
		f.out = append(f.out, SetTimer{After: f.period, Timer: fakeTick{}})
	case JoinCluster:
		f.add(ev.Contact)
		f.out = append(f.out, Send{To: ev.Contact, Msg: joinMsg{}})
	case Receive:
		switch m := ev.Msg.(type) {
		case joinMsg:
			f.add(ev.From)
		case forwardJoinMsg: // a numbered probe, see the FIFO test
			f.gotSeq[ev.From.Name] = append(f.gotSeq[ev.From.Name], m.TTL)
		}
	case TimerFired:
		for _, p := range f.active {
			f.out = append(f.out, Send{To: p, Msg: keepaliveMsg{}})
		}
		f.out = append(f.out, SetTimer{After: f.period, Timer: fakeTick{}})
	case LinkFailed:
		f.failed = append(f.failed, ev.Peer.Name)
		f.failedAt = append(f.failedAt, now)
		if i := slices.Index(f.active, ev.Peer); i >= 0 {
			f.active = slices.Delete(f.active, i, i+1)
			f.out = append(f.out, NeighborDown(ev))
		}
	}
}

func (f *fakeMembership) add(p Peer) {
	if !slices.Contains(f.active, p) {
		f.active = append(f.active, p)
		f.out = append(f.out, NeighborUp{Peer: p})
	}
}

// probe queues k numbered ForwardJoin messages to p.
func (f *fakeMembership) probe(p Peer, k int) {
	for i := 0; i < k; i++ {
		f.seqSent++
		f.out = append(f.out, Send{To: p, Msg: forwardJoinMsg{TTL: f.seqSent}})
	}
}

func (f *fakeMembership) Drain() []Action {
	out := f.out
	f.out = nil
	return out
}

func (f *fakeMembership) ActiveView() []Peer  { return slices.Clone(f.active) }
func (f *fakeMembership) PassiveView() []Peer { return nil }

// fakeFlood is a broadcast core that pushes every new payload to all its
// neighbours.
type fakeFlood struct {
	self      Peer
	neighbors []Peer
	seen      map[MessageID]bool
	seq       uint64
	out       []Action
}

func (f *fakeFlood) Step(now time.Time, ev Event) {
	switch ev := ev.(type) {
	case NeighborUp:
		f.neighbors = append(f.neighbors, ev.Peer)
	case NeighborDown:
		if i := slices.Index(f.neighbors, ev.Peer); i >= 0 {
			f.neighbors = slices.Delete(f.neighbors, i, i+1)
		}
	case BroadcastPayload:
		f.seq++
		f.push(gossipMsg{ID: MessageID{Origin: f.self.Name, Seq: f.seq}, Payload: ev.Payload}, f.self)
	case Receive:
		if g, ok := ev.Msg.(gossipMsg); ok {
			g.Round++
			f.push(g, ev.From)
		}
	}
}

func (f *fakeFlood) push(g gossipMsg, from Peer) {
	if f.seen[g.ID] {
		return
	}
	f.seen[g.ID] = true
	f.out = append(f.out, Deliver{ID: g.ID, Payload: g.Payload, From: from, Hops: g.Round})
	for _, p := range f.neighbors {
		if p != from {
			f.out = append(f.out, Send{To: p, Msg: g})
		}
	}
}

func (f *fakeFlood) Drain() []Action {
	out := f.out
	f.out = nil
	return out
}

// fakeFactory builds fake cores.
func fakeFactory(self Peer, rng *rand.Rand) (simMembership, simCore, error) {
	return newFakeMembership(self, rng), &fakeFlood{self: self, seen: map[MessageID]bool{}}, nil
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
