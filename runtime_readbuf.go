// Runtime: stream read buffers, borrowed from a per-node pool while bytes
// wait.

package hyparlist

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// This file owns the buffering of stream readers (runReader,
// runtime_conn.go): a reader holds a readBufferBytes buffer only while
// bytes are waiting in it, and takes it from the node's pool when a read
// returns data. Between frames it waits in a read of at most
// idleReadBytes, so a node with many quiet streams (a neighbour sends a
// keepalive a second) holds about idleReadBytes per stream, not
// readBufferBytes: 16 KiB per stream was 8.6 MiB of the heap of 64 idle
// nodes with 520 streams (BENCHMARKS.md, idle cost).

// idleReadBytes is the read a stream reader waits in while its buffer is
// empty; what it returns is handed to the buffer taken next.
const idleReadBytes = 512

// hotReadWait: a stream whose last read waited less than this is busy,
// and its reader keeps its buffer and reads into it (one read per fill, as
// a plain buffered reader); one whose read waited longer gives the buffer
// back once it is empty. A quiet link (a keepalive a second) waits about a
// second per frame.
const hotReadWait = 10 * time.Millisecond

// readBufPool is a node's pool of stream read buffers of
// readBufferBytes. The pool frees what stays unused across garbage
// collections.
type readBufPool struct{ pool sync.Pool }

// get returns a buffered reader of readBufferBytes reading from r.
func (p *readBufPool) get(r io.Reader) *bufio.Reader {
	if br, ok := p.pool.Get().(*bufio.Reader); ok {
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, readBufferBytes)
}

// put returns br to the pool; its buffered bytes are discarded.
func (p *readBufPool) put(br *bufio.Reader) {
	br.Reset(nil)
	p.pool.Put(br)
}

// streamReader reads one stream's frames through a pooled buffer that it
// gives back whenever the buffer is empty.
type streamReader struct {
	pool *readBufPool
	src  io.Reader
	// idle is the small buffer the reader waits in; pre is what its last
	// read returned and the buffer has not taken yet, and err that read's
	// error, reported once pre is taken.
	idle [idleReadBytes]byte
	pre  []byte
	err  error
	br   *bufio.Reader
	// hot is set while the stream is busy (hotReadWait).
	hot bool
	// readAt is when the last read from the stream returned: the frames
	// it brought arrived by then (the reader's clock for them, so that a
	// frame costs no clock reading of its own).
	readAt time.Time
}

// newStreamReader returns a reader of src buffered through pool.
func newStreamReader(pool *readBufPool, src io.Reader) *streamReader {
	return &streamReader{pool: pool, src: src}
}

// next returns the buffered reader to read the next frame from. While
// the buffer is empty and the stream is not busy it gives the buffer back
// and waits for the stream in a small read, then takes a buffer to hand
// the bytes to. A read error is
// returned by the buffered reader's reads, after the bytes read with it.
func (s *streamReader) next() *bufio.Reader {
	if s.br != nil && (s.br.Buffered() > 0 || s.hot || len(s.pre) > 0 || s.err != nil) {
		return s.br // bytes or an error of a look at the stream (peekEnded) first
	}
	s.release()
	start := time.Now()
	n, err := s.src.Read(s.idle[:])
	s.readAt = time.Now()
	s.hot = s.readAt.Sub(start) < hotReadWait
	s.pre, s.err = s.idle[:n], err
	s.br = s.pool.get(s)
	return s.br
}

// buffered returns the bytes read from the stream that no frame has
// taken yet.
func (s *streamReader) buffered() int {
	n := len(s.pre)
	if s.br != nil {
		n += s.br.Buffered()
	}
	return n
}

// release gives the buffer back to the pool; call it when the stream
// ends.
func (s *streamReader) release() {
	if s.br != nil {
		s.pool.put(s.br)
		s.br = nil
	}
}

// Read implements io.Reader for the buffer: the bytes of the last wait
// first, then its error, then the stream.
func (s *streamReader) Read(b []byte) (int, error) {
	if len(s.pre) > 0 {
		n := copy(b, s.pre)
		s.pre = s.pre[n:]
		return n, nil
	}
	if s.err != nil {
		err := s.err
		s.err = nil
		return 0, err
	}
	start := time.Now()
	n, err := s.src.Read(b)
	s.readAt = time.Now()
	if s.readAt.Sub(start) >= hotReadWait {
		s.hot = false
	}
	return n, err
}
