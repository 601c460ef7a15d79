package hyparlist

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file tests mutual TLS (transport_tls.go) over real sockets on
// 127.0.0.1, with a certificate authority made in the test.

// testCA is a certificate authority for tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

// newTestCA returns a new self-signed CA.
func newTestCA(t testing.TB, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// certSpec describes a leaf certificate issued by a testCA.
type certSpec struct {
	cn       string
	dns      []string
	notAfter time.Time // zero: a day from now
}

var serials struct {
	sync.Mutex
	n int64
}

// issue returns a leaf certificate for spec, usable as client and server.
func (ca *testCA) issue(t testing.TB, spec certSpec) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serials.Lock()
	serials.n++
	serial := serials.n + 1
	serials.Unlock()
	notAfter := spec.notAfter
	if notAfter.IsZero() {
		notAfter = time.Now().Add(24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: spec.cn},
		DNSNames:     spec.dns,
		NotBefore:    time.Now().Add(-2 * time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// tlsConfig returns a Config.TLS with cert that trusts ca.
func (ca *testCA) tlsConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: ca.pool}
}

// newTLSNode starts a node on 127.0.0.1 with tlsConf, its metrics in a
// sink of its own; tweak may change its Config further. It is shut down
// when the test ends.
func newTLSNode(t *testing.T, name string, tlsConf *tls.Config, tweak func(*Config)) (*testNode, *inmemSink) {
	t.Helper()
	rec := &recorder{name: name}
	conf := mockConfig(name, func(c *Config) {
		c.BindAddr = "127.0.0.1"
		c.BindPort = 0
		c.KeepaliveTimeout = 3 * time.Second
		c.TCPTimeout = 3 * time.Second
		c.ProbeTimeout = time.Second
		c.TLS = tlsConf
		if tweak != nil {
			tweak(c)
		}
	})
	conf.Delegate = rec
	conf.Events = rec
	sink := newInmemSink(time.Hour, time.Hour)
	ml, err := create(conf, sink)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	rec.self.Store(ml)
	t.Cleanup(func() { _ = ml.Shutdown() })
	return &testNode{ml: ml, rec: rec}, sink
}

// tlsPair starts a seed with a good certificate for "seed" and a joiner
// named name with cert, both trusting ca (the joiner trusts joinerCA when
// not nil), and returns the joiner's Join error and both nodes' sinks.
func tlsPair(t *testing.T, ca *testCA, name string, cert tls.Certificate, joinerCA *testCA) (seed, joiner *testNode, seedSink, joinerSink *inmemSink, err error) {
	t.Helper()
	seed, seedSink = newTLSNode(t, "seed", ca.tlsConfig(ca.issue(t, certSpec{cn: "seed", dns: []string{"seed"}})), nil)
	trust := ca
	if joinerCA != nil {
		trust = joinerCA
	}
	joiner, joinerSink = newTLSNode(t, name, trust.tlsConfig(cert), nil)
	_, err = joiner.ml.Join([]string{seed.ml.LocalNode().Address()})
	return seed, joiner, seedSink, joinerSink, err
}

// wantRefused checks that a join failed, that the seed counted a TLS
// refusal with reason, and that neither node lists the other.
func wantRefused(t *testing.T, err error, seed, joiner *testNode, sink *inmemSink, reason string) {
	t.Helper()
	if err == nil {
		t.Fatal("join succeeded, want it refused")
	}
	pollUntil(t, "the refusal counted", func() bool {
		return counterSum(sink, "hyparlist.tls.refused;reason="+reason) > 0
	})
	if n := seed.ml.NumMembers(); n != 1 {
		t.Errorf("seed lists %d members, want 1", n)
	}
	if n := joiner.ml.NumMembers(); n != 1 {
		t.Errorf("joiner lists %d members, want 1", n)
	}
}

// TestTLSGoodPair: two nodes with certificates of one CA, each naming its
// node by a DNS name, join; a broadcast, a SendReliable and a
// SendBestEffort (carried over a TLS stream: no keyring) arrive; nothing
// is refused.
func TestTLSGoodPair(t *testing.T) {
	ca := newTestCA(t, "test ca")
	seed, joiner, seedSink, joinerSink, err := tlsPair(t, ca, "joiner", ca.issue(t, certSpec{cn: "ignored", dns: []string{"joiner", "other"}}), nil)
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	nodes := []*testNode{seed, joiner}
	pollUntil(t, "both list both", func() bool { return allSee(nodes, 2) })
	if err := seed.ml.Broadcast([]byte("over tls")); err != nil {
		t.Fatal(err)
	}
	other := seed.ml.Members()[0]
	if other.Name == "seed" {
		other = seed.ml.Members()[1]
	}
	if err := seed.ml.SendReliable(other, []byte("reliable over tls")); err != nil {
		t.Fatalf("SendReliable: %v", err)
	}
	if err := seed.ml.SendBestEffort(other, []byte("best effort over tls")); err != nil {
		t.Fatalf("SendBestEffort: %v", err)
	}
	for _, p := range []string{"over tls", "reliable over tls", "best effort over tls"} {
		pollUntil(t, p, func() bool { return joiner.rec.count([]byte(p)) == 1 })
	}
	for _, s := range []*inmemSink{seedSink, joinerSink} {
		if n := counterSum(s, "hyparlist.tls.refused"); n != 0 {
			t.Errorf("%v TLS refusals, want 0", n)
		}
	}
	if n := counterSum(seedSink, "hyparlist.packet.dropped"); n != 0 {
		t.Errorf("%v packets dropped", n)
	}
}

// TestTLSUnknownCA: a joiner whose certificate another CA signed is
// refused by the seed's TLS handshake (and it does not trust the seed).
func TestTLSUnknownCA(t *testing.T) {
	ca, rogue := newTestCA(t, "test ca"), newTestCA(t, "rogue ca")
	seed, joiner, seedSink, _, err := tlsPair(t, ca, "joiner", rogue.issue(t, certSpec{cn: "joiner"}), rogue)
	wantRefused(t, err, seed, joiner, seedSink, tlsRefusedHandshake)
}

// TestTLSUnknownCAClientSide: a joiner that trusts the CA, with a
// certificate from another CA, is refused too (only the seed verifies
// that one).
func TestTLSUnknownCAClientSide(t *testing.T) {
	ca, rogue := newTestCA(t, "test ca"), newTestCA(t, "rogue ca")
	seed, joiner, seedSink, _, err := tlsPair(t, ca, "joiner", rogue.issue(t, certSpec{cn: "joiner"}), ca)
	wantRefused(t, err, seed, joiner, seedSink, tlsRefusedHandshake)
}

// TestTLSAnotherNodesCertificate: a valid certificate of the cluster's CA
// that names another node does not let its holder use its own name: the
// seed answers rejectCertificate and counts reason name.
func TestTLSAnotherNodesCertificate(t *testing.T) {
	ca := newTestCA(t, "test ca")
	seed, joiner, seedSink, _, err := tlsPair(t, ca, "joiner", ca.issue(t, certSpec{cn: "seed-2", dns: []string{"seed-2"}}), nil)
	wantRefused(t, err, seed, joiner, seedSink, tlsRefusedName)
	var re *rejectedError
	if !errors.As(err, &re) || re.reason != rejectCertificate {
		t.Errorf("join error %v, want a RejectCertificate rejection", err)
	}
}

// TestTLSCommonNameOnlyWithoutDNSNames: the common name counts only when
// the certificate has no DNS names.
func TestTLSCommonNameOnlyWithoutDNSNames(t *testing.T) {
	ca := newTestCA(t, "test ca")
	seed, joiner, seedSink, _, err := tlsPair(t, ca, "joiner", ca.issue(t, certSpec{cn: "joiner", dns: []string{"someone-else"}}), nil)
	wantRefused(t, err, seed, joiner, seedSink, tlsRefusedName)

	ca2 := newTestCA(t, "test ca 2")
	_, _, _, _, err = tlsPair(t, ca2, "cn-only", ca2.issue(t, certSpec{cn: "cn-only"}), nil)
	if err != nil {
		t.Fatalf("join with a common-name-only certificate: %v", err)
	}
}

// TestTLSAcceptorNameChecked: a dialler refuses an acceptor whose
// certificate does not hold the name in its helloAcceptMsg.
func TestTLSAcceptorNameChecked(t *testing.T) {
	ca := newTestCA(t, "test ca")
	seed, _ := newTLSNode(t, "seed", ca.tlsConfig(ca.issue(t, certSpec{dns: []string{"not-seed"}})), nil)
	joiner, joinerSink := newTLSNode(t, "joiner", ca.tlsConfig(ca.issue(t, certSpec{dns: []string{"joiner"}})), nil)
	if _, err := joiner.ml.Join([]string{seed.ml.LocalNode().Address()}); !errors.Is(err, errCertName) {
		t.Fatalf("join = %v, want errCertName", err)
	}
	if n := counterSum(joinerSink, "hyparlist.tls.refused;reason=name"); n == 0 {
		t.Error("the joiner did not count the refusal")
	}
}

// TestTLSExpiredCertificate: an expired certificate of the cluster's CA
// is refused by the TLS handshake.
func TestTLSExpiredCertificate(t *testing.T) {
	ca := newTestCA(t, "test ca")
	seed, joiner, seedSink, _, err := tlsPair(t, ca, "joiner", ca.issue(t, certSpec{dns: []string{"joiner"}, notAfter: time.Now().Add(-time.Hour)}), nil)
	wantRefused(t, err, seed, joiner, seedSink, tlsRefusedHandshake)
}

// TestTLSNodeNameHook: Config.TLSNodeName maps a certificate to the name
// its holder may use, here from the organizational unit.
func TestTLSNodeNameHook(t *testing.T) {
	ca := newTestCA(t, "test ca")
	hook := func(c *x509.Certificate) (string, error) {
		name, ok := strings.CutPrefix(c.Subject.CommonName, "node:")
		if !ok {
			return "", fmt.Errorf("common name %q has no node: prefix", c.Subject.CommonName)
		}
		return name, nil
	}
	tweak := func(c *Config) { c.TLSNodeName = hook }
	seed, _ := newTLSNode(t, "seed", ca.tlsConfig(ca.issue(t, certSpec{cn: "node:seed", dns: []string{"x"}})), tweak)
	good, _ := newTLSNode(t, "good", ca.tlsConfig(ca.issue(t, certSpec{cn: "node:good", dns: []string{"x"}})), tweak)
	bad, _ := newTLSNode(t, "bad", ca.tlsConfig(ca.issue(t, certSpec{cn: "bad", dns: []string{"bad"}})), tweak)
	addr := seed.ml.LocalNode().Address()
	if _, err := good.ml.Join([]string{addr}); err != nil {
		t.Fatalf("join good: %v", err)
	}
	if _, err := bad.ml.Join([]string{addr}); err == nil {
		t.Fatal("join bad succeeded, want refused")
	}
}

// TestTLSPlainNodeRefused: a node without TLS cannot join a TLS node, nor
// reach it with a packet.
func TestTLSPlainNodeRefused(t *testing.T) {
	ca := newTestCA(t, "test ca")
	seed, seedSink := newTLSNode(t, "seed", ca.tlsConfig(ca.issue(t, certSpec{dns: []string{"seed"}})), nil)
	plain, _ := newTLSNode(t, "plain", nil, nil)
	if _, err := plain.ml.Join([]string{seed.ml.LocalNode().Address()}); err == nil {
		t.Fatal("a plain node joined a TLS node")
	}
	pollUntil(t, "the refusal counted", func() bool {
		return counterSum(seedSink, "hyparlist.tls.refused;reason=handshake") > 0
	})
	if err := plain.ml.SendBestEffort(seed.ml.LocalNode(), []byte("plain packet")); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "the plain packet dropped", func() bool {
		return counterSum(seedSink, "hyparlist.packet.dropped;reason=tls") > 0
	})
	if n := seed.rec.count([]byte("plain packet")); n != 0 {
		t.Errorf("plain packet delivered %d times under TLS", n)
	}
}

