package hyparlist

import (
	"bytes"
	"testing"
)

func TestBroadcastOf(t *testing.T) {
	g := gossipMsg{ID: MessageID{Origin: "a", Seq: 1}, Class: ClassMembership, Payload: []byte("x")}
	if c, p, ok := BroadcastOf(g); !ok || c != ClassMembership || !bytes.Equal(p, []byte("x")) {
		t.Errorf("BroadcastOf(gossip) = %v, %q, %v", c, p, ok)
	}
	for _, m := range []Message{ihaveMsg{}, graftMsg{}, pruneMsg{}, joinMsg{}, keepaliveMsg{}, memberDigestMsg{}, nil} {
		if c, p, ok := BroadcastOf(m); ok || c != 0 || p != nil {
			t.Errorf("BroadcastOf(%T) = %v, %q, %v; want nothing", m, c, p, ok)
		}
	}
}
