package hyparlist

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// FuzzPlumtree feeds one core an arbitrary sequence of events decoded from
// the input: neighbour changes, every Plumtree message from known peers,
// strangers and itself, broadcasts, its own and forged timers, foreign
// messages and events, and clock jumps forwards and backwards. Small
// bounds make every table fill up. After every Step the core must not
// have panicked, its invariants must hold, its sets must be disjoint
// subsets of its neighbours, its messages must respect the configured
// sizes, and it must never deliver a message it still remembers.
func FuzzPlumtree(f *testing.F) {
	f.Add([]byte{0, 1, 0, 2, 2, 1, 1, 0, 3, 7, 0, 0, 8, 200, 7, 0})
	f.Add([]byte{0, 1, 3, 1, 4, 1, 8, 90, 7, 0, 8, 90, 7, 1, 2, 1, 5, 4})
	f.Add([]byte{0, 0, 0, 1, 6, 6, 6, 6, 5, 0, 6, 7, 0, 4, 0, 1, 2, 1, 0})
	f.Add([]byte{0, 2, 2, 2, 9, 3, 1, 1, 1, 20, 3, 2, 9, 9, 2, 2, 1, 9, 3, 0, 0, 0, 7, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		ptFuzzRun(t, data)
	})
}

type ptFuzzInput struct {
	data []byte
	i    int
}

func (in *ptFuzzInput) byte() byte {
	if in.i >= len(in.data) {
		return 0
	}
	b := in.data[in.i]
	in.i++
	return b
}

func (in *ptFuzzInput) done() bool { return in.i >= len(in.data) }

