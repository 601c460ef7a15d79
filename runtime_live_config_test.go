package hyparlist

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeDelegatesReadLive: the node reads Events and Ping from the
// application's Config at each use, as memberlist does, so delegates set
// after Create are called (serf's tests set Config.Ping after Create).
func TestRuntimeDelegatesReadLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		confs := make(map[string]*Config)
		c := newMockCluster(t, 2, func(conf *Config) { confs[conf.Name] = conf })
		defer c.shutdown()
		synctest.Wait()
		p := &pingRecorder{}
		events := &recorder{name: "late"}
		confs["node-00"].Ping = p
		confs["node-00"].Events = events
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, 2) })
		time.Sleep(5 * c.nodes[0].ml.config.keepaliveInterval())
		synctest.Wait()
		if calls := p.take(); len(calls) == 0 {
			t.Errorf("Config.Ping set after Create: no NotifyPingComplete")
		}
		events.mu.Lock()
		joins := events.joins
		events.mu.Unlock()
		if len(joins) == 0 {
			t.Errorf("Config.Events set after Create: no NotifyJoin")
		}
	})
}
