// Transport: mutual TLS for streams and the node name a certificate holds.

package hyparlist

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"time"
)

// This file runs every stream inside mutual TLS when Config.TLS is set,
// and binds each node's name to its certificate.
//
// Both ends of every stream present a certificate, and both verify the
// other's chain: the dialler against Config.TLS.RootCAs, the acceptor
// against Config.TLS.ClientCAs (RootCAs when ClientCAs is nil); nil pools
// mean the system roots. The chain is always verified, whatever
// InsecureSkipVerify says, and the certificate's host names are not
// compared with the dialled address: nodes are named, not addressed, so
// instead the name a node gives in its Hello (or helloAcceptMsg) must be one
// its certificate holds (certNameMatches):
//
//   - with Config.TLSNodeName set, the name it returns for the leaf
//     certificate;
//   - otherwise a DNS name (subject alternative name) of the certificate
//     equal to the node name, or, when the certificate has no DNS names,
//     its subject common name.
//
// The TLS handshake runs first, within the stream's handshake time
// (handshakeTimeout for an accepted stream, TCPTimeout for a dialled
// one), then the Hello exchange inside it. An acceptor answers a Hello
// whose name the certificate does not hold with helloRejectMsg
// (rejectCertificate) and closes the stream; a dialler closes a stream
// whose helloAcceptMsg names a node the certificate does not hold. Both are
// counted in hyparlist.tls.refused (reason name), and failed TLS
// handshakes (unknown authority, expired, no certificate, not TLS) in
// the same counter with reason handshake.
//
// Packets (SendBestEffort, SendToAddress, SendTo) have no TLS. Under TLS
// a packet is sent only when the keyring seals it (keys installed and
// GossipVerifyOutgoing); otherwise the message goes over a TLS stream of
// its own, as SendReliable's does, and stays best effort in name only. A
// received packet that is not sealed is dropped under TLS, whatever
// GossipVerifyIncoming says (hyparlist.packet.dropped, reason tls). So no
// plaintext path is left open.

// tlsState is a node's TLS settings, prepared at Create from Config.TLS:
// one tls.Config for each side of a stream.
type tlsState struct {
	client, server *tls.Config
	// nameOf is Config.TLSNodeName, or nil for the default rule.
	nameOf func(*x509.Certificate) (string, error)
}

// Reasons a TLS peer is refused, for hyparlist.tls.refused.
const (
	tlsRefusedHandshake = "handshake"
	tlsRefusedName      = "name"
)

// keyTLSRefused counts streams refused for TLS reasons.
var keyTLSRefused = []string{"hyparlist", "tls", "refused"}

// errCertName is the error of a peer whose certificate does not hold the
// name it claims.
var errCertName = errors.New("certificate does not hold the node name")

// errNotTLS is the error of a stream that should be TLS and is not.
var errNotTLS = errors.New("stream is not TLS")

// validateTLS checks Config.TLS: it must give this node a certificate.
func (c *Config) validateTLS(v *validator) {
	if c.TLS == nil {
		if c.TLSNodeName != nil {
			v.fail("TLSNodeName", "is set without TLS")
		}
		return
	}
	t := c.TLS
	if len(t.Certificates) == 0 && t.GetCertificate == nil && t.GetClientCertificate == nil {
		v.fail("TLS", "has no certificate (set Certificates, or GetCertificate and GetClientCertificate)")
	}
	if t.GetConfigForClient != nil {
		v.fail("TLS", "sets GetConfigForClient, which would bypass the node's client verification (use GetCertificate)")
	}
	if t.MaxVersion != 0 && t.MaxVersion < tls.VersionTLS12 {
		v.fail("TLS", "MaxVersion %#x is below TLS 1.2", t.MaxVersion)
	}
}

