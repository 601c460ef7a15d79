package hyparlist

import (
	"fmt"
	"strings"
	"testing"
)

// TestValidateMinFrameSize: a MaxFrameSize too small for the largest
// membership frame is refused, naming MaxFrameSize; minFrameSize itself is
// accepted.
func TestValidateMinFrameSize(t *testing.T) {
	for _, size := range []int{1400, 64 << 10, minFrameSize - 1} {
		c := DefaultLANConfig()
		c.Name = "node"
		c.MaxFrameSize = size
		wantOnlyInvalid(t, fmt.Sprintf("MaxFrameSize = %d", size), c.validate(), "MaxFrameSize")
	}
	c := DefaultLANConfig()
	c.Name = "node"
	c.MaxFrameSize = minFrameSize
	if err := c.validate(); err != nil {
		t.Errorf("MaxFrameSize = minFrameSize (%d): %v", minFrameSize, err)
	}
}

// TestMinFrameSizeFitsEveryMessage encodes the largest message of each
// kind the cores of a node configured with MaxFrameSize = minFrameSize can
// emit, with every name, address and metadata at the largest size a
// decoder lets in, and checks that each fits in a frame.
func TestMinFrameSizeFitsEveryMessage(t *testing.T) {
	c := DefaultLANConfig()
	c.Name = "node"
	c.MaxFrameSize = minFrameSize
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	lim := c.wireLimits()
	cc := c.coreConfigs()

	wireName := strings.Repeat("n", lim.MaxNameLen)
	wireAddr := strings.Repeat("a", lim.MaxAddrLen)
	record := memberRecord{
		Name:        strings.Repeat("n", maxMemberNameLen),
		Addr:        strings.Repeat("a", maxMemberAddrLen),
		Meta:        make([]byte, maxMemberMetaLen),
		Incarnation: 1<<32 - 1, State: memberStateLeft, AgeSeconds: 1<<32 - 1,
		Versions: memberVersions{255, 255, 255, 255, 255, 255},
	}
	records := func(n int) []memberRecord {
		rs := make([]memberRecord, n)
		for i := range rs {
			rs[i] = record
		}
		return rs
	}
	want := make([]uint16, maxDigestBuckets)
	for i := range want {
		want[i] = uint16(i)
	}
	hashes := make([]uint64, maxDigestBuckets)
	for i := range hashes {
		hashes[i] = 1<<64 - 1
	}
	// The most peers a shuffle may carry, whatever ShuffleActive and
	// ShufflePassive are.
	peers := make([]Peer, lim.MaxPeers)
	for i := range peers {
		peers[i] = Peer{Name: wireName, Addr: wireAddr}
	}
	id := MessageID{Origin: wireName, Seq: 1<<64 - 1}
	entries := make([]ihaveEntry, cc.plumtree.IHaveMaxEntries)
	ids := make([]MessageID, cc.plumtree.IHaveMaxEntries)
	for i := range entries {
		entries[i] = ihaveEntry{ID: id, Round: 1<<16 - 1}
		ids[i] = id
	}
	announcement, err := appendAnnouncement(nil, records(cc.membership.MaxAnnouncementRecords))
	if err != nil {
		t.Fatal(err)
	}
	one, _ := encodeMessage(nil, memberRecordsMsg{Records: records(1)}, lim)
	none, _ := encodeMessage(nil, memberRecordsMsg{}, lim)
	if got := len(one) - len(none); got != maxRecordSize {
		t.Errorf("a maximal record takes %d bytes, maxRecordSize is %d", got, maxRecordSize)
	}
	for _, m := range []Message{
		memberRecordsMsg{Join: true, Buckets: maxDigestBuckets, Want: want, Records: records(maxMemberRecordsPerMessage)},
		memberBucketsMsg{Join: true, Hashes: hashes},
		gossipMsg{ID: id, Class: ClassMembership, Round: 1<<16 - 1, Payload: announcement},
		ihaveMsg{Entries: entries},
		graftMsg{IDs: ids},
		shuffleMsg{Origin: Peer{Name: wireName, Addr: wireAddr}, TTL: 255, Peers: peers},
		shuffleReplyMsg{Peers: peers},
	} {
		frame, err := encodeMessage(nil, m, lim)
		if err != nil {
			t.Errorf("%s: %v", m.Type(), err)
			continue
		}
		t.Logf("%s: %d bytes of %d", m.Type(), len(frame)-frameHeaderSize, minFrameSize)
	}
}
