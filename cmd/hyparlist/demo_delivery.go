package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hyparlist/hyparlist"
)

// This file holds what the demo's nodes run inside: the Delegate and
// EventDelegate every node is configured with, and the recorder that
// counts each node's deliveries.

// demoAPI names one of the two broadcast paths the demo exercises.
type demoAPI string

const (
	// apiNative is Memberlist.Broadcast.
	apiNative demoAPI = "native"
	// apiQueue is a TransmitLimitedQueue drained by Delegate.GetBroadcasts.
	apiQueue demoAPI = "queue"
)

// demoAPIs lists the broadcast paths in table order.
var demoAPIs = []demoAPI{apiNative, apiQueue}

// demoPhase numbers the broadcast rounds: before and after the crash.
type demoPhase int

const (
	phaseBefore demoPhase = iota
	phaseAfter
	numPhases
)

// String returns the phase's column name.
func (p demoPhase) String() string {
	if p == phaseBefore {
		return "before"
	}
	return "after"
}

// msgKey identifies one demo broadcast. Payloads carry it as text, so that
// every payload is distinct (the runtime treats equal payloads pulled from
// GetBroadcasts within a short window as one broadcast).
type msgKey struct {
	phase  demoPhase
	api    demoAPI
	origin string
	seq    int
}

// payload returns the bytes broadcast for k.
func (k msgKey) payload() []byte {
	return fmt.Appendf(nil, "demo|%d|%s|%s|%d", k.phase, k.api, k.origin, k.seq)
}

// parseMsgKey is the inverse of msgKey.payload.
func parseMsgKey(p []byte) (msgKey, bool) {
	f := strings.Split(string(p), "|")
	if len(f) != 5 || f[0] != "demo" {
		return msgKey{}, false
	}
	phase, err1 := strconv.Atoi(f[1])
	seq, err2 := strconv.Atoi(f[4])
	api := demoAPI(f[2])
	if err1 != nil || err2 != nil || phase < 0 || phase >= int(numPhases) || !slices.Contains(demoAPIs, api) {
		return msgKey{}, false
	}
	return msgKey{phase: demoPhase(phase), api: api, origin: f[3], seq: seq}, true
}

// recorder counts, per receiving node, how often each broadcast arrived.
// Delegates on many goroutines write to it while the demo polls it.
type recorder struct {
	mu       sync.Mutex
	received map[string]map[msgKey]int // receiver → message → deliveries
	foreign  map[string]int            // receiver → payloads that are no demo message
}

// newRecorder returns an empty recorder.
func newRecorder() *recorder {
	return &recorder{received: map[string]map[msgKey]int{}, foreign: map[string]int{}}
}

// record notes that node received payload.
func (r *recorder) record(node string, payload []byte) {
	k, ok := parseMsgKey(payload)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !ok {
		r.foreign[node]++
		return
	}
	m := r.received[node]
	if m == nil {
		m = map[msgKey]int{}
		r.received[node] = m
	}
	m[k]++
}

// tally is one node's delivery count for one set of expected messages.
type tally struct {
	delivered int // distinct expected messages received
	expected  int
	extra     int // duplicate deliveries, and messages not expected at this node
}

// ok reports whether every expected message arrived exactly once.
func (t tally) ok() bool { return t.delivered == t.expected && t.extra == 0 }

// add returns the sum of two tallies.
func (t tally) add(u tally) tally {
	return tally{delivered: t.delivered + u.delivered, expected: t.expected + u.expected, extra: t.extra + u.extra}
}

// tally counts what node received of sent, the messages of one phase and
// API. A node is expected to receive every message but its own.
func (r *recorder) tally(node string, phase demoPhase, api demoAPI, sent []msgKey) tally {
	r.mu.Lock()
	defer r.mu.Unlock()
	var t tally
	got := r.received[node]
	for _, k := range sent {
		n := got[k]
		if k.origin == node {
			t.extra += n // Broadcast is not delivered to its sender
			continue
		}
		t.expected++
		if n > 0 {
			t.delivered++
			t.extra += n - 1
		}
	}
	for k, n := range got {
		if k.phase == phase && k.api == api && !slices.Contains(sent, k) {
			t.extra += n
		}
	}
	return t
}

// foreignCount returns how many payloads node received that are no demo
// message at all.
func (r *recorder) foreignCount(node string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.foreign[node]
}

// demoDelegate is the Delegate of one demo node: it records every message
// and serves broadcasts from a TransmitLimitedQueue, as memberlist
// applications do.
type demoDelegate struct {
	name  string
	rec   *recorder
	queue *hyparlist.TransmitLimitedQueue
}

// newDemoDelegate returns the delegate of node name. numNodes sizes the
// queue's retransmit limit.
func newDemoDelegate(name string, rec *recorder, retransmitMult int, numNodes func() int) *demoDelegate {
	return &demoDelegate{
		name:  name,
		rec:   rec,
		queue: &hyparlist.TransmitLimitedQueue{NumNodes: numNodes, RetransmitMult: retransmitMult},
	}
}

// NodeMeta implements hyparlist.Delegate.
func (d *demoDelegate) NodeMeta(limit int) []byte { return []byte("demo") }

// NotifyMsg implements hyparlist.Delegate.
func (d *demoDelegate) NotifyMsg(p []byte) { d.rec.record(d.name, p) }

// GetBroadcasts implements hyparlist.Delegate.
func (d *demoDelegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.queue.GetBroadcasts(overhead, limit)
}

// LocalState implements hyparlist.Delegate.
func (d *demoDelegate) LocalState(join bool) []byte { return nil }

// MergeRemoteState implements hyparlist.Delegate.
func (d *demoDelegate) MergeRemoteState(buf []byte, join bool) {}

// queueBroadcast is a TransmitLimitedQueue entry that never replaces
// another one.
type queueBroadcast []byte

// Invalidates implements hyparlist.Broadcast.
func (queueBroadcast) Invalidates(hyparlist.Broadcast) bool { return false }

// Message implements hyparlist.Broadcast.
func (b queueBroadcast) Message() []byte { return b }

// Finished implements hyparlist.Broadcast.
func (queueBroadcast) Finished() {}

// UniqueBroadcast implements hyparlist.UniqueBroadcast.
func (queueBroadcast) UniqueBroadcast() {}

// eventCounter is the EventDelegate of one demo node: it counts member
// joins and leaves.
type eventCounter struct {
	joins, leaves atomic.Int64
}

// NotifyJoin implements hyparlist.EventDelegate.
func (e *eventCounter) NotifyJoin(*hyparlist.Node) { e.joins.Add(1) }

// NotifyLeave implements hyparlist.EventDelegate.
func (e *eventCounter) NotifyLeave(*hyparlist.Node) { e.leaves.Add(1) }

// NotifyUpdate implements hyparlist.EventDelegate.
func (e *eventCounter) NotifyUpdate(*hyparlist.Node) {}
