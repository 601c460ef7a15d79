// Tests: the heap bound that every attack test asserts, in a file without
// a build constraint so that the replay tests (every platform) use it too.

package hyparlist

import (
	"runtime"
	"testing"
)

// heapAfterGC returns the live heap after a collection.
func heapAfterGC() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// attackHeapMax bounds the live heap of the test process (three or four
// nodes and the attacker) during an attack.
const attackHeapMax = 128 << 20

// wantHeapUnder fails if the live heap exceeds attackHeapMax.
func wantHeapUnder(t *testing.T) {
	t.Helper()
	if heap := heapAfterGC(); heap > attackHeapMax {
		t.Errorf("live heap %d MiB during the attack, want at most %d MiB", heap>>20, attackHeapMax>>20)
	}
}
