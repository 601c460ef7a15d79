package hyparlist

import (
	"bytes"
	"errors"
	"net"
	"testing"
)

func TestNodeAddress(t *testing.T) {
	tests := []struct {
		ip   net.IP
		port uint16
		want string
	}{
		{net.ParseIP("10.0.0.1"), 7946, "10.0.0.1:7946"},
		{net.ParseIP("::1"), 80, "[::1]:80"},
		{net.IPv4(127, 0, 0, 1).To4(), 0, "127.0.0.1:0"},
	}
	for _, tc := range tests {
		n := &Node{Name: "a", Addr: tc.ip, Port: tc.port}
		if got := n.Address(); got != tc.want {
			t.Errorf("Address() = %q, want %q", got, tc.want)
		}
		if got := n.FullAddress(); got != (Address{Addr: tc.want, Name: "a"}) {
			t.Errorf("FullAddress() = %+v", got)
		}
		if n.String() != "a" {
			t.Errorf("String() = %q", n.String())
		}
	}
}

func TestAddressString(t *testing.T) {
	if got := (&Address{Addr: "h:1", Name: "n"}).String(); got != "n (h:1)" {
		t.Errorf("named address = %q", got)
	}
	if got := (&Address{Addr: "h:1"}).String(); got != "h:1" {
		t.Errorf("unnamed address = %q", got)
	}
}

func TestEnumStrings(t *testing.T) {
	states := map[NodeStateType]string{
		StateAlive: "alive", StateSuspect: "suspect", StateDead: "dead", StateLeft: "left", 9: "NodeStateType(9)",
	}
	for s, want := range states {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(s), s.String(), want)
		}
	}
	events := map[NodeEventType]string{
		NodeJoin: "join", NodeLeave: "leave", NodeUpdate: "update", -1: "NodeEventType(-1)",
	}
	for e, want := range events {
		if e.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(e), e.String(), want)
		}
	}
}

func TestChannelEventDelegate(t *testing.T) {
	ch := make(chan NodeEvent, 3)
	d := &ChannelEventDelegate{Ch: ch}
	n := &Node{Name: "a", Addr: net.ParseIP("10.0.0.1"), Meta: []byte("m"), State: StateLeft}
	d.NotifyJoin(n)
	d.NotifyUpdate(n)
	d.NotifyLeave(n)
	n.Meta[0] = 'x' // the sender changes its node afterwards
	n.Addr[15] = 9
	for _, want := range []NodeEventType{NodeJoin, NodeUpdate, NodeLeave} {
		ev := <-ch
		if ev.Event != want || ev.Node.Name != "a" || ev.Node.State != StateLeft {
			t.Fatalf("event = %v %+v, want %v", ev.Event, ev.Node, want)
		}
		if string(ev.Node.Meta) != "m" || ev.Node.Addr.String() != "10.0.0.1" {
			t.Fatalf("event node shares memory with the sender: %+v", ev.Node)
		}
		if ev.Node == n {
			t.Fatal("event carries the sender's pointer")
		}
	}
	// A nil channel drops events instead of blocking forever.
	(&ChannelEventDelegate{}).NotifyJoin(n)
}

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }

type fakeConn struct {
	net.Conn
	remote net.Addr
}

func (c fakeConn) RemoteAddr() net.Addr { return c.remote }

func TestLogHelpers(t *testing.T) {
	if got := LogAddress(fakeAddr("1.2.3.4:5")); got != "from=1.2.3.4:5" {
		t.Errorf("LogAddress = %q", got)
	}
	if got := LogAddress(nil); got != "from=<unknown address>" {
		t.Errorf("LogAddress(nil) = %q", got)
	}
	if got := LogStringAddress(""); got != "from=<unknown address>" {
		t.Errorf("LogStringAddress(\"\") = %q", got)
	}
	if got := LogStringAddress("h:1"); got != "from=h:1" {
		t.Errorf("LogStringAddress = %q", got)
	}
	if got := LogConn(fakeConn{remote: fakeAddr("h:2")}); got != "from=h:2" {
		t.Errorf("LogConn = %q", got)
	}
	if got := LogConn(nil); got != "from=<unknown address>" {
		t.Errorf("LogConn(nil) = %q", got)
	}
}

func TestErrorsAreDistinct(t *testing.T) {
	all := []error{ErrShutdown, ErrNoContact, ErrMessageTooLarge, ErrInvalidConfig,
		ErrNotAllowed, ErrInvalidKey, ErrKeyNotFound, ErrRemovePrimaryKey}
	for i, a := range all {
		for j, b := range all {
			if (i == j) != errors.Is(a, b) {
				t.Errorf("errors.Is(%v, %v) = %v", a, b, errors.Is(a, b))
			}
		}
	}
}

// TestMemberNodeAddrForm checks that Node.Addr holds an IPv4 address in
// its 4-byte form, as memberlist's does (serf hands the bytes on, and its
// agent test compares them), and an IPv6 address in 16 bytes.
func TestMemberNodeAddrForm(t *testing.T) {
	m := &Memberlist{config: DefaultLANConfig()}
	cases := []struct {
		addr string
		want net.IP
	}{
		{"10.0.0.1:7946", net.IP{10, 0, 0, 1}},
		{"[fd00::1]:7946", net.ParseIP("fd00::1")},
	}
	for _, c := range cases {
		n := m.memberNode(Member{Name: "a", Addr: c.addr})
		if !bytes.Equal(n.Addr, c.want) || n.Port != 7946 {
			t.Errorf("memberNode(%q): Addr %#v port %d, want %#v port 7946", c.addr, n.Addr, n.Port, c.want)
		}
	}
}
