package main

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"
)

// This file is the application both systems run: broadcast messages with a
// header the harness can recognise, a record of who received what and when,
// and the member lists every node reports through its EventDelegate.
//
// A bench payload is:
//
//	[0:8)   benchMagic, the marker counting_transport.go counts on the wire
//	[8:16)  id: phase (high 32 bits) and sequence number (low 32 bits);
//	        with the marker, the message's unique 16-byte id
//	[16:20) origin node index
//	[20:28) send time, Unix nanoseconds
//	[28:)   random padding up to -payload bytes. Random so that memberlist's
//	        default compression (on in its DefaultLANConfig) cannot shrink
//	        it, which would hide the payload from the wire count.

// benchMagic starts every bench payload.
var benchMagic = [8]byte{0xb3, 0x7c, 'h', 'p', 'l', 0x9e, 0x51, 0x0d}

// headerSize is the smallest payload the harness can send.
const headerSize = 28

// makePayload returns a payload of size bytes for message seq of phase.
func makePayload(size int, phase uint32, seq uint32, origin int, rng *rand.Rand) []byte {
	b := make([]byte, size)
	copy(b, benchMagic[:])
	binary.BigEndian.PutUint64(b[8:], uint64(phase)<<32|uint64(seq))
	binary.BigEndian.PutUint32(b[16:], uint32(origin))
	binary.BigEndian.PutUint64(b[20:], uint64(time.Now().UnixNano()))
	for i := headerSize; i < size; i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], rng.Uint64())
		copy(b[i:], w[:])
	}
	return b
}

// phase records one broadcast phase: when each message was sent and when
// each node first received it.
type phase struct {
	id         uint32
	n          int
	broadcasts int
	sent       []atomic.Int64 // send time per message, Unix ns; 0 = not sent
	recv       []atomic.Int64 // first receipt per (message, node), Unix ns
	notify     atomic.Int64   // every NotifyMsg call carrying this phase's messages
	firsts     atomic.Int64   // first receipts by a node other than the origin
	foreign    atomic.Int64   // NotifyMsg calls with no or another phase's header
}

func newPhase(id uint32, n, broadcasts int) *phase {
	return &phase{
		id: id, n: n, broadcasts: broadcasts,
		sent: make([]atomic.Int64, broadcasts),
		recv: make([]atomic.Int64, broadcasts*n),
	}
}

// app is the state every node's delegate reports to.
type app struct {
	n       int
	cur     atomic.Pointer[phase]
	requeue atomic.Bool // NotifyMsg re-queues new messages (queue API)

	// Member lists: present[i*n+j] says node i lists node j (j != i).
	present []atomic.Bool
	pairs   atomic.Int64
	counts  []atomic.Int64 // members each node lists, itself included
	allAt   atomic.Int64   // Unix ns when all pairs were first present
	p99At   atomic.Int64   // Unix ns when 99% of pairs were first present
	alive   []atomic.Bool
	flaps   atomic.Int64 // NotifyLeave for a node that was not crashed

	crashed atomic.Int64 // index of the crashed node, -1 before the crash
}

func newApp(n int) *app {
	a := &app{n: n, present: make([]atomic.Bool, n*n), alive: make([]atomic.Bool, n), counts: make([]atomic.Int64, n)}
	for i := range a.counts {
		a.counts[i].Store(1)
	}
	a.crashed.Store(-1)
	return a
}

// onMsg records NotifyMsg at node i and reports whether the message is new
// to i, i.e. whether a Serf-style application would re-queue it.
func (a *app) onMsg(i int, b []byte) bool {
	p := a.cur.Load()
	if p == nil || len(b) < headerSize || [8]byte(b[:8]) != benchMagic {
		if p != nil {
			p.foreign.Add(1)
		}
		return false
	}
	id := binary.BigEndian.Uint64(b[8:])
	seq := int(uint32(id))
	if uint32(id>>32) != p.id || seq >= p.broadcasts {
		p.foreign.Add(1)
		return false
	}
	p.notify.Add(1)
	now := time.Now().UnixNano()
	if !p.recv[seq*a.n+i].CompareAndSwap(0, now) {
		return false
	}
	p.firsts.Add(1)
	return true
}

// markSent records that node origin sent message seq at t; the origin
// counts as having it.
func (p *phase) markSent(seq, origin int, t int64) {
	p.sent[seq].Store(t)
	p.recv[seq*p.n+origin].CompareAndSwap(0, t)
}

// nodeIndex parses the bench's node names, "n<index>".
func nodeIndex(name string) (int, bool) {
	if len(name) < 2 || name[0] != 'n' {
		return 0, false
	}
	i, err := strconv.Atoi(name[1:])
	return i, err == nil
}

func nodeName(i int) string { return "n" + strconv.Itoa(i) }

// onJoin records that node i lists the member called name.
func (a *app) onJoin(i int, name string) {
	j, ok := nodeIndex(name)
	if !ok || j == i || j >= a.n || !a.alive[i].Load() {
		return
	}
	if a.present[i*a.n+j].Swap(true) {
		return
	}
	a.counts[i].Add(1)
	p := a.pairs.Add(1)
	total := int64(a.n) * int64(a.n-1)
	now := time.Now().UnixNano()
	if p*100 >= total*99 {
		a.p99At.CompareAndSwap(0, now)
	}
	if p == total {
		a.allAt.CompareAndSwap(0, now)
	}
}

// onLeave records that node i no longer lists the member called name.
func (a *app) onLeave(i int, name string) {
	j, ok := nodeIndex(name)
	if !ok || j == i || j >= a.n || !a.alive[i].Load() {
		return
	}
	if !a.present[i*a.n+j].Swap(false) {
		return
	}
	a.counts[i].Add(-1)
	a.pairs.Add(-1)
	if int64(j) != a.crashed.Load() {
		a.flaps.Add(1)
	}
}

// crash marks node c as crashed, before it is shut down: its own events
// are ignored from now on, and other nodes dropping it are not flaps.
func (a *app) crash(c int) {
	a.crashed.Store(int64(c))
	a.alive[c].Store(false)
}

// listing counts the live nodes that list node c.
func (a *app) listing(c int) int {
	n := 0
	for i := range a.n {
		if i != c && a.alive[i].Load() && a.present[i*a.n+c].Load() {
			n++
		}
	}
	return n
}

// numMembers is the number of members node i's EventDelegate reported,
// itself included: the TransmitLimitedQueue's NumNodes, kept by the
// application as Serf keeps its own member count. Calling memberlist's
// NumMembers there instead takes memberlist's node lock from inside
// GetBroadcasts, which memberlist calls while sending; at N=256 under load
// that hung memberlist (readers and writers of its node lock all waiting).
func (a *app) numMembers(i int) int { return int(a.counts[i].Load()) }

// minMembers is the smallest member count any live node reports (itself
// included).
func (a *app) minMembers() int {
	lowest := a.n
	for i := range a.n {
		if !a.alive[i].Load() {
			continue
		}
		c := 1
		for j := range a.n {
			if a.present[i*a.n+j].Load() {
				c++
			}
		}
		lowest = min(lowest, c)
	}
	return lowest
}
