package hyparlist

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// Unit tests of the Plumtree handlers, one core at a time.

// ptHarness drives one core on a virtual clock.
type ptHarness struct {
	t   *testing.T
	pt  *Plumtree
	now time.Duration
}

func newPtHarness(t *testing.T, cfg PlumtreeConfig, neighbours ...string) *ptHarness {
	t.Helper()
	pt, err := NewPlumtree(Peer{Name: "me", Addr: "me:1"}, cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	h := &ptHarness{t: t, pt: pt}
	h.step(Start{})
	for _, n := range neighbours {
		h.step(NeighborUp{Peer: ptTestPeer(n)})
	}
	return h
}

func ptTestPeer(name string) Peer { return Peer{Name: name, Addr: name + ":1"} }

// step feeds ev and returns a copy of the actions, after checking the
// core's invariants.
func (h *ptHarness) step(ev Event) []Action {
	h.t.Helper()
	h.pt.Step(ptEpoch.Add(h.now), ev)
	out := slices.Clone(h.pt.Drain())
	if err := h.pt.checkInvariants(); err != nil {
		h.t.Fatalf("after %T: %v", ev, err)
	}
	return out
}

func (h *ptHarness) recv(from string, m Message) []Action {
	h.t.Helper()
	return h.step(Receive{From: ptTestPeer(from), Msg: m})
}

func (h *ptHarness) sets() string {
	return "eager=" + fmtPeers(h.pt.eagerPeers()) + " lazy=" + fmtPeers(h.pt.lazyPeers())
}

// fmtActions renders actions compactly for comparisons.
func fmtActions(acts []Action) []string {
	var out []string
	for _, a := range acts {
		switch a := a.(type) {
		case Send:
			out = append(out, fmt.Sprintf("send %s %s", a.To.Name, fmtPtMsg(a.Msg)))
		case SetTimer:
			out = append(out, fmt.Sprintf("timer %v %v", a.After, a.Timer))
		case Deliver:
			out = append(out, fmt.Sprintf("deliver %s/%d %q from %s hops %d", a.ID.Origin, a.ID.Seq, a.Payload, a.From.Name, a.Hops))
		default:
			out = append(out, fmt.Sprintf("%T", a))
		}
	}
	return out
}

func fmtPtMsg(m Message) string {
	switch m := m.(type) {
	case gossipMsg:
		return fmt.Sprintf("gossip %s/%d r%d %q", m.ID.Origin, m.ID.Seq, m.Round, m.Payload)
	case ihaveMsg:
		var parts []string
		for _, e := range m.Entries {
			parts = append(parts, fmt.Sprintf("%s/%d@%d", e.ID.Origin, e.ID.Seq, e.Round))
		}
		return "ihave [" + strings.Join(parts, " ") + "]"
	case graftMsg:
		var parts []string
		for _, id := range m.IDs {
			parts = append(parts, fmt.Sprintf("%s/%d", id.Origin, id.Seq))
		}
		return "graft" + ptTreeSuffix(m.Root, m.Shared) + " [" + strings.Join(parts, " ") + "]"
	case pruneMsg:
		return "prune" + ptTreeSuffix(m.Root, m.Shared)
	}
	return fmt.Sprintf("%T", m)
}

// ptTreeSuffix formats the tree of a PRUNE or GRAFT for traces: "(root)",
// "(shared root)" for the shared tree, or nothing for a message without
// either.
func ptTreeSuffix(root string, shared bool) string {
	if shared {
		return "(shared " + root + ")"
	}
	return ptRootSuffix(root)
}

// ptRootSuffix formats the tree root of a PRUNE or GRAFT for traces:
// "(root)", or nothing for a message without one.
func ptRootSuffix(root string) string {
	if root == "" {
		return ""
	}
	return "(" + root + ")"
}

func wantActions(t *testing.T, what string, got []Action, want ...string) {
	t.Helper()
	g := fmtActions(got)
	if !reflect.DeepEqual(g, want) && !(len(g) == 0 && len(want) == 0) {
		t.Fatalf("%s: actions\n  got  %q\n  want %q", what, g, want)
	}
}

func wantSets(t *testing.T, h *ptHarness, want string) {
	t.Helper()
	if got := h.sets(); got != want {
		t.Fatalf("sets: got %s, want %s", got, want)
	}
}

func gossipOf(origin string, seq uint64, round uint16, payload string) gossipMsg {
	return gossipMsg{ID: MessageID{Origin: origin, Seq: seq}, Class: ClassUser, Round: round, Payload: []byte(payload)}
}

func ihaveOf(origin string, round uint16, seqs ...uint64) ihaveMsg {
	var ih ihaveMsg
	for _, s := range seqs {
		ih.Entries = append(ih.Entries, ihaveEntry{ID: MessageID{Origin: origin, Seq: s}, Round: round})
	}
	return ih
}

// timerOf returns the only timer among acts.
func timerOf(t *testing.T, acts []Action) Timer {
	t.Helper()
	var found Timer
	for _, a := range acts {
		if st, ok := a.(SetTimer); ok {
			if found != nil {
				t.Fatalf("more than one timer in %q", fmtActions(acts))
			}
			found = st.Timer
		}
	}
	if found == nil {
		t.Fatalf("no timer in %q", fmtActions(acts))
	}
	return found
}

func TestPlumtreeConfigValidate(t *testing.T) {
	if err := DefaultPlumtreeConfig().Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	cases := []struct {
		field string
		mut   func(*PlumtreeConfig)
	}{
		{"GraftTimeout1", func(c *PlumtreeConfig) { c.GraftTimeout1 = 0 }},
		{"GraftTimeout2", func(c *PlumtreeConfig) { c.GraftTimeout2 = -time.Second }},
		{"IHaveInterval", func(c *PlumtreeConfig) { c.IHaveInterval = -1 }},
		{"IHaveMaxEntries", func(c *PlumtreeConfig) { c.IHaveMaxEntries = 0 }},
		{"CacheTTL", func(c *PlumtreeConfig) { c.CacheTTL = 0 }},
		{"CacheMaxBytes", func(c *PlumtreeConfig) { c.CacheMaxBytes = -5 }},
		{"SeenTTL", func(c *PlumtreeConfig) { c.SeenTTL = c.CacheTTL - 1 }},
		{"MembershipCacheTTL", func(c *PlumtreeConfig) { c.MembershipCacheTTL = 0 }},
		{"MembershipSeenTTL", func(c *PlumtreeConfig) { c.MembershipSeenTTL = c.MembershipCacheTTL - 1 }},
		{"SeenMaxEntries", func(c *PlumtreeConfig) { c.SeenMaxEntries = 0 }},
		{"MissingMax", func(c *PlumtreeConfig) { c.MissingMax = 0 }},
		{"MissingMaxAnnouncers", func(c *PlumtreeConfig) { c.MissingMaxAnnouncers = 0 }},
		{"NeighborUpAnnounce", func(c *PlumtreeConfig) { c.NeighborUpAnnounce = -1 }},
		{"MaxPeers", func(c *PlumtreeConfig) { c.MaxPeers = 0 }},
		{"TreeIdle", func(c *PlumtreeConfig) { c.TreeIdle = -time.Second }},
	}
	for _, tc := range cases {
		c := DefaultPlumtreeConfig()
		tc.mut(&c)
		before := c
		err := c.Validate()
		if !errors.Is(err, errInvalidPlumtreeConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: Validate() = %v, want ErrInvalidPlumtreeConfig naming the field", tc.field, err)
		}
		if c != before {
			t.Errorf("%s: Validate modified the config", tc.field)
		}
	}
	// Zero is allowed where documented.
	c := DefaultPlumtreeConfig()
	c.IHaveInterval, c.OptimizationThreshold, c.NeighborUpAnnounce, c.TreeIdle = 0, 0, 0, 0
	if err := c.Validate(); err != nil {
		t.Fatalf("zero IHaveInterval/OptimizationThreshold/NeighborUpAnnounce/TreeIdle rejected: %v", err)
	}
}

func TestNewPlumtreeErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	if _, err := NewPlumtree(Peer{}, DefaultPlumtreeConfig(), rng); !errors.Is(err, errInvalidPlumtreeArgument) {
		t.Errorf("empty self name: err = %v, want ErrInvalidPlumtreeArgument", err)
	}
	if _, err := NewPlumtree(ptTestPeer("a"), DefaultPlumtreeConfig(), nil); !errors.Is(err, errInvalidPlumtreeArgument) {
		t.Errorf("nil rng: err = %v, want ErrInvalidPlumtreeArgument", err)
	}
	bad := DefaultPlumtreeConfig()
	bad.CacheTTL = 0
	if _, err := NewPlumtree(ptTestPeer("a"), bad, rng); !errors.Is(err, errInvalidPlumtreeConfig) {
		t.Errorf("invalid config: err = %v, want ErrInvalidPlumtreeConfig", err)
	}
	pt, err := NewPlumtree(ptTestPeer("a"), DefaultPlumtreeConfig(), rng)
	if err != nil || pt.selfPeer() != ptTestPeer("a") {
		t.Fatalf("NewPlumtree = %v, %v", pt, err)
	}
}

