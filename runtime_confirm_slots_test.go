// Tests of the confirmation checks' dialer slots (runtime_confirm.go).

package hyparlist

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// inLoop runs f on node ml's loop and waits for it.
func inLoop(t *testing.T, ml *Memberlist, f func(l *runLoop)) {
	t.Helper()
	done := make(chan struct{})
	if err := ml.submit(loopFunc(func(l *runLoop) {
		defer close(done)
		f(l)
	})); err != nil {
		t.Fatal(err)
	}
	<-done
}

// ghostChecks returns n checks of members at addresses nobody holds.
func ghostChecks(n int) []ProbeMember {
	var q []ProbeMember
	for i := range n {
		q = append(q, ProbeMember{Peer: Peer{Name: fmt.Sprintf("ghost%d", i), Addr: fmt.Sprintf("10.9.0.%d:7946", i+1)}, Confirm: true})
	}
	return q
}

// TestChecksShareDialerSlots: checks dial only in a free dialer slot, at
// most half of MaxConcurrentDialers at once (checkDialerShare); with
// every slot taken none starts, and they start once slots are free.
// Before, 32 ran at once beside the slots.
func TestChecksShareDialerSlots(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 1, nil)
		defer c.shutdown()
		ml := c.nodes[0].ml
		slots := ml.config.MaxConcurrentDialers
		inLoop(t, ml, func(l *runLoop) {
			taken := 0
			for len(l.m.dialers) < cap(l.m.dialers) {
				l.m.dialers <- struct{}{}
				taken++
			}
			l.checks.queue = ghostChecks(20)
			l.startChecks()
			if l.checks.running != 0 || len(l.checks.queue) != 20 {
				t.Errorf("every slot taken: %d checks running, %d queued; want 0 and 20", l.checks.running, len(l.checks.queue))
			}
			for range taken {
				<-l.m.dialers
			}
			l.startChecks()
			if want := slots / checkDialerShare; l.checks.running != want || len(l.checks.queue) != 20-want {
				t.Errorf("slots free: %d checks running, %d queued; want %d and %d", l.checks.running, len(l.checks.queue), want, 20-want)
			}
		})
		eventually(t, time.Minute, "checks done", func() bool {
			running := -1
			inLoop(t, ml, func(l *runLoop) { running = l.checks.running + len(l.checks.queue) })
			return running == 0
		})
		if n := len(ml.dialers); n != 0 {
			t.Errorf("%d dialer slots still held after the checks", n)
		}
	})
}