func ptFuzzRun(t *testing.T, data []byte) {
	in := &ptFuzzInput{data: data}
	cfg := DefaultPlumtreeConfig()
	if in.byte()%2 == 0 {
		// Tiny bounds, so that every limit is reached.
		cfg.IHaveMaxEntries = 3
		cfg.MissingMax = 4
		cfg.MissingMaxAnnouncers = 2
		cfg.SeenMaxEntries = 6
		cfg.CacheMaxBytes = 400
		cfg.MaxPeers = 3
		cfg.NeighborUpAnnounce = 4
		cfg.OptimizationThreshold = 1
		cfg.CacheTTL = time.Second
		cfg.SeenTTL = 2 * time.Second
		cfg.MaxTrees = 2
	}
	self := Peer{Name: "me", Addr: "me:1"}
	pt, err := NewPlumtree(self, cfg, rand.New(rand.NewPCG(uint64(len(data)), 7)))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"p0", "p1", "p2", "p3", "p4", "me", ""}
	peerOf := func(b byte) Peer { n := names[int(b)%len(names)]; return Peer{Name: n, Addr: n + ":1"} }
	idOf := func(b byte) MessageID { return MessageID{Origin: names[int(b>>4)%len(names)], Seq: uint64(b & 15)} }
	up := make(map[string]bool)
	var timers []Timer
	now := ptEpoch
	lastNow := now
	monotonic := true
	verbose := testing.Verbose() // replay a failure with -v to see its steps

	for steps := 0; !in.done() && steps < 2000; steps++ {
		var ev Event
		switch op := in.byte() % 12; op {
		case 0:
			ev = NeighborUp{Peer: peerOf(in.byte())}
		case 1:
			ev = NeighborDown{Peer: peerOf(in.byte())}
		case 2:
			ev = Receive{From: peerOf(in.byte()), Msg: gossipMsg{ID: idOf(in.byte()), Round: uint16(in.byte()) * 300, Payload: make([]byte, in.byte())}}
		case 3:
			from := peerOf(in.byte())
			ih := ihaveMsg{}
			for range in.byte() % 6 {
				ih.Entries = append(ih.Entries, ihaveEntry{ID: idOf(in.byte()), Round: uint16(in.byte())})
			}
			ev = Receive{From: from, Msg: ih}
		case 4:
			from := peerOf(in.byte())
			g := graftMsg{}
			for range in.byte() % 6 {
				g.IDs = append(g.IDs, idOf(in.byte()))
			}
			ev = Receive{From: from, Msg: g}
		case 5:
			// A root from names: "" is a PRUNE of a node with one set.
			ev = Receive{From: peerOf(in.byte()), Msg: pruneMsg{Root: peerOf(in.byte()).Name}}
		case 6:
			ev = BroadcastPayload{Class: Class(in.byte()), Payload: make([]byte, in.byte())}
		case 7:
			if len(timers) == 0 {
				continue
			}
			k := int(in.byte()) % len(timers)
			ev = TimerFired{Timer: timers[k]}
			if in.byte()%2 == 0 { // fired once, as a driver would
				timers = append(timers[:k], timers[k+1:]...)
			}
		case 8:
			now = now.Add(time.Duration(in.byte()) * 10 * time.Millisecond)
			continue
		case 9:
			monotonic = false
			switch in.byte() % 3 {
			case 0:
				now = now.Add(-time.Duration(in.byte()) * time.Second)
			case 1:
				now = now.Add(time.Duration(in.byte()) * time.Hour)
			case 2:
				now = time.Time{}
			}
			continue
		case 10:
			ev = []Event{Start{}, leaveCluster{}, JoinCluster{Contact: peerOf(in.byte())}, LinkFailed{Peer: peerOf(in.byte())},
				Receive{From: peerOf(in.byte()), Msg: shuffleMsg{}}, Receive{From: peerOf(in.byte()), Msg: nil},
				TimerFired{Timer: &ptGraftTimer{ids: []MessageID{idOf(in.byte())}}}, TimerFired{Timer: &ptFlushTimer{}}, nil}[in.byte()%9]
		case 11:
			ev = Receive{From: peerOf(in.byte()), Msg: graftMsg{Root: peerOf(in.byte()).Name}}
		}

		// Which deliveries would be duplicates of remembered messages. Only
		// checked when the clock has not moved since the last Step (a move
		// may legitimately expire the ID first) and has never gone
		// backwards (then IDs may expire late, and so at any later Step).
		knownBefore := make(map[MessageID]bool)
		if r, ok := ev.(Receive); ok && now.Equal(lastNow) && monotonic {
			if g, ok := r.Msg.(gossipMsg); ok {
				knownBefore[g.ID] = pt.known(g.ID)
			}
		}
		lastNow = now
		switch e := ev.(type) {
		case NeighborUp:
			if e.Peer.Name != "" && e.Peer.Name != self.Name {
				up[e.Peer.Name] = true
			}
		case NeighborDown:
			delete(up, e.Peer.Name)
		}

		pt.Step(now, ev)
		if verbose {
			t.Logf("t=%v %#v", now.Sub(ptEpoch), ev)
		}
		for _, a := range pt.Drain() {
			if verbose {
				t.Logf("    -> %#v", a)
			}
			switch a := a.(type) {
			case SetTimer:
				if a.After < 0 || a.Timer == nil {
					t.Fatalf("bad timer %+v", a)
				}
				timers = append(timers, a.Timer)
				if len(timers) > 1000 {
					timers = timers[len(timers)-1000:]
				}
			case Send:
				if a.To.Name == "" || a.To.Name == self.Name {
					t.Fatalf("send to %q", a.To.Name)
				}
				switch m := a.Msg.(type) {
				case ihaveMsg:
					if len(m.Entries) == 0 || len(m.Entries) > cfg.IHaveMaxEntries {
						t.Fatalf("IHave with %d entries", len(m.Entries))
					}
				case graftMsg:
					if len(m.IDs) > cfg.IHaveMaxEntries {
						t.Fatalf("Graft with %d ids", len(m.IDs))
					}
				case gossipMsg, pruneMsg:
				default:
					t.Fatalf("unexpected message %T", m)
				}
			case Deliver:
				if knownBefore[a.ID] {
					t.Fatalf("delivered %v, which was remembered", a.ID)
				}
			default:
				t.Fatalf("unexpected action %T", a)
			}
		}
		if err := pt.checkInvariants(); err != nil {
			t.Fatal(err)
		}
		eager, lazy := pt.eagerPeers(), pt.lazyPeers()
		for _, p := range append(eager, lazy...) {
			if !up[p.Name] {
				t.Fatalf("%s in the sets without NeighborUp", p.Name)
			}
			if ptHas(eager, p.Name) && ptHas(lazy, p.Name) {
				t.Fatalf("%s both eager and lazy", p.Name)
			}
		}
		if len(eager)+len(lazy) > cfg.MaxPeers {
			t.Fatal(fmt.Sprintf("%d peers, MaxPeers %d", len(eager)+len(lazy), cfg.MaxPeers))
		}
	}
}
