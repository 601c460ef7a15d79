package main

import (
	"bytes"
	"slices"
	"testing"
	"time"
)

// TestRun runs the program's core with 5 nodes on 127.0.0.1 and checks
// the broadcast and the neighbour events.
func TestRun(t *testing.T) {
	var log bytes.Buffer
	res, err := run(5, &log, 20*time.Second)
	if err != nil {
		t.Fatalf("run: %v\nlog:\n%s", err, log.String())
	}
	for i, nd := range res.nodes {
		want := []string{"hello, cluster"}
		if i == 0 {
			want = nil // Broadcast is not delivered to its sender
		}
		if got := nd.obs.messages(); !slices.Equal(got, want) {
			t.Errorf("%s received %q, want %q", nd.name, got, want)
		}
		if ups, _ := nd.obs.neighborEvents(); len(ups) == 0 {
			t.Errorf("%s: no NotifyNeighborUp", nd.name)
		}
	}
	if len(res.formerNeighbors) == 0 {
		t.Fatalf("%s had no neighbours before the crash", res.crashed.name)
	}
	// Neighbour events are delivered asynchronously, after the view
	// changed: wait for them.
	deadline := time.Now().Add(10 * time.Second)
	for _, name := range res.formerNeighbors {
		nd := res.nodes[slices.IndexFunc(res.nodes, func(n *node) bool { return n.name == name })]
		for {
			_, downs := nd.obs.neighborEvents()
			if slices.Contains(downs, res.crashed.name) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no NotifyNeighborDown(%s); downs %v", name, res.crashed.name, downs)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func TestRunNeedsThreeNodes(t *testing.T) {
	if _, err := run(2, &bytes.Buffer{}, time.Second); err == nil {
		t.Error("run(2) succeeded, want an error")
	}
}
