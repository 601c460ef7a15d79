package hyparlist

import (
	"testing"
	"time"
)

// FuzzHyParView decodes the fuzz input into a sequence of events for a
// small cluster (joins, crashes, leaves, restarts, time passing, link
// failures, timers, and arbitrary or malformed messages injected from
// members, outsiders, the node itself, or a nameless peer). No input may
// make a core panic or break its invariants, which the test network checks
// after every Step; after the input the network runs fault-free and the
// active views must be symmetric.
func FuzzHyParView(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 2, 0, 0, 3, 0, 3, 0, 100})
	f.Add([]byte{0, 1, 0, 0, 2, 1, 0, 3, 1, 1, 2, 0, 3, 0, 200, 4, 1, 2, 5, 1, 255, 3, 0, 50})
	f.Add([]byte{0, 1, 0, 4, 0, 6, 2, 1, 4, 0, 1, 1, 2, 255, 4, 2, 7, 7, 5, 0, 1, 6, 0, 0, 3, 2, 0})
	f.Add([]byte{0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 5, 0, 2, 0, 0, 3, 0, 255, 7, 0, 0, 0, 0, 1, 3, 0, 255})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := DefaultHyParViewConfig()
		cfg.ActiveViewSize, cfg.PassiveViewSize = 3, 5
		cfg.ShuffleActive, cfg.ShufflePassive = 2, 2
		cfg.MaxLostPeers = 3
		cfg.Seeds = []Peer{hvPeer("n0")}
		n := newHVNet(cfg, 1)
		n.maxSteps = 200_000
		names := []string{"n0", "n1", "n2", "n3", "n4", "n5", "x", ""}
		for _, name := range names[:6] {
			n.add(name)
		}
		in := hvFuzzInput{data: data}
		node := func() string { return names[in.next()%6] }
		peer := func() Peer {
			name := names[in.next()%8]
			if name == "" {
				return Peer{}
			}
			return hvPeer(name)
		}
		for in.more() && n.err == nil {
			switch in.next() % 9 {
			case 0:
				n.do(node(), JoinCluster{Contact: peer()})
			case 1:
				if a := node(); len(n.alive()) > 2 {
					n.crash(a)
				}
			case 2:
				if a := node(); len(n.alive()) > 2 && !n.nodes[a].crashed {
					n.leave(a)
				}
			case 3:
				n.advance(time.Duration(in.next()) * 100 * time.Millisecond)
			case 4:
				to, from := node(), peer()
				n.step(to, Receive{From: from, Msg: hvFuzzMessage(&in, peer)})
				n.deliver()
			case 5:
				n.do(node(), LinkFailed{Peer: peer()})
			case 6:
				n.do(node(), TimerFired{Timer: hvFuzzTimer(&in, peer)})
			case 7:
				if a := node(); n.nodes[a].crashed {
					n.restart(a)
				}
			case 8:
				evs := []Event{NeighborUp{Peer: peer()}, NeighborDown{Peer: peer()},
					BroadcastPayload{Payload: []byte("x")}, nil, Start{}, TimerFired{}}
				n.do(node(), evs[int(in.next())%len(evs)])
			}
		}
		n.advance(3 * cfg.RejoinInterval)
		if n.err != nil {
			t.Fatal(n.err)
		}
		if bad := n.asymmetric(); len(bad) > 0 {
			t.Fatalf("asymmetric active views after quiescence: %v\n%s", bad, n.views())
		}
	})
}

// hvFuzzInput hands out the fuzz bytes one at a time, then zeros.
type hvFuzzInput struct {
	data []byte
	pos  int
}

func (in *hvFuzzInput) more() bool { return in.pos < len(in.data) }

func (in *hvFuzzInput) next() byte {
	if in.pos >= len(in.data) {
		return 0
	}
	in.pos++
	return in.data[in.pos-1]
}

func hvFuzzMessage(in *hvFuzzInput, peer func() Peer) Message {
	peers := func() []Peer {
		k := int(in.next()) * 40 // up to 10,200 entries: must be truncated
		ps := make([]Peer, k)
		for i := range ps {
			ps[i] = peer()
		}
		return ps
	}
	switch in.next() % 12 {
	case 0:
		return joinMsg{}
	case 1:
		return forwardJoinMsg{Joiner: peer(), TTL: in.next()}
	case 2:
		return neighborMsg{HighPriority: in.next()%2 == 0}
	case 3:
		return neighborReplyMsg{Accepted: in.next()%2 == 0}
	case 4:
		return disconnectMsg{Alive: in.next()%2 == 0}
	case 5:
		return shuffleMsg{Origin: peer(), TTL: in.next(), Peers: peers()}
	case 6:
		return shuffleReplyMsg{Peers: peers()}
	case 7:
		return keepaliveMsg{}
	case 8:
		return &forwardJoinMsg{Joiner: peer(), TTL: in.next()}
	case 9:
		return (*shuffleMsg)(nil)
	case 10:
		return gossipMsg{Payload: []byte("not for HyParView")}
	}
	return nil
}

func hvFuzzTimer(in *hvFuzzInput, peer func() Peer) Timer {
	switch in.next() % 6 {
	case 0:
		return shuffleTimer{}
	case 1:
		return keepaliveTimer{}
	case 2:
		return rejoinTimer{}
	case 3:
		return lostPeerTimer{}
	case 4:
		return neighborTimeout{name: peer().Name, id: uint64(in.next())}
	}
	return nil
}
