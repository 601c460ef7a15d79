//go:build linux

// Attack suite, frames and floods: truncated frames, unknown types,
// frames the stream's state does not allow, forged broadcasts and
// "left" records over real sockets, and a flood of random UDP packets
// with the log lines it costs. Run with: go test -run Attack .

package hyparlist

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// truncatedFrame completes a plain handshake, sends the first half of a
// 1 KiB user message frame and closes the connection.
func truncatedFrame(t *testing.T) func(*attacker) func(net.Conn) {
	frame, err := encodeMessage(nil, userMsg{Payload: make([]byte, 1<<10)}, defaultWireLimits())
	if err != nil {
		t.Fatal(err)
	}
	return func(a *attacker) func(net.Conn) {
		var n atomic.Int64
		return func(c net.Conn) {
			if !plainHandshake(t, c, fmt.Sprintf("truncated-%d", n.Add(1))) {
				return
			}
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = c.Write(frame[:len(frame)/2])
			_ = c.Close()
		}
	}
}

// unknownType completes a plain handshake and sends a frame of a type no
// version defines.
func unknownType(t *testing.T) func(*attacker) func(net.Conn) {
	return func(a *attacker) func(net.Conn) {
		var n atomic.Int64
		return func(c net.Conn) {
			if !plainHandshake(t, c, fmt.Sprintf("unknown-%d", n.Add(1))) {
				return
			}
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = c.Write([]byte{wireVersion, 0xee, 0, 0, 0, 0, 4, 1, 2, 3, 4})
		}
	}
}

// wrongState sends, before any handshake, a well-formed Ping as the
// stream's first frame; or, after a plain handshake, a second Hello.
func wrongState(t *testing.T, handshake bool) func(*attacker) func(net.Conn) {
	ping, err := encodeMessage(nil, pingMsg{SeqNo: 1}, defaultWireLimits())
	if err != nil {
		t.Fatal(err)
	}
	return func(a *attacker) func(net.Conn) {
		var n atomic.Int64
		return func(c net.Conn) {
			name := fmt.Sprintf("wrong-%d", n.Add(1))
			frame := ping
			if handshake {
				if !plainHandshake(t, c, name) {
					return
				}
				frame = helloBytes(t, name)
			}
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = c.Write(frame)
		}
	}
}

// TestAttackTruncatedFrames: handshaken streams that end inside a frame
// are closed and counted; the cluster keeps delivering.
func TestAttackTruncatedFrames(t *testing.T) {
	runStreamAttack(t, 50, truncatedFrame(t), "hyparlist.stream.truncated")
}

// TestAttackUnknownTypes: a frame of an unknown type closes the stream
// and is counted; the cluster keeps delivering.
func TestAttackUnknownTypes(t *testing.T) {
	runStreamAttack(t, 50, unknownType(t), "hyparlist.msg.decode_failed")
}

// TestAttackWrongStateFrames: a protocol frame instead of a Hello, and a
// Hello inside a handshaken stream, close the stream and are counted
// (hyparlist.msg.refused reason wrong_state; before session 10 they were
// only logged at debug level and inside a stream at WARN, uncounted).
func TestAttackWrongStateFrames(t *testing.T) {
	t.Run("before handshake", func(t *testing.T) {
		runStreamAttack(t, 50, wrongState(t, false), "hyparlist.msg.refused;reason="+refusedWrongState)
	})
	t.Run("after handshake", func(t *testing.T) {
		runStreamAttack(t, 50, wrongState(t, true), "hyparlist.msg.refused;reason="+refusedWrongState)
	})
}

