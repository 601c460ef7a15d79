// Runtime tests: a link to a non-neighbour closes once it carried the last
// message of an exchange (runtime_oneshot.go).

package hyparlist

import (
	"testing"
	"testing/synctest"
)

// TestRuntimeLinkClosesAfterLastWord: a link to a non-neighbour that
// carried only the last message of an exchange (DISCONNECT, SHUFFLE_REPLY,
// a refused NEIGHBOR_REPLY) closes once it is sent; any other message, a
// second message, or a neighbour's link keeps it open.
func TestRuntimeLinkClosesAfterLastWord(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 2, nil)
		defer c.shutdown()
		peer := c.nodes[1].ml.self
		cases := []struct {
			name   string
			msg    Message
			closed bool
		}{
			{"disconnect", disconnectMsg{Alive: true}, true},
			{"shuffle reply", shuffleReplyMsg{Peers: []Peer{peer}}, true},
			{"refused neighbor", neighborReplyMsg{Accepted: false}, true},
			{"accepted neighbor", neighborReplyMsg{Accepted: true}, false},
			{"neighbor request", neighborMsg{}, false},
			{"member digest", memberDigestMsg{}, false},
		}
		for _, tc := range cases {
			onLoop(t, c.nodes[0].ml, func(l *runLoop) {
				if k := l.links[peer.Name]; k != nil {
					l.closeLink(k)
				}
				l.send(peer, tc.msg)
				k := l.links[peer.Name]
				if closed := k == nil; closed != tc.closed {
					t.Errorf("%s: link closed at once = %v, want %v", tc.name, closed, tc.closed)
				}
			})
		}
		// A link that carried another message first keeps its linger.
		onLoop(t, c.nodes[0].ml, func(l *runLoop) {
			l.send(peer, memberDigestMsg{})
			k := l.links[peer.Name]
			l.send(peer, disconnectMsg{Alive: true})
			if l.links[peer.Name] != k {
				t.Errorf("a link that carried two messages closed after a DISCONNECT")
			}
			l.closeLink(k)
		})
		// A neighbour's link stays open whatever it carries.
		onLoop(t, c.nodes[0].ml, func(l *runLoop) {
			k := l.link(peer)
			k.neighbor = true
			l.send(peer, disconnectMsg{Alive: true})
			if l.links[peer.Name] != k {
				t.Errorf("a neighbour's link closed after a DISCONNECT")
			}
			k.neighbor = false
			l.closeLink(k)
		})
	})
}

// A node told the last word of an exchange by a peer outside its active
// view closes its own link to that peer.
func TestRuntimeLinkClosesWhenAnswered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 2, nil)
		defer c.shutdown()
		peer := c.nodes[1].ml.self
		// The peer answers nothing: its answer to a case's NEIGHBOR
		// request could otherwise make it a neighbour before the next
		// case, whose link would then stay open whatever it is told.
		c.net.isolate(peer.Name)
		cases := []struct {
			name   string
			msg    Message
			closed bool
		}{
			{"disconnect", disconnectMsg{Alive: true}, true},
			{"shuffle reply", shuffleReplyMsg{Peers: []Peer{}}, true},
			{"refused neighbor", neighborReplyMsg{Accepted: false}, true},
			{"keepalive", keepaliveMsg{}, false},
			{"neighbor request", neighborMsg{}, false},
		}
		for _, tc := range cases {
			onLoop(t, c.nodes[0].ml, func(l *runLoop) {
				if k := l.links[peer.Name]; k != nil {
					l.closeLink(k)
				}
				l.send(peer, neighborMsg{})
				k := l.links[peer.Name]
				l.onInbound(inbound{from: peer, msg: tc.msg})
				if closed := l.links[peer.Name] != k; closed != tc.closed {
					t.Errorf("%s: own link closed = %v, want %v", tc.name, closed, tc.closed)
				}
				if k := l.links[peer.Name]; k != nil && !k.neighbor {
					l.closeLink(k)
				}
			})
		}
		// A link that carried more than one message is not closed.
		onLoop(t, c.nodes[0].ml, func(l *runLoop) {
			l.send(peer, memberDigestMsg{})
			l.send(peer, memberDigestMsg{})
			k := l.links[peer.Name]
			l.onInbound(inbound{from: peer, msg: disconnectMsg{Alive: true}})
			if l.links[peer.Name] != k {
				t.Errorf("a link that carried two messages closed on a DISCONNECT from its peer")
			}
		})
	})
}