// TestTLSValidate: Config.TLS needs a certificate and no
// GetConfigForClient; TLSNodeName needs TLS.
func TestTLSValidate(t *testing.T) {
	c := DefaultLocalConfig()
	c.Name = "x"
	c.TLS = &tls.Config{}
	if err := c.validate(); err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Errorf("TLS without a certificate: %v", err)
	}
	c.TLS = &tls.Config{Certificates: []tls.Certificate{{}}, GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return nil, nil }}
	if err := c.validate(); err == nil || !strings.Contains(err.Error(), "GetConfigForClient") {
		t.Errorf("TLS with GetConfigForClient: %v", err)
	}
	c.TLS = nil
	c.TLSNodeName = func(*x509.Certificate) (string, error) { return "", nil }
	if err := c.validate(); err == nil || !strings.Contains(err.Error(), "TLSNodeName") {
		t.Errorf("TLSNodeName without TLS: %v", err)
	}
}

// TestTLSCluster8: eight nodes over mutual TLS on real sockets join one
// seed, list each other, and every node's broadcast reaches every other
// node. Under TLS every node checks every application broadcast
// (checksClass), and each origin's first ones wait for its key check
// (runtime_sign_hold.go).
func TestTLSCluster8(t *testing.T) { runTLSCluster8(t, nil) }

