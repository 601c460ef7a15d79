package hyparlist

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeMetrics runs a small cluster with one node's metrics in an
// in-memory sink and checks the main series, with Config.MetricLabels.
func TestRuntimeMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		watched := c.addWithSink("watched", func(conf *Config) {
			conf.MetricLabels = []MetricLabel{{Name: "cluster", Value: "test"}}
			conf.QueueCheckInterval = time.Second
		}, sink)
		for i := range 4 {
			c.add("other-"+string(rune('a'+i)), nil)
		}
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, 5) })
		for _, nd := range c.nodes[1:] {
			if err := nd.ml.Broadcast([]byte("metrics " + nd.rec.name)); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, time.Minute, "the broadcasts", func() bool { return len(watched.rec.messages()) == 4 })
		time.Sleep(2 * time.Second) // two gauge samples

		data := sink.Data()
		if len(data) == 0 {
			t.Fatal("no metrics")
		}
		d := data[len(data)-1]
		d.RLock()
		defer d.RUnlock()
		has := func(kind string, m map[string]bool, prefix string, labels ...string) {
			t.Helper()
			for k := range m {
				if !strings.HasPrefix(k, prefix) {
					continue
				}
				ok := true
				for _, l := range labels {
					ok = ok && strings.Contains(k, l)
				}
				if ok {
					return
				}
			}
			t.Errorf("no %s %s with labels %v", kind, prefix, labels)
		}
		counters, gauges, samples := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for k := range d.Counters {
			counters[k] = true
		}
		for k, g := range d.Gauges {
			gauges[k] = g.Value > 0
		}
		for k := range d.Samples {
			samples[k] = true
		}
		has("counter", counters, "hyparlist.msg.sent;", "cluster=test", "type=gossip")
		has("counter", counters, "hyparlist.msg.received;", "cluster=test", "type=keepalive")
		has("counter", counters, "hyparlist.msg.received_bytes;", "type=join")
		has("counter", counters, "hyparlist.member.announcements;", "cluster=test")
		has("counter", counters, "hyparlist.member.announced;", "cluster=test", "kind=join")
		has("sample", samples, "hyparlist.delivery.hops;", "cluster=test")
		has("sample", samples, "hyparlist.delivery.latency;", "cluster=test")
		for _, g := range []string{"hyparlist.view.active;", "hyparlist.members;", "hyparlist.plumtree.cache_messages;", "hyparlist.plumtree.cache_bytes;", "hyparlist.links;", "hyparlist.timers;"} {
			has("gauge", gauges, g, "cluster=test")
		}
		var active float32
		for k, g := range d.Gauges {
			if strings.HasPrefix(k, "hyparlist.view.active;") {
				active = g.Value
			}
		}
		if want := float32(len(watched.ml.Neighbors())); active != want {
			t.Errorf("hyparlist.view.active = %v, want %v", active, want)
		}
	})
}
