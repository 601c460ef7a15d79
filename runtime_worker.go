// Runtime: appWorker, so that Shutdown can wait for goroutines running
// application code.

package hyparlist

import "sync"

// This file owns appWorker: the bookkeeping that lets Shutdown wait for a
// goroutine that runs application code (a dispatcher, the broadcast pump)
// without deadlocking when that code is what calls Shutdown.
//
// Shutdown waits for such a goroutine to exit unless, at the moment it
// checks, the goroutine is inside the application's code: that code may
// be calling Shutdown (or waiting for a goroutine that does), and it may
// run for as long as it likes. The goroutine then exits when the code
// returns, without running anything more. Once the node is shutting down,
// the goroutine does not enter application code again (enter reports
// false), so a goroutine found outside it is bound to exit promptly.

// appWorker tracks one goroutine that runs application code.
type appWorker struct {
	mu     sync.Mutex
	inCall bool
	exited chan struct{}
	// beforeExit, when set, runs as the goroutine exits, before exited is
	// closed; tests use it to hold a goroutine on its way out.
	beforeExit func()
}

// newAppWorker returns the tracker of a goroutine about to start.
func newAppWorker() *appWorker {
	return &appWorker{exited: make(chan struct{})}
}

// enter reports whether the goroutine may call application code now:
// false once done is closed. After true, call leave when the code returns.
func (w *appWorker) enter(done <-chan struct{}) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-done:
		return false
	default:
	}
	w.inCall = true
	return true
}

// leave records that the application code entered last has returned.
func (w *appWorker) leave() {
	w.mu.Lock()
	w.inCall = false
	w.mu.Unlock()
}

// exit records that the goroutine is returning; call it deferred, first
// thing in the goroutine.
func (w *appWorker) exit() {
	if w.beforeExit != nil {
		w.beforeExit()
	}
	close(w.exited)
}

// wait waits for the goroutine to exit, unless it is inside application
// code; call it after done (the channel passed to enter) is closed. A nil
// worker (a goroutine never started) has nothing to wait for.
func (w *appWorker) wait() {
	if w == nil {
		return
	}
	w.mu.Lock()
	busy := w.inCall
	w.mu.Unlock()
	if !busy {
		<-w.exited
	}
}
