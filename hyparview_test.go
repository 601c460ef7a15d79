package hyparlist

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// hvCore returns a core called self whose views are preset (passive
// entries last seen at the epoch). It has not been given Start.
func hvCore(t testing.TB, cfg HyParViewConfig, self string, active, passive []string) *HyParView {
	t.Helper()
	h, err := NewHyParView(hvPeer(self), cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range active {
		h.active = append(h.active, hvPeer(n))
	}
	for _, n := range passive {
		h.passive.entries = append(h.passive.entries, passiveEntry{peer: hvPeer(n)})
	}
	h.setClock(hvEpoch)
	if err := checkHyParView(h); err != nil {
		t.Fatalf("preset views: %v", err)
	}
	return h
}

// hvStep steps h at epoch+at and returns its formatted actions.
func hvStep(t testing.TB, h *HyParView, at time.Duration, ev Event) []string {
	t.Helper()
	h.Step(hvEpoch.Add(at), ev)
	got := hvFormatActions(h.Drain())
	if err := checkHyParView(h); err != nil {
		t.Fatalf("after %s: %v", hvFormatEvent(ev), err)
	}
	return got
}

func hvRecv(from string, m Message) Receive { return Receive{From: hvPeer(from), Msg: m} }

func hvNames(names ...string) []string { return names }

// hvCase is one handler test: preset views, one event, the exact actions
// and the resulting (sorted) views.
type hvCase struct {
	name        string
	cfg         func(*HyParViewConfig)
	active      []string
	passive     []string
	ev          Event
	want        []string
	wantActive  []string
	wantPassive []string
}

func runHVCases(t *testing.T, cases []hvCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultHyParViewConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			h := hvCore(t, cfg, "self", tc.active, tc.passive)
			got := hvStep(t, h, time.Second, tc.ev)
			if !slices.Equal(got, tc.want) {
				t.Errorf("actions:\n got %q\nwant %q", got, tc.want)
			}
			if a := hvSortedNames(h.ActiveView()); !slices.Equal(a, tc.wantActive) && len(a)+len(tc.wantActive) > 0 {
				t.Errorf("active = %v, want %v", a, tc.wantActive)
			}
			if p := hvSortedNames(h.PassiveView()); !slices.Equal(p, tc.wantPassive) && len(p)+len(tc.wantPassive) > 0 {
				t.Errorf("passive = %v, want %v", p, tc.wantPassive)
			}
		})
	}
}

func TestHyParViewJoin(t *testing.T) {
	runHVCases(t, []hvCase{{
		name:   "contact with a free slot adds the joiner and forwards",
		active: hvNames("a", "b"),
		ev:     hvRecv("j", joinMsg{}),
		want: []string{"up j", "send j Neighbor high",
			"send a ForwardJoin joiner=j ttl=6", "send b ForwardJoin joiner=j ttl=6"},
		wantActive: hvNames("a", "b", "j"),
	}, {
		name:       "isolated contact adds the joiner",
		ev:         hvRecv("j", joinMsg{}),
		want:       []string{"up j", "send j Neighbor high"},
		wantActive: hvNames("j"),
	}, {
		name:   "full contact only forwards (hotspot rule)",
		active: hvNames("a", "b", "c", "d", "e"),
		ev:     hvRecv("j", joinMsg{}),
		want: []string{"send a ForwardJoin joiner=j ttl=6", "send b ForwardJoin joiner=j ttl=6",
			"send c ForwardJoin joiner=j ttl=6", "send d ForwardJoin joiner=j ttl=6",
			"send e ForwardJoin joiner=j ttl=6"},
		wantActive: hvNames("a", "b", "c", "d", "e"),
	}, {
		name:       "joiner already a neighbour (restarted, or lost the link): answered as a new joiner",
		active:     hvNames("a", "j"),
		ev:         hvRecv("j", joinMsg{}),
		want:       []string{"send j Neighbor high", "send a ForwardJoin joiner=j ttl=6"},
		wantActive: hvNames("a", "j"),
	}, {
		name:        "joiner in the passive view moves to the active view",
		passive:     hvNames("j", "p"),
		ev:          hvRecv("j", &joinMsg{}),
		want:        []string{"up j", "send j Neighbor high"},
		wantActive:  hvNames("j"),
		wantPassive: hvNames("p"),
	}, {
		name: "join from self is ignored",
		ev:   hvRecv("self", joinMsg{}),
		want: []string{},
	}})
}

func TestHyParViewJoinClusterCommand(t *testing.T) {
	h := hvCore(t, DefaultHyParViewConfig(), "self", nil, nil)
	if got := hvStep(t, h, 0, JoinCluster{Contact: hvPeer("c")}); !slices.Equal(got, []string{"send c Join"}) {
		t.Fatalf("JoinCluster: %q", got)
	}
	if h.numPassive() != 0 {
		t.Errorf("contact stored in the passive view: %v", h.PassiveView())
	}
	for _, bad := range []Peer{{}, hvPeer("self")} {
		if got := hvStep(t, h, 0, JoinCluster{Contact: bad}); len(got) != 0 {
			t.Errorf("JoinCluster(%q): %q", bad.Name, got)
		}
	}
}

