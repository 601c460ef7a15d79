package hyparlist

import (
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkOriginFloorsHeap measures the heap the replay floors
// (runtime_sign_floor.go) take when they cover the default MaxMembers
// names (node names of 11 to 12 bytes), each with one key (every member
// under one key) or floorKeysPerName keys (the worst case: each made by
// appending, as admitted does). Reported per name and in total; one
// iteration is one full table.
func BenchmarkOriginFloorsHeap(b *testing.B) {
	names := DefaultMembershipConfig().MaxMembers
	for _, keys := range []int{1, floorKeysPerName} {
		b.Run(fmt.Sprint("keys=", keys), func(b *testing.B) {
			var per float64
			for range b.N {
				before := heapInUse()
				o := originKeys{floors: make(map[string]nameFloors)}
				for i := range names {
					var f nameFloors
					for k := range keys {
						var key originKey
						key[0], key[1], key[2] = byte(i), byte(i>>8), byte(k)
						f.keys = append(f.keys, keyFloor{key: key, floor: uint64(i), top: uint64(i), used: int64(i)})
					}
					o.floors[fmt.Sprintf("node-%06d", i)] = f
				}
				per = float64(heapInUse()-before) / float64(names)
				runtime.KeepAlive(o.floors)
			}
			b.ReportMetric(per, "bytes/name")
			b.ReportMetric(per*float64(names)/1e6, "MB/table")
		})
	}
}

// heapInUse returns the bytes of live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