func TestPlumtreeBroadcast(t *testing.T) {
	h := newPtHarness(t, DefaultPlumtreeConfig(), "b", "c")
	h.recv("c", pruneMsg{})
	wantSets(t, h, "eager=[b] lazy=[c]")

	acts := h.step(BroadcastPayload{Class: ClassMembership, Payload: []byte("x")})
	seq := h.pt.nextSeq - 1
	wantActions(t, "broadcast", acts,
		fmt.Sprintf("deliver me/%d \"x\" from me hops 0", seq),
		fmt.Sprintf("send b gossip me/%d r0 \"x\"", seq),
		"timer 5ms plumtree-ihave-flush")
	if d := acts[0].(Deliver); d.Class != ClassMembership || d.From != h.pt.selfPeer() {
		t.Fatalf("deliver = %+v", d)
	}
	if g := acts[1].(Send).Msg.(gossipMsg); g.Class != ClassMembership {
		t.Fatalf("gossip class = %v", g.Class)
	}

	// A second broadcast in the same window: consecutive sequence, no
	// second flush timer.
	acts = h.step(BroadcastPayload{Payload: []byte("y")})
	wantActions(t, "second broadcast", acts,
		fmt.Sprintf("deliver me/%d \"y\" from me hops 0", seq+1),
		fmt.Sprintf("send b gossip me/%d r0 \"y\"", seq+1))

	h.now += 5 * time.Millisecond
	acts = h.step(TimerFired{Timer: h.pt.flushTimer})
	wantActions(t, "flush", acts, fmt.Sprintf("send c ihave [me/%d@0 me/%d@0]", seq, seq+1))
	// A second firing of the same timer is stale.
	wantActions(t, "stale flush", h.step(TimerFired{Timer: h.pt.flushTimer}))

	// Our own message coming back is a duplicate: prune.
	acts = h.recv("b", gossipOf("me", seq, 3, "x"))
	wantActions(t, "own message back", acts, "send b prune(me)")
	wantSets(t, h, "eager=[] lazy=[b c]")
}

