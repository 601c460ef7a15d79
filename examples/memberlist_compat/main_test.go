package main

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestRunCluster runs the program's core with 4 nodes on 127.0.0.1 and
// checks that every node lists every member with its metadata and got
// every other node's broadcast exactly once: hyparlist recognises the
// copies the delegate re-queues and does not send them again.
func TestRunCluster(t *testing.T) {
	const n = 4
	var log bytes.Buffer
	reports, err := runCluster(n, &log, 20*time.Second)
	if err != nil {
		t.Fatalf("runCluster: %v\nlog:\n%s", err, log.String())
	}
	if len(reports) != n {
		t.Fatalf("%d reports, want %d", len(reports), n)
	}
	var wantMembers []string
	for i := range n {
		wantMembers = append(wantMembers, fmt.Sprintf("node-%d/worker", i))
	}
	for i, r := range reports {
		if r.keys != 1 {
			t.Errorf("%s: %d keys in the keyring, want the SecretKey", r.name, r.keys)
		}
		if !slices.Equal(r.members, wantMembers) {
			t.Errorf("%s: members %v, want %v", r.name, r.members, wantMembers)
		}
		var want []string
		for j := range n {
			if j != i {
				want = append(want, broadcastPrefix+greeting(fmt.Sprintf("node-%d", j)))
			}
		}
		if i == 1 {
			want = append(want, direct)
		}
		got := slices.Clone(r.received)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s received %q, want each of %q once", r.name, got, want)
		}
	}
}

func TestRunClusterNeedsTwoNodes(t *testing.T) {
	if _, err := runCluster(1, &bytes.Buffer{}, time.Second); err == nil {
		t.Error("runCluster(1) succeeded, want an error")
	}
}

// TestOtherKeyCannotJoin starts a node with another key: it cannot join.
func TestOtherKeyCannotJoin(t *testing.T) {
	log := &syncLog{w: &bytes.Buffer{}}
	member, err := startNode("member", bytes.Repeat([]byte{1}, 32), log)
	if err != nil {
		t.Fatal(err)
	}
	defer member.list.Shutdown()
	outsider, err := startNode("outsider", bytes.Repeat([]byte{2}, 32), log)
	if err != nil {
		t.Fatal(err)
	}
	defer outsider.list.Shutdown()
	if n, err := outsider.list.Join([]string{member.list.LocalNode().Address()}); n != 0 || err == nil {
		t.Fatalf("Join with another key = %d, %v; want an error", n, err)
	}
	if member.list.NumMembers() != 1 || outsider.list.NumMembers() != 1 {
		t.Fatalf("members: %d and %d, want 1 and 1", member.list.NumMembers(), outsider.list.NumMembers())
	}
}
