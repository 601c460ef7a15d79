// Tests of the Plumtree core's driver hooks: the admitter and the
// sequence numbers a driver places.

package hyparlist

import "testing"

// TestPlumtreeAdmitter: the admitter is asked about a received message the
// core does not remember, never about a duplicate; a refused message is
// not delivered, relayed or remembered (a later copy is asked about
// again), and a missing one is no longer grafted.
func TestPlumtreeAdmitter(t *testing.T) {
	h := newPtHarness(t, DefaultPlumtreeConfig(), "a", "b")
	var asked []MessageID
	refuse := true
	h.pt.setAdmitter(func(id MessageID, _ Class, _ []byte) bool {
		asked = append(asked, id)
		return !refuse
	})
	if acts := h.recv("a", gossipOf("o", 7, 0, "x")); len(acts) != 0 {
		t.Fatalf("refused message: actions %v", fmtActions(acts))
	}
	if h.pt.known(MessageID{Origin: "o", Seq: 7}) {
		t.Fatal("refused message remembered")
	}
	refuse = false
	if acts := h.recv("b", gossipOf("o", 7, 0, "x")); !containsDeliver(acts) {
		t.Fatalf("admitted copy not delivered: %v", fmtActions(acts))
	}
	h.recv("a", gossipOf("o", 7, 0, "x")) // a duplicate: not asked
	if len(asked) != 2 {
		t.Fatalf("asked %d times, want 2 (the duplicate is not asked about)", len(asked))
	}

	// An announced message, refused when it comes: its graft entry is
	// dropped.
	refuse = true
	h.recv("a", ihaveOf("o", 1, 9))
	if _, ok := h.pt.missing.m[MessageID{Origin: "o", Seq: 9}]; !ok {
		t.Fatal("announced message not missing")
	}
	h.recv("b", gossipOf("o", 9, 0, "y"))
	if _, ok := h.pt.missing.m[MessageID{Origin: "o", Seq: 9}]; ok {
		t.Fatal("refused message still missing")
	}
}

// containsDeliver reports whether acts hold a Deliver.
func containsDeliver(acts []Action) bool {
	for _, a := range acts {
		if _, ok := a.(Deliver); ok {
			return true
		}
	}
	return false
}

// TestPlumtreeSetNextSequence: local broadcasts count up from the number
// a driver sets, without the shared tree's bit.
func TestPlumtreeSetNextSequence(t *testing.T) {
	h := newPtHarness(t, DefaultPlumtreeConfig())
	h.pt.setNextSequence(ptSharedBit | 1000)
	for want := uint64(1000); want < 1003; want++ {
		acts := h.step(BroadcastPayload{Payload: []byte("p")})
		if got := acts[0].(Deliver).ID.Seq &^ ptSharedBit; got != want {
			t.Fatalf("sequence %d, want %d", got, want)
		}
	}
}
