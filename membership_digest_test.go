package hyparlist

import (
	"fmt"
	"testing"
)

// memberMsgSize estimates the encoded size of a membership message: fixed
// fields at their natural width, lists with a 2-byte count, strings and
// byte slices with a 1-byte length.
func memberMsgSize(msg Message) int {
	switch m := msg.(type) {
	case memberDigestMsg:
		return 1 + 2 + 4 + 8
	case memberBucketsMsg:
		return 1 + 2 + 8*len(m.Hashes)
	case memberRecordsMsg:
		n := 1 + 2 + 2 + 2*len(m.Want) + 2
		for _, r := range m.Records {
			n += 3 + len(r.Name) + len(r.Addr) + len(r.Meta) + 4 + 1 + 4
		}
		return n
	case memberUserStateMsg:
		return 1 + 4 + len(m.State)
	}
	return 0
}

type exchangeLog struct {
	msgs  []Message
	bytes int
}

// runExchange lets a start an exchange with b and pumps the messages
// between them until none is left.
func runExchange(t *testing.T, a, b *Membership) exchangeLog {
	t.Helper()
	type env struct {
		from, to *Membership
		msg      Message
	}
	var log exchangeLog
	a.startExchange(b.selfPeer(), false)
	var queue []env
	collect := func(from *Membership) {
		for _, s := range actionsOfType[Send](from.Drain()) {
			to := a
			if s.To.Name == b.selfPeer().Name {
				to = b
			}
			queue = append(queue, env{from, to, s.Msg})
		}
	}
	collect(a)
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		log.msgs = append(log.msgs, e.msg)
		log.bytes += memberMsgSize(e.msg)
		e.to.Step(mt0, Receive{From: e.from.selfPeer(), Msg: e.msg})
		collect(e.to)
		if len(log.msgs) > 1000 {
			t.Fatalf("exchange does not end")
		}
	}
	return log
}

// twins returns two started cores that both hold the same n-2 other
// members.
func twins(t *testing.T, n int) (a, b *Membership) {
	t.Helper()
	a = newStartedMembership(t, "a", unlimitedNewMembersConfig())
	b = newStartedMembership(t, "b", unlimitedNewMembersConfig())
	recs := []memberRecord{rec("a", 0, memberStateAlive), rec("b", 0, memberStateAlive)}
	for i := range n - 2 {
		recs = append(recs, rec(fmt.Sprintf("node-%05d", i), 0, memberStateAlive))
	}
	deliverRecs(t, a, mt0, "x", recs...)
	deliverRecs(t, b, mt0, "x", recs...)
	return a, b
}

// TestDigestEqualIsConstant: when nothing differs an exchange is one
// memberDigestMsg, whatever the cluster size.
func TestDigestEqualIsConstant(t *testing.T) {
	for _, n := range []int{3, 100, 5000} {
		a, b := twins(t, n)
		log := runExchange(t, a, b)
		if len(log.msgs) != 1 || log.msgs[0].Type() != typeMemberDigest {
			t.Errorf("n=%d: %d messages %v, want one digest", n, len(log.msgs), log.msgs)
		}
		if log.bytes != 15 {
			t.Errorf("n=%d: %d bytes", n, log.bytes)
		}
	}
}

// TestDigestOneDifference: one differing record costs the bucket hashes
// and the records of one bucket, and leaves both tables equal.
func TestDigestOneDifference(t *testing.T) {
	for _, n := range []int{100, 5000} {
		a, b := twins(t, n)
		newer := rec("node-00042", 1, memberStateAlive)
		newer.Meta = []byte("v2")
		deliverRecs(t, b, mt0, "node-00042", newer)
		log := runExchange(t, a, b)
		var types []MessageType
		records := 0
		buckets := digestBucketsFor(n)
		want := fineBucketOf(nameHash(newer.Name)) / (fineBuckets / buckets)
		for _, msg := range log.msgs {
			types = append(types, msg.Type())
			if mr, ok := msg.(memberRecordsMsg); ok {
				for _, r := range mr.Records {
					records++
					if got := fineBucketOf(nameHash(r.Name)) / (fineBuckets / buckets); got != want {
						t.Errorf("n=%d: record %s of bucket %d sent, only %d differs", n, r.Name, got, want)
					}
				}
			}
		}
		wantTypes := []MessageType{typeMemberDigest, typeMemberBuckets, typeMemberRecords, typeMemberRecords}
		if fmt.Sprint(types) != fmt.Sprint(wantTypes) {
			t.Errorf("n=%d: message types %v, want %v", n, types, wantTypes)
		}
		if a.table.root != b.table.root {
			t.Errorf("n=%d: roots differ after the exchange", n)
		}
		if got := mustMember(t, a, "node-00042"); got.Incarnation != 1 || string(got.Meta) != "v2" {
			t.Errorf("n=%d: a holds %+v", n, got)
		}
		// Each side sends its records of one bucket: about 2n/buckets.
		if limit := 4 * n / buckets; records > limit+4 {
			t.Errorf("n=%d: %d records exchanged, want about %d", n, records, 2*n/buckets)
		}
		t.Logf("n=%d buckets=%d: one difference cost %d bytes, %d records", n, buckets, log.bytes, records)
	}
}

// TestDigestFullSyncChunks: a table far larger than a message travels in
// chunks of at most maxMemberRecordsPerMessage and converges.
func TestDigestFullSyncChunks(t *testing.T) {
	a := newStartedMembership(t, "a", unlimitedNewMembersConfig())
	_, b := twins(t, 3000)
	log := runExchange(t, a, b)
	for _, msg := range log.msgs {
		if mr, ok := msg.(memberRecordsMsg); ok && len(mr.Records) > maxMemberRecordsPerMessage {
			t.Fatalf("a message of %d records", len(mr.Records))
		}
	}
	if a.table.root != b.table.root || a.NumMembers() != 3000 {
		t.Errorf("after a full sync: a has %d members, roots equal %v", a.NumMembers(), a.table.root == b.table.root)
	}
}

// TestDigestTombstoneAge: tombstones travel with their age, so that both
// sides forget them at the same time.
func TestDigestTombstoneAge(t *testing.T) {
	a := newStartedMembership(t, "a", DefaultMembershipConfig())
	b := newStartedMembership(t, "b", DefaultMembershipConfig())
	deliverRecs(t, b, mt0, "x", rec("x", 2, memberStateDead))
	b.now = mt0.Add(90 * 1e9)
	a.now = b.now
	runExchange(t, a, b)
	got := mustMember(t, a, "x")
	if want := mt0; !got.StateChange.Equal(want) {
		t.Errorf("tombstone dated %v, want %v", got.StateChange, want)
	}
}

func TestDigestBucketsFor(t *testing.T) {
	for n, want := range map[int]int{0: 64, 1024: 64, 1025: 128, 2048: 128, 4000: 256, 1e6: 256} {
		if got := digestBucketsFor(n); got != want {
			t.Errorf("digestBucketsFor(%d) = %d, want %d", n, got, want)
		}
	}
}
