package hyparlist_test

// This file guards the promise of MIGRATING.md that a program written for
// github.com/hashicorp/memberlist v0.5.4 or v0.7.0 builds when only its import
// path changes. The two versions' exported APIs differ only in the metrics
// label type (memberlistMetricLabel): v0.5.4 takes it from go-metrics/compat
// (api_compat_v054_test.go, checked by default), v0.7.0 from go-metrics itself
// (api_compat_v070_test.go, checked with -tags hashicorpmetrics). It names every exported identifier of memberlist v0.7.0 through
// hyparlist, with memberlist's exact type, so that a missing name or a
// changed signature breaks the build of the tests. hyparlist's own additions
// are not listed.
//
// The list was generated once from the memberlist v0.7.0 sources with a
// throwaway go/types program (grouped as `go doc` groups them: constants and
// constructors with their type) and is kept by hand since. To check an edit,
// compile the file against memberlist itself: with the import replaced by
// `hyparlist "github.com/hashicorp/memberlist"` it builds there unchanged.
//
// How each kind of identifier is checked:
//   - functions and methods are assigned to memberlist's func type; func
//     types are assignable only when identical, and a method expression on
//     the value type fails if hyparlist declared the method on the pointer;
//   - struct fields go through exactly, inside a composite literal: it
//     compiles only if the field has memberlist's type exactly (not merely an
//     assignable one) and is a field of the struct itself, not promoted from
//     an embedded struct, since promoted fields cannot be set in a literal;
//   - structs without exported fields are checked as a composite literal;
//   - interfaces and the other named types convert a pointer to the hyparlist
//     type to a pointer to memberlist's type literal, which compiles only if
//     the underlying types are identical: an interface may have neither
//     fewer methods (programs call them) nor more (programs implement them);
//   - typed constants have their type checked through typeOf; untyped ones
//     must be assignable to both int and float64, which no typed constant
//     is; every constant's value is checked as an array length.

import (
	"io"
	"log"
	"net"
	"time"

	"github.com/hyparlist/hyparlist"
)

// exactly returns *p. exactly[T](&x.F) compiles only if x.F has type T:
// *T accepts no other pointer type.
func exactly[T any](p *T) T { return *p }

// typeOf returns a pointer to v. For a typed constant C, typeOf(C) has type
// *T only if C has type T.
func typeOf[T any](v T) *T { return &v }

// Package-level constants.
var (
	_ *uint8                                         = typeOf(hyparlist.ProtocolVersionMin)
	_ [hyparlist.ProtocolVersionMin]struct{}         = [1]struct{}{}
	_ int                                            = hyparlist.ProtocolVersion2Compatible
	_ float64                                        = hyparlist.ProtocolVersion2Compatible
	_ [hyparlist.ProtocolVersion2Compatible]struct{} = [2]struct{}{}
	_ int                                            = hyparlist.ProtocolVersionMax
	_ float64                                        = hyparlist.ProtocolVersionMax
	_ [hyparlist.ProtocolVersionMax]struct{}         = [5]struct{}{}
	_ int                                            = hyparlist.LabelMaxSize
	_ float64                                        = hyparlist.LabelMaxSize
	_ [hyparlist.LabelMaxSize]struct{}               = [255]struct{}{}
	_ int                                            = hyparlist.MetaMaxSize
	_ float64                                        = hyparlist.MetaMaxSize
	_ [hyparlist.MetaMaxSize]struct{}                = [512]struct{}{}
)

// Package-level functions.
var (
	_ func(buf []byte, label string) ([]byte, error)            = hyparlist.AddLabelHeaderToPacket
	_ func(conn net.Conn, label string) error                   = hyparlist.AddLabelHeaderToStream
	_ func(addr net.Addr) string                                = hyparlist.LogAddress
	_ func(conn net.Conn) string                                = hyparlist.LogConn
	_ func(addr string) string                                  = hyparlist.LogStringAddress
	_ func(v []string) ([]net.IPNet, error)                     = hyparlist.ParseCIDRs
	_ func(buf []byte) (newBuf []byte, label string, err error) = hyparlist.RemoveLabelHeaderFromPacket
	_ func(conn net.Conn) (net.Conn, string, error)             = hyparlist.RemoveLabelHeaderFromStream
	_ func(key []byte) error                                    = hyparlist.ValidateKey
)

