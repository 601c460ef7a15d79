package hyparlist

import (
	"testing"
	"testing/synctest"
	"time"
)

// Tests of what Shutdown waits for and closes (api_memberlist.go,
// runtime_conn.go).

// TestRuntimeShutdownInterruptsHandshake: a link writer has dialled a
// peer that accepts the stream but never answers the handshake. Shutdown
// must close that stream at once instead of waiting for the handshake's
// TCPTimeout.
func TestRuntimeShutdownInterruptsHandshake(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		const timeout = 30 * time.Second
		a := c.add("a", func(conf *Config) { conf.TCPTimeout = timeout })
		silent := c.net.NewTransport("silent") // accepts, never reads
		defer silent.Shutdown()
		peer := Peer{Name: "silent", Addr: silent.addr.String()}
		if err := a.ml.submit(loopFunc(func(l *runLoop) { l.send(peer, keepaliveMsg{}) })); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the writer waits for the handshake answer
		start := time.Now()
		if err := a.ml.Shutdown(); err != nil {
			t.Fatal(err)
		}
		if elapsed := time.Since(start); elapsed >= timeout {
			t.Errorf("Shutdown took %v: it waited for the handshake's TCPTimeout", elapsed)
		}
	})
}

// TestRuntimeShutdownWaitsForCallbackGoroutines: Shutdown returns only
// once the dispatchers' last workers and the broadcast pump have exited.
// Each is held on its way out (a dispatcher's worker exits when its queue
// is empty, after one callback here); Shutdown must still be waiting while
// any is held.
func TestRuntimeShutdownWaitsForCallbackGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 1, nil)
		ml := c.nodes[0].ml
		release := map[string]chan struct{}{}
		for name, d := range map[string]*dispatcher{"messages": ml.msgQueue, "events": ml.eventQueue} {
			ch := make(chan struct{})
			release[name] = ch
			d.mu.Lock()
			d.beforeExit = func() { <-ch }
			d.mu.Unlock()
			d.tryPush(0, func() {})
		}
		if ml.pump == nil {
			t.Fatal("no pump")
		}
		pumpGate := make(chan struct{})
		release["pump"] = pumpGate
		ml.pump.mu.Lock()
		ml.pump.beforeExit = func() { <-pumpGate }
		ml.pump.mu.Unlock()
		// A pump round runs every GossipInterval; after one, it is held
		// on its way out, as are the dispatchers' workers after their item.
		time.Sleep(ml.config.broadcastPullInterval())
		synctest.Wait()
		done := make(chan error, 1)
		go func() { done <- ml.Shutdown() }()
		returned := false
		for _, name := range []string{"messages", "events", "pump"} {
			synctest.Wait()
			select {
			case err := <-done:
				returned = true
				t.Errorf("Shutdown returned (%v) while the %s goroutine had not exited", err, name)
			default:
			}
			close(release[name])
		}
		if !returned {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestRuntimeShutdownDuringBlockedCallback: Shutdown does not wait for a
// callback that is still running (it may never return, or be waiting for
// Shutdown itself); the callback's goroutine exits once it returns.
func TestRuntimeShutdownDuringBlockedCallback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := joinedCluster(t, 2, nil)
		a, b := c.nodes[0], c.nodes[1]
		gate := make(chan struct{})
		entered := make(chan struct{})
		b.rec.setHooks(nil, func([]byte) {
			close(entered)
			<-gate
		})
		if err := a.ml.SendReliable(b.ml.LocalNode(), []byte("block")); err != nil {
			t.Fatal(err)
		}
		<-entered
		if err := b.ml.Shutdown(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-b.ml.msgQueue.worker.exited:
			t.Fatal("the dispatcher exited inside a callback")
		default:
		}
		close(gate)
		<-b.ml.msgQueue.worker.exited
	})
}
