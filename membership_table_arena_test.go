// Tests of the member table's entry arena: many chunks, stable entries.
package hyparlist

import (
	"fmt"
	"testing"
)

// TestMemberTableArenaManyChunks: a table of many times entryChunk
// members finds every one, entries keep their address while the arena
// adds chunks, and released indices are reused before new ones.
func TestMemberTableArenaManyChunks(t *testing.T) {
	tb := newMemberTable()
	const n = 10*entryChunk + 3
	first := tb.insert(newMemberIdent("m0", "a0", nil, memberVersions{}), 1, memberStateAlive, 0)
	entries := []*memberEntry{first}
	for i := 1; i < n; i++ {
		entries = append(entries, tb.insert(newMemberIdent(fmt.Sprint("m", i), fmt.Sprint("a", i), nil, memberVersions{}), uint32(i+1), memberStateAlive, 0))
	}
	if tb.len() != n || len(tb.arena.chunks) != (n+entryChunk-1)/entryChunk {
		t.Fatalf("len %d, %d chunks; want %d, %d", tb.len(), len(tb.arena.chunks), n, (n+entryChunk-1)/entryChunk)
	}
	for i, e := range entries {
		name := fmt.Sprint("m", i)
		if got := tb.get(name); got != e || got.id.name != name || got.inc != uint32(i+1) {
			t.Fatalf("get(%s) = %p (%+v), want %p", name, got, got, e)
		}
		if tb.arena.at(e.idx) != e {
			t.Fatalf("entry %d moved", i)
		}
	}
	idx := entries[entryChunk+1].idx
	tb.remove(entries[entryChunk+1])
	if tb.get(fmt.Sprint("m", entryChunk+1)) != nil {
		t.Fatal("removed member still found")
	}
	e := tb.insert(newMemberIdent("new", "b", nil, memberVersions{}), 1, memberStateAlive, 0)
	if e.idx != idx || tb.len() != n || tb.arena.next != n {
		t.Fatalf("reinsert took index %d (want %d), len %d, next %d", e.idx, idx, tb.len(), tb.arena.next)
	}
}