// Address
var (
	_ = func(x *hyparlist.Address) hyparlist.Address {
		return hyparlist.Address{
			Addr: exactly[string](&x.Addr),
			Name: exactly[string](&x.Name),
		}
	}
	_ func(*hyparlist.Address) string = (*hyparlist.Address).String
)

// AliveDelegate
var _ = (*interface {
	NotifyAlive(peer *hyparlist.Node) error
})((*hyparlist.AliveDelegate)(nil))

// Broadcast
var _ = (*interface {
	Finished()
	Invalidates(b hyparlist.Broadcast) bool
	Message() []byte
})((*hyparlist.Broadcast)(nil))

// ChannelEventDelegate
var (
	_ = func(x *hyparlist.ChannelEventDelegate) hyparlist.ChannelEventDelegate {
		return hyparlist.ChannelEventDelegate{
			Ch: exactly[chan<- hyparlist.NodeEvent](&x.Ch),
		}
	}
	_ func(*hyparlist.ChannelEventDelegate, *hyparlist.Node) = (*hyparlist.ChannelEventDelegate).NotifyJoin
	_ func(*hyparlist.ChannelEventDelegate, *hyparlist.Node) = (*hyparlist.ChannelEventDelegate).NotifyLeave
	_ func(*hyparlist.ChannelEventDelegate, *hyparlist.Node) = (*hyparlist.ChannelEventDelegate).NotifyUpdate
)

// Config
var (
	_ = func(x *hyparlist.Config) hyparlist.Config {
		return hyparlist.Config{
			Name:                    exactly[string](&x.Name),
			Transport:               exactly[hyparlist.Transport](&x.Transport),
			Label:                   exactly[string](&x.Label),
			SkipInboundLabelCheck:   exactly[bool](&x.SkipInboundLabelCheck),
			BindAddr:                exactly[string](&x.BindAddr),
			BindPort:                exactly[int](&x.BindPort),
			AdvertiseAddr:           exactly[string](&x.AdvertiseAddr),
			AdvertisePort:           exactly[int](&x.AdvertisePort),
			ProtocolVersion:         exactly[uint8](&x.ProtocolVersion),
			TCPTimeout:              exactly[time.Duration](&x.TCPTimeout),
			IndirectChecks:          exactly[int](&x.IndirectChecks),
			RetransmitMult:          exactly[int](&x.RetransmitMult),
			SuspicionMult:           exactly[int](&x.SuspicionMult),
			SuspicionMaxTimeoutMult: exactly[int](&x.SuspicionMaxTimeoutMult),
			PushPullInterval:        exactly[time.Duration](&x.PushPullInterval),
			ProbeInterval:           exactly[time.Duration](&x.ProbeInterval),
			ProbeTimeout:            exactly[time.Duration](&x.ProbeTimeout),
			DisableTcpPings:         exactly[bool](&x.DisableTcpPings),
			DisableTcpPingsForNode:  exactly[func(nodeName string) bool](&x.DisableTcpPingsForNode),
			AwarenessMaxMultiplier:  exactly[int](&x.AwarenessMaxMultiplier),
			GossipInterval:          exactly[time.Duration](&x.GossipInterval),
			GossipNodes:             exactly[int](&x.GossipNodes),
			GossipToTheDeadTime:     exactly[time.Duration](&x.GossipToTheDeadTime),
			GossipVerifyIncoming:    exactly[bool](&x.GossipVerifyIncoming),
			GossipVerifyOutgoing:    exactly[bool](&x.GossipVerifyOutgoing),
			EnableCompression:       exactly[bool](&x.EnableCompression),
			SecretKey:               exactly[[]byte](&x.SecretKey),
			Keyring:                 exactly[*hyparlist.Keyring](&x.Keyring),
			Delegate:                exactly[hyparlist.Delegate](&x.Delegate),
			DelegateProtocolVersion: exactly[uint8](&x.DelegateProtocolVersion),
			DelegateProtocolMin:     exactly[uint8](&x.DelegateProtocolMin),
			DelegateProtocolMax:     exactly[uint8](&x.DelegateProtocolMax),
			Events:                  exactly[hyparlist.EventDelegate](&x.Events),
			Conflict:                exactly[hyparlist.ConflictDelegate](&x.Conflict),
			Merge:                   exactly[hyparlist.MergeDelegate](&x.Merge),
			Ping:                    exactly[hyparlist.PingDelegate](&x.Ping),
			Alive:                   exactly[hyparlist.AliveDelegate](&x.Alive),
			DNSConfigPath:           exactly[string](&x.DNSConfigPath),
			LogOutput:               exactly[io.Writer](&x.LogOutput),
			Logger:                  exactly[*log.Logger](&x.Logger),
			HandoffQueueDepth:       exactly[int](&x.HandoffQueueDepth),
			UDPBufferSize:           exactly[int](&x.UDPBufferSize),
			DeadNodeReclaimTime:     exactly[time.Duration](&x.DeadNodeReclaimTime),
			RequireNodeNames:        exactly[bool](&x.RequireNodeNames),
			CIDRsAllowed:            exactly[[]net.IPNet](&x.CIDRsAllowed),
			MetricLabels:            exactly[[]memberlistMetricLabel](&x.MetricLabels),
			QueueCheckInterval:      exactly[time.Duration](&x.QueueCheckInterval),
			MsgpackUseNewTimeFormat: exactly[bool](&x.MsgpackUseNewTimeFormat),
		}
	}
	_ func() *hyparlist.Config              = hyparlist.DefaultLANConfig
	_ func() *hyparlist.Config              = hyparlist.DefaultLocalConfig
	_ func() *hyparlist.Config              = hyparlist.DefaultWANConfig
	_ func(*hyparlist.Config) []uint8       = (*hyparlist.Config).BuildVsnArray
	_ func(*hyparlist.Config) bool          = (*hyparlist.Config).EncryptionEnabled
	_ func(*hyparlist.Config, net.IP) error = (*hyparlist.Config).IPAllowed
	_ func(*hyparlist.Config) bool          = (*hyparlist.Config).IPMustBeChecked
)

