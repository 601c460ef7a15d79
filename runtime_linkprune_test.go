package hyparlist

import (
	"slices"
	"testing"
)

// takeTypes drains q and returns the types of its frames, in the order
// taken.
func takeTypes(q *linkQueues) []MessageType {
	var out []MessageType
	for f, ok := q.take(); ok; f, ok = q.take() {
		out = append(out, f.msg.Type())
	}
	return out
}

// TestLinkQueuesCoalescePrunes: a PRUNE for a root whose PRUNE still
// waits is not queued (accepted, even by a full queue); a GRAFT queued
// after the waiting PRUNE lets the next one through; a PRUNE that left
// the queue no longer stops an equal one, and an older PRUNE leaving does
// not end the claim of a newer one.
func TestLinkQueuesCoalescePrunes(t *testing.T) {
	q := newLinkQueues(4, 1<<20)
	for range 5 {
		if !q.enqueue(outFrame{msg: pruneMsg{Root: "r"}}) {
			t.Fatal("a PRUNE was refused")
		}
	}
	q.enqueue(outFrame{msg: pruneMsg{Root: "s"}})
	if n, _ := q.depth(); n != 2 {
		t.Fatalf("5 PRUNEs of r and 1 of s queued %d frames, want 2", n)
	}
	q.enqueue(outFrame{msg: graftMsg{Root: "x", IDs: []MessageID{{Origin: "x", Seq: 1}}}})
	q.enqueue(outFrame{msg: pruneMsg{Root: "r"}}) // after a GRAFT: queued
	if n, _ := q.depth(); n != 4 {
		t.Fatalf("a PRUNE after a GRAFT was not queued: %d frames, want 4", n)
	}
	// The queue is full (depth 4): a redundant PRUNE is still accepted, a
	// new one is not.
	if !q.enqueue(outFrame{msg: pruneMsg{Root: "r"}}) {
		t.Error("a full queue refused a redundant PRUNE")
	}
	if q.enqueue(outFrame{msg: pruneMsg{Root: "t"}}) {
		t.Error("a full queue accepted a new PRUNE")
	}
	// Taking the first PRUNE of r leaves the second one's claim.
	f, _ := q.take()
	if p, ok := f.msg.(pruneMsg); !ok || p.Root != "r" {
		t.Fatalf("took %v first, want the PRUNE of r", f.msg)
	}
	q.enqueue(outFrame{msg: pruneMsg{Root: "r"}})
	if n, _ := q.depth(); n != 3 {
		t.Fatalf("a PRUNE of r behind a waiting one was queued: %d frames, want 3", n)
	}
	want := []MessageType{typePrune, typeGraft, typePrune}
	if got := takeTypes(&q); !slices.Equal(got, want) {
		t.Fatalf("took %v, want %v", got, want)
	}
	if q.prunes.byRoot != nil {
		t.Errorf("an empty queue still records waiting PRUNEs: %v", q.prunes.byRoot)
	}
	// Nothing waits: a PRUNE of r is queued again.
	q.enqueue(outFrame{msg: pruneMsg{Root: "r"}})
	q.discard()
	q.enqueue(outFrame{msg: pruneMsg{Root: "r"}})
	if n, _ := q.depth(); n != 1 {
		t.Fatalf("a PRUNE after the queue was emptied: %d frames, want 1", n)
	}
}

// TestLinkQueuesCoalescePrunesPerTree: a PRUNE on the shared tree and one
// on the root's own tree are for two different trees: neither makes the
// other redundant.
func TestLinkQueuesCoalescePrunesPerTree(t *testing.T) {
	q := newLinkQueues(8, 1<<20)
	q.enqueue(outFrame{msg: pruneMsg{Root: "r"}})
	q.enqueue(outFrame{msg: pruneMsg{Root: "r", Shared: true}})
	q.enqueue(outFrame{msg: pruneMsg{Root: "r", Shared: true}})
	q.enqueue(outFrame{msg: pruneMsg{Root: "r"}})
	var got []pruneMsg
	for f, ok := q.take(); ok; f, ok = q.take() {
		got = append(got, f.msg.(pruneMsg))
	}
	want := []pruneMsg{{Root: "r"}, {Root: "r", Shared: true}}
	if !slices.Equal(got, want) {
		t.Fatalf("queued %v, want %v", got, want)
	}
}