func TestHyParViewForwardJoin(t *testing.T) {
	one := func(c *HyParViewConfig) { c.ActiveViewSize = 1 }
	runHVCases(t, []hvCase{{
		name:       "ttl 0 accepts",
		active:     hvNames("a", "b"),
		ev:         hvRecv("a", forwardJoinMsg{Joiner: hvPeer("j"), TTL: 0}),
		want:       []string{"up j", "send j Neighbor high"},
		wantActive: hvNames("a", "b", "j"),
	}, {
		name:       "single neighbour accepts",
		active:     hvNames("a"),
		ev:         hvRecv("a", forwardJoinMsg{Joiner: hvPeer("j"), TTL: 5}),
		want:       []string{"up j", "send j Neighbor high"},
		wantActive: hvNames("a", "j"),
	}, {
		name:        "ttl 0 on a full view evicts a random neighbour",
		cfg:         one,
		active:      hvNames("a"),
		ev:          hvRecv("a", forwardJoinMsg{Joiner: hvPeer("j"), TTL: 0}),
		want:        []string{"send a Disconnect alive", "down a", "up j", "send j Neighbor high"},
		wantActive:  hvNames("j"),
		wantPassive: hvNames("a"),
	}, {
		name:       "forwards to a neighbour other than the sender",
		active:     hvNames("a", "b"),
		ev:         hvRecv("a", forwardJoinMsg{Joiner: hvPeer("j"), TTL: 5}),
		want:       []string{"send b ForwardJoin joiner=j ttl=4"},
		wantActive: hvNames("a", "b"),
	}, {
		name:        "ttl == PRWL adds to the passive view and forwards",
		active:      hvNames("a", "b"),
		ev:          hvRecv("a", forwardJoinMsg{Joiner: hvPeer("j"), TTL: 3}),
		want:        []string{"send b ForwardJoin joiner=j ttl=2"},
		wantActive:  hvNames("a", "b"),
		wantPassive: hvNames("j"),
	}, {
		name:       "ttl above ARWL is capped",
		active:     hvNames("a", "b"),
		ev:         hvRecv("a", forwardJoinMsg{Joiner: hvPeer("j"), TTL: 255}),
		want:       []string{"send b ForwardJoin joiner=j ttl=5"},
		wantActive: hvNames("a", "b"),
	}, {
		name:       "joiner already a neighbour and nobody else to walk to: the walk ends",
		active:     hvNames("a", "x"),
		ev:         hvRecv("x", forwardJoinMsg{Joiner: hvPeer("a"), TTL: 5}),
		want:       []string{},
		wantActive: hvNames("a", "x"),
	}, {
		name:       "joiner already a neighbour: the walk goes on",
		active:     hvNames("a", "b", "j"),
		ev:         hvRecv("a", forwardJoinMsg{Joiner: hvPeer("j"), TTL: 2}),
		want:       []string{"send b ForwardJoin joiner=j ttl=1"},
		wantActive: hvNames("a", "b", "j"),
	}, {
		name:       "walk reaching the joiner itself goes on",
		active:     hvNames("a", "b"),
		ev:         hvRecv("a", forwardJoinMsg{Joiner: hvPeer("self"), TTL: 2}),
		want:       []string{"send b ForwardJoin joiner=self ttl=1"},
		wantActive: hvNames("a", "b"),
	}, {
		name:       "walk reaching the joiner with ttl 0 stops",
		active:     hvNames("a", "b"),
		ev:         hvRecv("a", forwardJoinMsg{Joiner: hvPeer("self"), TTL: 0}),
		want:       []string{},
		wantActive: hvNames("a", "b"),
	}, {
		name:   "empty joiner is ignored",
		active: hvNames("a", "b"),
		ev:     hvRecv("a", forwardJoinMsg{TTL: 0}),
		want:   []string{}, wantActive: hvNames("a", "b"),
	}})
}

func TestHyParViewNeighbor(t *testing.T) {
	one := func(c *HyParViewConfig) { c.ActiveViewSize = 1 }
	runHVCases(t, []hvCase{{
		name:       "low priority with a free slot is accepted",
		active:     hvNames("a"),
		ev:         hvRecv("n", neighborMsg{}),
		want:       []string{"up n", "send n NeighborReply accepted"},
		wantActive: hvNames("a", "n"),
	}, {
		name:   "low priority on a full view is rejected",
		cfg:    one,
		active: hvNames("a"),
		ev:     hvRecv("n", neighborMsg{}),
		// The requester is kept as a fresh passive peer and the
		// neighbours are probed (see probeActive).
		want:        []string{"send n NeighborReply rejected", "send a Keepalive"},
		wantActive:  hvNames("a"),
		wantPassive: hvNames("n"),
	}, {
		name:        "high priority on a full view evicts",
		cfg:         one,
		active:      hvNames("a"),
		passive:     hvNames("n"),
		ev:          hvRecv("n", neighborMsg{HighPriority: true}),
		want:        []string{"send a Disconnect alive", "down a", "up n", "send n NeighborReply accepted"},
		wantActive:  hvNames("n"),
		wantPassive: hvNames("a"),
	}, {
		name:       "request from a neighbour is acknowledged",
		active:     hvNames("a"),
		ev:         hvRecv("a", neighborMsg{}),
		want:       []string{"send a NeighborReply accepted"},
		wantActive: hvNames("a"),
	}, {
		name: "request from self is ignored",
		ev:   hvRecv("self", neighborMsg{HighPriority: true}),
		want: []string{},
	}, {
		name: "nil pointer message is ignored",
		ev:   hvRecv("n", (*neighborMsg)(nil)),
		want: []string{},
	}})
}