func TestPlumtreeSequenceFromRNG(t *testing.T) {
	seqOf := func(seed uint64) uint64 {
		pt, err := NewPlumtree(ptTestPeer("a"), DefaultPlumtreeConfig(), rand.New(rand.NewPCG(seed, 0)))
		if err != nil {
			t.Fatal(err)
		}
		pt.Step(ptEpoch, BroadcastPayload{})
		return pt.Drain()[0].(Deliver).ID.Seq
	}
	if seqOf(1) == seqOf(2) {
		t.Fatal("two incarnations with different seeds start at the same sequence")
	}
	if seqOf(1) != seqOf(1) {
		t.Fatal("same seed, different sequence")
	}
	if seqOf(3)>>63 != 0 {
		t.Fatal("sequence starts in the top half: no room to count up")
	}
}

func TestPlumtreeReceiveGossipNew(t *testing.T) {
	h := newPtHarness(t, DefaultPlumtreeConfig(), "a", "b", "c", "d")
	h.recv("a", pruneMsg{})
	h.recv("d", pruneMsg{})
	wantSets(t, h, "eager=[b c] lazy=[a d]")

	// From eager b: deliver, push to c only, announce to a and d.
	acts := h.recv("b", gossipOf("o", 7, 2, "p"))
	wantActions(t, "new gossip", acts,
		"deliver o/7 \"p\" from b hops 3",
		"timer 5ms plumtree-ihave-flush", // queued for a, first in name order
		"send c gossip o/7 r3 \"p\"")
	h.now += 5 * time.Millisecond
	wantActions(t, "flush", h.step(TimerFired{Timer: h.pt.flushTimer}),
		"send a ihave [o/7@3]", "send d ihave [o/7@3]")

	// From lazy a: the push crossed our PRUNE. Not in the paper: a stays
	// lazy and is pruned again, so both ends end up lazy.
	acts = h.recv("a", gossipOf("o", 8, 0, "q"))
	wantActions(t, "new gossip from lazy peer", acts,
		"deliver o/8 \"q\" from a hops 1",
		"send b gossip o/8 r1 \"q\"",
		"send c gossip o/8 r1 \"q\"",
		"timer 5ms plumtree-ihave-flush",
		"send a prune(o)")
	wantSets(t, h, "eager=[b c] lazy=[a d]")
}

func TestPlumtreeReceiveGossipDuplicate(t *testing.T) {
	h := newPtHarness(t, DefaultPlumtreeConfig(), "a", "b")
	h.recv("a", gossipOf("o", 1, 0, "p"))
	acts := h.recv("b", gossipOf("o", 1, 0, "p"))
	wantActions(t, "duplicate", acts, "send b prune(o)")
	wantSets(t, h, "eager=[a] lazy=[b]")
	// A duplicate from a lazy peer is pruned again (paper: always).
	wantActions(t, "duplicate from lazy", h.recv("b", gossipOf("o", 1, 0, "p")), "send b prune(o)")
	if n := h.pt.seen.len(); n != 1 {
		t.Fatalf("seen holds %d ids, want 1", n)
	}
}

func TestPlumtreeNonNeighbourMessages(t *testing.T) {
	h := newPtHarness(t, DefaultPlumtreeConfig(), "a")
	// A payload from a stranger is delivered and forwarded; no set change.
	acts := h.recv("x", gossipOf("o", 1, 0, "p"))
	wantActions(t, "gossip from stranger", acts,
		"deliver o/1 \"p\" from x hops 1", "send a gossip o/1 r1 \"p\"")
	// Its duplicate is not pruned, its prune and graft change nothing,
	// its graft is answered.
	wantActions(t, "duplicate from stranger", h.recv("x", gossipOf("o", 1, 0, "p")))
	wantActions(t, "prune from stranger", h.recv("x", pruneMsg{}))
	wantActions(t, "graft from stranger", h.recv("x", graftMsg{IDs: []MessageID{{Origin: "o", Seq: 1}}}),
		"send x gossip o/1 r1 \"p\"")
	wantSets(t, h, "eager=[a] lazy=[]")
	// Its announcement is recorded, but a stranger is never grafted: the
	// message is grafted from a neighbour instead, and the link becomes
	// eager.
	acts = h.recv("x", ihaveOf("o", 0, 2))
	tm := timerOf(t, acts)
	h.recv("a", pruneMsg{})
	h.now += 250 * time.Millisecond
	wantActions(t, "graft timer, stranger only", h.step(TimerFired{Timer: tm}),
		"send a graft [o/2]", "timer 40ms plumtree-graft2[o/2]")
	wantSets(t, h, "eager=[a] lazy=[]")
}

