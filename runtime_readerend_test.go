// Tests of the readers that close an ended stream while they wait for the
// loop (runtime_readerend.go).

package hyparlist

import (
	"testing"
	"testing/synctest"
	"time"
)

// shuffleReplyLabel is the counter of the shuffle replies received.
const shuffleReplyLabel = "hyparlist.msg.received;type=shuffle_reply"

// openStreams returns the streams of n with an end still open.
func openStreams(n *MockNetwork) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.streams)
}

// TestRuntimeReaderClosesEndedStreamWhileWaiting: a node whose loop is
// stalled, its inbox full, closes an accepted stream whose dialler sent
// two frames and closed it, without waiting for the loop, whether the
// close comes before the reader waits or while it waits; a frame that
// comes while it waits keeps the stream open until the loop takes it. Every frame
// is still handed over, intact, once the loop runs. Before, the stream
// stayed open until the loop took the frame that waited.
func TestRuntimeReaderClosesEndedStreamWhileWaiting(t *testing.T) {
	for _, tc := range []struct {
		name       string
		closeAfter time.Duration
		late       bool // a third frame after the wait began
	}{
		{"close at once", 0, false},
		{"close while waiting", 3 * readerEndCheckEvery, false},
		{"a frame while waiting", 3 * readerEndCheckEvery, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sink := newInmemSink(time.Hour, time.Hour)
				c := newMockClusterWithSink(t, 2, func(c *Config) { c.HandoffQueueDepth = 1 }, sink)
				defer c.shutdown()
				a, b := c.nodes[0].ml, c.nodes[1].ml
				release := make(chan struct{})
				handled := make(chan int, 1)
				if err := a.submit(loopFunc(func(l *runLoop) {
					<-release
					handled <- l.m.inbox.len()
				})); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				conn, _, err := b.dial(Address{Addr: a.LocalNode().Address(), Name: a.LocalNode().Name})
				if err != nil {
					t.Fatal(err)
				}
				frame, _, err := b.crypto.appendFrame(nil, nil, shuffleReplyMsg{}, b.lim, b.sendLabel(conn))
				if err != nil {
					t.Fatal(err)
				}
				send := func() {
					if _, err := conn.Write(frame); err != nil {
						t.Fatal(err)
					}
				}
				send()
				send()
				time.Sleep(tc.closeAfter)
				synctest.Wait()
				frames := 2
				if tc.late {
					send()
					frames++
					time.Sleep(tc.closeAfter)
					synctest.Wait()
				}
				if n := a.inbox.len(); n != 1 {
					t.Fatalf("inbox holds %d, want 1 (full)", n)
				}
				if n := openStreams(c.net); n != 1 {
					t.Fatalf("%d streams open before the close, want 1", n)
				}
				_ = conn.Close()
				time.Sleep(2 * readerEndCheckEvery)
				synctest.Wait()
				// A frame read while waiting is kept for the loop, and with it
				// the stream until the loop takes it.
				want := 0
				if tc.late {
					want = 1
				}
				if n := openStreams(c.net); n != want {
					t.Errorf("%d streams open %v after the dialler closed it, want %d", n, 2*readerEndCheckEvery, want)
				}
				close(release)
				if n := <-handled; n != 1 {
					t.Errorf("inbox held %d when the loop ran, want 1", n)
				}
				eventually(t, time.Minute, "every frame handed over", func() bool {
					return a.inbox.len() == 0 && counterSum(sink, shuffleReplyLabel) == float64(frames)
				})
				eventually(t, time.Minute, "the stream closed", func() bool { return openStreams(c.net) == 0 })
				if n := counterSum(sink, "hyparlist.msg.decode_failed"); n != 0 {
					t.Errorf("%v decode failures", n)
				}
			})
		})
	}
}