func TestHyParViewNeighborReply(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	cfg.ActiveViewSize = 2
	// self has one neighbour and asks p (its only eligible passive peer).
	h := hvCore(t, cfg, "self", hvNames("a"), hvNames("p", "q"))
	h.passive.entries[1].retryAt = time.Hour // q is backed off
	if got := hvStep(t, h, 0, LinkFailed{Peer: hvPeer("zzz")}); len(got) != 0 {
		t.Fatalf("unknown link failure: %q", got)
	}
	h.repair(repairReactive)
	if got := hvFormatActions(h.Drain()); !slices.Equal(got, []string{"send p Neighbor low", "timer neighbor-timeout p #1"}) {
		t.Fatalf("repair: %q", got)
	}
	if got := hvStep(t, h, time.Second, hvRecv("p", neighborReplyMsg{Accepted: true})); !slices.Equal(got, []string{"up p"}) {
		t.Fatalf("accepted: %q", got)
	}
	// A second, unexpected acceptance from a neighbour is a no-op.
	if got := hvStep(t, h, time.Second, hvRecv("p", neighborReplyMsg{Accepted: true})); len(got) != 0 {
		t.Fatalf("duplicate accept: %q", got)
	}
	// An acceptance from a non-neighbour with no request: it holds a link
	// we do not have, so it is told to drop it.
	if got := hvStep(t, h, time.Second, hvRecv("q", neighborReplyMsg{Accepted: true})); !slices.Equal(got, []string{"send q Disconnect alive"}) {
		t.Fatalf("stray accept: %q", got)
	}
	// A stray rejection is ignored.
	if got := hvStep(t, h, time.Second, hvRecv("q", neighborReplyMsg{})); len(got) != 0 {
		t.Fatalf("stray reject: %q", got)
	}
}

func TestHyParViewNeighborRejectTriesNext(t *testing.T) {
	h := hvCore(t, DefaultHyParViewConfig(), "self", hvNames("a", "b", "c", "d"), hvNames("p", "q"))
	h.passive.entries[1].retryAt = time.Hour // only p is eligible at first
	h.repair(repairReactive)
	h.Drain()
	h.passive.entries[h.passive.index("q")].retryAt = 0
	got := hvStep(t, h, time.Second, hvRecv("p", neighborReplyMsg{Accepted: false}))
	if !slices.Equal(got, []string{"send q Neighbor low", "timer neighbor-timeout q #2"}) {
		t.Fatalf("after reject: %q", got)
	}
	if !h.isPassive("p") || h.passive.entries[h.passive.index("p")].retryAt <= time.Second {
		t.Errorf("rejecting peer should stay in the passive view, backed off")
	}
	// The stale timeout of the first request does nothing; the current
	// one gives up and, with nobody eligible, stops.
	if got := hvStep(t, h, 2*time.Second, TimerFired{Timer: neighborTimeout{name: "p", id: 1}}); len(got) != 0 {
		t.Fatalf("stale timeout: %q", got)
	}
	if got := hvStep(t, h, 3*time.Second, TimerFired{Timer: neighborTimeout{name: "q", id: 1}}); len(got) != 0 {
		t.Fatalf("timeout with a wrong id: %q", got)
	}
	if got := hvStep(t, h, 3*time.Second, TimerFired{Timer: neighborTimeout{name: "q", id: 2}}); len(got) != 0 {
		t.Fatalf("timeout: %q", got)
	}
	if len(h.pending) != 0 {
		t.Errorf("pending = %v", h.pending)
	}
	// One shuffle period later both are eligible again (periodic top-up).
	h.repair(repairPeriodic)
	if got := hvFormatActions(h.Drain()); len(got) != 0 {
		t.Fatalf("backed-off peers asked again: %q", got)
	}
	h.Step(hvEpoch.Add(time.Minute), TimerFired{Timer: shuffleTimer{}})
	got = hvFormatActions(h.Drain())
	if !slices.ContainsFunc(got, func(s string) bool { return strings.HasSuffix(s, "Neighbor low") }) {
		t.Errorf("periodic top-up did not ask a passive peer: %q", got)
	}
}

func TestHyParViewDisconnect(t *testing.T) {
	runHVCases(t, []hvCase{{
		name:        "live neighbour moves to the passive view; repair asks another",
		active:      hvNames("a", "b"),
		passive:     hvNames("p"),
		ev:          hvRecv("a", disconnectMsg{Alive: true}),
		want:        []string{"down a", "send p Neighbor low", "timer neighbor-timeout p #1"},
		wantActive:  hvNames("b"),
		wantPassive: hvNames("a", "p"),
	}, {
		name:        "leaving neighbour is forgotten",
		active:      hvNames("a", "b"),
		ev:          hvRecv("a", disconnectMsg{Alive: false}),
		want:        []string{"down a"},
		wantActive:  hvNames("b"),
		wantPassive: nil,
	}, {
		name:        "last neighbour leaving: high-priority repair",
		active:      hvNames("a"),
		passive:     hvNames("p"),
		ev:          hvRecv("a", disconnectMsg{Alive: true}),
		want:        []string{"down a", "up p", "send p Neighbor high"},
		wantActive:  hvNames("p"),
		wantPassive: hvNames("a"),
	}, {
		name:        "leaving non-neighbour is dropped from the passive view",
		active:      hvNames("b"),
		passive:     hvNames("a"),
		ev:          hvRecv("a", disconnectMsg{Alive: false}),
		want:        []string{},
		wantActive:  hvNames("b"),
		wantPassive: nil,
	}, {
		name:        "stray live disconnect is a no-op",
		active:      hvNames("b"),
		passive:     hvNames("a"),
		ev:          hvRecv("a", disconnectMsg{Alive: true}),
		want:        []string{},
		wantActive:  hvNames("b"),
		wantPassive: hvNames("a"),
	}})
}

