package hyparlist

import (
	"slices"
	"testing"
)

// TestMsgTally: a tally emits, per type, the frames and bytes added since
// the last flush, in the order the types first came; a ninth type pushes
// the oldest out at once; nothing is lost or counted twice.
func TestMsgTally(t *testing.T) {
	type row struct {
		typ          MessageType
		count, bytes int
	}
	var got []row
	emit := func(typ MessageType, count, bytes int) { got = append(got, row{typ, count, bytes}) }
	var tally msgTally
	tally.add(typeGossip, 100, emit)
	tally.add(typeIHave, 10, emit)
	tally.add(typeGossip, 50, emit)
	if len(got) != 0 {
		t.Fatalf("emitted before a flush: %v", got)
	}
	tally.flush(emit)
	want := []row{{typeGossip, 2, 150}, {typeIHave, 1, 10}}
	if !slices.Equal(got, want) {
		t.Fatalf("flush emitted %v, want %v", got, want)
	}
	got = nil
	tally.flush(emit)
	if len(got) != 0 {
		t.Fatalf("an empty tally emitted %v", got)
	}
	types := []MessageType{typeJoin, typeForwardJoin, typeNeighbor, typeNeighborReply, typeDisconnect, typeShuffle, typeShuffleReply, typeKeepalive, typeGossip}
	for i, typ := range types {
		tally.add(typ, i, emit)
	}
	if want := []row{{typeJoin, 1, 0}}; !slices.Equal(got, want) {
		t.Fatalf("a ninth type pushed out %v, want %v", got, want)
	}
	tally.flush(emit)
	if len(got) != len(types) {
		t.Fatalf("emitted %d rows for %d types", len(got), len(types))
	}
	for i, r := range got {
		if r.typ != types[i] || r.count != 1 || r.bytes != i {
			t.Errorf("row %d = %v, want {%v 1 %d}", i, r, types[i], i)
		}
	}
}