// ConflictDelegate
var _ = (*interface {
	NotifyConflict(existing *hyparlist.Node, other *hyparlist.Node)
})((*hyparlist.ConflictDelegate)(nil))

// Delegate
var _ = (*interface {
	GetBroadcasts(overhead int, limit int) [][]byte
	LocalState(join bool) []byte
	MergeRemoteState(buf []byte, join bool)
	NodeMeta(limit int) []byte
	NotifyMsg([]byte)
})((*hyparlist.Delegate)(nil))

// EventDelegate
var _ = (*interface {
	NotifyJoin(*hyparlist.Node)
	NotifyLeave(*hyparlist.Node)
	NotifyUpdate(*hyparlist.Node)
})((*hyparlist.EventDelegate)(nil))

// IngestionAwareTransport
var _ = (*interface {
	IngestPacket(conn net.Conn, addr net.Addr, now time.Time, shouldClose bool) error
	IngestStream(conn net.Conn) error
})((*hyparlist.IngestionAwareTransport)(nil))

// Keyring
var (
	_                                                                    = hyparlist.Keyring{}
	_ func(keys [][]byte, primaryKey []byte) (*hyparlist.Keyring, error) = hyparlist.NewKeyring
	_ func(*hyparlist.Keyring, []byte) error                             = (*hyparlist.Keyring).AddKey
	_ func(*hyparlist.Keyring) [][]byte                                  = (*hyparlist.Keyring).GetKeys
	_ func(*hyparlist.Keyring) (key []byte)                              = (*hyparlist.Keyring).GetPrimaryKey
	_ func(*hyparlist.Keyring, []byte) error                             = (*hyparlist.Keyring).RemoveKey
	_ func(*hyparlist.Keyring, []byte) error                             = (*hyparlist.Keyring).UseKey
)

