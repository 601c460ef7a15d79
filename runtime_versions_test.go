package hyparlist

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// testVersions gives node-0i of a versions test its own protocol versions,
// and gen (a restart generation) others again.
func testVersions(conf *Config, gen int) {
	var i int
	if _, err := fmt.Sscanf(conf.Name, "node-%d", &i); err != nil {
		panic(err)
	}
	conf.ProtocolVersion = uint8(2 + i + gen)
	conf.DelegateProtocolMin = uint8(1 + i)
	conf.DelegateProtocolMax = uint8(20 + i + gen)
	conf.DelegateProtocolVersion = uint8(10 + i + gen)
}

// versionsOf returns the versions a Node carries.
func versionsOf(n *Node) memberVersions {
	return memberVersions{PMin: n.PMin, PMax: n.PMax, PCur: n.PCur, DMin: n.DMin, DMax: n.DMax, DCur: n.DCur}
}

// TestRuntimeMemberVersions: every node lists each member with that
// member's own protocol and delegate versions (its Config's, as memberlist's
// alive messages carry them), and a member restarted with other versions,
// nothing else changed, is listed with the new ones everywhere (serf's
// TestSerf_update reads DelegateCur of the restarted member).
func TestRuntimeMemberVersions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gen := 0
		tweak := func(conf *Config) {
			conf.ProbeInterval = 50 * time.Millisecond
			conf.ProbeTimeout = 25 * time.Millisecond
			conf.SuspicionMult = 1
			testVersions(conf, gen)
		}
		want := func(name string) memberVersions { return mockConfig(name, tweak).memberVersions() }
		c := joinedCluster(t, 3, tweak)
		for _, n := range c.nodes {
			for _, mem := range n.ml.Members() {
				if got := versionsOf(mem); got != want(mem.Name) {
					t.Errorf("%s lists %s with versions %+v, want its Config's %+v", n.ml.LocalNode().Name, mem.Name, got, want(mem.Name))
				}
			}
		}

		b := c.nodes[2]
		addr := b.ml.LocalNode().Address()
		if err := b.ml.Shutdown(); err != nil {
			t.Fatal(err)
		}
		gen = 1
		conf := mockConfig("node-02", tweak)
		conf.Transport = restartTransport(c.net, "node-02", addr)
		b2, err := Create(conf)
		if err != nil {
			t.Fatal(err)
		}
		defer b2.Shutdown()
		if _, err := b2.Join([]string{c.nodes[0].ml.LocalNode().Address()}); err != nil {
			t.Fatalf("rejoin: %v", err)
		}
		newVsn := want("node-02")
		for _, ml := range []*Memberlist{c.nodes[0].ml, c.nodes[1].ml, b2} {
			eventually(t, time.Minute, ml.LocalNode().Name+" listing node-02's new versions", func() bool {
				for _, mem := range ml.Members() {
					if mem.Name == "node-02" {
						return versionsOf(mem) == newVsn
					}
				}
				return false
			})
		}
	})
}
