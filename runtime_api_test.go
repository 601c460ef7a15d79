package hyparlist

import (
	"bytes"
	"errors"
	"net"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeDirectMessages sends user messages point to point, over a
// stream and in a packet, and checks the size limit of packets.
func TestRuntimeDirectMessages(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 3, nil)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, 3) })

		from, to := c.nodes[1].ml, c.nodes[2]
		target := to.ml.LocalNode()
		big := bytes.Repeat([]byte("r"), 100_000) // far above UDPBufferSize
		for _, send := range []struct {
			name string
			f    func() error
			want []byte
		}{
			{"SendReliable", func() error { return from.SendReliable(target, big) }, big},
			{"SendToTCP", func() error { return from.SendToTCP(target, []byte("tcp")) }, []byte("tcp")},
			{"SendBestEffort", func() error { return from.SendBestEffort(target, []byte("udp")) }, []byte("udp")},
			{"SendToUDP", func() error { return from.SendToUDP(target, []byte("udp2")) }, []byte("udp2")},
			{"SendToAddress", func() error {
				return from.SendToAddress(Address{Addr: target.Address(), Name: target.Name}, []byte("addr"))
			}, []byte("addr")},
		} {
			if err := send.f(); err != nil {
				t.Fatalf("%s: %v", send.name, err)
			}
			eventually(t, 10*time.Second, send.name+" to arrive", func() bool { return to.rec.count(send.want) == 1 })
		}
		// A packet from another cluster (another label) is dropped.
		stranger := c.add("stranger", func(conf *Config) { conf.Label = "elsewhere" })
		if err := stranger.ml.SendBestEffort(target, []byte("foreign")); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := to.rec.count([]byte("foreign")); got != 0 {
			t.Errorf("a packet with another label was delivered %d times", got)
		}
		if err := from.SendBestEffort(target, big); !errors.Is(err, ErrMessageTooLarge) {
			t.Errorf("SendBestEffort of %d bytes = %v, want ErrMessageTooLarge", len(big), err)
		}
		huge := make([]byte, from.config.MaxFrameSize+1)
		if err := from.SendReliable(target, huge); !errors.Is(err, ErrMessageTooLarge) {
			t.Errorf("SendReliable of %d bytes = %v, want ErrMessageTooLarge", len(huge), err)
		}
		if err := from.Broadcast(huge); !errors.Is(err, ErrMessageTooLarge) {
			t.Errorf("Broadcast of %d bytes = %v, want ErrMessageTooLarge", len(huge), err)
		}
	})
}

// TestRuntimeJoinErrors checks Join's address forms and failures.
func TestRuntimeJoinErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 2, nil)
		defer c.shutdown()
		other := c.add("labelled", func(conf *Config) { conf.Label = "other-cluster" })
		fenced := c.add("fenced", func(conf *Config) {
			nets, err := ParseCIDRs([]string{"10.0.0.0/8"})
			if err != nil {
				t.Fatal(err)
			}
			conf.CIDRsAllowed = nets
		})
		a, b := c.nodes[0].ml, c.nodes[1].ml
		bAddr := b.LocalNode().Address()

		// The local node counts as reached without a connection.
		if n, err := a.Join([]string{a.LocalNode().Address()}); n != 1 || err != nil {
			t.Errorf("Join(self) = %d, %v; want 1, nil", n, err)
		}
		// An empty list contacts nobody, without an error (memberlist's
		// Join loops over no host and returns 0, nil).
		for _, hosts := range [][]string{nil, {}} {
			if n, err := a.Join(hosts); n != 0 || err != nil {
				t.Errorf("Join(%#v) = %d, %v; want 0, nil", hosts, n, err)
			}
		}
		// Nothing listens there.
		n, err := a.Join([]string{"127.0.0.1:9"})
		if n != 0 || !errors.Is(err, ErrNoContact) {
			t.Errorf("Join(unreachable) = %d, %v; want 0, ErrNoContact", n, err)
		}
		// The name does not match the node at the address (the mock
		// network routes by name, so the dial itself fails; over TCP the
		// handshake does, see the end-to-end test).
		n, err = a.Join([]string{"someone-else/" + bAddr})
		if n != 0 || !errors.Is(err, ErrNoContact) {
			t.Errorf("Join(wrong name) = %d, %v; want 0, ErrNoContact", n, err)
		}
		// Another cluster's label is refused in the handshake.
		n, err = a.Join([]string{other.ml.LocalNode().Address()})
		var rej *rejectedError
		if n != 0 || !errors.As(err, &rej) || rej.reason != rejectLabel {
			t.Errorf("Join(other label) = %d, %v; want 0, label rejection", n, err)
		}
		// A node that only accepts 10.0.0.0/8 refuses 127.0.0.1.
		if n, err := a.Join([]string{fenced.ml.LocalNode().Address()}); n != 0 || !errors.Is(err, ErrNoContact) {
			t.Errorf("Join(fenced) = %d, %v; want 0, ErrNoContact", n, err)
		}
		// A bad host is reported with the good one reached.
		n, err = a.Join([]string{"", "node-01/" + bAddr})
		if n != 1 || err != nil {
			t.Errorf("Join(bad, good) = %d, %v; want 1, nil", n, err)
		}
		eventually(t, time.Minute, "the two nodes to meet", func() bool { return a.NumMembers() == 2 && b.NumMembers() == 2 })
		if got := memberNames(a.Neighbors()); !slices.Equal(got, []string{"node-01"}) {
			t.Errorf("a.Neighbors() = %v", got)
		}
		if got := memberNames(other.ml.Members()); !slices.Equal(got, []string{"labelled"}) {
			t.Errorf("the labelled node lists %v", got)
		}
	})
}

