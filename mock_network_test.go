package hyparlist

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// dialPair opens a stream from a to b and returns both ends, closed when
// the test ends.
func dialPair(t *testing.T, a, b *MockTransport) (out, in net.Conn) {
	t.Helper()
	out, err := a.DialAddressTimeout(Address{Addr: b.addr.addr, Name: b.addr.name}, time.Second)
	if err != nil {
		t.Fatalf("dial %s -> %s: %v", a.addr.name, b.addr.name, err)
	}
	select {
	case in = <-b.StreamCh():
	default:
		t.Fatalf("dial %s -> %s: nothing on StreamCh", a.addr.name, b.addr.name)
	}
	t.Cleanup(func() { _ = out.Close(); _ = in.Close() })
	return out, in
}

// sendTo sends msg from a to b's address.
func sendTo(t *testing.T, a, b *MockTransport, msg string) {
	t.Helper()
	if _, err := a.WriteTo([]byte(msg), b.addr.addr); err != nil {
		t.Fatalf("WriteTo %s -> %s: %v", a.addr.name, b.addr.name, err)
	}
}

// received drains the packets t holds once every goroutine has settled.
func received(t *MockTransport) []string {
	synctest.Wait()
	var got []string
	for {
		select {
		case p := <-t.PacketCh():
			got = append(got, string(p.Buf))
		default:
			return got
		}
	}
}

// mustFail checks that err wraps want.
func mustFail(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

// mustWork checks that bytes flow both ways on a stream.
func mustWork(t *testing.T, a, b net.Conn) {
	t.Helper()
	if _, err := a.Write([]byte("ab")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write([]byte("ba")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := io.ReadFull(b, buf); err != nil || string(buf) != "ab" {
		t.Fatalf("read %q, %v; want \"ab\"", buf, err)
	}
	if _, err := io.ReadFull(a, buf); err != nil || string(buf) != "ba" {
		t.Fatalf("read %q, %v; want \"ba\"", buf, err)
	}
}

// mustBeReset checks that both ends of a stream fail with ECONNRESET.
func mustBeReset(t *testing.T, a, b net.Conn) {
	t.Helper()
	_, err := a.Read(make([]byte, 1))
	mustFail(t, "read on a reset stream", err, syscall.ECONNRESET)
	_, err = b.Write([]byte("x"))
	mustFail(t, "write on a reset stream", err, syscall.ECONNRESET)
}

func TestMockNetworkDelivery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := &MockNetwork{} // the zero value works, as in memberlist
		a, b := n.NewTransport("a"), n.NewTransport("b")
		defer a.Shutdown()
		defer b.Shutdown()

		if a.addr.addr == b.addr.addr {
			t.Fatalf("two transports share address %s", a.addr.addr)
		}
		ip, port, err := b.FinalAdvertiseAddr("", 0)
		if err != nil || net.JoinHostPort(ip.String(), strconv.Itoa(port)) != b.addr.addr {
			t.Fatalf("advertise %v:%d, %v; want %s", ip, port, err, b.addr.addr)
		}

		msg := []byte("hello")
		sent, err := a.WriteTo(msg, b.addr.addr)
		if err != nil {
			t.Fatal(err)
		}
		msg[0] = 'j' // the transport copied the packet
		p := <-b.PacketCh()
		if string(p.Buf) != "hello" || p.From.String() != a.addr.addr || p.From.Network() != "mock" || !p.Timestamp.Equal(sent) {
			t.Fatalf("got %q from %v at %v", p.Buf, p.From, p.Timestamp)
		}

		// A name, when given, wins over the address.
		if _, err := a.WriteToAddress([]byte("by name"), Address{Addr: "127.0.0.1:9999", Name: "b"}); err != nil {
			t.Fatal(err)
		}
		if got := received(b); !slices.Equal(got, []string{"by name"}) {
			t.Fatalf("got %q", got)
		}
		_, err = a.WriteTo([]byte("x"), "127.0.0.1:9999")
		mustFail(t, "WriteTo unknown address", err, syscall.EHOSTUNREACH)
		_, err = a.DialTimeout("127.0.0.1:9999", time.Second)
		mustFail(t, "dial unknown address", err, syscall.EHOSTUNREACH)
		_, err = a.WriteTo(make([]byte, packetBufSize+1), b.addr.addr)
		mustFail(t, "oversized packet", err, errPacketTooLarge)

		out, in := dialPair(t, a, b)
		if in.RemoteAddr() != a.addr || out.RemoteAddr() != b.addr {
			t.Fatalf("stream %v -> %v, want %v -> %v", in.RemoteAddr(), out.RemoteAddr(), a.addr, b.addr)
		}
		mustWork(t, out, in)
	})
}