func TestPlumtreeGraftTimerChain(t *testing.T) {
	h := newPtHarness(t, DefaultPlumtreeConfig(), "a", "b", "c")
	for _, n := range []string{"a", "b", "c"} {
		h.recv(n, pruneMsg{})
	}
	acts := h.recv("b", ihaveOf("o", 4, 1))
	wantActions(t, "first ihave", acts, "timer 250ms plumtree-graft1[o/1]")
	t1 := timerOf(t, acts)
	// Further announcers join the same timer chain.
	wantActions(t, "second ihave", h.recv("c", ihaveOf("o", 5, 1)))
	wantActions(t, "repeated ihave", h.recv("b", ihaveOf("o", 4, 1)))

	h.now += 250 * time.Millisecond
	acts = h.step(TimerFired{Timer: t1})
	wantActions(t, "timer 1", acts, "send b graft [o/1]", "timer 40ms plumtree-graft2[o/1]")
	wantSets(t, h, "eager=[b] lazy=[a c]")
	t2 := timerOf(t, acts)
	// The first timer again is stale.
	wantActions(t, "stale timer 1", h.step(TimerFired{Timer: t1}))

	h.now += 40 * time.Millisecond
	acts = h.step(TimerFired{Timer: t2})
	wantActions(t, "timer 2", acts, "send c graft [o/1]", "timer 40ms plumtree-graft2[o/1]")
	wantSets(t, h, "eager=[b c] lazy=[a]")
	t3 := timerOf(t, acts)

	// Each announcer was grafted once: they are grafted again in turn,
	// waiting twice as long after each round.
	h.now += 40 * time.Millisecond
	acts = h.step(TimerFired{Timer: t3})
	wantActions(t, "second round", acts, "send b graft [o/1]", "timer 80ms plumtree-graft2[o/1]")
	h.now += 80 * time.Millisecond
	acts = h.step(TimerFired{Timer: timerOf(t, acts)})
	wantActions(t, "second round, next announcer", acts, "send c graft [o/1]", "timer 80ms plumtree-graft2[o/1]")
	// A further announcement joins the chain without a new timer.
	wantActions(t, "re-announced", h.recv("a", ihaveOf("o", 4, 1)))
	h.now += 80 * time.Millisecond
	acts = h.step(TimerFired{Timer: timerOf(t, acts)})
	wantActions(t, "rotation over three", acts, "send c graft [o/1]", "timer 80ms plumtree-graft2[o/1]")
	h.now += 80 * time.Millisecond
	wantActions(t, "new announcer grafted", h.step(TimerFired{Timer: timerOf(t, acts)}),
		"send a graft [o/1]", "timer 80ms plumtree-graft2[o/1]")
}

// TestPlumtreeMissingKeptUntilCacheTTL checks that a missing message whose
// GRAFTs go unanswered (an overloaded link) is grafted again, from the
// other neighbours once its announcer is gone, with a doubling wait capped
// at 2^(graftBackoffSteps-1) × GraftTimeout2, and forgotten CacheTTL after
// its first announcement.
func TestPlumtreeMissingKeptUntilCacheTTL(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	h := newPtHarness(t, cfg, "a", "b")
	h.recv("a", pruneMsg{})
	h.recv("b", pruneMsg{})
	acts := h.recv("a", ihaveOf("o", 1, 1))
	start := h.now
	h.now += cfg.GraftTimeout1
	acts = h.step(TimerFired{Timer: timerOf(t, acts)})
	wantActions(t, "first graft", acts, "send a graft [o/1]", "timer 40ms plumtree-graft2[o/1]")
	// The announcer's link fails with the GRAFT answer queued on it.
	h.step(NeighborDown{Peer: ptTestPeer("a")})
	grafts := 0
	longest := time.Duration(0)
	for i := 0; i < 1000; i++ {
		var tm Timer
		for _, a := range acts {
			if st, ok := a.(SetTimer); ok {
				tm = st.Timer
				longest = max(longest, st.After)
				h.now += st.After
			}
		}
		if tm == nil {
			break
		}
		acts = h.step(TimerFired{Timer: tm})
		for _, a := range acts {
			if s, ok := a.(Send); ok {
				if _, ok := s.Msg.(graftMsg); !ok || s.To.Name != "b" {
					t.Fatalf("unexpected action %v", a)
				}
				grafts++
			}
		}
	}
	if len(h.pt.missing.m) != 0 {
		t.Fatalf("missing table not emptied after CacheTTL: %v", h.pt.missing.m)
	}
	if elapsed := h.now - start; elapsed < cfg.CacheTTL {
		t.Fatalf("message forgotten after %v, before CacheTTL %v", elapsed, cfg.CacheTTL)
	}
	if want := cfg.GraftTimeout2 << (graftBackoffSteps - 1); longest != want {
		t.Fatalf("longest wait %v, want %v", longest, want)
	}
	if grafts < 2 {
		t.Fatalf("%d grafts from the other neighbour, want several", grafts)
	}
	// The payload still arrives in time: delivered, nothing left missing.
	h2 := newPtHarness(t, cfg, "a", "b")
	acts = h2.recv("a", ihaveOf("o", 1, 1))
	h2.now += cfg.GraftTimeout1
	acts = h2.step(TimerFired{Timer: timerOf(t, acts)})
	h2.step(NeighborDown{Peer: ptTestPeer("a")})
	h2.now += cfg.GraftTimeout2
	wantActions(t, "graft from b", h2.step(TimerFired{Timer: timerOf(t, acts)}),
		"send b graft [o/1]", "timer 80ms plumtree-graft2[o/1]")
	h2.recv("b", gossipOf("o", 1, 1, "p"))
	if len(h2.pt.missing.m) != 0 {
		t.Fatalf("delivered message still missing")
	}
}