// newTLSState returns the TLS settings of cfg, or nil without Config.TLS.
func newTLSState(cfg *Config) *tlsState {
	if cfg.TLS == nil {
		return nil
	}
	s := &tlsState{nameOf: cfg.TLSNodeName}
	base := cfg.TLS
	s.client = base.Clone()
	s.client.MinVersion = max(s.client.MinVersion, tls.VersionTLS12)
	// The chain is checked in verifyChain, without a host name: the
	// name check is certNameMatches, after the Hello.
	s.client.InsecureSkipVerify = true
	s.client.VerifyConnection = s.verifier(base, base.RootCAs, x509.ExtKeyUsageServerAuth)
	s.client.VerifyPeerCertificate = nil

	s.server = base.Clone()
	s.server.MinVersion = max(s.server.MinVersion, tls.VersionTLS12)
	s.server.ClientAuth = tls.RequireAnyClientCert
	pool := base.ClientCAs
	if pool == nil {
		pool = base.RootCAs
	}
	s.server.VerifyConnection = s.verifier(base, pool, x509.ExtKeyUsageClientAuth)
	s.server.VerifyPeerCertificate = nil
	return s
}

// verifier returns a VerifyConnection that checks the peer's chain
// against roots for usage, then runs the user's own VerifyConnection and
// VerifyPeerCertificate, if any.
func (s *tlsState) verifier(base *tls.Config, roots *x509.CertPool, usage x509.ExtKeyUsage) func(tls.ConnectionState) error {
	userConn, userPeer := base.VerifyConnection, base.VerifyPeerCertificate
	return func(cs tls.ConnectionState) error {
		chains, err := verifyChain(cs.PeerCertificates, roots, usage, base.Time)
		if err != nil {
			return err
		}
		if userPeer != nil {
			raw := make([][]byte, len(cs.PeerCertificates))
			for i, c := range cs.PeerCertificates {
				raw[i] = c.Raw
			}
			if err := userPeer(raw, chains); err != nil {
				return err
			}
		}
		if userConn != nil {
			return userConn(cs)
		}
		return nil
	}
}

// verifyChain verifies the leaf of certs (the others are intermediates)
// against roots for usage, at now() (time.Now when now is nil).
func verifyChain(certs []*x509.Certificate, roots *x509.CertPool, usage x509.ExtKeyUsage, now func() time.Time) ([][]*x509.Certificate, error) {
	if len(certs) == 0 {
		return nil, errors.New("peer sent no certificate")
	}
	opts := x509.VerifyOptions{
		Roots:         roots,
		Intermediates: x509.NewCertPool(),
		KeyUsages:     []x509.ExtKeyUsage{usage},
	}
	if now != nil {
		opts.CurrentTime = now()
	}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	chains, err := certs[0].Verify(opts)
	if err != nil {
		return nil, fmt.Errorf("verify peer certificate: %w", err)
	}
	return chains, nil
}

// certNameMatches reports whether cert holds name, by the rule of this
// file's comment; nameOf is Config.TLSNodeName.
func certNameMatches(cert *x509.Certificate, name string, nameOf func(*x509.Certificate) (string, error)) error {
	if name == "" {
		return fmt.Errorf("%w: empty name", errCertName)
	}
	if nameOf != nil {
		got, err := nameOf(cert)
		if err != nil {
			return fmt.Errorf("%w: TLSNodeName: %w", errCertName, err)
		}
		if got != name {
			return fmt.Errorf("%w: certificate is %q's, peer says %q", errCertName, got, name)
		}
		return nil
	}
	if len(cert.DNSNames) > 0 {
		if slices.Contains(cert.DNSNames, name) {
			return nil
		}
		return fmt.Errorf("%w: %q is not among the certificate's DNS names %q", errCertName, name, cert.DNSNames)
	}
	if cert.Subject.CommonName == name {
		return nil
	}
	return fmt.Errorf("%w: certificate has no DNS name and common name %q, peer says %q", errCertName, cert.Subject.CommonName, name)
}

// tlsRefused counts a stream refused for a TLS reason.
func (m *Memberlist) tlsRefused(reason string) {
	m.metrics.sink.IncrCounterWithLabels(keyTLSRefused, 1, m.metrics.with("reason", reason))
}