func TestHyParViewKeepalive(t *testing.T) {
	runHVCases(t, []hvCase{{
		name:       "from a neighbour: nothing",
		active:     hvNames("a"),
		ev:         hvRecv("a", keepaliveMsg{}),
		want:       []string{},
		wantActive: hvNames("a"),
	}, {
		name:       "from a non-neighbour: asymmetric link, disconnect",
		active:     hvNames("a"),
		ev:         hvRecv("x", keepaliveMsg{}),
		want:       []string{"send x Disconnect alive"},
		wantActive: hvNames("a"),
	}})
}

func TestHyParViewLinkFailed(t *testing.T) {
	runHVCases(t, []hvCase{{
		name:    "neighbour fails: low-priority repair",
		active:  hvNames("a", "b"),
		passive: hvNames("p"),
		ev:      LinkFailed{Peer: hvPeer("a")},
		// The other neighbours are probed (see probeActive).
		want:        []string{"down a", "send b Keepalive", "send p Neighbor low", "timer neighbor-timeout p #1"},
		wantActive:  hvNames("b"),
		wantPassive: hvNames("p"),
	}, {
		name:        "last neighbour fails: high-priority repair",
		active:      hvNames("a"),
		passive:     hvNames("p"),
		ev:          LinkFailed{Peer: hvPeer("a")},
		want:        []string{"down a", "up p", "send p Neighbor high"},
		wantActive:  hvNames("p"),
		wantPassive: nil,
	}, {
		name:        "passive peer fails: forgotten",
		active:      hvNames("a", "b", "c", "d", "e"),
		passive:     hvNames("p", "q"),
		ev:          LinkFailed{Peer: hvPeer("p")},
		want:        []string{},
		wantActive:  hvNames("a", "b", "c", "d", "e"),
		wantPassive: hvNames("q"),
	}, {
		name:   "unknown peer: nothing",
		active: hvNames("a"),
		ev:     LinkFailed{Peer: hvPeer("x")},
		want:   []string{}, wantActive: hvNames("a"),
	}})
}

func TestHyParViewRepairThroughDeadPassive(t *testing.T) {
	// An isolated node whose passive entries are dead walks through them
	// as the failed sends come back, and ends linked to the live one.
	n := newHVNet(DefaultHyParViewConfig(), 7)
	for _, name := range []string{"a", "b", "c", "d"} {
		n.add(name)
	}
	a := n.core("a")
	for _, name := range []string{"b", "c", "d"} {
		a.learn(hvPeer(name), 0, 0)
	}
	n.crash("b")
	n.crash("c")
	n.step("a", LinkFailed{Peer: hvPeer("zzz")}) // no-op
	a.repair(repairReactive)
	n.step("a", LinkFailed{Peer: hvPeer("b")})
	n.deliver()
	if n.err != nil {
		t.Fatal(n.err)
	}
	if !a.isActive("d") || !n.core("d").isActive("a") {
		t.Fatalf("a should end linked to d:\n%s", n.views())
	}
}

func TestHyParViewShuffleHandlers(t *testing.T) {
	peers := []Peer{hvPeer("o"), hvPeer("x"), hvPeer("self"), hvPeer("a")}
	runHVCases(t, []hvCase{{
		name:        "accepting node replies to the origin and integrates",
		active:      hvNames("a", "b"),
		passive:     hvNames("p"),
		ev:          hvRecv("b", shuffleMsg{Origin: hvPeer("o"), TTL: 1, Peers: peers}),
		want:        []string{"send o ShuffleReply peers=[p]"},
		wantActive:  hvNames("a", "b"),
		wantPassive: hvNames("o", "p", "x"),
	}, {
		name:       "walk is forwarded while ttl > 0, not to sender or origin",
		active:     hvNames("b", "o", "c"),
		ev:         hvRecv("b", shuffleMsg{Origin: hvPeer("o"), TTL: 3, Peers: peers}),
		want:       []string{"send c Shuffle origin=o ttl=2 peers=[o x self a]"},
		wantActive: hvNames("b", "c", "o"),
	}, {
		name:        "single neighbour accepts at once",
		active:      hvNames("b"),
		ev:          hvRecv("b", shuffleMsg{Origin: hvPeer("o"), TTL: 6, Peers: peers}),
		want:        []string{"send o ShuffleReply peers=[]"},
		wantActive:  hvNames("b"),
		wantPassive: hvNames("a", "o", "x"),
	}, {
		name:   "walk back at its origin is dropped",
		active: hvNames("b"),
		ev:     hvRecv("b", shuffleMsg{Origin: hvPeer("self"), TTL: 1, Peers: peers}),
		want:   []string{}, wantActive: hvNames("b"),
	}, {
		name:        "reply is integrated",
		active:      hvNames("b"),
		ev:          hvRecv("z", shuffleReplyMsg{Peers: []Peer{hvPeer("y"), hvPeer("b"), hvPeer("self"), {}}}),
		want:        []string{},
		wantActive:  hvNames("b"),
		wantPassive: hvNames("y"),
	}})
}

