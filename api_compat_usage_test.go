package hyparlist

import (
	"net"
	"reflect"
	"slices"
	"testing"
)

// The compile-time check of memberlist v0.7.0's API is api_compat_test.go;
// this file checks how the memberlist types behave when used as memberlist
// programs use them.

// memberlistApp is a Delegate written as for memberlist.
type memberlistApp struct{}

func (memberlistApp) NodeMeta(limit int) []byte                  { return nil }
func (memberlistApp) NotifyMsg([]byte)                           {}
func (memberlistApp) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (memberlistApp) LocalState(join bool) []byte                { return nil }
func (memberlistApp) MergeRemoteState(buf []byte, join bool)     {}

// memberlistBroadcast is a Serf-style broadcast that is both named and
// unique-capable.
type memberlistBroadcast struct{}

func (memberlistBroadcast) Invalidates(b Broadcast) bool { return false }
func (memberlistBroadcast) Message() []byte              { return nil }
func (memberlistBroadcast) Finished()                    {}
func (memberlistBroadcast) Name() string                 { return "" }
func (memberlistBroadcast) UniqueBroadcast()             {}

// memberlistConfigFields is memberlist v0.7.0's Config, field by field,
// in order, with Transport left out.
var memberlistConfigFields = []string{
	"Name", "Label", "SkipInboundLabelCheck", "BindAddr", "BindPort", "AdvertiseAddr",
	"AdvertisePort", "ProtocolVersion", "TCPTimeout", "IndirectChecks", "RetransmitMult",
	"SuspicionMult", "SuspicionMaxTimeoutMult", "PushPullInterval", "ProbeInterval",
	"ProbeTimeout", "DisableTcpPings", "DisableTcpPingsForNode", "AwarenessMaxMultiplier",
	"GossipInterval", "GossipNodes", "GossipToTheDeadTime", "GossipVerifyIncoming",
	"GossipVerifyOutgoing", "EnableCompression", "SecretKey", "Keyring", "Delegate",
	"DelegateProtocolVersion", "DelegateProtocolMin", "DelegateProtocolMax", "Events",
	"Conflict", "Merge", "Ping", "Alive", "DNSConfigPath", "LogOutput", "Logger",
	"HandoffQueueDepth", "UDPBufferSize", "DeadNodeReclaimTime", "RequireNodeNames",
	"CIDRsAllowed", "MetricLabels", "QueueCheckInterval", "MsgpackUseNewTimeFormat",
}

// TestMemberlistConfigFieldsKeepOrder checks that Config has memberlist's
// fields in memberlist's order (other fields, such as Transport or the
// hyparlist settings, may come between them), so that the two
// documentations read alike.
func TestMemberlistConfigFieldsKeepOrder(t *testing.T) {
	want := map[string]bool{}
	for _, name := range memberlistConfigFields {
		want[name] = true
	}
	var got []string
	typ := reflect.TypeFor[Config]()
	for i := range typ.NumField() {
		if name := typ.Field(i).Name; want[name] {
			got = append(got, name)
		}
	}
	if !slices.Equal(got, memberlistConfigFields) {
		t.Fatalf("memberlist fields in Config order:\n%q\nwant\n%q", got, memberlistConfigFields)
	}
}

// TestMemberlistStyleUsage exercises the types the way memberlist programs
// do.
func TestMemberlistStyleUsage(t *testing.T) {
	ch := make(chan NodeEvent, 1)
	conf := DefaultLocalConfig()
	conf.Name = "node-1"
	conf.Events = &ChannelEventDelegate{Ch: ch}
	conf.Delegate = memberlistApp{}
	if err := conf.validate(); err != nil {
		t.Fatal(err)
	}

	q := &TransmitLimitedQueue{
		NumNodes:       func() int { return 3 },
		RetransmitMult: conf.RetransmitMult,
	}
	q.QueueBroadcast(memberlistBroadcast{})
	if q.NumQueued() != 1 {
		t.Fatalf("NumQueued = %d", q.NumQueued())
	}

	conf.Events.NotifyJoin(&Node{
		Name: "n", Addr: net.IPv4(127, 0, 0, 1), Port: 7946, Meta: []byte("m"), State: StateAlive,
		PMin: 1, PMax: 5, PCur: 2, DMin: 0, DMax: 0, DCur: 0,
	})
	if ev := <-ch; ev.Event != NodeJoin || ev.Node.Address() != "127.0.0.1:7946" {
		t.Fatalf("event = %+v", ev)
	}
}