// TestRuntimeResolveJoinAddr checks the host forms Join accepts.
func TestRuntimeResolveJoinAddr(t *testing.T) {
	m := &Memberlist{config: &Config{BindPort: 7946, TCPTimeout: time.Second}}
	for _, tc := range []struct {
		in   string
		want Address
	}{
		{"10.0.0.1:1234", Address{Addr: "10.0.0.1:1234"}},
		{"10.0.0.1", Address{Addr: "10.0.0.1:7946"}},
		{"node-a/10.0.0.1:1234", Address{Addr: "10.0.0.1:1234", Name: "node-a"}},
		{"node-a/10.0.0.1", Address{Addr: "10.0.0.1:7946", Name: "node-a"}},
		{"[::1]:99", Address{Addr: "[::1]:99"}},
		{"::1", Address{Addr: "[::1]:7946"}},
		{"localhost:5", Address{Addr: "127.0.0.1:5"}},
	} {
		got, err := m.resolveJoinAddr(tc.in)
		if err != nil {
			t.Errorf("resolveJoinAddr(%q): %v", tc.in, err)
			continue
		}
		if !slices.Contains(got, tc.want) {
			t.Errorf("resolveJoinAddr(%q) = %v, want it to contain %v", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"", "name/", ":80"} {
		if got, err := m.resolveJoinAddr(bad); err == nil {
			t.Errorf("resolveJoinAddr(%q) = %v, want an error", bad, got)
		}
	}
}

// TestRuntimePing measures a round trip and checks the timeout and the
// name check.
func TestRuntimePing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 2, nil)
		defer c.shutdown()
		a, b := c.nodes[0].ml, c.nodes[1].ml
		addr := mockAddr(b.LocalNode().Address())
		for _, dir := range [][2]string{{"node-00", "node-01"}, {"node-01", "node-00"}} {
			if err := c.net.setDelay(dir[0], dir[1], 30*time.Millisecond); err != nil {
				t.Fatal(err)
			}
		}
		rtt, err := a.Ping("node-01", addr)
		if err != nil || rtt != 60*time.Millisecond {
			t.Errorf("Ping = %v, %v; want 60ms (two 30ms hops of virtual time)", rtt, err)
		}
		if _, err := a.Ping("node-99", addr); err == nil {
			t.Errorf("Ping(wrong name) succeeded")
		}
		// ProbeTimeout is 200ms in the local profile: 2×150ms is too slow.
		for _, dir := range [][2]string{{"node-00", "node-01"}, {"node-01", "node-00"}} {
			if err := c.net.setDelay(dir[0], dir[1], 150*time.Millisecond); err != nil {
				t.Fatal(err)
			}
		}
		var npr NoPingResponseError
		if _, err := a.Ping("node-01", addr); !errors.As(err, &npr) {
			t.Errorf("slow Ping = %v, want NoPingResponseError", err)
		}
	})
}

// mockAddr is a net.Addr for an "ip:port" string.
type mockAddr string

func (a mockAddr) Network() string { return "mock" }
func (a mockAddr) String() string  { return string(a) }

// TestRuntimeShutdown checks that Shutdown is idempotent, that the
// methods that need a running node then return ErrShutdown, and that the
// read-only ones keep working.
func TestRuntimeShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 2, nil)
		c.joinAll()
		eventually(t, time.Minute, "the two nodes to meet", func() bool { return allSee(c.nodes, 2) })
		a, b := c.nodes[0].ml, c.nodes[1].ml
		target := b.LocalNode()
		if err := a.Shutdown(); err != nil {
			t.Fatal(err)
		}
		if err := a.Shutdown(); err != nil {
			t.Errorf("second Shutdown = %v", err)
		}
		_, joinErr := a.Join([]string{target.Address()})
		_, pingErr := a.Ping(target.Name, mockAddr(target.Address()))
		for name, err := range map[string]error{
			"Join":           joinErr,
			"Leave":          a.Leave(time.Second),
			"UpdateNode":     a.UpdateNode(time.Second),
			"SendReliable":   a.SendReliable(target, []byte("x")),
			"SendBestEffort": a.SendBestEffort(target, []byte("x")),
			"SendToAddress":  a.SendToAddress(target.FullAddress(), []byte("x")),
			"Broadcast":      a.Broadcast([]byte("x")),
			"Ping":           pingErr,
		} {
			if !errors.Is(err, ErrShutdown) {
				t.Errorf("%s after Shutdown = %v, want ErrShutdown", name, err)
			}
		}
		if a.LocalNode() == nil || a.NumMembers() == 0 || len(a.Members()) == 0 {
			t.Errorf("read-only methods fail after Shutdown")
		}
		// The other node sees the shut-down node die.
		eventually(t, 2*time.Minute, "the dead node to be dropped", func() bool { return b.NumMembers() == 1 })
		if err := b.Shutdown(); err != nil {
			t.Fatal(err)
		}
		// synctest.Test fails if any goroutine of the nodes is left.
	})
}

var _ net.Addr = mockAddr("")

// TestRuntimeShutdownFromCallback calls Leave and Shutdown from inside
// NotifyMsg: the dispatcher is not something Shutdown waits for, so this
// must not deadlock.
func TestRuntimeShutdownFromCallback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := joinedCluster(t, 2, nil)
		a, b := c.nodes[0], c.nodes[1]
		errs := make(chan error, 2)
		b.rec.setHooks(nil, func([]byte) {
			ml := b.rec.self.Load()
			errs <- ml.Leave(time.Second)
			errs <- ml.Shutdown()
		})
		if err := a.ml.SendReliable(b.ml.LocalNode(), []byte("stop")); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Errorf("from NotifyMsg: %v", err)
			}
		}
		eventually(t, time.Minute, "the leave to reach the other node", func() bool { return a.ml.NumMembers() == 1 })
	})
}
