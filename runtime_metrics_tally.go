// Runtime: per-type counts of frames sent or received, emitted once per
// batch instead of once per frame.

package hyparlist

// This file owns the tallies that let a link's writer and a stream's
// reader emit the per-type message counters (hyparlist.msg.sent,
// .sent_bytes, .received, .received_bytes) once per batch of frames: a
// writer once per write, a reader each time its buffer runs empty (and
// when its stream ends). Each emission goes through go-metrics (a lock,
// label filtering, the sink), which cost about 5 % of a node's CPU at a
// thousand broadcasts a second when made for every frame (BENCHMARKS.md,
// session 7). The counters' totals are the same; they are only emitted up
// to one batch later.

// msgTallyTypes bounds the distinct message types one tally holds; a
// batch with more emits the oldest at once. A batch rarely mixes more than
// three (payloads, announcements, keepalives).
const msgTallyTypes = 8

// msgTally counts frames and bytes per message type until flushed.
type msgTally struct {
	n     int
	types [msgTallyTypes]MessageType
	count [msgTallyTypes]int
	bytes [msgTallyTypes]int
}

// add counts one frame of type t, n bytes on the wire; emit is called for
// a type pushed out of a full tally.
func (t *msgTally) add(typ MessageType, n int, emit func(MessageType, int, int)) {
	for i := range t.n {
		if t.types[i] == typ {
			t.count[i]++
			t.bytes[i] += n
			return
		}
	}
	if t.n == msgTallyTypes {
		emit(t.types[0], t.count[0], t.bytes[0])
		copy(t.types[:], t.types[1:])
		copy(t.count[:], t.count[1:])
		copy(t.bytes[:], t.bytes[1:])
		t.n--
	}
	t.types[t.n], t.count[t.n], t.bytes[t.n] = typ, 1, n
	t.n++
}

// flush emits every type counted and empties the tally.
func (t *msgTally) flush(emit func(MessageType, int, int)) {
	for i := range t.n {
		emit(t.types[i], t.count[i], t.bytes[i])
	}
	t.n = 0
}

// sentBatch counts count messages of type t, bytes on the wire.
func (r *runtimeMetrics) sentBatch(t MessageType, count, bytes int) {
	l := r.typeLabels(t)
	r.sink.IncrCounterWithLabels(keyMsgSent, float32(count), l)
	r.sink.IncrCounterWithLabels(keyMsgSentBytes, float32(bytes), l)
	switch t {
	case typeGraft:
		r.sink.IncrCounterWithLabels(keyGraft, float32(count), r.labels)
	case typePrune:
		r.sink.IncrCounterWithLabels(keyPrune, float32(count), r.labels)
	}
}

// receivedBatch counts count messages of type t, bytes on the wire.
func (r *runtimeMetrics) receivedBatch(t MessageType, count, bytes int) {
	l := r.typeLabels(t)
	r.sink.IncrCounterWithLabels(keyMsgReceived, float32(count), l)
	r.sink.IncrCounterWithLabels(keyMsgReceivedBytes, float32(bytes), l)
}
