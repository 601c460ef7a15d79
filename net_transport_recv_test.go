package hyparlist

import (
	"bytes"
	"net"
	"testing"
	"time"
)

// TestPacketReaderSizes: a UDP listener's reader returns each datagram
// whole, in a slice of exactly its length, from a byte to almost the
// largest datagram.
func TestPacketReaderSizes(t *testing.T) {
	recv, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	send, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer send.Close()
	r := packetReader{conn: recv}
	for _, size := range []int{1, 1400, 9000, 65000} {
		msg := bytes.Repeat([]byte{byte(size)}, size)
		msg[size-1] = 0xee
		if _, err := send.WriteTo(msg, recv.LocalAddr()); err != nil {
			t.Fatalf("size %d: send: %v", size, err)
		}
		if err := recv.SetReadDeadline(time.Now().Add(testWait)); err != nil {
			t.Fatal(err)
		}
		got, from, err := r.read()
		if err != nil {
			t.Fatalf("size %d: read: %v", size, err)
		}
		if !bytes.Equal(got, msg) || cap(got) != size {
			t.Errorf("size %d: got %d bytes (cap %d), want the datagram at its exact size", size, len(got), cap(got))
		}
		if from.String() != send.LocalAddr().String() {
			t.Errorf("size %d: from %v, want %v", size, from, send.LocalAddr())
		}
	}
}
