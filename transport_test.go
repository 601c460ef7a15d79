package hyparlist

import (
	"testing"
	"testing/synctest"
	"time"
)

// plainTransport hides the node-aware methods of the transport it wraps.
type plainTransport struct{ Transport }

func TestAsNodeAware(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n MockNetwork
		a, b := n.NewTransport("a"), n.NewTransport("b")
		if got := asNodeAware(a); got != NodeAwareTransport(a) {
			t.Fatalf("a node-aware transport was wrapped: %T", got)
		}

		shim := asNodeAware(plainTransport{a})
		if _, ok := shim.(nodeAwareShim); !ok {
			t.Fatalf("plain transport adapted as %T", shim)
		}
		// The shim sends by address: the name, unknown to the network,
		// is not used.
		to := Address{Addr: b.addr.addr, Name: "no such node"}
		if _, err := shim.WriteToAddress([]byte("via shim"), to); err != nil {
			t.Fatal(err)
		}
		if p := <-b.PacketCh(); string(p.Buf) != "via shim" {
			t.Fatalf("got %q", p.Buf)
		}
		conn, err := shim.DialAddressTimeout(to, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		in := <-b.StreamCh()
		mustWork(t, conn, in)
		_ = conn.Close()
		_ = in.Close()
	})
}