// Memberlist
var (
	_                                                                      = hyparlist.Memberlist{}
	_ func(conf *hyparlist.Config) (*hyparlist.Memberlist, error)          = hyparlist.Create
	_ func(*hyparlist.Memberlist) int                                      = (*hyparlist.Memberlist).GetHealthScore
	_ func(*hyparlist.Memberlist, []string) (int, error)                   = (*hyparlist.Memberlist).Join
	_ func(*hyparlist.Memberlist, time.Duration) error                     = (*hyparlist.Memberlist).Leave
	_ func(*hyparlist.Memberlist) *hyparlist.Node                          = (*hyparlist.Memberlist).LocalNode
	_ func(*hyparlist.Memberlist) []*hyparlist.Node                        = (*hyparlist.Memberlist).Members
	_ func(*hyparlist.Memberlist) (alive int)                              = (*hyparlist.Memberlist).NumMembers
	_ func(*hyparlist.Memberlist, string, net.Addr) (time.Duration, error) = (*hyparlist.Memberlist).Ping
	_ func(*hyparlist.Memberlist) uint8                                    = (*hyparlist.Memberlist).ProtocolVersion
	_ func(*hyparlist.Memberlist, *hyparlist.Node, []byte) error           = (*hyparlist.Memberlist).SendBestEffort
	_ func(*hyparlist.Memberlist, *hyparlist.Node, []byte) error           = (*hyparlist.Memberlist).SendReliable
	_ func(*hyparlist.Memberlist, net.Addr, []byte) error                  = (*hyparlist.Memberlist).SendTo
	_ func(*hyparlist.Memberlist, hyparlist.Address, []byte) error         = (*hyparlist.Memberlist).SendToAddress
	_ func(*hyparlist.Memberlist, *hyparlist.Node, []byte) error           = (*hyparlist.Memberlist).SendToTCP
	_ func(*hyparlist.Memberlist, *hyparlist.Node, []byte) error           = (*hyparlist.Memberlist).SendToUDP
	_ func(*hyparlist.Memberlist) error                                    = (*hyparlist.Memberlist).Shutdown
	_ func(*hyparlist.Memberlist, time.Duration) error                     = (*hyparlist.Memberlist).UpdateNode
)

// MergeDelegate
var _ = (*interface {
	NotifyMerge(peers []*hyparlist.Node) error
})((*hyparlist.MergeDelegate)(nil))

// MockAddress
var (
	_                                     = hyparlist.MockAddress{}
	_ func(*hyparlist.MockAddress) string = (*hyparlist.MockAddress).Network
	_ func(*hyparlist.MockAddress) string = (*hyparlist.MockAddress).String
)

// MockNetwork
var (
	_                                                               = hyparlist.MockNetwork{}
	_ func(*hyparlist.MockNetwork, string) *hyparlist.MockTransport = (*hyparlist.MockNetwork).NewTransport
)

// MockTransport
var (
	_                                                                                    = hyparlist.MockTransport{}
	_ func(*hyparlist.MockTransport, hyparlist.Address, time.Duration) (net.Conn, error) = (*hyparlist.MockTransport).DialAddressTimeout
	_ func(*hyparlist.MockTransport, string, time.Duration) (net.Conn, error)            = (*hyparlist.MockTransport).DialTimeout
	_ func(*hyparlist.MockTransport, string, int) (net.IP, int, error)                   = (*hyparlist.MockTransport).FinalAdvertiseAddr
	_ func(*hyparlist.MockTransport, net.Conn, net.Addr, time.Time, bool) error          = (*hyparlist.MockTransport).IngestPacket
	_ func(*hyparlist.MockTransport, net.Conn) error                                     = (*hyparlist.MockTransport).IngestStream
	_ func(*hyparlist.MockTransport) <-chan *hyparlist.Packet                            = (*hyparlist.MockTransport).PacketCh
	_ func(*hyparlist.MockTransport) error                                               = (*hyparlist.MockTransport).Shutdown
	_ func(*hyparlist.MockTransport) <-chan net.Conn                                     = (*hyparlist.MockTransport).StreamCh
	_ func(*hyparlist.MockTransport, []byte, string) (time.Time, error)                  = (*hyparlist.MockTransport).WriteTo
	_ func(*hyparlist.MockTransport, []byte, hyparlist.Address) (time.Time, error)       = (*hyparlist.MockTransport).WriteToAddress
)

