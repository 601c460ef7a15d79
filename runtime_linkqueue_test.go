package hyparlist

import (
	"net"
	"slices"
	"testing"
	"testing/synctest"
)

// userGossip and memberGossip are frames of each class.
func userGossip(seq uint64) outFrame {
	return outFrame{msg: gossipMsg{ID: MessageID{Origin: "o", Seq: seq}, Class: ClassUser, Payload: []byte("user")}}
}

func memberGossip(seq uint64) outFrame {
	return outFrame{msg: gossipMsg{ID: MessageID{Origin: "o", Seq: seq}, Class: ClassMembership, Payload: []byte("member")}}
}

// takeAll drains q and returns, for each frame, whether it was a user
// frame.
func takeAll(q *linkQueues) []bool {
	var out []bool
	for f, ok := q.take(); ok; f, ok = q.take() {
		out = append(out, isUserFrame(f))
	}
	return out
}

// TestLinkQueuesRoundRobin: whichever class is queued first and however
// much of it, the other class's frames come out one per frame of the
// backlog, and each class keeps its order.
func TestLinkQueuesRoundRobin(t *testing.T) {
	for _, tc := range []struct {
		name        string
		backlog     func(uint64) outFrame
		late        func(uint64) outFrame
		lateIsUser  bool
		backlogSize int
	}{
		{"membership behind user backlog", userGossip, memberGossip, false, 100},
		{"user behind membership backlog", memberGossip, userGossip, true, 100},
		{"keepalives behind user backlog", userGossip, func(uint64) outFrame { return outFrame{msg: keepaliveMsg{}} }, false, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := newLinkQueues(128, 1<<20)
			for i := range tc.backlogSize {
				if !q.enqueue(tc.backlog(uint64(i))) {
					t.Fatal("queue full")
				}
			}
			for i := range 3 {
				q.enqueue(tc.late(uint64(i)))
			}
			order := takeAll(&q)
			if len(order) != tc.backlogSize+3 {
				t.Fatalf("took %d frames, want %d", len(order), tc.backlogSize+3)
			}
			var late []int
			for i, u := range order {
				if u == tc.lateIsUser {
					late = append(late, i)
				}
			}
			if len(late) != 3 || late[2] > 5 {
				t.Errorf("late frames taken at %v, want within the first 6", late)
			}
		})
	}
	q := newLinkQueues(4, 1<<20)
	for i := range 4 {
		q.enqueue(userGossip(uint64(i)))
	}
	if q.enqueue(userGossip(9)) {
		t.Errorf("a full user queue accepted a frame")
	}
	if !q.enqueue(memberGossip(0)) {
		t.Errorf("a full user queue blocked the control queue")
	}
	for i := range 4 {
		f, _ := q.takeUser()
		if f.msg.(gossipMsg).ID.Seq != uint64(i) {
			t.Fatalf("user frame %d out of order", i)
		}
	}
}

// pipeWriter runs the writer of a new link (depth frames, 1 MiB per
// queue) of the node of a one-node cluster over a pipe, after queuing
// backlog on the link (so the writer finds all of it at once). The test
// reads the frames from remote, queues a close marker, and calls finish,
// which waits for the writer and stops the node.
func pipeWriter(t *testing.T, depth int, backlog ...outFrame) (m *Memberlist, k *outLink, remote net.Conn, finish func()) {
	t.Helper()
	c := newMockCluster(t, 1, nil)
	m = c.nodes[0].ml
	k = newOutLink(Peer{Name: "peer", Addr: "127.0.0.1:9"}, depth, 1<<20)
	for i, f := range backlog {
		if !k.enqueue(f) {
			t.Fatalf("backlog frame %d: queue full", i)
		}
	}
	local, remote := net.Pipe()
	errc := make(chan error, 1)
	// The writer runs while there are frames (runtime_writer.go): each
	// run ends parked or with the link's end, which finish waits for.
	write := func() {
		if parked, err := m.writeLoop(k, local); !parked {
			errc <- err
		}
	}
	k.wake = func() { go write() }
	go write()
	finish = func() {
		t.Helper()
		if err := <-errc; err != nil {
			t.Errorf("writeLoop: %v", err)
		}
		_ = local.Close()
		_ = remote.Close()
		c.shutdown()
	}
	return m, k, remote, finish
}

// TestWriterInterleavesClasses runs a link's writer over a pipe with a
// backlog of user broadcasts queued before a membership announcement: the
// announcement is among the first frames on the wire, and a close writes
// every queued frame first.
func TestWriterInterleavesClasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const backlog = 200
		var frames []outFrame
		for i := range backlog {
			frames = append(frames, userGossip(uint64(i)))
		}
		frames = append(frames, memberGossip(0), outFrame{close: true})
		m, _, remote, finish := pipeWriter(t, 256, frames...)
		var classes []Class
		for range backlog + 1 {
			msg, err := readMessageFrame(remote, m.lim)
			if err != nil {
				t.Fatalf("read frame %d: %v", len(classes), err)
			}
			classes = append(classes, msg.(gossipMsg).Class)
		}
		finish()
		for i, cl := range classes {
			if cl == ClassMembership {
				if i > 1 {
					t.Errorf("announcement written after %d user frames", i)
				}
				return
			}
		}
		t.Errorf("announcement not written")
	})
}

