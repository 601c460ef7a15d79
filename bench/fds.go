package main

import (
	"maps"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
)

// This file counts the process's open file descriptors over a cluster's
// life (every node of a run shares one process and its RLIMIT_NOFILE),
// and with -fd-kinds says which streams hold them. Every stream a node
// dials or accepts passes through the counting transport
// (counting_transport.go): a dialled stream is classified by the library
// function that dialled it (the first caller in the library's package
// that is not one of its dial helpers: dialLink, runCheck, runProbe,
// dialJoin, ... for hyparlist; memberlist's own names for memberlist),
// and an accepted stream takes the kind of the dialled stream at its
// other end (its remote address is that stream's local address and its
// local address that stream's remote one; both ends are in this process).
// A stream is keyed by both addresses: the kernel gives one local port to
// several dials to different listeners, so a local address alone named
// another stream's kind (before session 17: accepted ends counted as
// "in.<kind>.closed" or "in.unknown" while their dialler was open).
// Streams are counted while open: from the dial's return or the accept
// until Close.

// fdSampleEvery is the period of the descriptor samples.
const fdSampleEvery = 500 * time.Millisecond

// streamKinds tracks the open streams of one cluster by kind.
type streamKinds struct {
	mu sync.Mutex
	// dialled maps the key (streamKey) of each open dialled stream to its
	// kind.
	dialled map[string]string
	// open holds every open stream: its kind when dialled, "" when
	// accepted (resolved at each sample through dialled).
	open map[*countingConn]string
	// gone maps the key of each closed dialled stream whose
	// accepted end is still open (or was never seen) to its kind, so that
	// an accepted stream outliving its dialler is still classified
	// ("in.<kind>.closed"). An entry goes when the accepted end closes;
	// those of streams never accepted stay until the cluster ends.
	gone map[string]string
	// dialing counts the dials in progress by kind (a socket is open
	// while it connects).
	dialing map[string]int64
}

// dialStarted and the function it returns bracket a transport dial.
func (s *streamKinds) dialStarted() func() {
	kind := dialKind()
	s.mu.Lock()
	s.dialing[kind]++
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.dialing[kind]--
		s.mu.Unlock()
	}
}

func newStreamKinds() *streamKinds {
	return &streamKinds{dialled: map[string]string{}, open: map[*countingConn]string{}, gone: map[string]string{}, dialing: map[string]int64{}}
}

// dialHelpers are the library functions between a caller and the
// transport's dial: skipped when classifying.
var dialHelpers = map[string]bool{
	"dial": true, "dialVersion": true, "dialStream": true, "dialStreamKey": true,
	"probeOnce": true, "DialTimeout": true, "DialAddressTimeout": true,
}

// dialKind names the library function that is dialling: the first frame
// of package hyparlist or memberlist that is not a dial helper.
func dialKind() string {
	var pcs [32]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		fn := f.Function
		if strings.Contains(fn, "hyparlist/hyparlist.") || strings.Contains(fn, "hashicorp/memberlist.") {
			short := fn[strings.LastIndex(fn, ".")+1:]
			if short != "" && !dialHelpers[short] && !strings.HasPrefix(short, "func") {
				return short
			}
		}
		if !more {
			return "other"
		}
	}
}

// added records a new stream; accepted streams have no kind yet.
func (s *streamKinds) added(c *countingConn, dialled bool) {
	kind := ""
	if dialled {
		kind = dialKind()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if dialled {
		s.dialled[streamKey(c.LocalAddr(), c.RemoteAddr())] = kind
	}
	s.open[c] = kind
}

// closed forgets a stream; closing it twice is harmless.
func (s *streamKinds) closed(c *countingConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kind, ok := s.open[c]
	if !ok {
		return
	}
	delete(s.open, c)
	if kind != "" {
		key := streamKey(c.LocalAddr(), c.RemoteAddr())
		delete(s.dialled, key)
		s.gone[key] = kind
		return
	}
	delete(s.gone, streamKey(c.RemoteAddr(), c.LocalAddr()))
}

// streamKey names a stream by its dialled end's local and remote
// addresses; an accepted end passes its remote address as local.
func streamKey(local, remote net.Addr) string {
	return local.String() + ">" + remote.String()
}

// snapshot counts the open streams by "out.<kind>" (dialled) and
// "in.<kind>" (accepted; "in.<kind>.closed" when the dialling end is
// closed),
// and the dials in progress ("dialing.<kind>").
func (s *streamKinds) snapshot() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]int64{}
	for k, n := range s.dialing {
		if n > 0 {
			m["dialing."+k] = n
		}
	}
	for c, kind := range s.open {
		if kind != "" {
			m["out."+kind]++
			continue
		}
		key := streamKey(c.RemoteAddr(), c.LocalAddr())
		if k, ok := s.dialled[key]; ok {
			m["in."+k]++
		} else if k, ok := s.gone[key]; ok {
			m["in."+k+".closed"]++
		} else {
			m["in.unknown"]++
		}
	}
	return m
}

// openFDs counts the process's open descriptors; -1 if /proc is not
// readable.
func openFDs() int {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return -1
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return -1
	}
	return len(names) - 1 // the directory's own descriptor
}

// fdSampler samples openFDs every fdSampleEvery and keeps the peak.
type fdSampler struct {
	kinds *streamKinds // nil without -fd-kinds
	logf  func(string, ...any)
	start time.Time
	stop  chan struct{}
	done  chan struct{}

	mu        sync.Mutex
	peak      int
	peakAt    time.Duration
	peakKinds map[string]int64
}

// fdLogEvery is how often -fd-kinds logs the count and the kinds.
const fdLogEvery = 10 * time.Second

func startFDSampler(kinds *streamKinds, logf func(string, ...any)) *fdSampler {
	s := &fdSampler{kinds: kinds, logf: logf, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *fdSampler) run() {
	defer close(s.done)
	t := time.NewTicker(fdSampleEvery)
	defer t.Stop()
	nextLog := time.Now()
	for {
		n := s.sample()
		if s.kinds != nil && time.Now().After(nextLog) {
			s.logf("fds +%.0f s: %d open; streams %v", time.Since(s.start).Seconds(), n, s.kinds.snapshot())
			nextLog = nextLog.Add(fdLogEvery)
		}
		select {
		case <-t.C:
		case <-s.stop:
			return
		}
	}
}

// sample takes one sample, and the kinds when it is a new peak.
func (s *fdSampler) sample() int {
	n := openFDs()
	s.mu.Lock()
	defer s.mu.Unlock()
	if n > s.peak {
		s.peak, s.peakAt = n, time.Since(s.start)
		if s.kinds != nil {
			s.peakKinds = s.kinds.snapshot()
		}
	}
	return n
}

// now is the current count and, with -fd-kinds, the streams by kind.
func (s *fdSampler) now() (int, map[string]int64) {
	n := s.sample()
	if s.kinds == nil {
		return n, nil
	}
	return n, s.kinds.snapshot()
}

// finish stops the sampler and returns the peak, when it was taken
// (since the sampler started) and the kinds then.
func (s *fdSampler) finish() (int, time.Duration, map[string]int64) {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak, s.peakAt, maps.Clone(s.peakKinds)
}