func TestPlumtreePayloadCancelsGraft(t *testing.T) {
	h := newPtHarness(t, DefaultPlumtreeConfig(), "a", "b")
	h.recv("b", pruneMsg{})
	tm := timerOf(t, h.recv("b", ihaveOf("o", 1, 1)))
	h.recv("a", gossipOf("o", 1, 0, "p"))
	h.now += 250 * time.Millisecond
	wantActions(t, "timer after payload", h.step(TimerFired{Timer: tm}))
	// An IHAVE for a delivered message records nothing.
	wantActions(t, "ihave after payload", h.recv("b", ihaveOf("o", 1, 1)))
	if len(h.pt.missing.m) != 0 {
		t.Fatal("delivered message recorded as missing")
	}
}

func TestPlumtreeGraftBatchedPerPeer(t *testing.T) {
	h := newPtHarness(t, DefaultPlumtreeConfig(), "a", "b")
	h.recv("a", pruneMsg{})
	h.recv("b", pruneMsg{})
	acts := h.recv("a", ihaveOf("o", 1, 1, 2, 3))
	wantActions(t, "ihave", acts, "timer 250ms plumtree-graft1[o/1 o/2 o/3]")
	tm := timerOf(t, acts)
	h.recv("b", ihaveOf("o", 1, 2))
	h.recv("a", gossipOf("o", 3, 0, "p3")) // o/3 arrives: not grafted
	h.now += 250 * time.Millisecond
	acts = h.step(TimerFired{Timer: tm})
	wantActions(t, "batched graft", acts, "send a graft [o/1 o/2]", "timer 40ms plumtree-graft2[o/1 o/2]")
	tm = timerOf(t, acts)
	h.now += 40 * time.Millisecond
	wantActions(t, "second graft", h.step(TimerFired{Timer: tm}),
		"send a graft [o/1]", "send b graft [o/2]", "timer 40ms plumtree-graft2[o/2]", "timer 80ms plumtree-graft2[o/1]")
}

func TestPlumtreeGraftChunkedByIHaveMaxEntries(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	cfg.IHaveMaxEntries = 2
	h := newPtHarness(t, cfg, "a")
	tm := timerOf(t, h.recv("a", ihaveOf("o", 1, 1, 2, 3)))
	h.now += 250 * time.Millisecond
	wantActions(t, "chunked graft", h.step(TimerFired{Timer: tm}),
		"send a graft [o/1 o/2]", "send a graft [o/3]", "timer 40ms plumtree-graft2[o/1 o/2 o/3]")
}

func TestPlumtreeReceiveGraft(t *testing.T) {
	h := newPtHarness(t, DefaultPlumtreeConfig(), "a", "b")
	h.recv("a", gossipOf("o", 1, 2, "p"))
	h.recv("b", pruneMsg{})
	wantSets(t, h, "eager=[a] lazy=[b]")
	acts := h.recv("b", graftMsg{IDs: []MessageID{{Origin: "o", Seq: 1}, {Origin: "o", Seq: 99}}})
	// Lazy → eager is acknowledged (not in the paper).
	wantActions(t, "graft", acts, "send b graft(o) []", "send b gossip o/1 r3 \"p\"")
	wantSets(t, h, "eager=[a b] lazy=[]")
	wantActions(t, "graft from eager peer", h.recv("b", graftMsg{}))
	h.recv("b", pruneMsg{})
	wantActions(t, "empty graft", h.recv("b", graftMsg{}), "send b graft []")
	wantSets(t, h, "eager=[a b] lazy=[]")
}

func TestPlumtreeReceivePrune(t *testing.T) {
	h := newPtHarness(t, DefaultPlumtreeConfig(), "a", "b")
	wantActions(t, "prune", h.recv("a", pruneMsg{}))
	wantSets(t, h, "eager=[b] lazy=[a]")
	wantActions(t, "prune again", h.recv("a", pruneMsg{}))
	wantSets(t, h, "eager=[b] lazy=[a]")
}

