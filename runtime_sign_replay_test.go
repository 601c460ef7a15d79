// Tests of replayed signed broadcasts: the per-origin window of sequence
// numbers, a replay after SeenTTL, and restarts with the same key.

package hyparlist

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"math/bits"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestSeqWindow checks the window against a model that remembers every
// number: in random orders with jumps, a number is admitted once if it is
// within originWindowBits of the highest admitted so far, never twice, and
// refused as too old below that.
func TestSeqWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range 200 {
		var w seqWindow
		seen := map[uint64]bool{}
		var top uint64
		base := rng.Uint64() >> 2
		for i := range 2000 {
			var seq uint64
			switch r := rng.IntN(10); {
			case r < 6 || i == 0:
				seq = base + uint64(i) + uint64(rng.IntN(8))
			case r < 8:
				seq = base + uint64(rng.IntN(i+1))
			default:
				base += uint64(rng.IntN(3 * originWindowBits))
				seq = base + uint64(i)
			}
			if rng.IntN(2) == 0 {
				seq |= ptSharedBit // the shared tree's bit is not part of the number
			}
			n := seq &^ ptSharedBit
			want := windowAdmitted
			switch {
			case i > 0 && n+originWindowBits <= top:
				want = windowTooOld
			case seen[n]:
				want = windowReplay
			}
			if got := w.admit(seq, 0, false); got != want {
				t.Fatalf("run %d step %d: admit(%d) = %d, want %d (top %d)", run, i, n, got, want, top)
			}
			if want == windowAdmitted {
				seen[n] = true
				top = max(top, n)
			}
		}
		inWindow := 0
		for n := range seen {
			if n+originWindowBits > top {
				inWindow++
			}
		}
		if got := w.admitted(); got != inWindow {
			t.Fatalf("run %d: window holds %d, want %d", run, got, inWindow)
		}
	}
}

// captureSigned wraps node's signer so that every broadcast it signs from
// now on is recorded as the GOSSIP that carries it.
func captureSigned(t *testing.T, node *Memberlist) func() []gossipMsg {
	var mu sync.Mutex
	var got []gossipMsg
	onLoop(t, node, func(l *runLoop) {
		key := node.signKey
		l.pt.setSigner(func(id MessageID, class Class, payload []byte) []byte {
			sig := signBroadcast(key, id, class, payload)
			mu.Lock()
			got = append(got, gossipMsg{ID: id, Class: class, Payload: payload, Sig: sig})
			mu.Unlock()
			return sig
		})
	})
	return func() []gossipMsg {
		mu.Lock()
		defer mu.Unlock()
		return append([]gossipMsg(nil), got...)
	}
}

// capturedOf returns the broadcast of payload among captured's.
func capturedOf(t *testing.T, captured func() []gossipMsg, payload string) gossipMsg {
	t.Helper()
	for _, g := range captured() {
		if string(g.Payload) == payload {
			return g
		}
	}
	t.Fatalf("the broadcast %q was not captured", payload)
	return gossipMsg{}
}