// clientTLS runs the TLS handshake of a dialled stream, within
// TCPTimeout, and returns the TLS stream; without Config.TLS, or on
// error, it returns conn itself.
func (m *Memberlist) clientTLS(conn net.Conn) (net.Conn, error) {
	if m.tls == nil {
		return conn, nil
	}
	if err := conn.SetDeadline(time.Now().Add(m.config.TCPTimeout)); err != nil {
		return conn, err
	}
	tc := tls.Client(conn, m.tls.client)
	if err := tc.Handshake(); err != nil {
		m.tlsRefused(tlsRefusedHandshake)
		return conn, fmt.Errorf("tls handshake: %w", err)
	}
	return tc, nil
}

// serverTLS runs the TLS handshake of an accepted stream, within
// handshakeTimeout, and returns the TLS stream; without Config.TLS, or on
// error, it returns conn itself. A failure is counted and logged
// (rate-limited).
func (m *Memberlist) serverTLS(conn net.Conn) (net.Conn, error) {
	if m.tls == nil {
		return conn, nil
	}
	if err := conn.SetDeadline(time.Now().Add(m.handshakeTimeout())); err != nil {
		return conn, err
	}
	tc := tls.Server(conn, m.tls.server)
	if err := tc.Handshake(); err != nil {
		m.tlsRefused(tlsRefusedHandshake)
		m.logRefusal(slog.LevelWarn, "tls_handshake", connSource(conn), "refused connection: TLS handshake failed", "remote", conn.RemoteAddr().String(), "error", err)
		return conn, fmt.Errorf("tls handshake: %w", err)
	}
	return tc, nil
}

// checkPeerName checks, under TLS, that the peer at the other end of
// conn holds name in its certificate; without TLS it returns nil. A
// mismatch is counted and logged (rate-limited).
func (m *Memberlist) checkPeerName(conn net.Conn, name string) error {
	if m.tls == nil {
		return nil
	}
	tc, ok := conn.(*tls.Conn)
	if !ok {
		return errNotTLS
	}
	certs := tc.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return fmt.Errorf("%w: no certificate", errCertName)
	}
	err := certNameMatches(certs[0], name, m.tls.nameOf)
	if err != nil {
		m.tlsRefused(tlsRefusedName)
		m.logRefusal(slog.LevelWarn, "tls_name", connSource(conn), "refused connection: node name not in its certificate", "remote", conn.RemoteAddr().String(), "name", name, "error", err)
	}
	return err
}

// packetsOverStreams reports whether user packets go over TLS streams:
// under TLS, when the keyring would not seal them.
func (m *Memberlist) packetsOverStreams() bool {
	return m.tls != nil && m.crypto.sealKey() == nil
}

// plainPacketRefused reports whether a received packet that is not
// sealed must be dropped: always under TLS.
func (m *Memberlist) plainPacketRefused(body []byte) bool {
	return m.tls != nil && (len(body) == 0 || body[0] != sealedMarker && body[0] != freshMarker)
}

// sendUserStream sends msg to a as SendReliable does, for a best-effort
// send under TLS without packet sealing: at most UDPBufferSize bytes, as
// a packet would be.
func (m *Memberlist) sendUserStream(a Address, msg []byte) error {
	if len(msg) > m.config.UDPBufferSize {
		return fmt.Errorf("send to %s: payload of %d bytes, UDPBufferSize is %d: %w", a.String(), len(msg), m.config.UDPBufferSize, ErrMessageTooLarge)
	}
	frame, _, err := m.crypto.appendFrame(nil, nil, userMsg{Payload: msg}, m.lim, m.config.Label)
	if err != nil {
		return fmt.Errorf("send to %s: %w: %w", a.String(), ErrMessageTooLarge, err)
	}
	if err := m.acquireDialer(); err != nil {
		return err
	}
	defer m.releaseDialer()
	conn, _, err := m.dial(a)
	if err != nil {
		return fmt.Errorf("send to %s: %w", a.String(), err)
	}
	defer conn.Close()
	if frame, err = m.rebindFrame(conn, frame, userMsg{Payload: msg}); err != nil {
		return fmt.Errorf("send to %s: %w", a.String(), err)
	}
	if err := m.writeAll(conn, frame); err != nil {
		return fmt.Errorf("send to %s: %w", a.String(), err)
	}
	m.metrics.sent(typeUserMsg, len(frame))
	return nil
}
