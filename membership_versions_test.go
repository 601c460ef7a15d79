package hyparlist

import "testing"

// TestMembershipVersions: the local record carries MembershipConfig.Versions;
// a record carrying versions sets the member's; a later record without
// versions (relayed by a node of wire version 3 or older) keeps them, even
// with new metadata, and its digest matches a node that never saw them; a
// higher incarnation with other versions replaces them without an update
// event (memberlist reports updates for metadata only); and a record about
// the local node with other versions is refuted.
func TestMembershipVersions(t *testing.T) {
	v1 := memberVersions{PMin: 1, PMax: 5, PCur: 2, DMin: 2, DMax: 5, DCur: 4}
	v2 := memberVersions{PMin: 1, PMax: 5, PCur: 3, DMin: 2, DMax: 5, DCur: 5}
	cfg := DefaultMembershipConfig()
	cfg.Versions = v1
	a := newStartedMembership(t, "a", cfg)
	if got := mustMember(t, a, "a").Versions; got != v1 {
		t.Fatalf("local versions %+v, want %+v", got, v1)
	}

	x := rec("x", 1, memberStateAlive)
	x.Versions = v1
	deliverRecs(t, a, mt0, "x", x)
	bare := rec("x", 2, memberStateAlive)
	bare.Meta = []byte("new")
	deliverRecs(t, a, mt0, "x", bare)
	if got := mustMember(t, a, "x"); got.Versions != v1 || string(got.Meta) != "new" {
		t.Errorf("after a record without versions: %+v, want versions %+v and the new meta", got, v1)
	}
	old := newStartedMembership(t, "b", DefaultMembershipConfig())
	deliverRecs(t, old, mt0, "x", bare)
	if a.table.get("x").recHash() != old.table.get("x").recHash() {
		t.Errorf("versions changed the digest")
	}

	up := bare
	up.Incarnation, up.Versions = 3, v2
	acts := deliverRecs(t, a, mt0, "x", up)
	if got := mustMember(t, a, "x").Versions; got != v2 {
		t.Errorf("after a restart with new versions: %+v, want %+v", got, v2)
	}
	if n := len(memberChanges(NodeUpdate, acts)); n != 0 {
		t.Errorf("a change of versions alone caused %d updates", n)
	}

	self := memberRecord{Name: "a", Addr: testPeer("a").Addr, State: memberStateAlive, Versions: v2}
	acts = deliverRecs(t, a, mt0, "x", self)
	if me := mustMember(t, a, "a"); me.Incarnation != 1 || me.Versions != v1 {
		t.Errorf("a record of the local node with other versions: local %+v, want refuted at 1 with %+v", me, v1)
	}
	if len(actionsOfType[BroadcastPayload](acts)) == 0 {
		t.Errorf("the refutation was not announced")
	}
}
