package hyparlist

import (
	"math/rand/v2"
	"testing"
	"time"
)

// Helpers shared by the membership core's unit tests.

// mt0 is the virtual epoch of the membership tests.
var mt0 = time.Unix(1_700_000_000, 0)

func testPeer(name string) Peer { return Peer{Name: name, Addr: name + ":7946"} }

// newStartedMembership returns a started core for name with cfg and
// discards the Start actions.
func newStartedMembership(t testing.TB, name string, cfg MembershipConfig) *Membership {
	t.Helper()
	m, err := NewMembership(testPeer(name), cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatalf("NewMembership(%q): %v", name, err)
	}
	m.Step(mt0, Start{})
	m.Drain()
	return m
}

// stepActs feeds ev and returns a copy of the actions it produced.
func stepActs(m *Membership, now time.Time, ev Event) []Action {
	m.Step(now, ev)
	return append([]Action(nil), m.Drain()...)
}

// deliverRecs feeds an announcement of recs broadcast by origin.
func deliverRecs(t testing.TB, m *Membership, now time.Time, origin string, recs ...memberRecord) []Action {
	t.Helper()
	var acts []Action
	for len(recs) > 0 {
		n := min(len(recs), maxAnnouncementRecords)
		payload, err := appendAnnouncement(nil, recs[:n])
		if err != nil {
			t.Fatalf("AppendAnnouncement: %v", err)
		}
		recs = recs[n:]
		acts = append(acts, stepActs(m, now, Deliver{
			ID: MessageID{Origin: origin, Seq: 1}, Class: ClassMembership, Payload: payload, From: testPeer(origin),
		})...)
	}
	return acts
}

// deliverOwnRecs delivers each record in its member's own announcement, so
// that every one is vouched for (membership_confirm.go).
func deliverOwnRecs(t testing.TB, m *Membership, now time.Time, recs ...memberRecord) {
	t.Helper()
	for _, r := range recs {
		deliverRecs(t, m, now, r.Name, r)
	}
}

// actionsOfType returns the actions of type T, in order.
func actionsOfType[T Action](acts []Action) []T {
	var out []T
	for _, a := range acts {
		if v, ok := a.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// announcedRecords decodes every ClassMembership BroadcastPayload in acts.
func announcedRecords(t testing.TB, acts []Action) []memberRecord {
	t.Helper()
	var out []memberRecord
	for _, b := range actionsOfType[BroadcastPayload](acts) {
		if b.Class != ClassMembership {
			t.Fatalf("broadcast of class %d, want ClassMembership", b.Class)
		}
		recs, err := decodeAnnouncement(b.Payload)
		if err != nil {
			t.Fatalf("DecodeAnnouncement of own announcement: %v", err)
		}
		out = append(out, recs...)
	}
	return out
}

// timersOf returns the SetTimer actions whose timer has type T.
func timersOf[T Timer](acts []Action) []SetTimer {
	var out []SetTimer
	for _, st := range actionsOfType[SetTimer](acts) {
		if _, ok := st.Timer.(T); ok {
			out = append(out, st)
		}
	}
	return out
}

// rec returns a record for name at incarnation inc in state st.
func rec(name string, inc uint32, st memberState) memberRecord {
	return memberRecord{Name: name, Addr: name + ":7946", Incarnation: inc, State: st}
}

// mustMember returns the record m holds for name.
func mustMember(t testing.TB, m *Membership, name string) Member {
	t.Helper()
	mem, ok := m.Member(name)
	if !ok {
		t.Fatalf("%s holds no record for %q", m.selfPeer().Name, name)
	}
	return mem
}

// sameRecord reports whether two records are equal field by field.
func sameRecord(a, b memberRecord) bool {
	return a.Name == b.Name && a.Addr == b.Addr && string(a.Meta) == string(b.Meta) &&
		a.Incarnation == b.Incarnation && a.State == b.State && a.AgeSeconds == b.AgeSeconds
}

// memberChanges returns the MemberChanged actions of kind ev in acts.
func memberChanges(ev NodeEventType, acts []Action) []MemberChanged {
	var out []MemberChanged
	for _, c := range actionsOfType[MemberChanged](acts) {
		if c.Event == ev {
			out = append(out, c)
		}
	}
	return out
}