// NamedBroadcast
var _ = (*interface {
	hyparlist.Broadcast
	Name() string
})((*hyparlist.NamedBroadcast)(nil))

// NetTransport
var (
	_                                                                                   = hyparlist.NetTransport{}
	_ func(config *hyparlist.NetTransportConfig) (*hyparlist.NetTransport, error)       = hyparlist.NewNetTransport
	_ func(*hyparlist.NetTransport, hyparlist.Address, time.Duration) (net.Conn, error) = (*hyparlist.NetTransport).DialAddressTimeout
	_ func(*hyparlist.NetTransport, string, time.Duration) (net.Conn, error)            = (*hyparlist.NetTransport).DialTimeout
	_ func(*hyparlist.NetTransport, string, int) (net.IP, int, error)                   = (*hyparlist.NetTransport).FinalAdvertiseAddr
	_ func(*hyparlist.NetTransport) int                                                 = (*hyparlist.NetTransport).GetAutoBindPort
	_ func(*hyparlist.NetTransport, net.Conn, net.Addr, time.Time, bool) error          = (*hyparlist.NetTransport).IngestPacket
	_ func(*hyparlist.NetTransport, net.Conn) error                                     = (*hyparlist.NetTransport).IngestStream
	_ func(*hyparlist.NetTransport) <-chan *hyparlist.Packet                            = (*hyparlist.NetTransport).PacketCh
	_ func(*hyparlist.NetTransport) error                                               = (*hyparlist.NetTransport).Shutdown
	_ func(*hyparlist.NetTransport) <-chan net.Conn                                     = (*hyparlist.NetTransport).StreamCh
	_ func(*hyparlist.NetTransport, []byte, string) (time.Time, error)                  = (*hyparlist.NetTransport).WriteTo
	_ func(*hyparlist.NetTransport, []byte, hyparlist.Address) (time.Time, error)       = (*hyparlist.NetTransport).WriteToAddress
)

// NetTransportConfig
var (
	_ = func(x *hyparlist.NetTransportConfig) hyparlist.NetTransportConfig {
		return hyparlist.NetTransportConfig{
			BindAddrs:    exactly[[]string](&x.BindAddrs),
			BindPort:     exactly[int](&x.BindPort),
			Logger:       exactly[*log.Logger](&x.Logger),
			MetricLabels: exactly[[]memberlistMetricLabel](&x.MetricLabels),
		}
	}
)

// NoPingResponseError
var (
	_                                            = hyparlist.NoPingResponseError{}
	_ func(hyparlist.NoPingResponseError) string = hyparlist.NoPingResponseError.Error
)

// Node
var (
	_ = func(x *hyparlist.Node) hyparlist.Node {
		return hyparlist.Node{
			Name:  exactly[string](&x.Name),
			Addr:  exactly[net.IP](&x.Addr),
			Port:  exactly[uint16](&x.Port),
			Meta:  exactly[[]byte](&x.Meta),
			State: exactly[hyparlist.NodeStateType](&x.State),
			PMin:  exactly[uint8](&x.PMin),
			PMax:  exactly[uint8](&x.PMax),
			PCur:  exactly[uint8](&x.PCur),
			DMin:  exactly[uint8](&x.DMin),
			DMax:  exactly[uint8](&x.DMax),
			DCur:  exactly[uint8](&x.DCur),
		}
	}
	_ func(*hyparlist.Node) string            = (*hyparlist.Node).Address
	_ func(*hyparlist.Node) hyparlist.Address = (*hyparlist.Node).FullAddress
	_ func(*hyparlist.Node) string            = (*hyparlist.Node).String
)

// NodeAwareTransport
var _ = (*interface {
	hyparlist.Transport
	DialAddressTimeout(addr hyparlist.Address, timeout time.Duration) (net.Conn, error)
	WriteToAddress(b []byte, addr hyparlist.Address) (time.Time, error)
})((*hyparlist.NodeAwareTransport)(nil))

