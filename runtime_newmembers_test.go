package hyparlist

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeNewMembersDroppedMetric: a node with a new-member limit of one
// a second learns of seven nodes joining at once through a neighbour,
// drops some of their records, counts them in
// hyparlist.member.new_dropped, and still lists every node (anti-entropy
// brings the dropped ones).
func TestRuntimeNewMembersDroppedMetric(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		c.add("seed", nil)
		c.addWithSink("watched", func(conf *Config) {
			conf.MaxNewMembersPerSecond, conf.NewMembersBurst = 1, 1
			conf.QueueCheckInterval = time.Second
		}, sink)
		for i := range 7 {
			c.add("other-"+string(rune('a'+i)), nil)
		}
		c.joinAll()
		eventually(t, 5*time.Minute, "full membership", func() bool { return allSee(c.nodes, len(c.nodes)) })
		time.Sleep(2 * time.Second) // a gauge sample after the last drop

		var dropped float64
		for _, d := range sink.Data() {
			d.RLock()
			for k, v := range d.Counters {
				if strings.HasPrefix(k, "hyparlist.member.new_dropped") {
					dropped += v.Sum
				}
			}
			d.RUnlock()
		}
		if dropped == 0 {
			t.Errorf("no record counted in hyparlist.member.new_dropped")
		}
		t.Logf("%v records of new members dropped", dropped)
	})
}
