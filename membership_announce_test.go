package hyparlist

import (
	"testing"
	"time"
)

// A node that lost every neighbour does not announce itself again with the
// next one when its latest announcement went out with a neighbour to hear
// it, selfAnnounceSettle or more before the isolation: the exchange it
// starts at once carries its record (BENCHMARKS.md, session 10: in a
// 1,000-node join storm these re-announcements were 40 % of all). A record
// changed while the node was alone, or announced just before it lost its
// last neighbour, is announced.
func TestMembershipRejoinAnnouncesOnlyUnsentRecord(t *testing.T) {
	m := newStartedMembership(t, "self", DefaultMembershipConfig())
	recs := announcedRecords(t, stepActs(m, mt0, NeighborUp{Peer: testPeer("a")}))
	if len(recs) != 1 || recs[0].Name != "self" {
		t.Fatalf("first neighbour announced %+v, want the local record", recs)
	}
	t1 := mt0.Add(selfAnnounceSettle)
	m.Step(t1, NeighborDown{Peer: testPeer("a")})
	acts := stepActs(m, t1, NeighborUp{Peer: testPeer("b")})
	if recs := announcedRecords(t, acts); len(recs) != 0 {
		t.Errorf("first neighbour after isolation announced %+v, want nothing (the record went out with a)", recs)
	}
	exchanged := false
	for _, s := range actionsOfType[Send](acts) {
		if _, ok := s.Msg.(memberDigestMsg); ok && s.To.Name == "b" {
			exchanged = true
		}
	}
	if !exchanged {
		t.Errorf("no exchange started with b after isolation; actions %+v", acts)
	}

	m.Step(t1, NeighborDown{Peer: testPeer("b")})
	alone := announcedRecords(t, stepActs(m, t1, updateMeta{Meta: []byte("m1")}))
	if len(alone) != 1 || alone[0].Incarnation != 1 {
		t.Fatalf("metadata update announced %+v, want the local record at 1", alone)
	}
	recs = announcedRecords(t, stepActs(m, t1, NeighborUp{Peer: testPeer("c")}))
	if len(recs) != 1 || recs[0].Name != "self" || recs[0].Incarnation != 1 || string(recs[0].Meta) != "m1" {
		t.Errorf("first neighbour after a change made alone announced %+v, want the local record at 1 with m1", recs)
	}

	// Isolated less than selfAnnounceSettle after that announcement: it
	// may have been lost with the link, so it is made again.
	t2 := t1.Add(selfAnnounceSettle - time.Millisecond)
	m.Step(t2, NeighborDown{Peer: testPeer("c")})
	recs = announcedRecords(t, stepActs(m, t2, NeighborUp{Peer: testPeer("d")}))
	if len(recs) != 1 || recs[0].Name != "self" || recs[0].Incarnation != 1 {
		t.Errorf("first neighbour after an isolation right after the announcement announced %+v, want the local record at 1", recs)
	}
	if got := m.counters().AnnouncedRecords; got[announceJoin] != 1 || got[announceMeta] != 1 || got[announceRejoin] != 2 {
		t.Errorf("announced per kind %v, want join and meta once each, rejoin twice", got)
	}
}

// The announcements a node makes on its peers' behalf within one
// proxyAnnounceBatch window go out together in one broadcast.
func TestMembershipProxyAnnouncementsCoalesce(t *testing.T) {
	m := newStartedMembership(t, "self", DefaultMembershipConfig())
	var timers []SetTimer
	for i, name := range []string{"p", "q", "r"} {
		at := mt0.Add(time.Duration(1+3*i) * 100 * time.Millisecond) // 0.1, 0.4, 0.7 s: one window
		acts := stepActs(m, at, Receive{From: testPeer(name), Msg: memberRecordsMsg{Buckets: 64,
			Records: []memberRecord{rec(name, 0, memberStateAlive)}}})
		timers = append(timers, timersOf[memberDeadlineTimer](acts)...)
	}
	if len(timers) == 0 {
		t.Fatal("no deadline timer armed")
	}
	end := mt0.Add(proxyAnnounceDelay + proxyAnnounceBatch + time.Second)
	var broadcasts int
	var names []string
	for at := mt0; !at.After(end); at = at.Add(50 * time.Millisecond) {
		acts := stepActs(m, at, TimerFired{Timer: memberDeadlineTimer{}})
		if recs := announcedRecords(t, acts); len(recs) > 0 {
			broadcasts++
			for _, r := range recs {
				names = append(names, r.Name)
			}
		}
	}
	if broadcasts != 1 || len(names) != 3 {
		t.Errorf("%d broadcasts carrying %v, want one carrying p, q and r", broadcasts, names)
	}
	if got := m.counters().Announcements; got != 1 {
		t.Errorf("Announcements = %d, want 1", got)
	}
}
