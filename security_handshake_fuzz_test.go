package hyparlist

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"
)

// fuzzConn is a stream whose reads come from r and whose writes are kept
// in w; deadlines are ignored and reads past r's end see io.EOF.
type fuzzConn struct {
	r *bytes.Reader
	w bytes.Buffer
}

func (c *fuzzConn) Read(b []byte) (int, error)  { return c.r.Read(b) }
func (c *fuzzConn) Write(b []byte) (int, error) { return c.w.Write(b) }
func (c *fuzzConn) Close() error                { return nil }
func (c *fuzzConn) LocalAddr() net.Addr         { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (c *fuzzConn) RemoteAddr() net.Addr        { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 2} }
func (c *fuzzConn) SetDeadline(time.Time) error { return nil }
func (c *fuzzConn) SetReadDeadline(time.Time) error {
	return nil
}
func (c *fuzzConn) SetWriteDeadline(time.Time) error { return nil }

var _ io.ReadWriter = (*fuzzConn)(nil)

// FuzzHandshake feeds arbitrary bytes to both sides of the stream
// handshake (TLS, then Hello and its answer, with the binding of
// encrypted streams) of a plain node, a node with a key that requires
// bound streams, a lenient keyed node and a TLS node, and to their packet
// opener with its replay windows: each must return an error or a result,
// never panic or hang.
func FuzzHandshake(f *testing.F) {
	key := testKey(4, 32)
	ca := newTestCA(f, "fuzz ca")
	network := newMockNetwork(rand.New(rand.NewPCG(1, 2)))
	var nodes []*Memberlist
	for i, tweak := range []func(*Config){
		nil,
		func(c *Config) { c.SecretKey = key },
		func(c *Config) { c.SecretKey = key; c.GossipVerifyIncoming = false },
		func(c *Config) { c.TLS = ca.tlsConfig(ca.issue(f, certSpec{dns: []string{c.Name}})) },
	} {
		name := string(rune('a' + i))
		conf := mockConfig(name, tweak)
		conf.Transport = network.NewTransport(name)
		ml, err := Create(conf)
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { _ = ml.Shutdown() })
		nodes = append(nodes, ml)
	}

	lim := defaultWireLimits()
	keyed := frameCrypto{keyring: mustKeyring(f, key), verifyIncoming: true, verifyOutgoing: true, replay: newPacketReplay(time.Time{})}
	for _, m := range []Message{
		helloMsg{VersionMin: 1, VersionMax: wireVersion, Name: "x", Addr: "127.0.0.1:1"},
		helloMsg{VersionMin: 1, VersionMax: 3, Name: "x", Addr: "127.0.0.1:1"},
		helloAcceptMsg{Version: wireVersion, Name: "b", Addr: "127.0.0.1:1"},
		helloRejectMsg{Reason: rejectCertificate, VersionMin: 1, VersionMax: wireVersion},
	} {
		plain, _ := encodeMessage(nil, m, lim)
		sealed, _, _ := keyed.appendFrame(nil, nil, m, lim, "")
		user, _, _ := keyed.appendFrame(nil, nil, userMsg{Payload: []byte("u")}, lim, "")
		for mode := range uint8(len(nodes)) {
			f.Add(mode, true, plain)
			f.Add(mode, true, append(bytes.Clone(sealed), user...))
			f.Add(mode, false, sealed)
		}
	}
	payload, _ := encodeMessage(nil, userMsg{Payload: []byte("p")}, lim)
	f.Add(uint8(1), true, keyed.sealPacket("", payload))
	f.Add(uint8(3), true, []byte{22, 3, 1, 0, 5, 1, 0, 0, 1, 0})

	f.Fuzz(func(t *testing.T, mode uint8, server bool, data []byte) {
		m := nodes[int(mode)%len(nodes)]
		conn := &fuzzConn{r: bytes.NewReader(data)}
		if server {
			if c, err := m.serverTLS(conn); err == nil {
				_, _, _, _ = m.serverHandshake(c)
			}
		} else if c, err := m.clientTLS(conn); err == nil {
			_, _, _, _, _ = m.clientHandshake(c, "")
		}
		if body, label, err := RemoveLabelHeaderFromPacket(data); err == nil {
			_, _ = m.crypto.openPacket(label, body)
		}
		_, _, _ = m.crypto.readFrameNonce(bytes.NewReader(data), lim, "")
	})
}
