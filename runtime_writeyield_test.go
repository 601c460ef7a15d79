package hyparlist

import (
	"crypto/ed25519"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeWriterYieldJoinsFrames: frames queued on a link while its
// writer yields before a write (what the loop and other goroutines queue
// while they run) leave in that write, and the neighbour delivers each
// once. Without the yield the writer wrote the first frame alone, and the
// frames the hook queues were never queued.
func TestRuntimeWriterYieldJoinsFrames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		tr := &writeCountTransport{MockTransport: c.net.NewTransport("node-00")}
		a := c.add("node-00", func(conf *Config) { conf.Transport = tr })
		// Set before any writer runs; the test arms it below.
		var pending atomic.Pointer[func()]
		a.ml.writers.yield = func() {
			if f := pending.Swap(nil); f != nil {
				(*f)()
			}
		}
		b := c.add("node-01", nil)
		c.joinAll()
		eventually(t, time.Minute, "both nodes listed", func() bool { return allSee(c.nodes, 2) })
		synctest.Wait()
		_, elsewhere, _ := ed25519.GenerateKey(nil)
		gossip := func(i int, p []byte) gossipMsg {
			id := MessageID{Origin: "elsewhere", Seq: uint64(i + 1)}
			return gossipMsg{ID: id, Class: ClassUser, Payload: p, Sig: signBroadcast(elsewhere, id, ClassUser, p)}
		}
		var payloads [][]byte
		for i := range 20 {
			payloads = append(payloads, []byte(fmt.Sprintf("yield-%02d", i)))
		}
		var before int64
		onLoop(t, a.ml, func(l *runLoop) {
			k := l.links[b.ml.self.Name]
			if k == nil {
				t.Fatal("no link to node-01")
			}
			more := func() {
				for i, p := range payloads[1:] {
					if !k.enqueue(outFrame{msg: gossip(i+1, p)}) {
						t.Errorf("frame %d refused", i+1)
					}
				}
			}
			pending.Store(&more)
			before = tr.writes.Load()
			l.send(b.ml.self, gossip(0, payloads[0]))
		})
		synctest.Wait()
		if pending.Load() != nil {
			t.Fatal("the writer did not yield before its write")
		}
		if got := tr.writes.Load() - before; got != 1 {
			t.Errorf("a frame and 19 queued during the writer's yield took %d writes, want 1", got)
		}
		waitDeliveredOnce(t, b.rec, payloads)
	})
}
