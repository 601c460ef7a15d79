// Tests of the shares of the held broadcasts: a forger who fills the hold
// cannot make a genuinely restarted node's broadcasts refused.

package hyparlist

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeHeldShareAgainstFlood: without TLS, node-01 restarts at its
// address with a new key while a forger floods its contact with
// broadcasts signed by the forger's key in a live member's name, enough to
// fill the hold while that name's key check is held up. Then node-01's
// announcement (new metadata, signed by its new key) reaches the contact:
// it is held, taking the newest forged broadcast's place (reason evicted),
// and merged once node-01's check binds its new key; no forged broadcast
// is delivered. flooded names the forger's target: another member
// (node-02, whose address holds its check until the end), or node-01
// itself (its address holds the one check of the name that both wait
// for, until the announcement is held). No anti-entropy runs
// (PushPullInterval an hour), and the contact has no other neighbour, so
// a refused announcement is lost. Without the shares (session 13) the
// full hold refused the announcement in both cases, and the contact kept
// node-01's old metadata.
func TestRuntimeHeldShareAgainstFlood(t *testing.T) {
	for _, flooded := range []string{"node-02", "node-01"} {
		t.Run("flooded="+flooded, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				heldShareFlood(t, flooded)
			})
		})
	}
}

// heldShareFlood is TestRuntimeHeldShareAgainstFlood with the forger
// flooding the name flooded.
func heldShareFlood(t *testing.T, flooded string) {
	sink := newInmemSink(time.Hour, time.Hour)
	tweak := func(conf *Config) {
		conf.PushPullInterval = time.Hour
		conf.VerifyUserBroadcasts = true
		conf.TCPTimeout = 20 * time.Second
	}
	c, a, addr := pairOneDown(t, tweak, sink)
	lim := defaultWireLimits()
	_, key, _ := ed25519.GenerateKey(nil)
	release := make(chan struct{})
	holder := restartTransport(c.net, "node-01", addr)
	conn := streamAs(t, holder, a.ml, "node-01", addr)
	if flooded == "node-01" {
		serveKeyAt(t, holder, "node-01", addr, key, release)
	} else {
		serveKeyAt(t, holder, "node-01", addr, key, nil)
		// node-02: a member whose address answers key checks only at
		// the end, listed at the contact from its own announcement.
		addr2 := "127.0.0.1:19002"
		_, key2, _ := ed25519.GenerateKey(nil)
		holder2 := restartTransport(c.net, "node-02", addr2)
		conn2 := streamAs(t, holder2, a.ml, "node-02", addr2)
		serveKeyAt(t, holder2, "node-02", addr2, key2, release)
		rec2 := memberRecord{Name: "node-02", Addr: addr2, State: memberStateAlive, Incarnation: 1}
		ann2, err := appendAnnouncement(nil, []memberRecord{rec2})
		if err != nil {
			t.Fatal(err)
		}
		if err := writeMessageFrame(conn2, signedGossip(key2, "node-02", 1, ClassMembership, ann2), lim); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Minute, "node-02 listed", func() bool {
			var live bool
			onLoop(t, a.ml, func(l *runLoop) { live = l.ms.isLive("node-02") })
			return live
		})
	}

	// The forger fills the hold in flooded's name (with sequence numbers
	// the name has not used).
	_, forged, _ := ed25519.GenerateKey(nil)
	ftr := c.net.NewTransport("forger")
	fconn := streamAs(t, ftr, a.ml, "forger", ftr.addr.addr)
	for seq := uint64(1); seq <= maxHeldBroadcasts; seq++ {
		if err := writeMessageFrame(fconn, signedGossip(forged, flooded, 1<<20+seq, ClassUser, []byte(fmt.Sprint("forged", seq))), lim); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, time.Second, "the hold full", func() bool { return heldCount(t, a.ml) == maxHeldBroadcasts })

	// node-01's announcement under its new key.
	rec := memberRecord{Name: "node-01", Addr: addr, Meta: []byte("v2"), State: memberStateAlive, Incarnation: 1}
	ann, err := appendAnnouncement(nil, []memberRecord{rec})
	if err != nil {
		t.Fatal(err)
	}
	if err := writeMessageFrame(conn, signedGossip(key, "node-01", startSequence(time.Now()), ClassMembership, ann), lim); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "the announcement judged", func() bool {
		return counterSum(sink, "hyparlist.origin.held;reason="+heldEvicted) > 0 ||
			counterSum(sink, "hyparlist.origin.held;reason="+heldFull) > 0
	})
	close(release)
	eventually(t, time.Minute, "the hold empty", func() bool { return heldCount(t, a.ml) == 0 })
	synctest.Wait()

	var meta string
	if i := slices.IndexFunc(a.ml.Members(), func(n *Node) bool { return n.Name == "node-01" }); i >= 0 {
		meta = string(a.ml.Members()[i].Meta)
	}
	if meta != "v2" {
		t.Errorf("contact lists node-01 with metadata %q, want the announced v2; held %v full, %v evicted",
			meta, counterSum(sink, "hyparlist.origin.held;reason="+heldFull),
			counterSum(sink, "hyparlist.origin.held;reason="+heldEvicted))
	}
	for seq := 1; seq <= maxHeldBroadcasts; seq++ {
		if n := a.rec.count([]byte(fmt.Sprint("forged", seq))); n != 0 {
			t.Fatalf("forged broadcast %d delivered %d times", seq, n)
		}
	}
	if n := counterSum(sink, "hyparlist.origin.held;reason="+heldEvicted); n != 1 {
		t.Errorf("%v held broadcasts evicted, want 1", n)
	}
	if n := counterSum(sink, "hyparlist.origin.held;reason="+heldRefused); n != maxHeldBroadcasts-1 {
		t.Errorf("%v held broadcasts refused, want the %d forged ones left", n, maxHeldBroadcasts-1)
	}
	// Within keyCheckInterval of its check, a broadcast of the flooded
	// name under another key starts none and is refused at once (counted
	// as recent).
	refused := counterSum(sink, "hyparlist.msg.refused;reason="+refusedOriginKey)
	if err := writeMessageFrame(fconn, signedGossip(forged, flooded, 1<<21, ClassUser, []byte("late")), lim); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "the late forgery refused", func() bool {
		return counterSum(sink, "hyparlist.msg.refused;reason="+refusedOriginKey) > refused
	})
	if n := counterSum(sink, "hyparlist.origin.check;reason="+checkRecent); n != 1 {
		t.Errorf("%v key checks not started as recent, want 1", n)
	}
	checks := 2.0 // the flooded name's and node-01's
	if flooded == "node-01" {
		checks = 1 // one for both
	}
	if n := counterSum(sink, "hyparlist.origin.check;reason="+checkStarted); n != checks {
		t.Errorf("%v key checks started, want %v", n, checks)
	}
}

