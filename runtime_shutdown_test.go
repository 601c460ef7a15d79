package hyparlist

import (
	"testing"
	"testing/synctest"
	"time"
)

// Tests of what Shutdown waits for and closes (memberlist.go,
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
		if err := a.ml.submit(loopFunc(func(l *runLoop) { l.send(peer, Keepalive{}) })); err != nil {
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