func TestHyParViewShuffleTruncatesHugeLists(t *testing.T) {
	distinct := make([]Peer, 5000)
	for i := range distinct {
		distinct[i] = Peer{Name: fmt.Sprint("n", i)}
	}
	huge := make([]Peer, 1_000_000)
	for i := range huge {
		huge[i] = distinct[i%len(distinct)]
	}
	cfg := DefaultHyParViewConfig()
	h := hvCore(t, cfg, "self", hvNames("b"), nil)
	got := hvStep(t, h, 0, hvRecv("b", shuffleMsg{Origin: hvPeer("o"), TTL: 1, Peers: huge}))
	if len(got) != 1 || !strings.HasPrefix(got[0], "send o ShuffleReply") {
		t.Fatalf("actions: %q", got)
	}
	if max := 1 + cfg.ShuffleActive + cfg.ShufflePassive; h.numPassive() > max {
		t.Errorf("integrated %d entries from one shuffle, want at most %d", h.numPassive(), max)
	}
	hvStep(t, h, 0, hvRecv("x", shuffleReplyMsg{Peers: huge}))
	if h.numPassive() > 2*(1+cfg.ShuffleActive+cfg.ShufflePassive) {
		t.Errorf("integrated too many entries from a reply: %d", h.numPassive())
	}
}

func TestHyParViewShuffleTimer(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	h := hvCore(t, cfg, "self", hvNames("a", "b", "c", "d", "e"), hvNames("p1", "p2", "p3", "p4", "p5", "p6"))
	h.Step(hvEpoch, TimerFired{Timer: shuffleTimer{}})
	var sh *shuffleMsg
	var target Peer
	timers := 0
	for _, a := range h.Drain() {
		switch a := a.(type) {
		case Send:
			if m, ok := a.Msg.(shuffleMsg); ok {
				sh, target = &m, a.To
			}
		case SetTimer:
			if _, ok := a.Timer.(shuffleTimer); ok {
				timers++
				if a.After < cfg.ShuffleInterval*9/10 || a.After > cfg.ShuffleInterval*11/10 {
					t.Errorf("re-armed after %v, want within 10%% of %v", a.After, cfg.ShuffleInterval)
				}
			}
		}
	}
	if sh == nil || timers != 1 {
		t.Fatalf("want one Shuffle and one re-arm, got shuffle=%v timers=%d", sh, timers)
	}
	if sh.Origin.Name != "self" || sh.TTL != cfg.ShuffleTTL || len(sh.Peers) != 1+cfg.ShuffleActive+cfg.ShufflePassive {
		t.Fatalf("shuffle = %+v", *sh)
	}
	if sh.Peers[0].Name != "self" || !h.isActive(target.Name) {
		t.Errorf("shuffle must start with self and go to a neighbour: %+v to %s", *sh, target.Name)
	}
	for _, p := range sh.Peers[1 : 1+cfg.ShuffleActive] {
		if !h.isActive(p.Name) || p.Name == target.Name {
			t.Errorf("active sample holds %s", p.Name)
		}
	}
	for _, p := range sh.Peers[1+cfg.ShuffleActive:] {
		if !h.isPassive(p.Name) {
			t.Errorf("passive sample holds %s", p.Name)
		}
	}
	marked := 0
	for _, e := range h.passive.entries {
		if e.mark == h.lastShuffle {
			marked++
		}
	}
	if marked != cfg.ShufflePassive {
		t.Errorf("%d passive entries remembered as sent, want %d", marked, cfg.ShufflePassive)
	}
	// The reply evicts what was sent first: the four passive entries sent
	// make room for four new ones, and the two unsent entries stay.
	h.passive.max = 6
	var unsent []string
	for _, e := range h.passive.entries {
		if e.mark != h.lastShuffle {
			unsent = append(unsent, e.peer.Name)
		}
	}
	reply := []Peer{hvPeer("r1"), hvPeer("r2"), hvPeer("r3"), hvPeer("r4")}
	hvStep(t, h, time.Second, hvRecv("z", shuffleReplyMsg{Peers: reply}))
	for _, name := range append(unsent, "r1", "r2", "r3", "r4") {
		if !h.isPassive(name) {
			t.Errorf("%s missing from passive view %v", name, hvSortedNames(h.PassiveView()))
		}
	}
	// Isolated: no shuffle, only the re-arm.
	h2 := hvCore(t, cfg, "self", nil, nil)
	if got := hvStep(t, h2, 0, TimerFired{Timer: shuffleTimer{}}); !slices.Equal(got, []string{"timer shuffle"}) {
		t.Errorf("isolated shuffle timer: %q", got)
	}
}