func TestMockNetworkPartitionAndHeal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n MockNetwork
		a, b, c := n.NewTransport("a"), n.NewTransport("b"), n.NewTransport("c")
		abOut, abIn := dialPair(t, a, b)
		acOut, acIn := dialPair(t, a, c)

		if err := n.setDelay("a", "b", time.Second); err != nil {
			t.Fatal(err)
		}
		sendTo(t, a, b, "in flight when the cut comes")
		if err := n.setDelay("a", "b", 0); err != nil {
			t.Fatal(err)
		}

		n.partition([]string{"a"}, []string{"b"})

		time.Sleep(2 * time.Second) // virtual time: past the in-flight packet's arrival
		if got := received(b); len(got) != 0 {
			t.Fatalf("b received %q sent before the cut but due after it", got)
		}
		mustBeReset(t, abOut, abIn)
		mustBeReset(t, abIn, abOut)
		mustWork(t, acOut, acIn)

		sendTo(t, a, b, "lost a->b")
		sendTo(t, b, a, "lost b->a")
		sendTo(t, a, c, "a->c")
		if got := received(b); len(got) != 0 {
			t.Fatalf("b received %q across the partition", got)
		}
		if got := received(a); len(got) != 0 {
			t.Fatalf("a received %q across the partition", got)
		}
		if got := received(c); !slices.Equal(got, []string{"a->c"}) {
			t.Fatalf("c received %q", got)
		}

		// A dial across the cut gets no answer: it fails at its timeout.
		start := time.Now()
		_, err := b.DialTimeout(a.addr.addr, 3*time.Second)
		mustFail(t, "dial across partition", err, os.ErrDeadlineExceeded)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("dial error %v is not a timeout", err)
		}
		if waited := time.Since(start); waited != 3*time.Second {
			t.Fatalf("dial failed after %v, want its 3s timeout", waited)
		}
		_, err = a.DialTimeout(b.addr.addr, 0)
		mustFail(t, "dial without timeout across partition", err, os.ErrDeadlineExceeded)

		n.heal()
		out, in := dialPair(t, a, b)
		mustWork(t, out, in)
		sendTo(t, a, b, "healed")
		if got := received(b); !slices.Equal(got, []string{"healed"}) {
			t.Fatalf("b received %q after heal", got)
		}
		for _, tr := range []*MockTransport{a, b, c} {
			_ = tr.Shutdown()
		}
	})
}

func TestMockNetworkIsolate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n MockNetwork
		a, b, c := n.NewTransport("a"), n.NewTransport("b"), n.NewTransport("c")
		baOut, baIn := dialPair(t, b, a)
		acOut, acIn := dialPair(t, a, c)

		n.isolate("b")
		d := n.NewTransport("d") // isolation also holds against nodes that come later

		mustBeReset(t, baOut, baIn)
		mustWork(t, acOut, acIn)
		for _, other := range []*MockTransport{a, c, d} {
			sendTo(t, other, b, "in")
			sendTo(t, b, other, "out")
			_, err := other.DialTimeout(b.addr.addr, time.Second)
			mustFail(t, "dial to the isolated node", err, os.ErrDeadlineExceeded)
			_, err = b.DialTimeout(other.addr.addr, time.Second)
			mustFail(t, "dial from the isolated node", err, os.ErrDeadlineExceeded)
		}
		for _, tr := range []*MockTransport{a, b, c, d} {
			if got := received(tr); len(got) != 0 {
				t.Fatalf("%s received %q with b isolated", tr.addr.name, got)
			}
		}

		n.heal()
		out, in := dialPair(t, d, b)
		mustWork(t, out, in)
	})
}

