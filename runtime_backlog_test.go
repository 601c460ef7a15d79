package hyparlist

import (
	"errors"
	"testing"
	"testing/synctest"
)

// reserveAsync runs b.reserve(cost, done) on a goroutine and returns the
// channel its result arrives on.
func reserveAsync(b *userBacklog, cost int, done <-chan struct{}) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- b.reserve(cost, done) }()
	return errc
}

// returned reports whether errc has a result, once every goroutine of
// the bubble is blocked.
func returned(errc <-chan error) (error, bool) {
	synctest.Wait()
	select {
	case err := <-errc:
		return err, true
	default:
		return nil, false
	}
}

// TestUserBacklogAdmission: a reservation is admitted while the backlog
// plus it stays within the byte bound and below the frame bound (or into
// an empty backlog, however large); otherwise it waits until frames
// leave, and a closed done ends the wait with ErrShutdown.
func TestUserBacklogAdmission(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		never := make(chan struct{})
		b := newUserBacklog(100, 3)
		for range 2 {
			if err := b.reserve(40, never); err != nil {
				t.Fatal(err)
			}
		}
		errc := reserveAsync(b, 40, never) // 80 + 40 > 100
		if _, ok := returned(errc); ok {
			t.Fatal("reservation over the byte bound admitted")
		}
		b.remove(40)
		if err, ok := returned(errc); !ok || err != nil {
			t.Fatalf("reservation not admitted after room was made: %v, %v", ok, err)
		}
		if err := b.reserve(20, never); err != nil { // 100 bytes, 3 frames
			t.Fatal(err)
		}
		roomc := make(chan error, 1)
		go func() { roomc <- b.waitRoom(never) }()
		if _, ok := returned(roomc); ok {
			t.Fatal("waitRoom returned while the backlog is full")
		}
		b.remove(20)
		if err, ok := returned(roomc); !ok || err != nil {
			t.Fatalf("waitRoom still waiting after a frame left: %v, %v", ok, err)
		}
		for _, c := range []int{40, 40} {
			b.remove(c)
		}
		if bytes, frames := b.level(); bytes != 0 || frames != 0 {
			t.Fatalf("level %d bytes, %d frames, want 0", bytes, frames)
		}
		if err := b.reserve(500, never); err != nil { // larger than the bound
			t.Fatalf("an empty backlog refused a large payload: %v", err)
		}
		b.remove(500)

		f := newUserBacklog(100, 2) // the frame bound
		for range 2 {
			if err := f.reserve(1, never); err != nil {
				t.Fatal(err)
			}
		}
		errc = reserveAsync(f, 1, never)
		if _, ok := returned(errc); ok {
			t.Fatal("reservation beyond the frame bound admitted")
		}
		f.remove(1)
		if err, ok := returned(errc); !ok || err != nil {
			t.Fatalf("reservation not admitted after a frame left: %v, %v", ok, err)
		}

		done := make(chan struct{})
		errc = reserveAsync(f, 1, done) // f is full again
		if _, ok := returned(errc); ok {
			t.Fatal("reservation into a full backlog admitted")
		}
		close(done)
		if err, ok := returned(errc); !ok || !errors.Is(err, ErrShutdown) {
			t.Fatalf("wait ended by done returned %v, %v; want ErrShutdown", ok, err)
		}
	})
}

// TestLinkQueuesCountBacklog: a link's user frames count in the node's
// backlog from enqueue until they are taken or discarded; control frames
// and refused frames do not count.
func TestLinkQueuesCountBacklog(t *testing.T) {
	b := newUserBacklog(1<<20, 100)
	q := newLinkQueues(4, 1<<20)
	q.backlog = b
	for i := range 5 { // the fifth is refused
		q.enqueue(userGossip(uint64(i)))
	}
	q.enqueue(memberGossip(0))
	cost := int64(frameCost(userGossip(0)))
	if bytes, frames := b.level(); bytes != 4*cost || frames != 4 {
		t.Fatalf("backlog %d bytes, %d frames; want %d, 4", bytes, frames, 4*cost)
	}
	if _, ok := q.takeUser(); !ok {
		t.Fatal("no user frame")
	}
	if _, frames := b.level(); frames != 3 {
		t.Fatalf("backlog %d frames after a take, want 3", frames)
	}
	if n := q.discard(); n != 4 {
		t.Errorf("discarded %d frames, want 4", n)
	}
	if bytes, frames := b.level(); bytes != 0 || frames != 0 {
		t.Errorf("backlog %d bytes, %d frames after discard, want 0", bytes, frames)
	}
	if n := q.queuedBytes(); n != 0 {
		t.Errorf("%d bytes counted in discarded queues", n)
	}
}