func TestHyParViewStartAndKeepalive(t *testing.T) {
	h := hvCore(t, DefaultHyParViewConfig(), "self", hvNames("a", "b"), nil)
	want := []string{"timer shuffle", "timer keepalive", "timer rejoin", "timer lost-peer"}
	if got := hvStep(t, h, 0, Start{}); !slices.Equal(got, want) {
		t.Fatalf("Start: %q, want %q", got, want)
	}
	if got := hvStep(t, h, 0, Start{}); len(got) != 0 {
		t.Fatalf("second Start re-armed timers: %q", got)
	}
	got := hvStep(t, h, time.Second, TimerFired{Timer: keepaliveTimer{}})
	if !slices.Equal(got, []string{"timer keepalive", "send a Keepalive", "send b Keepalive"}) {
		t.Fatalf("keepalive: %q", got)
	}
	cfg := DefaultHyParViewConfig()
	cfg.KeepaliveInterval = 0
	cfg.RejoinInterval = 0
	cfg.LostPeerRetryInterval = 0
	h2 := hvCore(t, cfg, "self", nil, nil)
	if got := hvStep(t, h2, 0, Start{}); !slices.Equal(got, []string{"timer shuffle"}) {
		t.Fatalf("Start with timers off: %q", got)
	}
}

func TestHyParViewTimerJitter(t *testing.T) {
	h := hvCore(t, DefaultHyParViewConfig(), "self", nil, nil)
	seen := map[time.Duration]bool{}
	for range 50 {
		h.Step(hvEpoch, TimerFired{Timer: keepaliveTimer{}})
		for _, a := range h.Drain() {
			if st, ok := a.(SetTimer); ok {
				seen[st.After] = true
				if st.After < 1800*time.Millisecond || st.After > 2200*time.Millisecond {
					t.Fatalf("keepalive re-armed after %v", st.After)
				}
			}
		}
	}
	if len(seen) < 40 {
		t.Errorf("only %d distinct periods in 50: no jitter?", len(seen))
	}
}

func TestHyParViewLeave(t *testing.T) {
	h := hvCore(t, DefaultHyParViewConfig(), "self", hvNames("a", "b"), hvNames("p"))
	got := hvStep(t, h, 0, leaveCluster{})
	want := []string{"send a Disconnect leaving", "down a", "send b Disconnect leaving", "down b"}
	if !slices.Equal(got, want) {
		t.Fatalf("leave: %q, want %q", got, want)
	}
	for _, ev := range []Event{Start{}, hvRecv("x", joinMsg{}), hvRecv("x", keepaliveMsg{}), TimerFired{Timer: shuffleTimer{}},
		JoinCluster{Contact: hvPeer("c")}, LinkFailed{Peer: hvPeer("a")}} {
		if got := hvStep(t, h, time.Second, ev); len(got) != 0 {
			t.Errorf("after leave, %s produced %q", hvFormatEvent(ev), got)
		}
	}
	if h.numActive() != 0 {
		t.Errorf("active view after leave: %v", h.ActiveView())
	}
}

func TestHyParViewRejoin(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	cfg.Seeds = []Peer{hvPeer("s1"), hvPeer("self"), hvPeer("s2")}
	h := hvCore(t, cfg, "self", nil, nil)
	hvStep(t, h, 0, Start{})
	hvStep(t, h, 0, JoinCluster{Contact: hvPeer("c")})
	var joins []string
	for i := 1; i <= 6; i++ {
		for _, a := range hvStep(t, h, time.Duration(i)*cfg.RejoinInterval, TimerFired{Timer: rejoinTimer{}}) {
			if strings.HasSuffix(a, " Join") {
				joins = append(joins, a)
			}
		}
	}
	want := []string{"send s1 Join", "send s2 Join", "send c Join", "send s1 Join", "send s2 Join", "send c Join"}
	if !slices.Equal(joins, want) {
		t.Fatalf("rejoins: %q, want %q", joins, want)
	}
	// Too early, or with a neighbour: no rejoin.
	h2 := hvCore(t, cfg, "self", nil, nil)
	hvStep(t, h2, 0, Start{})
	if got := hvStep(t, h2, cfg.RejoinInterval/2, TimerFired{Timer: rejoinTimer{}}); slices.Contains(got, "send s1 Join") {
		t.Errorf("rejoined before RejoinInterval: %q", got)
	}
	h3 := hvCore(t, cfg, "self", hvNames("a"), nil)
	if got := hvStep(t, h3, time.Hour, TimerFired{Timer: rejoinTimer{}}); !slices.Equal(got, []string{"timer rejoin"}) {
		t.Errorf("rejoined with a neighbour: %q", got)
	}
	// Isolated with passive entries: repair instead of rejoin.
	h4 := hvCore(t, cfg, "self", nil, hvNames("p"))
	if got := hvStep(t, h4, time.Hour, TimerFired{Timer: rejoinTimer{}}); !slices.Equal(got, []string{"timer rejoin", "up p", "send p Neighbor high"}) {
		t.Errorf("isolated with passive: %q", got)
	}
}