// TestRuntimeReplayAfterSeenTTL: a signed broadcast captured on the wire
// and sent again by a node with a stream once every node has forgotten its
// ID (SeenTTL) is refused and counted (reason replay), and so is a
// message of its origin more than originWindowBits below its newest
// (reason seq_too_old); the sender's own next broadcast is delivered. Before
// the window, the replay was delivered a second time on every node.
func TestRuntimeReplayAfterSeenTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := joinedClusterWithSink(t, 3, verifyUser, sink)
		origin := c.nodes[1].ml
		captured := captureSigned(t, origin)
		if err := origin.Broadcast([]byte("real")); err != nil {
			t.Fatal(err)
		}
		others := []*testNode{c.nodes[0], c.nodes[2]}
		for _, n := range others {
			waitDeliveredOnce(t, n.rec, [][]byte{[]byte("real")})
		}
		real := capturedOf(t, captured, "real")

		var seenTTL time.Duration
		onLoop(t, c.nodes[0].ml, func(l *runLoop) { seenTTL = l.pt.cfg.SeenTTL })
		time.Sleep(seenTTL + time.Minute)
		synctest.Wait()

		conn := forgerStream(t, c, c.nodes[0].ml)
		_, key, _ := ed25519.GenerateKey(nil)
		lim := defaultWireLimits()
		// A capture of a message older than the window: signed by the
		// origin's own key (the test holds it), so that only its number
		// is wrong.
		old := signedGossip(origin.signKey, real.ID.Origin, real.ID.Seq-originWindowBits-1, ClassUser, []byte("older-than-window"))
		marker := signedGossip(key, "forger", 1, ClassUser, []byte("marker"))
		for _, g := range []gossipMsg{real, old, marker} {
			if err := writeMessageFrame(conn, g, lim); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, time.Minute, "the forger's own broadcast delivered everywhere", func() bool {
			return len(deliveredAnywhere(c, []byte("marker"))) == 3
		})
		time.Sleep(time.Second)
		synctest.Wait()
		for _, n := range others {
			if got := n.rec.count([]byte("real")); got != 1 {
				t.Errorf("%s delivered the broadcast %d times, want once", n.rec.name, got)
			}
		}
		if got := deliveredAnywhere(c, []byte("older-than-window")); len(got) != 0 {
			t.Errorf("the message older than the window delivered at %v", got)
		}
		for reason, want := range map[string]float64{refusedReplay: 1, refusedSeqTooOld: 1} {
			if got := counterSum(sink, "hyparlist.msg.refused;reason="+reason); got != want {
				t.Errorf("refused for %s: %v, want %v", reason, got, want)
			}
		}
		// The origin's next broadcast still comes through.
		if err := origin.Broadcast([]byte("next")); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Minute, "the origin's next broadcast delivered", func() bool {
			return len(deliveredAnywhere(c, []byte("next"))) == 2
		})
	})
}

// TestRuntimeRestartSameKeyWindow: a node that keeps its key is restarted
// four times; each run's broadcast is delivered by both other nodes,
// which hold its name bound (and its window) throughout. The runs start
// their sequence numbers at their clock, so each is above the last. With
// NewPlumtree's random starting point instead, a run starting below its
// predecessor is refused as seq_too_old by both for as long as the key
// stays bound (a pass then has a chance of 1 in 5! = 120).
func TestRuntimeRestartSameKeyWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		_, key, _ := ed25519.GenerateKey(nil)
		tweak := func(conf *Config) {
			conf.VerifyUserBroadcasts = true
			if conf.Name == "node-02" {
				conf.SigningKey = key
			}
		}
		c := newMockClusterWithSink(t, 3, tweak, sink)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, 3) })
		node := c.nodes[2].ml
		for run := range 5 {
			p := []byte(fmt.Sprintf("run-%d", run))
			eventually(t, time.Minute, "a broadcast of run "+fmt.Sprint(run)+" delivered by both others", func() bool {
				if c.nodes[0].rec.count(p) == 0 || c.nodes[1].rec.count(p) == 0 {
					if err := node.Broadcast(p); err != nil {
						t.Fatal(err)
					}
					time.Sleep(time.Second)
					synctest.Wait()
				}
				return c.nodes[0].rec.count(p) > 0 && c.nodes[1].rec.count(p) > 0
			})
			if run == 4 {
				break
			}
			addr := node.LocalNode().Address()
			if err := node.Shutdown(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			rec := &recorder{name: "node-02"}
			conf := mockConfig("node-02", tweak)
			conf.Transport = restartTransport(c.net, "node-02", addr)
			conf.Delegate, conf.Events = rec, rec
			n2, err := create(conf, sink)
			if err != nil {
				t.Fatal(err)
			}
			defer n2.Shutdown() // a no-op for the runs shut down above
			node = n2
			if _, err := node.Join([]string{c.nodes[0].ml.LocalNode().Address()}); err != nil {
				t.Fatalf("rejoin: %v", err)
			}
		}
		for _, reason := range []string{refusedSeqTooOld, refusedOriginKey} {
			if got := counterSum(sink, "hyparlist.msg.refused;reason="+reason); got != 0 {
				t.Errorf("refused for %s: %v, want 0", reason, got)
			}
		}
	})
}

