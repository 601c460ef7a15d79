package main

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestMsgKeyRoundTrip(t *testing.T) {
	k := msgKey{phase: phaseAfter, api: apiQueue, origin: "node-07", seq: 12}
	got, ok := parseMsgKey(k.payload())
	if !ok || got != k {
		t.Fatalf("parseMsgKey(%q) = %+v, %v; want %+v", k.payload(), got, ok, k)
	}
	for _, bad := range []string{"", "demo", "demo|1|queue|a", "x|0|native|a|1", "demo|2|native|a|1", "demo|-1|native|a|1",
		"demo|0|other|a|1", "demo|0|native|a|x", "demo|0|native|a|1|extra"} {
		if k, ok := parseMsgKey([]byte(bad)); ok {
			t.Errorf("parseMsgKey(%q) = %+v, accepted", bad, k)
		}
	}
}

func TestRecorderTally(t *testing.T) {
	sent := []msgKey{
		{phase: phaseBefore, api: apiNative, origin: "a", seq: 0},
		{phase: phaseBefore, api: apiNative, origin: "b", seq: 1},
		{phase: phaseBefore, api: apiNative, origin: "c", seq: 2},
	}
	r := newRecorder()
	r.record("a", sent[1].payload())
	r.record("a", sent[1].payload())                                                         // duplicate
	r.record("a", sent[0].payload())                                                         // its own broadcast
	r.record("a", msgKey{phase: phaseBefore, api: apiNative, origin: "z", seq: 9}.payload()) // never sent
	r.record("a", msgKey{phase: phaseAfter, api: apiNative, origin: "b", seq: 1}.payload())  // other phase
	r.record("a", []byte("not a demo message"))
	r.record("b", sent[0].payload())
	r.record("b", sent[2].payload())

	if got, want := r.tally("a", phaseBefore, apiNative, sent), (tally{delivered: 1, expected: 2, extra: 3}); got != want {
		t.Errorf("tally(a) = %+v, want %+v", got, want)
	}
	if got := r.tally("a", phaseBefore, apiNative, sent); got.ok() {
		t.Errorf("tally(a) = %+v reports ok", got)
	}
	if got, want := r.tally("b", phaseBefore, apiNative, sent), (tally{delivered: 2, expected: 2}); got != want || !got.ok() {
		t.Errorf("tally(b) = %+v, want %+v and ok", got, want)
	}
	if got, want := r.tally("c", phaseBefore, apiNative, sent), (tally{expected: 2}); got != want {
		t.Errorf("tally(c) = %+v, want %+v", got, want)
	}
	if got := r.foreignCount("a"); got != 1 {
		t.Errorf("foreignCount(a) = %d, want 1", got)
	}
}

func TestCell(t *testing.T) {
	for _, tc := range []struct {
		t    tally
		want string
	}{
		{tally{delivered: 3, expected: 3}, "3/3"},
		{tally{delivered: 2, expected: 3}, "2/3 MISSED"},
		{tally{delivered: 3, expected: 3, extra: 2}, "3/3"},
	} {
		if got := cell(tc.t); got != tc.want {
			t.Errorf("cell(%+v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

func TestOverlayConverged(t *testing.T) {
	good := overlayState{nodes: 3, activeMin: 1, activeMax: 2, activeSum: 4, connected: true}
	if !good.converged() {
		t.Errorf("%+v not converged", good)
	}
	for name, s := range map[string]overlayState{
		"member lists differ": {nodes: 3, activeMin: 1, connected: true, wrongMembers: 1},
		"crashed neighbour":   {nodes: 3, activeMin: 1, connected: true, deadNeighbors: 1},
		"not connected":       {nodes: 3, activeMin: 1},
		"leave events due":    {nodes: 3, activeMin: 1, connected: true, leavesPending: 1},
		"isolated node":       {nodes: 3, activeMin: 0, connected: true},
	} {
		if s.converged() {
			t.Errorf("%s: %+v converged", name, s)
		}
	}
}

func TestReachable(t *testing.T) {
	// a→b, c→b (only c's side has the link so far), d isolated.
	adj := map[string][]string{"a": {"b"}, "c": {"b"}}
	if got := reachable(adj, "a"); got != 3 {
		t.Errorf("reachable from a = %d, want 3", got)
	}
	if got := reachable(adj, "d"); got != 1 {
		t.Errorf("reachable from d = %d, want 1", got)
	}
}

func TestProgressStatus(t *testing.T) {
	var b strings.Builder
	p := &progress{w: &b, tty: true, start: time.Now()}
	p.status(strings.Repeat("x", 200))
	line := strings.TrimPrefix(b.String(), "\r\033[K")
	if n := utf8.RuneCountInString(line); n != ttyStatusWidth || !strings.HasSuffix(line, "…") {
		t.Errorf("tty status line has %d characters (%q), want %d ending in …", n, line, ttyStatusWidth)
	}
	p.linef("done")
	if !strings.HasSuffix(b.String(), "\r\033[K[  0.0s] done\n") {
		t.Errorf("phase line does not erase the status line: %q", b.String())
	}

	b.Reset()
	p = &progress{w: &b, start: time.Now()}
	p.status("a")
	p.status("b") // within plainStatusInterval: not printed
	if got := b.String(); got != "[  0.0s]   a\n" {
		t.Errorf("plain status output %q, want one line for the first status", got)
	}
}
