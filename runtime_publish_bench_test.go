// Benchmark of runLoop.publish at 1,000 members with one change each.

package hyparlist

import (
	"fmt"
	"testing"
)

// BenchmarkPublish1000Members1Change merges one member's new incarnation
// into a table of 1,000 members and publishes: the cost per loop
// iteration in a join storm, where almost every iteration changes a few
// members. The merge is in the figure too.
func BenchmarkPublish1000Members1Change(b *testing.B) {
	l := newPublishLoop(b, false)
	const n = 1000
	for i := 1; i < n; i++ {
		l.ms.merge(memberRecord{Name: fmt.Sprintf("n%04d", i), Addr: fmt.Sprintf("10.0.%d.%d:7946", i/200, 1+i%200), Incarnation: 1, State: memberStateAlive}, mergeSource{})
	}
	l.ms.Drain()
	l.dirty = true
	l.publish()
	if got := len(l.m.snap.Load().members); got != n {
		b.Fatalf("%d members published, want %d", got, n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		e := l.ms.table.get(fmt.Sprintf("n%04d", 1+i%(n-1)))
		r := e.record()
		r.Incarnation++
		l.ms.merge(r, mergeSource{})
		l.ms.Drain()
		l.dirty = true
		l.publish()
	}
}
