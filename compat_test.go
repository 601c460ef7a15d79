package hyparlist

import (
	"io"
	"log"
	"net"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/go-metrics"
)

// This file fails to compile if the memberlist v0.7.0 API surface defined
// so far loses a name or changes a signature. It spells out what a
// memberlist program may write.

// memberlistApp implements every memberlist delegate interface with
// memberlist's method sets.
type memberlistApp struct{}

func (memberlistApp) NodeMeta(limit int) []byte                  { return nil }
func (memberlistApp) NotifyMsg([]byte)                           {}
func (memberlistApp) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (memberlistApp) LocalState(join bool) []byte                { return nil }
func (memberlistApp) MergeRemoteState(buf []byte, join bool)     {}
func (memberlistApp) NotifyJoin(*Node)                           {}
func (memberlistApp) NotifyLeave(*Node)                          {}
func (memberlistApp) NotifyUpdate(*Node)                         {}
func (memberlistApp) NotifyConflict(existing, other *Node)       {}
func (memberlistApp) NotifyMerge(peers []*Node) error            { return nil }
func (memberlistApp) NotifyAlive(peer *Node) error               { return nil }
func (memberlistApp) AckPayload() []byte                         { return nil }
func (memberlistApp) NotifyPingComplete(other *Node, rtt time.Duration, payload []byte) {
}

// memberlistBroadcast is a Serf-style broadcast that is both named and
// unique-capable.
type memberlistBroadcast struct{}

func (memberlistBroadcast) Invalidates(b Broadcast) bool { return false }
func (memberlistBroadcast) Message() []byte              { return nil }
func (memberlistBroadcast) Finished()                    {}
func (memberlistBroadcast) Name() string                 { return "" }
func (memberlistBroadcast) UniqueBroadcast()             {}

var (
	_ Delegate         = memberlistApp{}
	_ EventDelegate    = memberlistApp{}
	_ ConflictDelegate = memberlistApp{}
	_ MergeDelegate    = memberlistApp{}
	_ AliveDelegate    = memberlistApp{}
	_ PingDelegate     = memberlistApp{}
	_ EventDelegate    = &ChannelEventDelegate{}
	_ Broadcast        = memberlistBroadcast{}
	_ NamedBroadcast   = memberlistBroadcast{}
	_ UniqueBroadcast  = memberlistBroadcast{}
)

// Functions and methods, with memberlist's signatures.
var (
	_ func() *Config                                 = DefaultLANConfig
	_ func() *Config                                 = DefaultWANConfig
	_ func() *Config                                 = DefaultLocalConfig
	_ func(*Config) bool                             = (*Config).EncryptionEnabled
	_ func(*Config, net.IP) error                    = (*Config).IPAllowed
	_ func(*Config) bool                             = (*Config).IPMustBeChecked
	_ func(*Config) []uint8                          = (*Config).BuildVsnArray
	_ func([]string) ([]net.IPNet, error)            = ParseCIDRs
	_ func(net.Addr) string                          = LogAddress
	_ func(net.Conn) string                          = LogConn
	_ func(string) string                            = LogStringAddress
	_ func([][]byte, []byte) (*Keyring, error)       = NewKeyring
	_ func([]byte) error                             = ValidateKey
	_ func(*Keyring, []byte) error                   = (*Keyring).AddKey
	_ func(*Keyring, []byte) error                   = (*Keyring).UseKey
	_ func(*Keyring, []byte) error                   = (*Keyring).RemoveKey
	_ func(*Keyring) [][]byte                        = (*Keyring).GetKeys
	_ func(*Keyring) []byte                          = (*Keyring).GetPrimaryKey
	_ func(*TransmitLimitedQueue, Broadcast)         = (*TransmitLimitedQueue).QueueBroadcast
	_ func(*TransmitLimitedQueue, int, int) [][]byte = (*TransmitLimitedQueue).GetBroadcasts
	_ func(*TransmitLimitedQueue) int                = (*TransmitLimitedQueue).NumQueued
	_ func(*TransmitLimitedQueue)                    = (*TransmitLimitedQueue).Reset
	_ func(*TransmitLimitedQueue, int)               = (*TransmitLimitedQueue).Prune
	_ func(*Node) string                             = (*Node).Address
	_ func(*Node) Address                            = (*Node).FullAddress
	_ func(*Node) string                             = (*Node).String
	_ func(*Address) string                          = (*Address).String
	_ func(*ChannelEventDelegate, *Node)             = (*ChannelEventDelegate).NotifyJoin
	_ func(*ChannelEventDelegate, *Node)             = (*ChannelEventDelegate).NotifyLeave
	_ func(*ChannelEventDelegate, *Node)             = (*ChannelEventDelegate).NotifyUpdate
)

// Constants: ProtocolVersionMin is a uint8; the others are untyped, so
// they convert to both int and uint8 as in memberlist.
var (
	_ uint8 = ProtocolVersionMin
	_ int   = ProtocolVersion2Compatible
	_ uint8 = ProtocolVersion2Compatible
	_ int   = ProtocolVersionMax
	_ uint8 = ProtocolVersionMax
	_ int   = MetaMaxSize
	_ int   = LabelMaxSize

	_ NodeStateType = StateAlive
	_ NodeStateType = StateSuspect
	_ NodeStateType = StateDead
	_ NodeStateType = StateLeft
	_ NodeEventType = NodeJoin
	_ NodeEventType = NodeLeave
	_ NodeEventType = NodeUpdate
)

// memberlistConfig sets every field of memberlist v0.7.0's Config except
// Transport (defined by the transport layer), with values of memberlist's
// field types.
func memberlistConfig() *Config {
	var (
		b   bool
		s   string
		i   int
		u8  uint8
		d   time.Duration
		app memberlistApp
	)
	return &Config{
		Name:                    s,
		Label:                   s,
		SkipInboundLabelCheck:   b,
		BindAddr:                s,
		BindPort:                i,
		AdvertiseAddr:           s,
		AdvertisePort:           i,
		ProtocolVersion:         u8,
		TCPTimeout:              d,
		IndirectChecks:          i,
		RetransmitMult:          i,
		SuspicionMult:           i,
		SuspicionMaxTimeoutMult: i,
		PushPullInterval:        d,
		ProbeInterval:           d,
		ProbeTimeout:            d,
		DisableTcpPings:         b,
		DisableTcpPingsForNode:  func(nodeName string) bool { return false },
		AwarenessMaxMultiplier:  i,
		GossipInterval:          d,
		GossipNodes:             i,
		GossipToTheDeadTime:     d,
		GossipVerifyIncoming:    b,
		GossipVerifyOutgoing:    b,
		EnableCompression:       b,
		SecretKey:               []byte(nil),
		Keyring:                 (*Keyring)(nil),
		Delegate:                app,
		DelegateProtocolVersion: u8,
		DelegateProtocolMin:     u8,
		DelegateProtocolMax:     u8,
		Events:                  app,
		Conflict:                app,
		Merge:                   app,
		Ping:                    app,
		Alive:                   app,
		DNSConfigPath:           s,
		LogOutput:               io.Writer(nil),
		Logger:                  (*log.Logger)(nil),
		HandoffQueueDepth:       i,
		UDPBufferSize:           i,
		DeadNodeReclaimTime:     d,
		RequireNodeNames:        b,
		CIDRsAllowed:            []net.IPNet(nil),
		MetricLabels:            []metrics.Label(nil),
		QueueCheckInterval:      d,
		MsgpackUseNewTimeFormat: b,
	}
}

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
	_ = memberlistConfig()
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
	if err := conf.Validate(); err != nil {
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
