package hyparlist

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func TestAddLabelHeaderToPacket(t *testing.T) {
	max := strings.Repeat("l", LabelMaxSize)
	tests := []struct {
		name  string
		buf   []byte
		label string
		want  []byte
		err   error
	}{
		{name: "no label keeps nil", buf: nil, label: "", want: nil},
		{name: "no label keeps packet", buf: []byte("ping"), label: "", want: []byte("ping")},
		{name: "label on empty packet", buf: nil, label: "abc", want: []byte{labelMagic, 3, 'a', 'b', 'c'}},
		{name: "label on packet", buf: []byte("ping"), label: "abc", want: []byte{labelMagic, 3, 'a', 'b', 'c', 'p', 'i', 'n', 'g'}},
		{name: "longest label", buf: []byte("x"), label: max, want: append(append([]byte{labelMagic, LabelMaxSize}, max...), 'x')},
		{name: "label one byte too long", buf: []byte("x"), label: max + "l", err: errLabelTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AddLabelHeaderToPacket(tc.buf, tc.label)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if !bytes.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAddLabelHeaderToPacketDoesNotModifyInput(t *testing.T) {
	buf := make([]byte, 4, 64)
	copy(buf, "ping")
	if _, err := AddLabelHeaderToPacket(buf, "abc"); err != nil {
		t.Fatal(err)
	}
	if string(buf[:cap(buf)][:4]) != "ping" || len(buf) != 4 {
		t.Fatalf("input changed: %q", buf)
	}
}

func TestRemoveLabelHeaderFromPacket(t *testing.T) {
	tests := []struct {
		name      string
		buf       []byte
		wantBuf   []byte
		wantLabel string
		err       error
	}{
		{name: "empty", buf: []byte{}, wantBuf: []byte{}},
		{name: "unlabelled", buf: []byte{byte(typeJoin), 1, 2}, wantBuf: []byte{byte(typeJoin), 1, 2}},
		{name: "labelled", buf: []byte{labelMagic, 2, 'a', 'b', byte(typeJoin), 9}, wantBuf: []byte{byte(typeJoin), 9}, wantLabel: "ab"},
		{name: "label only", buf: []byte{labelMagic, 1, 'a'}, wantBuf: []byte{}, wantLabel: "a"},
		{name: "magic only", buf: []byte{labelMagic}, err: errLabelTruncated},
		{name: "empty label", buf: []byte{labelMagic, 0, 'x'}, err: errLabelEmpty},
		{name: "label cut short", buf: []byte{labelMagic, 5, 'a', 'b'}, err: errLabelTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			buf, label, err := RemoveLabelHeaderFromPacket(tc.buf)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if !bytes.Equal(buf, tc.wantBuf) || label != tc.wantLabel {
				t.Fatalf("got (%v, %q), want (%v, %q)", buf, label, tc.wantBuf, tc.wantLabel)
			}
		})
	}
}

func TestLabelPacketRoundTrip(t *testing.T) {
	for _, label := range []string{"", "a", "prod-eu", strings.Repeat("z", LabelMaxSize)} {
		for _, body := range [][]byte{{}, {byte(typeShuffle)}, bytes.Repeat([]byte{labelMagic}, 300)} {
			if label == "" && len(body) > 0 && body[0] == labelMagic {
				// Unlabelled traffic never starts with the magic byte
				// (no message type uses it): it would read as a header.
				continue
			}
			wire, err := AddLabelHeaderToPacket(body, label)
			if err != nil {
				t.Fatalf("add %q: %v", label, err)
			}
			got, gotLabel, err := RemoveLabelHeaderFromPacket(wire)
			if err != nil {
				t.Fatalf("remove %q: %v", label, err)
			}
			if gotLabel != label || !bytes.Equal(got, body) {
				t.Fatalf("label %q body %d bytes: got label %q body %d bytes", label, len(body), gotLabel, len(got))
			}
		}
	}
}

// streamWith returns the reading end of a mock stream on which data is
// written and then the stream ends. The writer runs in its own goroutine,
// so data may be larger than the stream's buffer.
func streamWith(t *testing.T, data []byte) net.Conn {
	t.Helper()
	var n MockNetwork
	a, b := n.NewTransport("a"), n.NewTransport("b")
	out, err := a.DialTimeout(b.addr.addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	in := <-b.StreamCh()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = out.Write(data)
		_ = out.Close()
	}()
	t.Cleanup(func() {
		_ = in.Close() // unblocks the writer if the test did not read all
		<-done
	})
	return in
}

func TestLabelStreamRoundTrip(t *testing.T) {
	for _, tc := range []struct{ label, body string }{
		{"", ""},
		{"", "hello"},
		{"prod", ""},
		{"prod", "hello"},
		{strings.Repeat("q", LabelMaxSize), "body"},
	} {
		var buf recordingConn
		if err := AddLabelHeaderToStream(&buf, tc.label); err != nil {
			t.Fatalf("add %q: %v", tc.label, err)
		}
		buf.buf.WriteString(tc.body)
		conn, label, err := RemoveLabelHeaderFromStream(streamWith(t, buf.buf.Bytes()))
		if err != nil {
			t.Fatalf("remove %q: %v", tc.label, err)
		}
		rest, err := io.ReadAll(conn)
		if err != nil {
			t.Fatal(err)
		}
		if label != tc.label || string(rest) != tc.body {
			t.Fatalf("got (%q, %q), want (%q, %q)", label, rest, tc.label, tc.body)
		}
	}
}

func TestRemoveLabelHeaderFromStreamMalformed(t *testing.T) {
	for name, data := range map[string][]byte{
		"magic only":    {labelMagic},
		"label cut off": {labelMagic, 4, 'a'},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := RemoveLabelHeaderFromStream(streamWith(t, data)); !errors.Is(err, errLabelTruncated) {
				t.Fatalf("error %v, want %v", err, errLabelTruncated)
			}
		})
	}
	if _, _, err := RemoveLabelHeaderFromStream(streamWith(t, []byte{labelMagic, 0, 'x'})); !errors.Is(err, errLabelEmpty) {
		t.Fatalf("empty label: error %v, want %v", err, errLabelEmpty)
	}
}

func TestRemoveLabelHeaderFromStreamReadError(t *testing.T) {
	in := streamWithOpen(t)
	_ = in.SetReadDeadline(time.Now().Add(-time.Second))
	if _, _, err := RemoveLabelHeaderFromStream(in); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past deadline: error %v, want %v", err, os.ErrDeadlineExceeded)
	}
}

// streamWithOpen returns the reading end of a stream that stays open and
// carries nothing.
func streamWithOpen(t *testing.T) net.Conn {
	t.Helper()
	var n MockNetwork
	a, b := n.NewTransport("a"), n.NewTransport("b")
	conn, err := a.DialTimeout(b.addr.addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	in := <-b.StreamCh()
	t.Cleanup(func() { _ = in.Close() })
	return in
}

func TestAddLabelHeaderToStreamTooLong(t *testing.T) {
	var buf recordingConn
	if err := AddLabelHeaderToStream(&buf, strings.Repeat("l", LabelMaxSize+1)); !errors.Is(err, errLabelTooLong) {
		t.Fatalf("error %v, want %v", err, errLabelTooLong)
	}
	if buf.buf.Len() != 0 {
		t.Fatalf("wrote %d bytes for a rejected label", buf.buf.Len())
	}
}

// recordingConn is a net.Conn that only records what is written to it.
type recordingConn struct {
	net.Conn
	buf bytes.Buffer
}

func (c *recordingConn) Write(b []byte) (int, error) { return c.buf.Write(b) }