func TestPlumtreeNeighborUpDown(t *testing.T) {
	h := newPtHarness(t, DefaultPlumtreeConfig())
	// No cache yet: no announcement.
	wantActions(t, "first neighbour", h.step(NeighborUp{Peer: ptTestPeer("b")}))
	h.recv("b", gossipOf("o", 1, 0, "p1"))
	h.recv("b", gossipOf("o", 2, 1, "p2"))
	// A new neighbour is eager and is told of the recent messages.
	acts := h.step(NeighborUp{Peer: ptTestPeer("a")})
	wantActions(t, "new neighbour", acts, "send a ihave [o/1@1 o/2@2]")
	wantSets(t, h, "eager=[a b] lazy=[]")
	// NeighborUp of a lazy neighbour makes it eager again.
	h.recv("a", pruneMsg{})
	h.step(NeighborUp{Peer: Peer{Name: "a", Addr: "a:2"}})
	wantSets(t, h, "eager=[a b] lazy=[]")
	if got := h.pt.eagerPeers()[0].Addr; got != "a:2" {
		t.Fatalf("address not updated: %s", got)
	}
	// Self and empty names are ignored.
	h.step(NeighborUp{Peer: h.pt.selfPeer()})
	h.step(NeighborUp{Peer: Peer{}})
	wantSets(t, h, "eager=[a b] lazy=[]")

	// Down: removed, queued announcements dropped, announcements forgotten.
	h.recv("a", pruneMsg{})
	h.recv("b", gossipOf("o", 3, 0, "p3")) // queues an IHAVE for lazy a
	tm := timerOf(t, h.recv("a", ihaveOf("x", 0, 1)))
	h.step(NeighborDown{Peer: ptTestPeer("a")})
	wantSets(t, h, "eager=[b] lazy=[]")
	h.now += 5 * time.Millisecond
	wantActions(t, "flush after down", h.step(TimerFired{Timer: h.pt.flushTimer}))
	// The announcer is gone: the message is grafted from the neighbour
	// left (not in the paper, see graftTimerFired).
	h.now += 250 * time.Millisecond
	wantActions(t, "graft after down", h.step(TimerFired{Timer: tm}), "send b graft [x/1]", "timer 40ms plumtree-graft2[x/1]")
	wantActions(t, "down of a stranger", h.step(NeighborDown{Peer: ptTestPeer("zz")}))
}

func TestPlumtreeMaxPeers(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	cfg.MaxPeers = 2
	h := newPtHarness(t, cfg, "a", "b", "c")
	wantSets(t, h, "eager=[a b] lazy=[]")
}

func TestPlumtreeNeighborUpAnnounceBounded(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	cfg.NeighborUpAnnounce = 3
	cfg.IHaveMaxEntries = 2
	h := newPtHarness(t, cfg, "b")
	for i := range uint64(5) {
		h.recv("b", gossipOf("o", i, 0, "p"))
	}
	wantActions(t, "announce", h.step(NeighborUp{Peer: ptTestPeer("a")}),
		"send a ihave [o/2@1 o/3@1]", "send a ihave [o/4@1]")
	cfg.NeighborUpAnnounce = 0
	h = newPtHarness(t, cfg, "b")
	h.recv("b", gossipOf("o", 1, 0, "p"))
	wantActions(t, "announce disabled", h.step(NeighborUp{Peer: ptTestPeer("a")}))
}

func TestPlumtreeIHaveQueueFullSendsAtOnce(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	cfg.IHaveMaxEntries = 2
	h := newPtHarness(t, cfg, "a", "b")
	h.recv("b", pruneMsg{})
	acts := h.recv("a", gossipOf("o", 1, 0, "p"))
	wantActions(t, "first", acts, "deliver o/1 \"p\" from a hops 1", "timer 5ms plumtree-ihave-flush")
	acts = h.recv("a", gossipOf("o", 2, 0, "p"))
	wantActions(t, "queue full", acts, "deliver o/2 \"p\" from a hops 1", "send b ihave [o/1@1 o/2@1]")
	h.now += 5 * time.Millisecond
	wantActions(t, "flush of empty queue", h.step(TimerFired{Timer: h.pt.flushTimer}))
}

func TestPlumtreeIHaveIntervalZero(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	cfg.IHaveInterval = 0
	h := newPtHarness(t, cfg, "a", "b")
	h.recv("b", pruneMsg{})
	wantActions(t, "immediate", h.recv("a", gossipOf("o", 1, 0, "p")),
		"deliver o/1 \"p\" from a hops 1", "send b ihave [o/1@1]")
}

func TestPlumtreeOptimizationOnPayload(t *testing.T) {
	cfg := DefaultPlumtreeConfig() // threshold 7
	h := newPtHarness(t, cfg, "p", "y", "z")
	h.recv("y", pruneMsg{})
	h.recv("z", pruneMsg{})
	h.recv("y", ihaveOf("o", 2, 1))
	h.recv("z", ihaveOf("o", 1, 1))
	// Payload at round 8 via p: z's round 1 is 7 hops shorter → swap.
	acts := h.recv("p", gossipOf("o", 1, 8, "m"))
	got := fmtActions(acts)
	want := []string{"send z graft(o) []", "send p prune(o)"}
	if !reflect.DeepEqual(got[len(got)-2:], want) {
		t.Fatalf("optimisation: got %q, want it to end with %q", got, want)
	}
	wantSets(t, h, "eager=[z] lazy=[p y]")

	// 6 hops shorter: below the threshold, nothing changes.
	h = newPtHarness(t, cfg, "p", "y")
	h.recv("y", pruneMsg{})
	h.recv("y", ihaveOf("o", 2, 1))
	for _, a := range fmtActions(h.recv("p", gossipOf("o", 1, 8, "m"))) {
		if strings.Contains(a, "prune") || strings.Contains(a, "graft") {
			t.Fatalf("optimised below threshold: %s", a)
		}
	}
	wantSets(t, h, "eager=[p] lazy=[y]")
}

