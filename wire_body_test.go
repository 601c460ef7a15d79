package hyparlist

import (
	"bufio"
	"bytes"
	"testing"
)

// TestReadBodyBuffered: a body read from a buffered reader is the stream's
// bytes in a slice of its own, whether the reader held all of it
// (bufferedBody) or only part, and the reader goes on after it.
func TestReadBodyBuffered(t *testing.T) {
	stream := make([]byte, 3000)
	for i := range stream {
		stream[i] = byte(i*7 + i/256) // not periodic in the buffer size
	}
	for _, size := range []int{16, 1024, 2500} { // whole, whole, larger than the buffer
		br := bufio.NewReaderSize(bytes.NewReader(stream), 2048)
		if _, err := br.Peek(1); err != nil {
			t.Fatal(err)
		}
		body, err := readBody(br, size)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !bytes.Equal(body, stream[:size]) {
			t.Fatalf("size %d: body differs from the stream", size)
		}
		next, err := br.ReadByte()
		if err != nil || next != stream[size] {
			t.Fatalf("size %d: next byte %d, %v; want %d", size, next, err, stream[size])
		}
		// The body is the caller's: reading on (refilling the buffer)
		// must not change it.
		for {
			if _, err := br.ReadByte(); err != nil {
				break
			}
		}
		if !bytes.Equal(body, stream[:size]) {
			t.Fatalf("size %d: body changed by later reads", size)
		}
	}
}