// TestAttackForgedBroadcastAndLeft: an outsider completes a plain
// handshake under its own name with a node of a cluster that checks
// application broadcasts, and sends, signed with its own key, an
// application broadcast in node-1's name, a "left" record of node-1 in
// its own announcement, and the same in an announcement in node-1's
// name. Nothing of it is delivered or merged: node-1 stays alive and no
// NotifyLeave fires; each refusal is counted; the cluster keeps
// delivering and the heap stays bounded.
func TestAttackForgedBroadcastAndLeft(t *testing.T) {
	if testing.Short() {
		t.Skip("real sockets")
	}
	nodes := attackCluster(t, 3, func(c *Config) {
		c.VerifyUserBroadcasts = true
		c.QueueCheckInterval = 100 * time.Millisecond // emits foreign_left
	})
	target, victim := nodes[0], nodes[1]
	wantBroadcasts(t, nodes, "before")
	c := dialAsNeighbour(t, target.ml.LocalNode().Address(), "outsider")
	defer c.Close()
	_, key, _ := ed25519.GenerateKey(nil)
	left := memberRecord{Name: "node-1", Addr: victim.ml.LocalNode().Address(), State: memberStateLeft, Incarnation: 1 << 20}
	ann, err := appendAnnouncement(nil, []memberRecord{left})
	if err != nil {
		t.Fatal(err)
	}
	lim := defaultWireLimits()
	for _, g := range []gossipMsg{
		signedGossip(key, "node-1", 1<<40, ClassUser, []byte("forged in node-1's name")),
		signedGossip(key, "outsider", 1, ClassMembership, ann),
		signedGossip(key, "node-1", 1<<40+1, ClassMembership, ann),
	} {
		if err := writeMessageFrame(c, g, lim); err != nil {
			t.Fatal(err)
		}
	}
	attackWaitFor(t, "every forgery refused", func() bool {
		return counterSum(target.sink, "hyparlist.msg.refused;reason="+refusedOriginKey) >= 2 &&
			counterSum(target.sink, "hyparlist.msg.refused;reason="+refusedForeignLeft) >= 1
	})
	wantBroadcasts(t, nodes, "after")
	wantHeapUnder(t)
	for _, n := range nodes {
		if got := n.rec.count([]byte("forged in node-1's name")); got != 0 {
			t.Errorf("%s delivered the forged broadcast %d times", n.rec.name, got)
		}
		for _, s := range []NodeStateType{StateLeft, StateDead} {
			if names := n.rec.leftNames(s); len(names) > 0 {
				t.Errorf("%s: NotifyLeave %v (state %v)", n.rec.name, names, s)
			}
		}
	}
	var live bool
	onLoop(t, target.ml, func(l *runLoop) { live = l.ms.isLive("node-1") })
	if !live {
		t.Error("node-1 not alive on node-0 after the forged left records")
	}
}

// lineCounter counts the lines written to it that contain match.
type lineCounter struct {
	match []byte
	mu    sync.Mutex
	n     int
}

// Write implements io.Writer.
func (w *lineCounter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.n += bytes.Count(p, w.match)
	w.mu.Unlock()
	return len(p), nil
}

// lines returns the count so far.
func (w *lineCounter) lines() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// TestAttackPacketFlood: 200,000 UDP packets of random bytes (1 to 1,400
// of them) from one address to a node. They are dropped and counted, the
// node logs at most a few WARN lines for them (one per reason and source
// a minute; 783 lines for this flood before the log limit), the cluster
// keeps delivering and the heap stays bounded.
func TestAttackPacketFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("real sockets")
	}
	const (
		packets  = 200_000
		maxLines = 10
	)
	warns := &lineCounter{match: []byte("[WARN]")}
	nodes := attackCluster(t, 3, nil)
	target := newAttackNode(t, "target", "127.0.0.20", func(c *Config) { c.LogOutput = warns })
	if got, err := target.ml.Join([]string{nodes[0].ml.LocalNode().Address()}); got != 1 || err != nil {
		t.Fatalf("join: %d, %v", got, err)
	}
	nodes = append(nodes, target)
	attackWaitFor(t, "full membership", func() bool { return allSee(testNodes(nodes), len(nodes)) })
	before := warns.lines()
	dst, err := net.ResolveUDPAddr("udp", target.ml.LocalNode().Address())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(attackerAddr)}, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 1400)
	for range packets {
		b := buf[:1+rng.IntN(len(buf))]
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		_, _ = conn.Write(b) // a full socket buffer drops some: fine
	}
	wantBroadcasts(t, nodes, "flooded")
	wantHeapUnder(t)
	attackWaitFor(t, "the flood counted", func() bool {
		return counterSum(target.sink, "hyparlist.msg.decode_failed")+counterSum(target.sink, "hyparlist.packet.dropped") > 0
	})
	if n := warns.lines() - before; n > maxLines {
		t.Errorf("%d WARN lines for the flood, want at most %d", n, maxLines)
	}
	t.Logf("%d WARN lines, %v packets counted as undecodable, %v dropped", warns.lines()-before,
		counterSum(target.sink, "hyparlist.msg.decode_failed"), counterSum(target.sink, "hyparlist.packet.dropped"))
}
