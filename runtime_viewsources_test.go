// Tests of publishViewSources: the acceptor's trusted view IPs follow the
// views, and a step that changes no view parses no address.

package hyparlist

import (
	"testing"
	"time"
)

// TestPublishViewSourcesOnlyOnChange steps HyParView with a link, then
// with frames that change no view (Keepalives, a timer), then with a
// second link: the views' IPs are parsed and published for the two links
// only, and each link's IP is trusted once its step is published.
func TestPublishViewSourcesOnlyOnChange(t *testing.T) {
	l := newPublishLoop(t, false)
	a := Peer{Name: "a", Addr: "10.0.0.1:7946"}
	b := Peer{Name: "b", Addr: "10.0.0.2:7946"}
	step := func(ev Event) {
		t.Helper()
		l.hv.Step(mt0, ev)
		l.hv.Drain()
		l.viewsStepped = true
		l.publishViewSources()
	}
	step(Receive{From: a, Msg: neighborMsg{HighPriority: true}})
	built := l.viewSourcesBuilt
	if !l.m.sources.trusted("10.0.0.1", mt0) {
		t.Fatalf("a's IP not trusted once a is a neighbour")
	}
	for range 10 {
		step(Receive{From: a, Msg: keepaliveMsg{}})
	}
	step(TimerFired{Timer: keepaliveTimer{}})
	if l.viewSourcesBuilt != built {
		t.Fatalf("steps that changed no view parsed the views' addresses %d times, want 0", l.viewSourcesBuilt-built)
	}
	if l.m.sources.trusted("10.0.0.2", mt0) {
		t.Fatalf("b's IP trusted before b is known")
	}
	step(Receive{From: b, Msg: neighborMsg{HighPriority: true}})
	if l.viewSourcesBuilt != built+1 {
		t.Fatalf("a new neighbour parsed the views' addresses %d times, want 1", l.viewSourcesBuilt-built)
	}
	if !l.m.sources.trusted("10.0.0.2", mt0.Add(time.Second)) {
		t.Fatalf("b's IP not trusted once b is a neighbour")
	}
}
