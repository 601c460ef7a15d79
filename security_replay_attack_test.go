package hyparlist

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// This file replays captured encrypted traffic to a node over real
// sockets on 127.0.0.1: a whole stream, and a packet. On wire version 3
// and before (and in memberlist) each replay was accepted and delivered
// again.

// newKeyedTCPNode starts a node on 127.0.0.1 with key, strict
// (GossipVerifyIncoming and GossipVerifyOutgoing) unless tweaks change
// it, its metrics in a sink of its own; it is shut down when the test
// ends.
func newKeyedTCPNode(t *testing.T, name string, key []byte, tweaks ...func(*Config)) (*testNode, *inmemSink) {
	t.Helper()
	rec := &recorder{name: name}
	conf := mockConfig(name, func(c *Config) {
		c.BindAddr = "127.0.0.1"
		c.BindPort = 0
		c.KeepaliveTimeout = 3 * time.Second
		c.TCPTimeout = 3 * time.Second
		c.SecretKey = key
		c.GossipVerifyIncoming = true
		c.GossipVerifyOutgoing = true
		for _, f := range tweaks {
			f(c)
		}
	})
	conf.Delegate = rec
	conf.Events = rec
	sink := newInmemSink(time.Hour, time.Hour)
	ml, err := create(conf, sink)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	rec.self.Store(ml)
	t.Cleanup(func() { _ = ml.Shutdown() })
	return &testNode{ml: ml, rec: rec}, sink
}

// recordingProxy forwards one TCP connection to target and records what
// the client sent.
type recordingProxy struct {
	ln   net.Listener
	mu   sync.Mutex
	sent []byte
	done chan struct{}
}

// newRecordingProxy listens on 127.0.0.1 and forwards the first
// connection to target.
func newRecordingProxy(t *testing.T, target string) *recordingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingProxy{ln: ln, done: make(chan struct{})}
	t.Cleanup(func() { _ = ln.Close(); <-p.done })
	go func() {
		defer close(p.done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		s, err := net.Dial("tcp", target)
		if err != nil {
			return
		}
		defer s.Close()
		go func() { _, _ = io.Copy(c, s) }()
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				p.mu.Lock()
				p.sent = append(p.sent, buf[:n]...)
				p.mu.Unlock()
				if _, err := s.Write(buf[:n]); err != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return p
}

// recorded returns what the client sent so far.
func (p *recordingProxy) recorded() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.sent)
}

// proxyNode returns a Node named name at the proxy's address.
func (p *recordingProxy) proxyNode(name string) *Node {
	a := p.ln.Addr().(*net.TCPAddr)
	return &Node{Name: name, Addr: a.IP, Port: uint16(a.Port)}
}

// TestAttackReplayedStream: a SendReliable stream between two nodes with
// a key is recorded and replayed to the receiver three times; the message
// is delivered once, every replay is refused as undecryptable after the
// Hello (the stream is bound to the receiver's fresh handshake nonce), and
// the live heap stays under attackHeapMax.
func TestAttackReplayedStream(t *testing.T) {
	key := testKey(7, 32)
	a, _ := newKeyedTCPNode(t, "a", key)
	b, bSink := newKeyedTCPNode(t, "b", key)
	proxy := newRecordingProxy(t, b.ml.LocalNode().Address())
	msg := []byte("pay once")
	if err := a.ml.SendReliable(proxy.proxyNode("b"), msg); err != nil {
		t.Fatalf("SendReliable through the proxy: %v", err)
	}
	pollUntil(t, "the message at b", func() bool { return b.rec.count(msg) == 1 })
	stream := proxy.recorded()
	const replays = 3
	for range replays {
		c, err := net.Dial("tcp", b.ml.LocalNode().Address())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(stream); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.Copy(io.Discard, c) // until b closes the stream
		_ = c.Close()
	}
	pollUntil(t, "every replay refused, or delivered", func() bool {
		return b.rec.count(msg) > 1 || counterSum(bSink, "hyparlist.msg.decrypt_failed;reason=no_matching_key") >= replays
	})
	if n := b.rec.count(msg); n != 1 {
		t.Fatalf("a replayed stream was delivered: %d deliveries, want 1", n)
	}
	wantHeapUnder(t)
}

// TestAttackReplayedPacket: a SendBestEffort packet between two nodes
// with a key is captured and sent to the receiver once as sent, then
// three more times; it is delivered once, the replays are counted, and
// the live heap stays under attackHeapMax.
func TestAttackReplayedPacket(t *testing.T) {
	key := testKey(7, 32)
	a, _ := newKeyedTCPNode(t, "a", key)
	b, bSink := newKeyedTCPNode(t, "b", key)
	tap, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tap.Close()
	ta := tap.LocalAddr().(*net.UDPAddr)
	msg := []byte("deliver once")
	if err := a.ml.SendBestEffort(&Node{Name: "b", Addr: ta.IP, Port: uint16(ta.Port)}, msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65536)
	_ = tap.SetReadDeadline(time.Now().Add(e2eWait))
	n, _, err := tap.ReadFrom(buf)
	if err != nil {
		t.Fatalf("capture: %v", err)
	}
	packet := buf[:n]
	to, err := net.ResolveUDPAddr("udp", b.ml.LocalNode().Address())
	if err != nil {
		t.Fatal(err)
	}
	const replays = 3
	if _, err := tap.WriteTo(packet, to); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "the first copy delivered", func() bool { return b.rec.count(msg) == 1 })
	for range replays {
		if _, err := tap.WriteTo(packet, to); err != nil {
			t.Fatal(err)
		}
	}
	pollUntil(t, "every replay refused, or delivered", func() bool {
		return b.rec.count(msg) > 1 || counterSum(bSink, "hyparlist.msg.decrypt_failed;reason=replay") >= replays
	})
	if n := b.rec.count(msg); n != 1 {
		t.Fatalf("a replayed packet was delivered: %d deliveries, want 1", n)
	}
	wantHeapUnder(t)
}