// BenchmarkOriginWindow is the loop's replay check of one new signed
// broadcast (admitBroadcast: the origin's binding and its window), with
// numbers in order and with each group of 8 reversed, among 1,000 bound
// origins listed as members (each with a floor since session 15; until
// session 16 this benchmark ran without floors).
func BenchmarkOriginWindow(b *testing.B) {
	for _, order := range []string{"in_order", "reordered"} {
		b.Run(order, func(b *testing.B) {
			conf := DefaultLANConfig()
			conf.VerifyUserBroadcasts = true
			l := &runLoop{m: &Memberlist{config: conf}, ms: newStartedMembership(b, "self", DefaultMembershipConfig())}
			l.origins = originKeys{keys: map[string]originBinding{}, self: "self", max: DefaultMembershipConfig().MaxMembers}
			names := make([]string, 1000)
			for i := range names {
				names[i] = fmt.Sprintf("node-%04d", i)
				l.origins.keys[names[i]] = originBinding{}
				// Listed members, each with a floor (runtime_sign_floor.go).
				l.ms.table.insert(newMemberIdent(names[i], names[i]+":1", nil, memberVersions{}), 1, memberStateAlive, 0)
			}
			sig := make([]byte, broadcastSigSize)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				seq := uint64(i / len(names))
				if order == "reordered" {
					seq ^= 7
				}
				if !l.admitBroadcast(MessageID{Origin: names[i%len(names)], Seq: 1<<40 + seq}, ClassUser, sig) {
					b.Fatal("refused")
				}
			}
		})
	}
}

// admitted returns how many numbers the window holds as admitted (for
// tests).
func (w *seqWindow) admitted() int {
	n := 0
	for _, b := range w.bits {
		n += bits.OnesCount64(b)
	}
	return n
}

// TestRefuseOriginLogBounded: replays in 2,000 origin names (a forger can
// bind as many made-up names to its key) give one log line with the count
// of the others, and 2,000 refusals counted. Keyed by origin, as until
// session 14, they gave 2,000 lines.
func TestRefuseOriginLogBounded(t *testing.T) {
	var buf bytes.Buffer
	sink := newInmemSink(time.Hour, time.Hour)
	conf := DefaultLANConfig()
	conf.VerifyUserBroadcasts = true
	m := &Memberlist{
		config:  conf,
		logger:  slog.New(slog.NewTextHandler(&buf, nil)),
		logRate: newLogLimiter(logRateInterval, maxLogRateKeys),
		metrics: newRuntimeMetrics(sink, nil),
	}
	l := &runLoop{m: m, ms: newStartedMembership(t, "self", DefaultMembershipConfig())}
	l.origins = originKeys{keys: map[string]originBinding{}, self: "self"}
	sig := make([]byte, broadcastSigSize)
	const names = 2000
	for i := range names {
		name := fmt.Sprintf("made-up-%04d", i)
		l.origins.keys[name] = originBinding{}
		id := MessageID{Origin: name, Seq: 1 << 40}
		if !l.admitBroadcast(id, ClassUser, sig) {
			t.Fatalf("first broadcast of %s refused", name)
		}
		if l.admitBroadcast(id, ClassUser, sig) {
			t.Fatalf("replay in %s admitted", name)
		}
	}
	if got := strings.Count(buf.String(), "dropping broadcast: "+refusedReplay); got != 1 {
		t.Errorf("%d log lines for %d replays in as many names, want 1", got, names)
	}
	if got := counterSum(sink, "hyparlist.msg.refused;reason="+refusedReplay); got != names {
		t.Errorf("%v replays counted, want %d", got, names)
	}
}

// TestRefuseBroadcastLogBounded: refused broadcasts from 2,000 declared
// neighbour names (without TLS a stream's sender chooses its name) give
// one log line per reason, not one per name (found by review).
func TestRefuseBroadcastLogBounded(t *testing.T) {
	var buf bytes.Buffer
	m := &Memberlist{
		config:  DefaultLANConfig(),
		logger:  slog.New(slog.NewTextHandler(&buf, nil)),
		logRate: newLogLimiter(logRateInterval, maxLogRateKeys),
		metrics: newRuntimeMetrics(newInmemSink(time.Hour, time.Hour), nil),
	}
	for i := range 2000 {
		from := Peer{Name: fmt.Sprintf("made-up-%04d", i)}
		m.refuseBroadcast(refusedOriginKey, from, gossipMsg{ID: MessageID{Origin: "node-01"}}, nil)
	}
	if got := strings.Count(buf.String(), "dropping broadcast"); got != 1 {
		t.Errorf("%d log lines for 2,000 refusals from 2,000 declared names, want 1", got)
	}
}

// verifyUser makes a node check application broadcasts.
func verifyUser(conf *Config) { conf.VerifyUserBroadcasts = true }
