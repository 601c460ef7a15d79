// Tests: the slice NotifyMsg gets for a broadcast is the application's to
// keep, as memberlist's is in practice.

package hyparlist

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeNotifyMsgSliceKept: a delegate that keeps NotifyMsg's slices
// without copying them (which memberlist's contract does not promise, but
// memberlist's fresh buffer per packet allows, and programs do) still holds
// every payload intact after later broadcasts are delivered.
func TestRuntimeNotifyMsgSliceKept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, count = 3, 10
		c := newMockCluster(t, n, nil)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, n) })

		var mu sync.Mutex
		var kept [][]byte
		c.nodes[1].rec.setHooks(nil, func(b []byte) {
			mu.Lock()
			kept = append(kept, b) // no copy
			mu.Unlock()
		})
		var want [][]byte
		for i := range count {
			p := fmt.Appendf(nil, "kept-payload-%02d", i)
			want = append(want, p)
			if err := c.nodes[0].ml.Broadcast(p); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, time.Minute, "every broadcast delivered", func() bool {
			return len(c.nodes[1].rec.messages()) == count
		})
		mu.Lock()
		defer mu.Unlock()
		for _, w := range want {
			found := false
			for _, k := range kept {
				found = found || bytes.Equal(k, w)
			}
			if !found {
				t.Errorf("payload %q is no longer among the kept slices %q", w, kept)
			}
		}
	})
}
