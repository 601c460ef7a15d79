package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// demoPollInterval is how often the demo re-reads the cluster's state
// while it waits for a condition.
const demoPollInterval = 25 * time.Millisecond

// errDeadline is returned by waitFor when the condition did not hold in
// time.
var errDeadline = errors.New("deadline exceeded")

// ttyStatusWidth is the longest live status line, in characters: the
// width of the narrowest common terminal, less one.
const ttyStatusWidth = 79

// plainStatusInterval is the least time between two status lines when the
// output is not a terminal.
const plainStatusInterval = time.Second

// progress prints the demo's phase lines, prefixed with the time since the
// start. On a terminal it also keeps a live status line, rewritten in
// place while the demo waits; elsewhere a changed status is printed as a
// plain line at most every plainStatusInterval.
type progress struct {
	w     io.Writer
	tty   bool
	start time.Time
	shown bool // a status line is on screen

	lastStatus string    // plain output: the last status printed
	lastAt     time.Time // plain output: when it was printed
}

// linef prints one phase line.
func (p *progress) linef(format string, args ...any) {
	p.clearStatus()
	fmt.Fprintf(p.w, "[%5.1fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
}

// status shows s on the live status line, or prints it as a line now and
// then when the output is not a terminal.
func (p *progress) status(s string) {
	if !p.tty {
		if s != p.lastStatus && time.Since(p.lastAt) >= plainStatusInterval {
			p.lastStatus, p.lastAt = s, time.Now()
			p.linef("  %s", s)
		}
		return
	}
	line := []rune(fmt.Sprintf("[%5.1fs] %s", time.Since(p.start).Seconds(), s))
	if len(line) > ttyStatusWidth {
		// A line that wraps could not be rewritten in place.
		line = append(line[:ttyStatusWidth-1], '…')
	}
	fmt.Fprintf(p.w, "\r\033[K%s", string(line))
	p.shown = true
}

// clearStatus erases the live status line.
func (p *progress) clearStatus() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

// waitFor polls check until it reports done, the deadline passes or ctx
// is cancelled, showing its status text as it goes. It returns the last
// status text, and errDeadline or ctx's error when check never held.
func (p *progress) waitFor(ctx context.Context, what string, deadline time.Duration, check func() (done bool, status string)) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	t := time.NewTicker(demoPollInterval)
	defer t.Stop()
	for {
		done, st := check()
		if done {
			p.clearStatus()
			return st, nil
		}
		p.status(what + ": " + st)
		select {
		case <-ctx.Done():
			p.clearStatus()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return st, fmt.Errorf("%s after %v: %w", what, deadline, errDeadline)
			}
			return st, fmt.Errorf("%s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
}
