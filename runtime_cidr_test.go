package hyparlist

import (
	"net"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Tests of Config.CIDRsAllowed applied to member records and to the
// overlay (runtime_checks.go, runtime_deny.go; review s3 M4).

// advertisingTransport is a MockTransport that advertises another IP; the
// mock network still routes to it by name.
type advertisingTransport struct {
	*MockTransport
	ip net.IP
}

func (t *advertisingTransport) FinalAdvertiseAddr(string, int) (net.IP, int, error) {
	_, port, err := t.MockTransport.FinalAdvertiseAddr("", 0)
	return t.ip, port, err
}

// dialLogTransport is a MockTransport that records the names its node
// dials.
type dialLogTransport struct {
	*MockTransport
	mu     sync.Mutex
	dialed []string
}

func (t *dialLogTransport) DialAddressTimeout(a Address, d time.Duration) (net.Conn, error) {
	t.mu.Lock()
	t.dialed = append(t.dialed, a.Name)
	t.mu.Unlock()
	return t.MockTransport.DialAddressTimeout(a, d)
}

func (t *dialLogTransport) DialTimeout(addr string, d time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(Address{Addr: addr}, d)
}

// dials returns the names dialled so far.
func (t *dialLogTransport) dials() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.dialed)
}

// TestRuntimeCIDRsAllowedMembers: a node whose CIDRsAllowed excludes the
// address another member advertises never lists it, never reports it to
// the EventDelegate and never dials it, while it is alive and after it
// died; a node without the restriction lists it.
func TestRuntimeCIDRsAllowedMembers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 1, nil) // node-00, the seed: no restriction
		defer c.shutdown()
		allowed, err := ParseCIDRs([]string{"127.0.0.0/8"})
		if err != nil {
			t.Fatal(err)
		}
		guardLog := &dialLogTransport{MockTransport: c.net.NewTransport("guard")}
		guard := c.add("guard", func(conf *Config) {
			conf.CIDRsAllowed = allowed
			conf.Transport = guardLog
			// Keep the outsider's tombstone past the deny of its refusal
			// (vetoDenyTime), so that only the address check can stop
			// the dead-member probes.
			conf.GossipToTheDeadTime = 10 * time.Minute
		})
		c.add("outsider", func(conf *Config) {
			conf.Transport = &advertisingTransport{MockTransport: c.net.NewTransport("outsider"), ip: net.ParseIP("10.9.9.9")}
		})
		c.joinAll()
		seed := c.nodes[0]
		eventually(t, time.Minute, "the seed lists all three", func() bool { return seed.ml.NumMembers() == 3 })
		lists := func(nd *testNode, name string) bool {
			return slices.ContainsFunc(nd.ml.Members(), func(n *Node) bool { return n.Name == name })
		}
		eventually(t, time.Minute, "the guard lists the seed", func() bool { return lists(guard, "node-00") })
		check := func(phase string) {
			t.Helper()
			if lists(guard, "outsider") {
				t.Errorf("%s: the guard lists the outsider", phase)
			}
			guard.rec.mu.Lock()
			joins := slices.Clone(guard.rec.joins)
			guard.rec.mu.Unlock()
			if slices.Contains(joins, "outsider") {
				t.Errorf("%s: the guard reported the outsider joining", phase)
			}
			if slices.Contains(guardLog.dials(), "outsider") {
				t.Errorf("%s: the guard dialled the outsider", phase)
			}
		}
		time.Sleep(time.Minute) // shuffles, anti-entropy, liveness probes
		check("alive")
		if !lists(seed, "outsider") {
			t.Error("the seed, without CIDRsAllowed, does not list the outsider")
		}

		c.net.crash("outsider")
		eventually(t, time.Minute, "the seed declares the outsider dead", func() bool { return !lists(seed, "outsider") })
		time.Sleep(vetoDenyTime + 2*time.Minute) // dead-member probes
		check("dead")
	})
}