// TestLinkQueuesByteBound: each queue refuses a frame that would take it
// over its byte bound, independently of the other queue and of the frame
// count; taking a frame frees its bytes; an empty queue accepts one frame
// larger than the bound.
func TestLinkQueuesByteBound(t *testing.T) {
	big := func(class Class, seq uint64, n int) outFrame {
		return outFrame{msg: gossipMsg{ID: MessageID{Origin: "o", Seq: seq}, Class: class, Payload: make([]byte, n)}}
	}
	const bound = 1000
	q := newLinkQueues(100, bound)
	for i := range 2 {
		if !q.enqueue(big(ClassUser, uint64(i), 400)) {
			t.Fatalf("user frame %d refused below the byte bound", i)
		}
	}
	if q.enqueue(big(ClassUser, 2, 400)) {
		t.Errorf("user queue accepted a frame beyond its byte bound (%d bytes queued)", q.userBytes.Load())
	}
	if !q.enqueue(big(ClassMembership, 0, 400)) {
		t.Errorf("a full user queue refused a control frame")
	}
	if _, ok := q.takeUser(); !ok {
		t.Fatal("no user frame")
	}
	if !q.enqueue(big(ClassUser, 3, 400)) {
		t.Errorf("user queue refused a frame after one was taken")
	}
	for _, ok := q.take(); ok; _, ok = q.take() {
	}
	if n := q.queuedBytes(); n != 0 {
		t.Fatalf("%d bytes counted in empty queues", n)
	}
	if !q.enqueue(big(ClassUser, 4, 5*bound)) {
		t.Errorf("an empty queue refused a frame larger than the bound")
	}
	if q.enqueue(big(ClassUser, 5, 1)) {
		t.Errorf("a queue holding an oversized frame accepted another")
	}
}

// TestWriterReleasesQueueBytes: frames the writer takes while it was
// waiting for work free their bytes too, so that a link that keeps up
// never reaches its byte bound.
func TestWriterReleasesQueueBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, k, remote, finish := pipeWriter(t, 16)
		for i := range 2 {
			synctest.Wait() // the writer waits on its empty queues
			if !k.enqueue(userGossip(uint64(i))) || !k.enqueue(memberGossip(uint64(i))) {
				t.Fatalf("round %d: queue full", i)
			}
			for range 2 {
				if _, err := readMessageFrame(remote, m.lim); err != nil {
					t.Fatalf("read frame: %v", err)
				}
			}
			synctest.Wait()
			if n := k.queuedBytes(); n != 0 {
				t.Fatalf("round %d: %d bytes counted in empty queues", i, n)
			}
		}
		k.enqueue(outFrame{close: true})
		finish()
	})
}

// TestLinkQueuesAfterUser: a control frame marked afterUser (what a leaving
// node sends) is taken after every user frame queued before it, while an
// unmarked one overtakes them; with the user queue full it still goes, in
// the control queue, and the byte counts return to zero.
func TestLinkQueuesAfterUser(t *testing.T) {
	q := newLinkQueues(8, 1<<20)
	for i := range 3 {
		q.enqueue(userGossip(uint64(i)))
	}
	left := memberGossip(7)
	left.afterUser = true
	if !q.enqueue(left) || !q.enqueue(memberGossip(8)) {
		t.Fatal("queue full")
	}
	var order []uint64
	for f, ok := q.take(); ok; f, ok = q.take() {
		order = append(order, f.msg.(gossipMsg).ID.Seq)
	}
	if at, last := slices.Index(order, 7), slices.Index(order, 2); at < last {
		t.Errorf("taken %v: the afterUser frame 7 before user frame 2", order)
	}
	if slices.Index(order, 8) > slices.Index(order, 2) {
		t.Errorf("taken %v: the unmarked control frame 8 did not overtake the user frames", order)
	}
	full := newLinkQueues(2, 1<<20)
	full.enqueue(userGossip(0))
	full.enqueue(userGossip(1))
	if !full.enqueue(left) {
		t.Error("a full user queue refused an afterUser control frame")
	}
	for _, ok := full.take(); ok; _, ok = full.take() {
	}
	for _, q := range []*linkQueues{&q, &full} {
		if q.userBytes.Load() != 0 || q.ctrlBytes.Load() != 0 {
			t.Errorf("bytes left after taking everything: user %d, control %d", q.userBytes.Load(), q.ctrlBytes.Load())
		}
	}
}