func TestPlumtreeOptimizationOnLateIHave(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	cfg.OptimizationThreshold = 2
	h := newPtHarness(t, cfg, "p", "y")
	h.recv("y", pruneMsg{})
	h.recv("p", gossipOf("o", 1, 3, "m")) // received at round 3
	// Announced at round 2: 1 hop shorter, below threshold.
	wantActions(t, "1 hop shorter", h.recv("y", ihaveOf("o", 2, 1)))
	// Announced at round 1: 2 hops shorter → graft y, prune p.
	wantActions(t, "2 hops shorter", h.recv("y", ihaveOf("o", 1, 1)), "send y graft(o) []", "send p prune(o)")
	wantSets(t, h, "eager=[y] lazy=[p]")
	// Once swapped, further announcements change nothing.
	wantActions(t, "after swap", h.recv("y", ihaveOf("o", 0, 1)))

	// Disabled with threshold 0; never for our own broadcasts.
	cfg.OptimizationThreshold = 0
	h = newPtHarness(t, cfg, "p", "y")
	h.recv("y", pruneMsg{})
	h.recv("p", gossipOf("o", 1, 30, "m"))
	wantActions(t, "disabled", h.recv("y", ihaveOf("o", 0, 1)))
	cfg.OptimizationThreshold = 2
	h = newPtHarness(t, cfg, "p", "y")
	h.recv("y", pruneMsg{})
	h.step(BroadcastPayload{Payload: []byte("own")})
	seq := h.pt.nextSeq - 1
	wantActions(t, "own broadcast", h.recv("y", ihaveOf("me", 0, seq)))
}

func TestPlumtreeCacheAndSeenExpiry(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	h := newPtHarness(t, cfg, "a", "b")
	h.recv("a", gossipOf("o", 1, 0, "p"))
	id := []MessageID{{Origin: "o", Seq: 1}}

	h.now += cfg.CacheTTL - time.Millisecond
	wantActions(t, "graft before TTL", h.recv("b", graftMsg{IDs: id}), "send b gossip o/1 r1 \"p\"")
	h.now += time.Millisecond
	wantActions(t, "graft at TTL", h.recv("b", graftMsg{IDs: id}))
	if h.pt.cache.len() != 0 {
		t.Fatal("cache not expired")
	}
	// Still a duplicate while the ID is remembered.
	wantActions(t, "duplicate after cache TTL", h.recv("a", gossipOf("o", 1, 0, "p")), "send a prune(o)")
	h.now = cfg.SeenTTL
	acts := h.recv("b", gossipOf("o", 1, 0, "p"))
	if len(acts) == 0 || !strings.HasPrefix(fmtActions(acts)[0], "deliver") {
		t.Fatalf("after SeenTTL the message is new again (documented), got %q", fmtActions(acts))
	}
}

func TestPlumtreeCacheMaxBytes(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	entry := 100 + len("o") + ptCacheEntryOverhead
	cfg.CacheMaxBytes = 2 * entry
	h := newPtHarness(t, cfg, "a", "b")
	payload := strings.Repeat("x", 100)
	for i := range uint64(3) {
		h.recv("a", gossipOf("o", i, 0, payload))
	}
	if c, _ := h.pt.cached(MessageID{Origin: "o", Seq: 0}); h.pt.cache.len() != 2 || c != nil {
		t.Fatalf("cache should hold the 2 newest entries, holds %d (o/0 cached: %v)", h.pt.cache.len(), c != nil)
	}
	// Too large for the whole cache: delivered and forwarded, not cached.
	acts := h.recv("a", gossipOf("o", 9, 0, strings.Repeat("y", 3*entry)))
	if c, _ := h.pt.cached(MessageID{Origin: "o", Seq: 9}); len(acts) < 2 || c != nil || h.pt.cache.len() != 2 {
		t.Fatalf("oversized payload: actions %d, cache %d", len(acts), h.pt.cache.len())
	}
	// ... but remembered as seen.
	wantActions(t, "oversized duplicate", h.recv("a", gossipOf("o", 9, 0, "")), "send a prune(o)")
}

func TestPlumtreeSeenMaxEntries(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	cfg.SeenMaxEntries = 20
	h := newPtHarness(t, cfg, "a")
	for i := range uint64(50) {
		h.recv("a", gossipOf("o", i, 0, "p"))
	}
	if n := h.pt.seen.len(); n != 20 {
		t.Fatalf("seen holds %d ids, want 20", n)
	}
	if !h.pt.seen.has(MessageID{Origin: "o", Seq: 49}) || h.pt.seen.has(MessageID{Origin: "o", Seq: 29}) {
		t.Fatal("seen set did not forget the oldest first")
	}
	// A message forgotten early leaves the cache too (the harness checks
	// that every cached message is seen).
	if n := h.pt.cache.len(); n != 20 {
		t.Fatalf("cache holds %d messages, want the 20 seen ones", n)
	}
}

