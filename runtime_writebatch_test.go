package hyparlist

import (
	"crypto/ed25519"
	"fmt"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// Tests of the writers started once per loop iteration
// (runtime_writebatch.go).

// writeCountTransport is a MockTransport that counts the Write calls on
// the streams its node dials.
type writeCountTransport struct {
	*MockTransport
	writes atomic.Int64
}

func (t *writeCountTransport) DialAddressTimeout(a Address, d time.Duration) (net.Conn, error) {
	c, err := t.MockTransport.DialAddressTimeout(a, d)
	if err != nil {
		return nil, err
	}
	return &writeCountConn{Conn: c, writes: &t.writes}, nil
}

func (t *writeCountTransport) DialTimeout(addr string, d time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(Address{Addr: addr}, d)
}

// writeCountConn counts its Write calls.
type writeCountConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *writeCountConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// TestRuntimeOneWritePerIteration queues 20 broadcast payloads on one
// neighbour's link within one loop iteration (as a relay does with a batch
// of inbox frames): they leave in one write, and the neighbour delivers
// each once. A writer started by the first frame wrote them in several.
func TestRuntimeOneWritePerIteration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		tr := &writeCountTransport{MockTransport: c.net.NewTransport("node-00")}
		a := c.add("node-00", func(conf *Config) { conf.Transport = tr })
		b := c.add("node-01", nil)
		c.joinAll()
		eventually(t, time.Minute, "both nodes listed", func() bool { return allSee(c.nodes, 2) })
		synctest.Wait()
		var payloads [][]byte
		for i := range 20 {
			payloads = append(payloads, []byte(fmt.Sprintf("batched-%02d", i)))
		}
		var before int64
		_, elsewhere, _ := ed25519.GenerateKey(nil)
		onLoop(t, a.ml, func(l *runLoop) {
			before = tr.writes.Load()
			for i, p := range payloads {
				id := MessageID{Origin: "elsewhere", Seq: uint64(i + 1)}
				l.send(b.ml.self, gossipMsg{ID: id, Class: ClassUser, Payload: p, Sig: signBroadcast(elsewhere, id, ClassUser, p)})
				// What another core does meanwhile: a writer started
				// by the first frame would run and write it alone.
				runtime.Gosched()
			}
		})
		synctest.Wait()
		if got := tr.writes.Load() - before; got != 1 {
			t.Errorf("20 frames queued in one iteration took %d writes, want 1", got)
		}
		waitDeliveredOnce(t, b.rec, payloads)
	})
}

// deadlineCountTransport is a MockTransport that counts the writes and
// SetWriteDeadline calls on the streams its node dials.
type deadlineCountTransport struct {
	*MockTransport
	writes, sets atomic.Int64
}

func (t *deadlineCountTransport) DialAddressTimeout(a Address, d time.Duration) (net.Conn, error) {
	c, err := t.MockTransport.DialAddressTimeout(a, d)
	if err != nil {
		return nil, err
	}
	return &deadlineCountConn{Conn: c, t: t}, nil
}

func (t *deadlineCountTransport) DialTimeout(addr string, d time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(Address{Addr: addr}, d)
}

// deadlineCountConn counts its Write and SetWriteDeadline calls.
type deadlineCountConn struct {
	net.Conn
	t *deadlineCountTransport
}

func (c *deadlineCountConn) Write(b []byte) (int, error) {
	c.t.writes.Add(1)
	return c.Conn.Write(b)
}

func (c *deadlineCountConn) SetWriteDeadline(t time.Time) error {
	c.t.sets.Add(1)
	return c.Conn.SetWriteDeadline(t)
}

// TestRuntimeWriteDeadlineNotPerWrite sends 20 broadcast payloads to a
// neighbour, each written on its own before the next is queued (virtual
// time does not move meanwhile): the link's write deadline is set at most
// once for the 20 writes (runtime_deadline.go), not before every write.
func TestRuntimeWriteDeadlineNotPerWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		tr := &deadlineCountTransport{MockTransport: c.net.NewTransport("node-00")}
		a := c.add("node-00", func(conf *Config) { conf.Transport = tr })
		b := c.add("node-01", nil)
		c.joinAll()
		eventually(t, time.Minute, "both nodes listed", func() bool { return allSee(c.nodes, 2) })
		synctest.Wait()
		_, elsewhere, _ := ed25519.GenerateKey(nil)
		var payloads [][]byte
		var writes, sets int64
		onLoop(t, a.ml, func(l *runLoop) {
			writes, sets = tr.writes.Load(), tr.sets.Load()
			for i := range 20 {
				p := []byte(fmt.Sprintf("one-per-write-%02d", i))
				payloads = append(payloads, p)
				id := MessageID{Origin: "elsewhere", Seq: uint64(i + 1)}
				l.send(b.ml.self, gossipMsg{ID: id, Class: ClassUser, Payload: p, Sig: signBroadcast(elsewhere, id, ClassUser, p)})
				l.wakeWriters()
				synctest.Wait() // the writer has written it and parked
			}
			writes, sets = tr.writes.Load()-writes, tr.sets.Load()-sets
		})
		waitDeliveredOnce(t, b.rec, payloads)
		if writes != 20 {
			t.Fatalf("the 20 payloads left in %d writes, want 20 (one each)", writes)
		}
		if sets > 1 {
			t.Errorf("20 writes set the write deadline %d times, want at most 1", sets)
		}
	})
}