// NodeEvent
var (
	_ = func(x *hyparlist.NodeEvent) hyparlist.NodeEvent {
		return hyparlist.NodeEvent{
			Event: exactly[hyparlist.NodeEventType](&x.Event),
			Node:  exactly[*hyparlist.Node](&x.Node),
		}
	}
)

// NodeEventType
var (
	_                                = (*int)((*hyparlist.NodeEventType)(nil))
	_ *hyparlist.NodeEventType       = typeOf(hyparlist.NodeJoin)
	_ [hyparlist.NodeJoin]struct{}   = [0]struct{}{}
	_ *hyparlist.NodeEventType       = typeOf(hyparlist.NodeLeave)
	_ [hyparlist.NodeLeave]struct{}  = [1]struct{}{}
	_ *hyparlist.NodeEventType       = typeOf(hyparlist.NodeUpdate)
	_ [hyparlist.NodeUpdate]struct{} = [2]struct{}{}
)

// NodeStateType
var (
	_                                  = (*int)((*hyparlist.NodeStateType)(nil))
	_ *hyparlist.NodeStateType         = typeOf(hyparlist.StateAlive)
	_ [hyparlist.StateAlive]struct{}   = [0]struct{}{}
	_ *hyparlist.NodeStateType         = typeOf(hyparlist.StateSuspect)
	_ [hyparlist.StateSuspect]struct{} = [1]struct{}{}
	_ *hyparlist.NodeStateType         = typeOf(hyparlist.StateDead)
	_ [hyparlist.StateDead]struct{}    = [2]struct{}{}
	_ *hyparlist.NodeStateType         = typeOf(hyparlist.StateLeft)
	_ [hyparlist.StateLeft]struct{}    = [3]struct{}{}
)

// Packet
var (
	_ = func(x *hyparlist.Packet) hyparlist.Packet {
		return hyparlist.Packet{
			Buf:       exactly[[]byte](&x.Buf),
			From:      exactly[net.Addr](&x.From),
			Timestamp: exactly[time.Time](&x.Timestamp),
		}
	}
)

// PingDelegate
var _ = (*interface {
	AckPayload() []byte
	NotifyPingComplete(other *hyparlist.Node, rtt time.Duration, payload []byte)
})((*hyparlist.PingDelegate)(nil))

// TransmitLimitedQueue
var (
	_ = func(x *hyparlist.TransmitLimitedQueue) hyparlist.TransmitLimitedQueue {
		return hyparlist.TransmitLimitedQueue{
			NumNodes:       exactly[func() int](&x.NumNodes),
			RetransmitMult: exactly[int](&x.RetransmitMult),
		}
	}
	_ func(*hyparlist.TransmitLimitedQueue, int, int) [][]byte   = (*hyparlist.TransmitLimitedQueue).GetBroadcasts
	_ func(*hyparlist.TransmitLimitedQueue) int                  = (*hyparlist.TransmitLimitedQueue).NumQueued
	_ func(*hyparlist.TransmitLimitedQueue, int)                 = (*hyparlist.TransmitLimitedQueue).Prune
	_ func(*hyparlist.TransmitLimitedQueue, hyparlist.Broadcast) = (*hyparlist.TransmitLimitedQueue).QueueBroadcast
	_ func(*hyparlist.TransmitLimitedQueue)                      = (*hyparlist.TransmitLimitedQueue).Reset
)

// Transport
var _ = (*interface {
	DialTimeout(addr string, timeout time.Duration) (net.Conn, error)
	FinalAdvertiseAddr(ip string, port int) (net.IP, int, error)
	PacketCh() <-chan *hyparlist.Packet
	Shutdown() error
	StreamCh() <-chan net.Conn
	WriteTo(b []byte, addr string) (time.Time, error)
})((*hyparlist.Transport)(nil))

// UniqueBroadcast
var _ = (*interface {
	hyparlist.Broadcast
	UniqueBroadcast()
})((*hyparlist.UniqueBroadcast)(nil))
