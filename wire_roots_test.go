package hyparlist

import (
	"reflect"
	"testing"
)

// TestWireTreeRootVersions: a PRUNE or GRAFT with a tree root is written
// in a version 3 frame and read back whole; one without keeps the frame
// version of its type (1), which every version reads; forVersion strips
// the root for a link below version 3 and keeps everything else.
func TestWireTreeRootVersions(t *testing.T) {
	lim := defaultWireLimits()
	ids := []MessageID{{Origin: "o", Seq: 3}}
	cases := []struct {
		msg     Message
		version uint8
		old     Message // as sent on a version 2 link
	}{
		{pruneMsg{Root: "r"}, 3, pruneMsg{}},
		{pruneMsg{}, 1, pruneMsg{}},
		{graftMsg{Root: "r"}, 3, graftMsg{}},
		{graftMsg{IDs: ids, Root: "r"}, 3, graftMsg{IDs: ids}},
		{graftMsg{IDs: ids}, 1, graftMsg{IDs: ids}},
		{gossipMsg{ID: ids[0]}, 1, gossipMsg{ID: ids[0]}},
	}
	for _, c := range cases {
		frame, err := encodeMessage(nil, c.msg, lim)
		if err != nil {
			t.Fatalf("%+v: %v", c.msg, err)
		}
		if frame[0] != c.version {
			t.Errorf("%+v: frame version %d, want %d", c.msg, frame[0], c.version)
		}
		got, err := decodeMessage(frame, lim)
		if err != nil || !reflect.DeepEqual(got, c.msg) {
			t.Errorf("%+v: decoded %+v, %v", c.msg, got, err)
		}
		for v := wireVersionMin; v <= wireVersion; v++ {
			want := c.old
			if v >= wireVersionTreeRoots {
				want = c.msg
			}
			if got := forVersion(c.msg, v); !reflect.DeepEqual(got, want) {
				t.Errorf("forVersion(%+v, %d) = %+v, want %+v", c.msg, v, got, want)
			}
			if f, err := encodeMessage(nil, forVersion(c.msg, v), lim); err != nil || f[0] > v {
				t.Errorf("forVersion(%+v, %d): frame version %d, %v", c.msg, v, f[0], err)
			}
		}
	}
	// An empty root in a version 3 body reads as no root.
	got, err := decodeMessage(rawFrame(3, byte(typePrune), 0, -1, "91 a0"), lim)
	if err != nil || !reflect.DeepEqual(got, pruneMsg{}) {
		t.Errorf("prune with an empty root: %+v, %v", got, err)
	}
}

// TestWireSharedTreeVersions: a PRUNE or GRAFT for the shared tree is
// written in a version 5 frame and read back whole; forVersion keeps it
// on a version 5 link, strips Shared (keeping the root) on a version 3
// or 4 link, and the root too below version 3.
func TestWireSharedTreeVersions(t *testing.T) {
	lim := defaultWireLimits()
	ids := []MessageID{{Origin: "o", Seq: ptSharedBit | 3}}
	cases := []struct {
		msg    Message
		v3, v1 Message // as sent on a version 3 or 4 link, and below 3
	}{
		{pruneMsg{Root: "o", Shared: true}, pruneMsg{Root: "o"}, pruneMsg{}},
		{graftMsg{Root: "o", Shared: true}, graftMsg{Root: "o"}, graftMsg{}},
		{graftMsg{IDs: ids, Root: "o", Shared: true}, graftMsg{IDs: ids, Root: "o"}, graftMsg{IDs: ids}},
		{pruneMsg{Shared: true}, pruneMsg{}, pruneMsg{}},
	}
	for _, c := range cases {
		frame, err := encodeMessage(nil, c.msg, lim)
		if err != nil {
			t.Fatalf("%+v: %v", c.msg, err)
		}
		if frame[0] != wireVersionSharedTree {
			t.Errorf("%+v: frame version %d, want %d", c.msg, frame[0], wireVersionSharedTree)
		}
		if got, err := decodeMessage(frame, lim); err != nil || !reflect.DeepEqual(got, c.msg) {
			t.Errorf("%+v: decoded %+v, %v", c.msg, got, err)
		}
		for v := wireVersionMin; v <= wireVersion; v++ {
			want := c.msg
			switch {
			case v < wireVersionTreeRoots:
				want = c.v1
			case v < wireVersionSharedTree:
				want = c.v3
			}
			got := forVersion(c.msg, v)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("forVersion(%+v, %d) = %+v, want %+v", c.msg, v, got, want)
			}
			if f, err := encodeMessage(nil, got, lim); err != nil || f[0] > v {
				t.Errorf("forVersion(%+v, %d): frame version %d, %v", c.msg, v, f[0], err)
			}
		}
	}
}
