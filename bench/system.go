package main

import (
	"errors"
	"fmt"
	"time"
)

// errNoNative is returned by broadcast on a system without a native
// broadcast (memberlist).
var errNoNative = errors.New("no native broadcast")

// This file is the small interface both systems implement, so that the
// runner creates, joins, drives and stops them the same way.

// benchNode is one running node of either system.
type benchNode interface {
	// addr is the "ip:port" other nodes join through.
	addr() string
	// join joins the cluster through seed.
	join(seed string) error
	// queue hands msg to this node's TransmitLimitedQueue (the queue API).
	queue(msg []byte)
	// broadcast sends msg with the system's native broadcast, if it has one.
	broadcast(msg []byte) error
	// queued is the number of messages in the node's TransmitLimitedQueue.
	queued() int
	// numMembers is the library's own member count.
	numMembers() int
	// shutdown stops the node without leaving: to the others it crashed.
	shutdown() error
}

// system creates the nodes of one library.
type system interface {
	name() string
	// apis lists the broadcast paths the system offers: "queue", "native".
	apis() []string
	// newNode creates node i, bound to a free port on 127.0.0.1.
	newNode(i int, env nodeEnv) (benchNode, error)
	// counters returns library counters the harness reads (nil if none).
	counters() map[string]int64
	// sentByType returns the bytes sent so far per message type; nil
	// when the system does not report them.
	sentByType() map[string]int64
}

// nodeEnv is what every node of a run shares.
type nodeEnv struct {
	config string // "lan" or "local"
	app    *app
	wire   *wireCounter
	// maxTrees is hyparlist's Config.BroadcastTrees; -1 keeps the default.
	maxTrees int
	// ihaveInterval and graftTimeout are hyparlist's Config.IHaveInterval
	// and Config.GraftTimeout; 0 keeps the profile's.
	ihaveInterval time.Duration
	graftTimeout  time.Duration
	// graftTimeoutMin is hyparlist's Config.GraftTimeoutMin; negative
	// keeps the profile's.
	graftTimeoutMin time.Duration
	// verifyUser is hyparlist's Config.VerifyUserBroadcasts.
	verifyUser bool
	// streamBuffer is hyparlist's Config.StreamBufferBytes.
	streamBuffer int
	// cacheBytes is hyparlist's Config.MessageCacheMaxBytes; 0 keeps the
	// default.
	cacheBytes int
	// keepaliveInterval is hyparlist's Config.KeepaliveInterval; 0 keeps
	// the profile's.
	keepaliveInterval time.Duration
}

func newSystem(name string, sink *counterSink) (system, error) {
	switch name {
	case "hyparlist":
		return &hyparlistSystem{sink: sink}, nil
	case "memberlist":
		return memberlistSystem{}, nil
	}
	return nil, fmt.Errorf("unknown system %q (want hyparlist or memberlist)", name)
}

// queuedMsg is the Broadcast both libraries' TransmitLimitedQueue holds:
// never invalidated by another, as Serf's user events.
type queuedMsg []byte

func (b queuedMsg) Message() []byte { return b }
func (b queuedMsg) Finished()       {}