func TestHyParViewRejoinSkipsDeadSeed(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	cfg.Seeds = []Peer{hvPeer("s1"), hvPeer("s2")}
	h := hvCore(t, cfg, "self", nil, nil)
	hvStep(t, h, 0, Start{})
	got := hvStep(t, h, cfg.RejoinInterval, TimerFired{Timer: rejoinTimer{}})
	if !slices.Equal(got, []string{"timer rejoin", "send s1 Join"}) {
		t.Fatalf("rejoin: %q", got)
	}
	// s1 is down: s2 is tried at once; when it is down too, the round
	// (no JoinCluster contact) is over.
	if got := hvStep(t, h, cfg.RejoinInterval, LinkFailed{Peer: hvPeer("s1")}); !slices.Equal(got, []string{"send s2 Join"}) {
		t.Fatalf("after s1 failed: %q", got)
	}
	if got := hvStep(t, h, cfg.RejoinInterval, LinkFailed{Peer: hvPeer("s2")}); len(got) != 0 {
		t.Fatalf("after s2 failed: %q", got)
	}
}

func TestHyParViewNoEvictionLoop(t *testing.T) {
	// Four leaves know only one hub with two slots. With the paper's
	// rules alone every evicted leaf is isolated and asks the hub back at
	// once with high priority, which evicts the next leaf, forever. The
	// back-off ends that loop; shuffles then teach the leaves about each
	// other and the overlay settles.
	cfg := DefaultHyParViewConfig()
	cfg.ActiveViewSize, cfg.ShuffleActive = 2, 1
	n := newHVNet(cfg, 3)
	n.maxSteps = 100_000
	for _, name := range []string{"hub", "l1", "l2", "l3", "l4"} {
		n.add(name)
	}
	for _, leaf := range []string{"l1", "l2", "l3", "l4"} {
		n.do("hub", JoinCluster{Contact: hvPeer(leaf)})
	}
	n.advance(10 * cfg.ShuffleInterval)
	requireHealthy(t, n, "star")
}

func TestHyParViewLostPeers(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	cfg.MaxLostPeers = 2
	h := hvCore(t, cfg, "self", hvNames("a", "b", "c", "d", "e"), nil)
	for _, name := range []string{"a", "b", "c"} {
		hvStep(t, h, 0, LinkFailed{Peer: hvPeer(name)})
	}
	if len(h.lost) != 2 || h.lost[0].peer.Name != "b" || h.lost[1].peer.Name != "c" {
		t.Fatalf("lost = %+v, want the two newest", h.lost)
	}
	retry := func(at time.Duration) string {
		t.Helper()
		got := hvStep(t, h, at, TimerFired{Timer: lostPeerTimer{}})
		if len(got) != 3 || got[0] != "timer lost-peer" || !strings.HasSuffix(got[1], "Neighbor low") {
			t.Fatalf("retry: %q", got)
		}
		return strings.Fields(got[1])[1]
	}
	// The first rejection proves the peer alive: one link is forced.
	first := retry(cfg.LostPeerRetryInterval)
	got := hvStep(t, h, cfg.LostPeerRetryInterval, hvRecv(first, neighborReplyMsg{}))
	if want := []string{"up " + first, "send " + first + " Neighbor high"}; !slices.Equal(got, want) {
		t.Fatalf("first rejection: %q, want %q", got, want)
	}
	// A second rejection within LostPeerTTL only keeps the peer as a
	// backup in the passive view.
	second := retry(2 * cfg.LostPeerRetryInterval)
	if got := hvStep(t, h, 2*cfg.LostPeerRetryInterval, hvRecv(second, neighborReplyMsg{})); len(got) != 0 {
		t.Fatalf("second rejection: %q", got)
	}
	if !h.isPassive(second) || len(h.lost) != 0 {
		t.Fatalf("after rejection: passive %v lost %+v", h.PassiveView(), h.lost)
	}
	// Lost entries expire after LostPeerTTL.
	hvStep(t, h, time.Hour, LinkFailed{Peer: hvPeer("d")})
	got = hvStep(t, h, time.Hour+cfg.LostPeerTTL, TimerFired{Timer: lostPeerTimer{}})
	if !slices.Equal(got, []string{"timer lost-peer"}) || len(h.lost) != 0 {
		t.Fatalf("expiry: %q lost %+v", got, h.lost)
	}
	// Isolated: the retry is high priority.
	h2 := hvCore(t, cfg, "self", hvNames("a"), nil)
	hvStep(t, h2, 0, LinkFailed{Peer: hvPeer("a")})
	got = hvStep(t, h2, time.Second, TimerFired{Timer: lostPeerTimer{}})
	if !slices.Equal(got, []string{"timer lost-peer", "up a", "send a Neighbor high"}) {
		t.Fatalf("isolated retry: %q", got)
	}
}

