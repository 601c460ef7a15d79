package hyparlist

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// BenchmarkSealedFrame seals and opens a 1 KiB userMsg frame with the
// label alone as additional data (wire versions ≤ 3) and with a bound
// stream's keys (version 4, security_bind.go).
func BenchmarkSealedFrame(b *testing.B) {
	lim := defaultWireLimits()
	c := frameCrypto{keyring: mustKeyring(b, testKey(1, 32)), verifyIncoming: true, verifyOutgoing: true}
	msg := userMsg{Payload: bytes.Repeat([]byte{'x'}, 1024)}
	bound := streamBinding{version: wireVersionBound, sent: testKey(2, sealNonceSize), got: testKey(3, sealNonceSize)}.keys("cluster", true)
	for _, tc := range []struct{ name, seal, open string }{
		{"label", "cluster", "cluster"},
		{"bound", bound.send, bound.send},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var buf, scratch []byte
			b.ReportAllocs()
			for b.Loop() {
				var err error
				buf, scratch, err = c.appendFrame(buf[:0], scratch, msg, lim, tc.seal)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.readFrame(bytes.NewReader(buf), lim, tc.open); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSealedPacket seals and opens a packet of a 1 KiB userMsg in the
// format of wire versions ≤ 3 and with replay protection
// (security_replay.go).
func BenchmarkSealedPacket(b *testing.B) {
	lim := defaultWireLimits()
	frame, err := encodeMessage(nil, userMsg{Payload: bytes.Repeat([]byte{'x'}, 1024)}, lim)
	if err != nil {
		b.Fatal(err)
	}
	kr := mustKeyring(b, testKey(1, 32))
	for _, tc := range []struct {
		name           string
		sender, opener frameCrypto
	}{
		{"v3", frameCrypto{keyring: kr, verifyOutgoing: true}, frameCrypto{keyring: kr}},
		{"replay", frameCrypto{keyring: kr, verifyOutgoing: true, replay: newPacketReplay(time.Time{})}, frameCrypto{keyring: kr, verifyIncoming: true, replay: newPacketReplay(time.Time{})}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p := tc.sender.sealPacket("cluster", frame)
				body, label, err := RemoveLabelHeaderFromPacket(p)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tc.opener.openPacket(label, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStreamHandshake dials a node on 127.0.0.1 and runs the
// handshake, then closes the stream: in the clear, with a key (a bound
// stream, version 4), and over mutual TLS.
func BenchmarkStreamHandshake(b *testing.B) {
	ca := newTestCA(b, "bench ca")
	for _, mode := range []string{"plain", "keyed", "tls"} {
		b.Run(mode, func(b *testing.B) {
			nodes := make([]*Memberlist, 2)
			for i := range nodes {
				name := fmt.Sprintf("%s-%d", mode, i)
				conf := mockConfig(name, func(c *Config) {
					c.BindAddr = "127.0.0.1"
					c.BindPort = 0
					switch mode {
					case "keyed":
						c.SecretKey = testKey(5, 32)
					case "tls":
						c.TLS = ca.tlsConfig(ca.issue(b, certSpec{dns: []string{name}}))
					}
				})
				ml, err := Create(conf)
				if err != nil {
					b.Fatal(err)
				}
				defer ml.Shutdown()
				nodes[i] = ml
			}
			to := Address{Addr: nodes[1].LocalNode().Address(), Name: nodes[1].LocalNode().Name}
			b.ReportAllocs()
			for b.Loop() {
				conn, _, err := nodes[0].dial(to)
				if err != nil {
					b.Fatal(err)
				}
				_ = conn.Close()
			}
		})
	}
}
