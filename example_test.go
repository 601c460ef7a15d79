package hyparlist_test

import (
	"fmt"
	"io"
	"log"
	"time"

	"github.com/hyparlist/hyparlist"
)

// localNode creates a node on a free port of 127.0.0.1 with
// DefaultLocalConfig and the given delegate (nil for none).
func localNode(name string, d hyparlist.Delegate) *hyparlist.Memberlist {
	conf := hyparlist.DefaultLocalConfig()
	conf.Name = name
	conf.BindAddr = "127.0.0.1"
	conf.BindPort = 0 // a free port
	conf.LogOutput = io.Discard
	conf.Delegate = d
	m, err := hyparlist.Create(conf)
	if err != nil {
		log.Fatal(err)
	}
	return m
}

// waitFor polls cond until it holds, and gives up after ten seconds.
func waitFor(cond func() bool) {
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			log.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Two nodes on 127.0.0.1 form a cluster: the second joins through the
// first, and each soon lists both as members.
func ExampleCreate() {
	a := localNode("a", nil)
	defer a.Shutdown()
	b := localNode("b", nil)
	defer b.Shutdown()

	if _, err := b.Join([]string{a.LocalNode().Address()}); err != nil {
		log.Fatal(err)
	}
	waitFor(func() bool { return a.NumMembers() == 2 && b.NumMembers() == 2 })
	fmt.Println("a sees", a.NumMembers(), "members")
	for _, n := range b.Members() {
		fmt.Println("b lists", n.Name, n.State)
	}
	// Output:
	// a sees 2 members
	// b lists a alive
	// b lists b alive
}

// inbox is a Delegate that hands every message it receives to a channel.
type inbox chan string

func (c inbox) NotifyMsg(b []byte)                       { c <- string(b) }
func (inbox) NodeMeta(limit int) []byte                  { return nil }
func (inbox) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (inbox) LocalState(join bool) []byte                { return nil }
func (inbox) MergeRemoteState(buf []byte, join bool)     {}

// Broadcast delivers a payload once to the Delegate.NotifyMsg of every
// other member.
func ExampleMemberlist_Broadcast() {
	received := make(inbox, 1)
	a := localNode("a", nil)
	defer a.Shutdown()
	b := localNode("b", received)
	defer b.Shutdown()
	if _, err := b.Join([]string{a.LocalNode().Address()}); err != nil {
		log.Fatal(err)
	}
	waitFor(func() bool { return len(a.Neighbors()) == 1 })

	if err := a.Broadcast([]byte("hello from a")); err != nil {
		log.Fatal(err)
	}
	select {
	case msg := <-received:
		fmt.Println("b received:", msg)
	case <-time.After(10 * time.Second):
		fmt.Println("b received nothing")
	}
	// Output:
	// b received: hello from a
}

// setting is a NamedBroadcast: queuing a new value of a setting replaces
// the value still queued.
type setting struct {
	name, value string
}

func (s setting) Name() string                           { return s.name }
func (s setting) Message() []byte                        { return []byte(s.name + "=" + s.value) }
func (s setting) Invalidates(b hyparlist.Broadcast) bool { return false }
func (s setting) Finished()                              { fmt.Printf("  (%s=%s finished)\n", s.name, s.value) }

// A TransmitLimitedQueue hands each broadcast out RetransmitMult ×
// ceil(log10(N+1)) times, here 2 × 1 for 9 nodes, and a named broadcast
// replaces the queued one of the same name. Each round hands out the
// least-sent broadcasts first, then the longest, then the newest (the two
// settings here are equally long, so color=blue, queued last, comes
// first). A broadcast that reaches its limit is Finished before the call
// that handed it out for the last time returns.
func ExampleTransmitLimitedQueue() {
	q := &hyparlist.TransmitLimitedQueue{
		NumNodes:       func() int { return 9 },
		RetransmitMult: 2,
	}
	q.QueueBroadcast(setting{"color", "red"})
	q.QueueBroadcast(setting{"size", "large"})
	q.QueueBroadcast(setting{"color", "blue"}) // replaces color=red
	fmt.Println("queued:", q.NumQueued())

	for round := 1; q.NumQueued() > 0; round++ {
		fmt.Printf("round %d:\n", round)
		for _, msg := range q.GetBroadcasts(2, 1400) {
			fmt.Printf("  send %s\n", msg)
		}
	}
	// Output:
	//   (color=red finished)
	// queued: 2
	// round 1:
	//   send color=blue
	//   send size=large
	// round 2:
	//   (color=blue finished)
	//   (size=large finished)
	//   send color=blue
	//   send size=large
}