func TestPlumtreeMissingBounds(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	cfg.MissingMax = 2
	cfg.MissingMaxAnnouncers = 2
	h := newPtHarness(t, cfg, "a", "b", "c")
	// a is eager (a new neighbour): its IHAVE is waited on GraftTimeout2.
	acts := h.recv("a", ihaveOf("o", 0, 1, 2, 3))
	wantActions(t, "bounded ihave", acts, "timer 40ms plumtree-graft1[o/1 o/2]")
	tm := timerOf(t, acts)
	h.recv("b", ihaveOf("o", 0, 1))
	h.recv("c", ihaveOf("o", 0, 1)) // third announcer: ignored
	if n := len(h.pt.missing.m[MessageID{Origin: "o", Seq: 1}].announcers); n != 2 {
		t.Fatalf("%d announcers, want 2", n)
	}
	h.now += 40 * time.Millisecond
	tm = timerOf(t, h.step(TimerFired{Timer: tm}))
	h.now += 40 * time.Millisecond
	acts = h.step(TimerFired{Timer: tm})
	wantActions(t, "second announcer", acts, "send b graft [o/1]", "send a graft [o/2]",
		"timer 40ms plumtree-graft2[o/1]", "timer 80ms plumtree-graft2[o/2]")
}

func TestPlumtreeIgnoresForeignInput(t *testing.T) {
	h := newPtHarness(t, DefaultPlumtreeConfig(), "a")
	other := newPtHarness(t, DefaultPlumtreeConfig(), "a")
	foreignGraft := timerOf(t, other.recv("a", ihaveOf("o", 0, 1)))
	h.recv("a", ihaveOf("o", 0, 1))
	before := h.sets()
	for _, ev := range []Event{
		Receive{From: ptTestPeer("a"), Msg: joinMsg{}},
		Receive{From: ptTestPeer("a"), Msg: shuffleMsg{}},
		Receive{From: ptTestPeer("a"), Msg: keepaliveMsg{}},
		Receive{From: ptTestPeer("a"), Msg: nil},
		Receive{From: ptTestPeer("a"), Msg: &gossipMsg{}},
		Receive{From: h.pt.selfPeer(), Msg: gossipOf("o", 5, 0, "loop")},
		Receive{From: Peer{}, Msg: gossipOf("o", 5, 0, "anon")},
		LinkFailed{Peer: ptTestPeer("a")},
		JoinCluster{Contact: ptTestPeer("a")},
		leaveCluster{},
		TimerFired{Timer: nil},
		TimerFired{Timer: foreignGraft},
		TimerFired{Timer: &ptFlushTimer{}},
		nil,
	} {
		wantActions(t, fmt.Sprintf("%#v", ev), h.step(ev))
	}
	if h.sets() != before {
		t.Fatal("foreign input changed the sets")
	}
}

func TestPlumtreeDrain(t *testing.T) {
	h := newPtHarness(t, DefaultPlumtreeConfig(), "a")
	h.pt.Step(ptEpoch, BroadcastPayload{Payload: []byte("1")})
	h.pt.Step(ptEpoch, BroadcastPayload{Payload: []byte("2")})
	if n := len(h.pt.Drain()); n != 4 {
		t.Fatalf("Drain after two steps returned %d actions, want 4", n)
	}
	if n := len(h.pt.Drain()); n != 0 {
		t.Fatalf("second Drain returned %d actions", n)
	}
}

func TestPlumtreeTimeGoingBackwards(t *testing.T) {
	h := newPtHarness(t, DefaultPlumtreeConfig(), "a")
	h.now = time.Hour
	h.recv("a", gossipOf("o", 1, 0, "p"))
	h.now = 0
	h.recv("a", gossipOf("o", 2, 0, "p"))
	h.now = -time.Hour
	wantActions(t, "duplicate in the past", h.recv("a", gossipOf("o", 1, 0, "p")), "send a prune(o)")
	// Extreme times saturate instead of overflowing.
	h.pt.Step(time.Time{}, Receive{From: ptTestPeer("a"), Msg: gossipOf("o", 3, 0, "p")})
	h.pt.Step(time.Unix(1<<62, 0), Receive{From: ptTestPeer("a"), Msg: gossipOf("o", 4, 0, "p")})
	if err := h.pt.checkInvariants(); err != nil {
		t.Fatal(err)
	}
}

// TestPlumtreeGraftWaitByAnnouncer checks that an IHAVE from a lazy
// neighbour waits GraftTimeout1 and one from an eager neighbour (the cache
// replay of a new link) waits GraftTimeout2.
func TestPlumtreeGraftWaitByAnnouncer(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	h := newPtHarness(t, cfg, "a", "b")
	h.recv("b", pruneMsg{})
	wantActions(t, "lazy announcer", h.recv("b", ihaveOf("o", 3, 1)),
		fmt.Sprintf("timer %v plumtree-graft1[o/1]", cfg.GraftTimeout1))
	wantActions(t, "eager announcer", h.recv("a", ihaveOf("o", 3, 2)),
		fmt.Sprintf("timer %v plumtree-graft1[o/2]", cfg.GraftTimeout2))
}