// TestHeldVictim: the broadcast that makes room in a full hold is the
// newest of the largest share larger than the one the new broadcast
// joins (names first, then keys of its name), whatever the map order.
func TestHeldVictim(t *testing.T) {
	kf, kg, kh := originKey{1}, originKey{2}, originKey{3}
	entry := func(name string, k originKey, size int) heldGossip {
		return heldGossip{g: gossipMsg{ID: MessageID{Origin: name}, Payload: make([]byte, size)}, key: k}
	}
	repeat := func(e heldGossip, n int) []heldGossip { return slices.Repeat([]heldGossip{e}, n) }
	cases := []struct {
		name    string
		byName  map[string][]heldGossip
		origin  string
		key     originKey
		size    int
		byBytes bool
		want    heldRef
		ok      bool
	}{
		{"larger name gives way", map[string][]heldGossip{"a": repeat(entry("a", kf, 1), 10), "b": {entry("b", kg, 1)}}, "b", kg, 1, false, heldRef{"a", 9}, true},
		{"equal shares keep theirs", map[string][]heldGossip{"a": repeat(entry("a", kf, 1), 5), "b": repeat(entry("b", kg, 1), 5)}, "b", kg, 1, false, heldRef{}, false},
		{"a name's other key gives way", map[string][]heldGossip{"a": {entry("a", kf, 1), entry("a", kg, 1), entry("a", kf, 1), entry("a", kf, 1)}}, "a", kg, 1, false, heldRef{"a", 3}, true},
		{"a name's own key does not", map[string][]heldGossip{"a": repeat(entry("a", kf, 1), 4)}, "a", kf, 1, false, heldRef{}, false},
		{"bytes: one large against three small", map[string][]heldGossip{"a": {entry("a", kf, 100)}, "b": repeat(entry("b", kg, 10), 3)}, "b", kg, 10, true, heldRef{"a", 0}, true},
		{"bytes: a large broadcast of a name holding nothing takes no share below its size",
			map[string][]heldGossip{"a": {entry("a", kf, 100)}, "b": {entry("b", kf, 100)}}, "c", kg, 150, true, heldRef{}, false},
		{"one held each: a new key takes nothing", map[string][]heldGossip{"a": {entry("a", kf, 1), entry("a", kg, 1)}}, "a", kh, 1, false, heldRef{}, false},
		{"key ties go to the key held last", map[string][]heldGossip{"a": {entry("a", kf, 1), entry("a", kf, 1), entry("a", kg, 1), entry("a", kg, 1)}}, "a", kh, 1, false, heldRef{"a", 3}, true},
		{"ties go to the smaller name", map[string][]heldGossip{"c": repeat(entry("c", kf, 1), 3), "a": repeat(entry("a", kf, 1), 3)}, "b", kg, 1, false, heldRef{"a", 2}, true},
	}
	for _, c := range cases {
		h := &heldBroadcasts{byName: c.byName}
		for range 20 {
			got, ok := h.victim(c.origin, c.key, c.size, c.byBytes, map[heldRef]bool{})
			if got != c.want || ok != c.ok {
				t.Fatalf("%s: victim %+v, %v; want %+v, %v", c.name, got, ok, c.want, c.ok)
			}
		}
	}
}
