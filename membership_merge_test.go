package hyparlist

import (
	"fmt"
	"testing"
)

// TestMembershipPrecedenceMatrix checks every pair of (held, incoming)
// states at a lower, equal and higher incarnation against SWIM precedence,
// written out by hand: alive < suspect < dead < left within an incarnation,
// a higher incarnation always wins, a lower one never.
func TestMembershipPrecedenceMatrix(t *testing.T) {
	const (
		A = memberStateAlive
		S = memberStateSuspect
		D = memberStateDead
		L = memberStateLeft
	)
	type row struct {
		held, in memberState
		incDelta int // incoming incarnation minus held (held is 5)
		accept   bool
	}
	rows := []row{
		// Same incarnation.
		{A, A, 0, false}, {A, S, 0, true}, {A, D, 0, true}, {A, L, 0, true},
		{S, A, 0, false}, {S, S, 0, false}, {S, D, 0, true}, {S, L, 0, true},
		{D, A, 0, false}, {D, S, 0, false}, {D, D, 0, false}, {D, L, 0, true},
		{L, A, 0, false}, {L, S, 0, false}, {L, D, 0, false}, {L, L, 0, false},
	}
	for _, held := range []memberState{A, S, D, L} {
		for _, in := range []memberState{A, S, D, L} {
			rows = append(rows, row{held, in, +1, true}, row{held, in, -1, false})
		}
	}
	for _, r := range rows {
		t.Run(fmt.Sprintf("%v@5+%v@%d", r.held, r.in, 5+r.incDelta), func(t *testing.T) {
			if got := supersedes(uint32(5+r.incDelta), r.in, 5, r.held); got != r.accept {
				t.Errorf("supersedes = %v, want %v", got, r.accept)
			}
			m := newStartedMembership(t, "self", DefaultMembershipConfig())
			deliverRecs(t, m, mt0, "x", rec("x", 5, r.held))
			in := rec("x", uint32(5+r.incDelta), r.in)
			if r.incDelta != 0 || r.in != r.held {
				in.Meta = []byte("new") // same record otherwise: see the tie-break test
			}
			acts := deliverRecs(t, m, mt0.Add(1), "x", in)
			got := mustMember(t, m, "x")
			want := rec("x", 5, r.held)
			if r.accept {
				want = in
			}
			if got.Incarnation != want.Incarnation || got.State != want.State || string(got.Meta) != string(want.Meta) {
				t.Errorf("held %v@%d %q, want %v@%d %q", got.State, got.Incarnation, got.Meta, want.State, want.Incarnation, want.Meta)
			}
			// EventDelegate actions follow the live/not-live transition.
			wasLive, isLive := r.held <= S, want.State <= S
			joined, left, updated := len(memberChanges(NodeJoin, acts)), len(memberChanges(NodeLeave, acts)), len(memberChanges(NodeUpdate, acts))
			wantJoined := b2i(!wasLive && isLive)
			wantLeft := b2i(wasLive && !isLive)
			wantUpdated := b2i(r.accept && wasLive && isLive) // meta changed
			if joined != wantJoined || left != wantLeft || updated != wantUpdated {
				t.Errorf("joined/left/updated = %d/%d/%d, want %d/%d/%d", joined, left, updated, wantJoined, wantLeft, wantUpdated)
			}
			// Merging a foreign record is never announced again.
			if n := len(actionsOfType[BroadcastPayload](acts)); n != 0 {
				t.Errorf("%d announcements after merging a foreign record", n)
			}
		})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestMembershipUnknownTombstone: a dead record for an unknown name is kept
// (so that a late alive of that incarnation cannot resurrect it) but is no
// join; an old one (past ReclaimTime) is not kept.
func TestMembershipUnknownTombstone(t *testing.T) {
	cfg := DefaultMembershipConfig()
	m := newStartedMembership(t, "self", cfg)
	acts := deliverRecs(t, m, mt0, "y", rec("x", 3, memberStateDead))
	if n := len(memberChanges(NodeJoin, acts)) + len(memberChanges(NodeLeave, acts)); n != 0 {
		t.Errorf("%d member events for a tombstone", n)
	}
	acts = deliverRecs(t, m, mt0, "x", rec("x", 3, memberStateAlive))
	if got := mustMember(t, m, "x"); got.State != memberStateDead || len(memberChanges(NodeJoin, acts)) != 0 {
		t.Errorf("alive@3 after dead@3: state %v, joins %d", got.State, len(memberChanges(NodeJoin, acts)))
	}
	old := rec("z", 1, memberStateDead)
	old.AgeSeconds = uint32(cfg.ReclaimTime.Seconds())
	m.Step(mt0, Receive{From: testPeer("y"), Msg: memberRecordsMsg{Buckets: 64, Records: []memberRecord{old}}})
	if _, ok := m.Member("z"); ok {
		t.Errorf("a tombstone as old as ReclaimTime was kept")
	}
}

// TestMembershipSuspectAccusers: a repeated suspect
// record confirms only when it names a new accuser.
func TestMembershipSuspectAccusers(t *testing.T) {
	m := newStartedMembership(t, "self", DefaultMembershipConfig())
	for _, name := range []string{"x", "a", "b"} { // the accusers are members
		deliverRecs(t, m, mt0, name, rec(name, 0, memberStateAlive))
	}
	deliverRecs(t, m, mt0, "a", rec("x", 0, memberStateSuspect))
	deliverRecs(t, m, mt0, "a", rec("x", 0, memberStateSuspect))
	e := m.table.get("x")
	if e.susp == nil || len(e.susp.accusers) != 1 {
		t.Fatalf("accusers after one accuser twice: %+v", e.susp)
	}
	deliverRecs(t, m, mt0, "b", rec("x", 0, memberStateSuspect))
	if len(e.susp.accusers) != 2 || e.susp.first {
		t.Errorf("accusers after a second accuser: %v (first %v)", e.susp.accusers, e.susp.first)
	}
}

// TestMembershipSameIncarnationTieBreak: two versions of one incarnation
// that differ in metadata (a node restarted with its incarnation reset and
// new metadata) converge on one everywhere, whichever order they arrive
// in. (Versions that differ in address are a name conflict:
// TestMembershipAddressConflict.)
func TestMembershipSameIncarnationTieBreak(t *testing.T) {
	old, moved := rec("x", 0, memberStateAlive), rec("x", 0, memberStateAlive)
	old.Meta, moved.Meta = []byte("v1"), []byte("v2")
	a := newStartedMembership(t, "a", DefaultMembershipConfig())
	b := newStartedMembership(t, "b", DefaultMembershipConfig())
	deliverRecs(t, a, mt0, "x", old)
	deliverRecs(t, a, mt0, "x", moved)
	deliverRecs(t, b, mt0, "x", moved)
	acts := deliverRecs(t, b, mt0, "x", old)
	for _, m := range []*Membership{a, b} {
		if got := mustMember(t, m, "x"); string(got.Meta) != string(moved.Meta) {
			t.Errorf("%s holds x with meta %q, want %q", m.selfPeer().Name, got.Meta, moved.Meta)
		}
	}
	if n := len(memberChanges(NodeUpdate, acts)); n != 0 {
		t.Errorf("the losing version caused %d updates", n)
	}
	if a.table.get("x").recHash() != b.table.get("x").recHash() {
		t.Errorf("digests differ after both versions arrived")
	}
}