func TestHyParViewPassiveAging(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	cfg.PassiveViewSize = 3
	h := hvCore(t, cfg, "self", hvNames("a"), nil)
	h.learn(hvPeer("old"), -time.Hour, 0)
	h.learn(hvPeer("mid"), -time.Minute, 0)
	h.learn(hvPeer("new"), 0, 0)
	h.learn(hvPeer("newer"), time.Second, 0)
	if h.isPassive("old") || !h.isPassive("mid") {
		t.Fatalf("eviction should drop the stalest: %v", h.PassiveView())
	}
	// Hearsay does not refresh an entry; direct contact does.
	hvStep(t, h, time.Hour, hvRecv("z", shuffleReplyMsg{Peers: []Peer{hvPeer("mid")}}))
	if e := h.passive.entries[h.passive.index("mid")]; e.seen != -time.Minute {
		t.Errorf("hearsay refreshed mid to %v", e.seen)
	}
	hvStep(t, h, time.Hour, hvRecv("mid", keepaliveMsg{}))
	if e := h.passive.entries[h.passive.index("mid")]; e.seen != time.Hour {
		t.Errorf("direct contact left mid at %v", e.seen)
	}
	// Repairs prefer fresh entries: with one fresh and one stale entry,
	// the fresher of two picks is the fresh one 3 times in 4.
	v := newPassiveView(2, true)
	v.insert(hvPeer("stale"), 0, 0, h.rng)
	v.insert(hvPeer("fresh"), time.Hour, 0, h.rng)
	rng := rand.New(rand.NewPCG(3, 4))
	fresh := 0
	const draws = 4000
	for range draws {
		i, _ := v.candidate(0, true, true, nil, rng, nil)
		if v.entries[i].peer.Name == "fresh" {
			fresh++
		}
	}
	if f := float64(fresh) / draws; f < 0.7 || f > 0.8 {
		t.Errorf("fresh entry chosen %.2f of the time, want about 0.75", f)
	}
}

func TestHyParViewConfigValidate(t *testing.T) {
	if err := DefaultHyParViewConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	cases := []struct {
		field string
		mut   func(*HyParViewConfig)
	}{
		{"ActiveViewSize", func(c *HyParViewConfig) { c.ActiveViewSize = 0 }},
		{"ActiveViewSize", func(c *HyParViewConfig) { c.ActiveViewSize = 1000 }},
		{"PassiveViewSize", func(c *HyParViewConfig) { c.PassiveViewSize = 0 }},
		{"PassiveRandomWalkLength", func(c *HyParViewConfig) { c.PassiveRandomWalkLength = 7 }},
		{"ShuffleActive", func(c *HyParViewConfig) { c.ShuffleActive = 65 }},
		{"ShufflePassive", func(c *HyParViewConfig) { c.ShufflePassive = -1 }},
		{"ShuffleInterval", func(c *HyParViewConfig) { c.ShuffleInterval = 0 }},
		{"KeepaliveInterval", func(c *HyParViewConfig) { c.KeepaliveInterval = -1 }},
		{"NeighborRequestTimeout", func(c *HyParViewConfig) { c.NeighborRequestTimeout = 0 }},
		{"RejoinInterval", func(c *HyParViewConfig) { c.RejoinInterval = -time.Second }},
		{"LostPeerRetryInterval", func(c *HyParViewConfig) { c.LostPeerRetryInterval = -time.Second }},
		{"MaxLostPeers", func(c *HyParViewConfig) { c.MaxLostPeers = -1 }},
		{"LostPeerTTL", func(c *HyParViewConfig) { c.LostPeerTTL = 0 }},
		{"Seeds[1]", func(c *HyParViewConfig) { c.Seeds = []Peer{hvPeer("s"), {Addr: "x:1"}} }},
	}
	for _, tc := range cases {
		cfg := DefaultHyParViewConfig()
		tc.mut(&cfg)
		before := fmt.Sprint(cfg)
		err := cfg.Validate()
		if !errors.Is(err, errInvalidHyParViewConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: err = %v", tc.field, err)
		}
		if fmt.Sprint(cfg) != before {
			t.Errorf("%s: Validate mutated the config", tc.field)
		}
		if _, err := NewHyParView(hvPeer("a"), cfg, rand.New(rand.NewPCG(1, 1))); !errors.Is(err, errInvalidHyParViewConfig) {
			t.Errorf("%s: NewHyParView err = %v", tc.field, err)
		}
	}
	if _, err := NewHyParView(Peer{}, DefaultHyParViewConfig(), rand.New(rand.NewPCG(1, 1))); !errors.Is(err, errInvalidHyParViewArgument) {
		t.Errorf("empty self: %v", err)
	}
	if _, err := NewHyParView(hvPeer("a"), DefaultHyParViewConfig(), nil); !errors.Is(err, errInvalidHyParViewArgument) {
		t.Errorf("nil rng: %v", err)
	}
	// The core keeps its own copy of Seeds.
	cfg := DefaultHyParViewConfig()
	cfg.Seeds = []Peer{hvPeer("s")}
	h, err := NewHyParView(hvPeer("a"), cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seeds[0] = hvPeer("changed")
	if h.cfg.Seeds[0].Name != "s" {
		t.Errorf("core shares the caller's Seeds slice")
	}
}

func TestHyParViewInspection(t *testing.T) {
	h := hvCore(t, DefaultHyParViewConfig(), "self", hvNames("a", "b"), hvNames("p"))
	if h.selfPeer().Name != "self" || h.numActive() != 2 || h.numPassive() != 1 || !h.isActive("a") || h.isActive("p") || !h.isPassive("p") {
		t.Fatalf("inspection mismatch")
	}
	av := h.ActiveView()
	av[0] = hvPeer("mutated")
	pv := h.PassiveView()
	pv[0] = hvPeer("mutated")
	if h.isActive("mutated") || h.isPassive("mutated") {
		t.Errorf("views are not copies")
	}
}