// TestTLSCluster8Verified is TestTLSCluster8 with VerifyUserBroadcasts
// set as well; since session 11 that changes nothing under TLS (the
// check is always made), and the test keeps the explicit setting covered.
func TestTLSCluster8Verified(t *testing.T) {
	runTLSCluster8(t, func(c *Config) { c.VerifyUserBroadcasts = true })
}

// runTLSCluster8 runs TestTLSCluster8 with tweak applied to every node's
// Config.
func runTLSCluster8(t *testing.T, tweak func(*Config)) {
	if testing.Short() {
		t.Skip("real sockets")
	}
	const n = 8
	ca := newTestCA(t, "test ca")
	nodes := make([]*testNode, n)
	sinks := make([]*inmemSink, n)
	for i := range nodes {
		name := fmt.Sprintf("tls-%02d", i)
		nodes[i], sinks[i] = newTLSNode(t, name, ca.tlsConfig(ca.issue(t, certSpec{dns: []string{name}})), tweak)
	}
	seed := nodes[0].ml.LocalNode().Address()
	for _, nd := range nodes[1:] {
		if got, err := nd.ml.Join([]string{seed}); got != 1 || err != nil {
			t.Fatalf("join %s: %d, %v", nd.rec.name, got, err)
		}
	}
	pollUntil(t, "every node to list all 8", func() bool { return allSee(nodes, n) })
	payloads := make([][]byte, n)
	for i, nd := range nodes {
		payloads[i] = fmt.Appendf(nil, "tls broadcast from %d", i)
		if err := nd.ml.Broadcast(payloads[i]); err != nil {
			t.Fatal(err)
		}
	}
	pollUntil(t, "every broadcast at every other node", func() bool {
		for i, nd := range nodes {
			for j, p := range payloads {
				if i != j && nd.rec.count(p) == 0 {
					return false
				}
			}
		}
		return true
	})
	for i, nd := range nodes {
		for j, p := range payloads {
			if c := nd.rec.count(p); i != j && c != 1 {
				t.Errorf("%s got broadcast %d %d times", nd.rec.name, j, c)
			}
		}
		if r := counterSum(sinks[i], "hyparlist.tls.refused"); r != 0 {
			t.Errorf("%s refused %v TLS streams", nd.rec.name, r)
		}
	}
}

// TestTLSWithKeyring: with TLS and a key, nodes join, and SendBestEffort
// goes as a sealed packet (not over a stream) and is delivered.
func TestTLSWithKeyring(t *testing.T) {
	ca := newTestCA(t, "test ca")
	key := func(c *Config) { c.SecretKey = testKey(2, 16) }
	seed, seedSink := newTLSNode(t, "seed", ca.tlsConfig(ca.issue(t, certSpec{dns: []string{"seed"}})), key)
	joiner, _ := newTLSNode(t, "joiner", ca.tlsConfig(ca.issue(t, certSpec{dns: []string{"joiner"}})), key)
	if _, err := joiner.ml.Join([]string{seed.ml.LocalNode().Address()}); err != nil {
		t.Fatalf("join: %v", err)
	}
	if joiner.ml.packetsOverStreams() {
		t.Fatal("with a key, best-effort messages go over streams")
	}
	if err := joiner.ml.SendBestEffort(seed.ml.LocalNode(), []byte("sealed packet under tls")); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "the packet delivered", func() bool { return seed.rec.count([]byte("sealed packet under tls")) == 1 })
	if n := counterSum(seedSink, "hyparlist.packet.dropped"); n != 0 {
		t.Errorf("%v packets dropped", n)
	}
}