// dropPattern sends count packets from a to b over a link that loses
// them with probability p, and returns which ones arrived.
func dropPattern(t *testing.T, rng *rand.Rand, p float64, count int) []int {
	t.Helper()
	var arrived []int
	synctest.Test(t, func(t *testing.T) {
		n := newMockNetwork(rng)
		a, b := n.NewTransport("a"), n.NewTransport("b")
		if err := n.setDrop("a", "b", p); err != nil {
			t.Fatal(err)
		}
		for i := range count {
			if _, err := a.WriteTo([]byte{byte(i), byte(i >> 8)}, b.addr.addr); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range received(b) {
			arrived = append(arrived, int(s[0])|int(s[1])<<8)
		}
		// The reverse direction is not affected.
		sendTo(t, b, a, "back")
		if got := received(a); len(got) != 1 {
			t.Fatalf("b -> a lost %d packets with loss set on a -> b only", 1-len(got))
		}
	})
	return arrived
}

func TestMockNetworkDropIsSeededAndDeterministic(t *testing.T) {
	const count = 1000
	first := dropPattern(t, rand.New(rand.NewPCG(7, 7)), 0.3, count)
	again := dropPattern(t, rand.New(rand.NewPCG(7, 7)), 0.3, count)
	other := dropPattern(t, rand.New(rand.NewPCG(8, 8)), 0.3, count)
	if !slices.Equal(first, again) {
		t.Fatal("same seed, different losses")
	}
	if slices.Equal(first, other) {
		t.Fatal("different seeds, same losses")
	}
	// 700 expected; 600..800 is more than 6 standard deviations wide.
	if len(first) < 600 || len(first) > 800 {
		t.Fatalf("%d of %d packets arrived with 30%% loss", len(first), count)
	}
	if got := dropPattern(t, nil, 1, 50); len(got) != 0 {
		t.Fatalf("%d packets arrived with 100%% loss", len(got))
	}
	if got := dropPattern(t, nil, 0, 50); len(got) != 50 {
		t.Fatalf("%d of 50 packets arrived without loss", len(got))
	}
}

func TestMockNetworkDropDialsAndBadSettings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n MockNetwork
		a, b := n.NewTransport("a"), n.NewTransport("b")
		if err := n.setDrop("a", "b", 1); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err := a.DialTimeout(b.addr.addr, 2*time.Second)
		mustFail(t, "lost dial", err, os.ErrDeadlineExceeded)
		if waited := time.Since(start); waited != 2*time.Second {
			t.Fatalf("lost dial failed after %v, want 2s", waited)
		}
		if err := n.setDrop("a", "b", 0); err != nil {
			t.Fatal(err)
		}
		out, in := dialPair(t, a, b)
		mustWork(t, out, in)

		for _, p := range []float64{-0.1, 1.1, nanValue()} {
			mustFail(t, "SetDrop out of range", n.setDrop("a", "b", p), errInvalidFault)
		}
		mustFail(t, "negative delay", n.setDelay("a", "b", -time.Second), errInvalidFault)
	})
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

func TestMockNetworkDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n MockNetwork
		a, b := n.NewTransport("a"), n.NewTransport("b")
		defer a.Shutdown()
		defer b.Shutdown()
		if err := n.setDelay("a", "b", 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if err := n.setDelay("b", "a", 50*time.Millisecond); err != nil {
			t.Fatal(err)
		}

		start := time.Now()
		sendTo(t, a, b, "late")
		if got := received(b); len(got) != 0 {
			t.Fatalf("packet arrived at once: %q", got)
		}
		p := <-b.PacketCh()
		if arrived := time.Since(start); arrived != 100*time.Millisecond || !p.Timestamp.Equal(start.Add(100*time.Millisecond)) {
			t.Fatalf("packet arrived after %v, stamped %v; want 100ms", arrived, p.Timestamp.Sub(start))
		}

		// A dial takes the round trip.
		start = time.Now()
		out, err := a.DialTimeout(b.addr.addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		if took := time.Since(start); took != 150*time.Millisecond {
			t.Fatalf("dial took %v, want the 150ms round trip", took)
		}
		in := <-b.StreamCh()
		defer in.Close()
		_, err = a.DialTimeout(b.addr.addr, 120*time.Millisecond)
		mustFail(t, "dial with a timeout shorter than the round trip", err, os.ErrDeadlineExceeded)

		// Stream bytes arrive after the delay and never overtake earlier
		// ones, even when the delay drops.
		start = time.Now()
		if _, err := out.Write([]byte("first ")); err != nil {
			t.Fatal(err)
		}
		if err := n.setDelay("a", "b", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := out.Write([]byte("second")); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len("first second"))
		if _, err := io.ReadFull(in, got); err != nil {
			t.Fatal(err)
		}
		if string(got) != "first second" || time.Since(start) != 100*time.Millisecond {
			t.Fatalf("read %q after %v, want \"first second\" after 100ms", got, time.Since(start))
		}

		// The end of the stream travels with the delay too.
		start = time.Now()
		if _, err := in.Write([]byte("bye")); err != nil {
			t.Fatal(err)
		}
		_ = in.Close()
		rest, err := io.ReadAll(out)
		if err != nil || string(rest) != "bye" || time.Since(start) != 50*time.Millisecond {
			t.Fatalf("read %q, %v after %v; want \"bye\" and EOF after 50ms", rest, err, time.Since(start))
		}
	})
}

func TestMockNetworkCrash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n MockNetwork
		a, b, c := n.NewTransport("a"), n.NewTransport("b"), n.NewTransport("c")
		abOut, abIn := dialPair(t, a, b)
		acOut, acIn := dialPair(t, a, c)
		// A stream b has not accepted yet is reset too.
		pending, err := c.DialTimeout(b.addr.addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer pending.Close()

		n.crash("b")
		n.crash("nobody") // unknown names are ignored

		mustBeReset(t, abOut, abIn)
		_, err = pending.Read(make([]byte, 1))
		mustFail(t, "read on a stream to the crashed node", err, syscall.ECONNRESET)
		mustWork(t, acOut, acIn)

		start := time.Now()
		_, err = a.DialTimeout(b.addr.addr, time.Second)
		mustFail(t, "dial to a crashed node", err, syscall.ECONNREFUSED)
		if time.Since(start) != 0 {
			t.Fatal("a refused dial waited")
		}
		sendTo(t, a, b, "to the dead")
		if got := received(b); len(got) != 0 {
			t.Fatalf("crashed node received %q", got)
		}
		_, err = b.WriteTo([]byte("x"), a.addr.addr)
		mustFail(t, "send from a crashed node", err, net.ErrClosed)

		// Restarted under the same name, at a new address.
		b2 := n.NewTransport("b")
		if b2.addr.addr == b.addr.addr {
			t.Fatal("restarted node reuses its address")
		}
		if _, err := a.WriteToAddress([]byte("again"), Address{Name: "b"}); err != nil {
			t.Fatal(err)
		}
		if got := received(b2); !slices.Equal(got, []string{"again"}) {
			t.Fatalf("restarted node received %q", got)
		}
	})
}

func TestMockTransportShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n MockNetwork
		a, b := n.NewTransport("a"), n.NewTransport("b")
		if err := n.setDelay("a", "b", time.Second); err != nil {
			t.Fatal(err)
		}
		sendTo(t, a, b, "in flight")
		if err := n.setDelay("a", "b", 0); err != nil {
			t.Fatal(err)
		}
		open, accepted := dialPair(t, a, b)
		pending, err := a.DialTimeout(b.addr.addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer pending.Close()

		if err := b.Shutdown(); err != nil {
			t.Fatal(err)
		}
		if err := b.Shutdown(); err != nil {
			t.Fatalf("second Shutdown: %v", err)
		}

		time.Sleep(2 * time.Second) // virtual time: past the in-flight packet's arrival
		if got := received(b); len(got) != 0 {
			t.Fatalf("shut-down transport received %q", got)
		}
		mustWork(t, open, accepted) // streams already handed out stay open
		_, err = pending.Read(make([]byte, 1))
		mustFail(t, "read on a stream never accepted", err, syscall.ECONNRESET)
		_, err = a.DialTimeout(b.addr.addr, time.Second)
		mustFail(t, "dial to a shut-down transport", err, syscall.ECONNREFUSED)
		_, err = b.DialTimeout(a.addr.addr, time.Second)
		mustFail(t, "dial from a shut-down transport", err, net.ErrClosed)
		mustFail(t, "IngestStream after Shutdown", b.IngestStream(open), errTransportShutdown)
		_ = a.Shutdown()
	})
}

func TestMockTransportIngest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n MockNetwork
		a, b := n.NewTransport("a"), n.NewTransport("b")
		out, in := dialPair(t, a, b)
		go func() {
			_, _ = out.Write([]byte("packet body"))
			_ = out.Close()
		}()
		now := time.Now()
		if err := b.IngestPacket(in, a.addr, now, true); err != nil {
			t.Fatal(err)
		}
		p := <-b.PacketCh()
		if string(p.Buf) != "packet body" || p.From != a.addr || !p.Timestamp.Equal(now) {
			t.Fatalf("got %+v", p)
		}
		s, _ := dialPair(t, a, b)
		if err := b.IngestStream(s); err != nil {
			t.Fatal(err)
		}
		if got := <-b.StreamCh(); got != s {
			t.Fatal("StreamCh did not give the ingested stream")
		}
	})
}

func TestMockNetworkConcurrentFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newMockNetwork(rand.New(rand.NewPCG(1, 2)))
		names := []string{"a", "b", "c", "d"}
		trs := make([]*MockTransport, len(names))
		for i, name := range names {
			trs[i] = n.NewTransport(name)
		}
		var traffic, readers sync.WaitGroup
		for i, tr := range trs {
			traffic.Go(func() {
				for round := range 50 {
					peer := trs[(i+1+round)%len(trs)]
					_, _ = tr.WriteTo([]byte("x"), peer.addr.addr)
					c, err := tr.DialTimeout(peer.addr.addr, 10*time.Millisecond)
					if err == nil {
						_, _ = c.Write([]byte("y"))
						_ = c.Close()
					}
				}
			})
			readers.Go(func() {
				for {
					select {
					case c := <-tr.StreamCh():
						_, _ = io.ReadAll(c)
						_ = c.Close()
					case <-tr.PacketCh():
					case <-tr.shutdownCh:
						return
					}
				}
			})
		}
		traffic.Go(func() {
			for round := range 20 {
				n.partition(names[:2], names[2:])
				_ = n.setDelay(names[round%4], names[(round+1)%4], time.Millisecond)
				_ = n.setDrop(names[round%4], names[(round+2)%4], 0.5)
				time.Sleep(5 * time.Millisecond) // virtual time: let traffic meet the cut
				n.heal()
				n.isolate(names[round%4])
				time.Sleep(5 * time.Millisecond)
				n.heal()
			}
		})
		traffic.Wait()
		for _, tr := range trs {
			_ = tr.Shutdown()
		}
		// synctest.Test fails if any goroutine is left after this.
		readers.Wait()
	})
}
