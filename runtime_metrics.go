// Runtime: the metrics the node emits through go-metrics.

package hyparlist

import (
	"slices"
	"time"
)

// This file owns the runtime's metrics, emitted through
// github.com/hashicorp/go-metrics (its global sink, as memberlist does) with
// Config.MetricLabels on every one. Keys:
//
//	hyparlist.msg.sent, .sent_bytes         counters, label "type" (on links,
//	                                        once per write)
//	hyparlist.msg.received, .received_bytes counters, label "type" (on
//	                                        streams, once per read buffer;
//	                                        runtime_metrics_tally.go)
//	hyparlist.msg.encode_failed             counter, label "type"
//	hyparlist.msg.decode_failed             counter: frames that could not
//	                                        be decoded (the stream is closed)
//	hyparlist.stream.truncated              counter: streams that ended
//	                                        inside a frame (the writer
//	                                        stopped mid-write)
//	hyparlist.msg.decrypt_failed            counter, label "reason":
//	                                        no_matching_key, unencrypted,
//	                                        not_configured (security_encryption.go)
//	hyparlist.plumtree.graft, .prune        counters (sent)
//	hyparlist.plumtree.missing_dropped      counter: IDs announced by IHAVE
//	                                        not recorded, the missing table
//	                                        full (runtime_metrics_grafts.go)
//	hyparlist.plumtree.missing_expired      counter: announced messages
//	                                        given up, never received,
//	                                        CacheTTL after the first IHAVE
//	hyparlist.plumtree.graft_uncached       counter: IDs of neighbours'
//	                                        GRAFTs the cache no longer held
//	                                        (both runtime_metrics_grafts.go)
//	hyparlist.link.failed                   counter, label "reason":
//	                                        write, queue_full, silent, probe,
//	                                        ended (runtime_linkend.go)
//	hyparlist.link.dial_failed              counter
//	hyparlist.link.local_failure            counter: dials of links, link
//	                                        probes and confirmation checks
//	                                        that failed for want of the
//	                                        node's own resources (file
//	                                        descriptors, socket buffers;
//	                                        runtime_localfail.go)
//	hyparlist.link.graft_dropped            counter: GRAFTs of message IDs
//	                                        dropped for a full control queue
//	                                        (runtime_linkgraft.go)
//	hyparlist.link.send_dropped             counter (no link could be opened)
//	hyparlist.link.down_dropped             counter: frames dropped from the
//	                                        links of neighbours that went
//	                                        down before their stream opened
//	                                        (runtime_linkgiveup.go)
//	hyparlist.link.down_unsent              counter: such links given up,
//	                                        with nothing left that their
//	                                        peer needs (no dial)
//	hyparlist.link.user_deferred            counter: broadcast payloads sent as
//	                                        an IHAVE because the link's user
//	                                        queue was full (runtime_backpressure.go)
//	hyparlist.link.answer_held              counter: answers to a GRAFT
//	                                        that waited for room in the
//	                                        link's user queue instead
//	                                        (runtime_graftanswer.go)
//	hyparlist.link.answer_expired           counter: held GRAFT answers
//	                                        dropped, held MessageCacheTTL
//	                                        (runtime_graftanswer.go)
//	hyparlist.link.answer_unheld            counter: GRAFT answers announced
//	                                        again because the link held its
//	                                        most answers or bytes already
//	                                        (runtime_graftanswer.go)
//	hyparlist.stream.refused                counter, label "reason": limit,
//	                                        handshake_limit, source_limit,
//	                                        source_handshake_limit,
//	                                        handshake_timeout, idle,
//	                                        frame_budget (runtime_framebudget.go)
//	                                        (runtime_inbound.go)
//	hyparlist.stream.frame_budget_waits     counter: frames that waited for
//	                                        MaxInboundFrameBytes
//	                                        (runtime_framebudget.go)
//	hyparlist.msg.refused                   counter, label "reason" (among
//	                                        them wrong_state: a frame the
//	                                        stream's state does not allow,
//	                                        security_wrongstate.go;
//	                                        not_link_end: a stream's end not
//	                                        taken for its sender's link's,
//	                                        runtime_linkend.go)
//	hyparlist.msg.disconnect_late           counter: DISCONNECTs refused
//	                                        on arrival (not_link), held,
//	                                        and applied when the stream
//	                                        owning their sender's name
//	                                        ended (runtime_linkhold.go)
//	hyparlist.msg.disconnect_stale          counter: such DISCONNECTs
//	                                        handed to the loop but ignored:
//	                                        their sender had become a
//	                                        neighbour again since
//	hyparlist.origin.held                   counter, label "reason":
//	                                        delivered, refused, full,
//	                                        dropped:
//	                                        broadcasts held for their
//	                                        origin's key check under TLS
//	                                        (runtime_sign_hold.go)
//	hyparlist.packet.dropped                counter, label "reason"
//	hyparlist.dispatch.dropped              counter, label "kind"
//	hyparlist.sig.checked                   counter: broadcast signatures
//	                                        verified; .duplicates_unchecked:
//	                                        copies of held messages passed
//	                                        unverified; .replays_unchecked:
//	                                        replays refused unverified;
//	                                        .checked_grafted: checks of
//	                                        messages the node grafted
//	                                        (runtime_sign_check.go),
//	                                        counted every QueueCheckInterval
//	hyparlist.state_exchange.dropped        counter: anti-entropy exchanges
//	                                        sent without the application
//	                                        state (runtime_pushpull.go)
//	hyparlist.member.new_dropped            counter: records of new members
//	                                        dropped by the rate limit
//	                                        (Config.MaxNewMembersPerSecond),
//	                                        counted every QueueCheckInterval
//	hyparlist.member.unconfirmed_removed    counter: members learned
//	                                        second-hand marked dead because
//	                                        they could not be reached when
//	                                        checked (membership_confirm.go),
//	                                        counted every QueueCheckInterval
//	hyparlist.member.checks_retried         counter: such checks that failed
//	                                        without strong evidence while the
//	                                        node was behind, put off instead
//	                                        (membership_confirm_retry.go),
//	                                        counted every QueueCheckInterval
//	hyparlist.member.checks_dropped         counter: such checks dropped
//	                                        because maxQueuedChecks were
//	                                        waiting (runtime_confirm.go)
//	hyparlist.member.check_packets          counter, label "kind": answered,
//	                                        unanswered: checks and probes
//	                                        asked in a packet before a dial
//	                                        (runtime_checkpacket.go)
//	hyparlist.member.announcements          counter: membership announcements
//	                                        (signed broadcasts) the node made;
//	                                        .announced, label "kind": the
//	                                        records queued for them (one
//	                                        replaced before it went out
//	                                        counts too), per reason (join,
//	                                        rejoin, refute, accuse, confirm,
//	                                        proxy, dead, meta, leave;
//	                                        membership_announce_kinds.go),
//	                                        counted every QueueCheckInterval
//	hyparlist.delivery.hops                 sample: hops of a delivered broadcast
//	hyparlist.delivery.latency              sample, ms: from the loop's
//	                                        delivery to NotifyMsg
//	hyparlist.view.active, .passive         gauges (HyParView)
//	hyparlist.plumtree.eager, .lazy         gauges
//	hyparlist.plumtree.cache_messages,      gauges: the GRAFT-answering
//	  .cache_bytes                          message cache
//	hyparlist.members                       gauge (alive + suspect)
//	hyparlist.links, .timers, .inbox        gauges
//	hyparlist.streams.inbound               gauge: accepted streams open
//	hyparlist.dispatch.queued, .queued_bytes gauges
//	hyparlist.broadcast.recent_payloads     gauge (pump recognition set,
//	                                        runtime_recent.go)
//	hyparlist.broadcast.recent_evicted      counter: entries forgotten at
//	                                        the set's bound
//	hyparlist.health.score                  gauge: the local health score,
//	                                        set when it changes
//	                                        (runtime_awareness.go)
//
// Gauges are sampled every Config.QueueCheckInterval.

// metricSink is the part of go-metrics the runtime uses; *metrics.Metrics
// implements it, and globalSink forwards to the package-level functions.
type metricSink interface {
	IncrCounterWithLabels(key []string, val float32, labels []MetricLabel)
	SetGaugeWithLabels(key []string, val float32, labels []MetricLabel)
	AddSampleWithLabels(key []string, val float32, labels []MetricLabel)
}

// globalSink forwards to go-metrics' global instance.
type globalSink struct{}

func (globalSink) IncrCounterWithLabels(k []string, v float32, l []MetricLabel) {
	metricsIncrCounter(k, v, l)
}
func (globalSink) SetGaugeWithLabels(k []string, v float32, l []MetricLabel) {
	metricsSetGauge(k, v, l)
}
func (globalSink) AddSampleWithLabels(k []string, v float32, l []MetricLabel) {
	metricsAddSample(k, v, l)
}

// Metric keys.
var (
	keyMsgSent          = []string{"hyparlist", "msg", "sent"}
	keyMsgSentBytes     = []string{"hyparlist", "msg", "sent_bytes"}
	keyMsgReceived      = []string{"hyparlist", "msg", "received"}
	keyMsgReceivedBytes = []string{"hyparlist", "msg", "received_bytes"}
	keyEncodeFailed     = []string{"hyparlist", "msg", "encode_failed"}
	keyDecodeFailed     = []string{"hyparlist", "msg", "decode_failed"}
	keyHealthScore      = []string{"hyparlist", "health", "score"}
	keyStreamTruncated  = []string{"hyparlist", "stream", "truncated"}
	keyDecryptFailed    = []string{"hyparlist", "msg", "decrypt_failed"}
	keyGraft            = []string{"hyparlist", "plumtree", "graft"}
	keyPrune            = []string{"hyparlist", "plumtree", "prune"}
	keyLinkFailed       = []string{"hyparlist", "link", "failed"}
	keyDialFailed       = []string{"hyparlist", "link", "dial_failed"}
	keyLocalFailure     = []string{"hyparlist", "link", "local_failure"}
	keySendDropped      = []string{"hyparlist", "link", "send_dropped"}
	keyUserDeferred     = []string{"hyparlist", "link", "user_deferred"}
	keyAnswerHeld       = []string{"hyparlist", "link", "answer_held"}
	keyAnswerExpired    = []string{"hyparlist", "link", "answer_expired"}
	keyAnswerUnheld     = []string{"hyparlist", "link", "answer_unheld"}
	keyGraftDropped     = []string{"hyparlist", "link", "graft_dropped"}
	keyStreamRefused    = []string{"hyparlist", "stream", "refused"}
	keyInboundStreams   = []string{"hyparlist", "streams", "inbound"}
	keyPacketDropped    = []string{"hyparlist", "packet", "dropped"}
	keyDispatchDropped  = []string{"hyparlist", "dispatch", "dropped"}
	keyStateXDropped    = []string{"hyparlist", "state_exchange", "dropped"}
	keyDeliveryHops     = []string{"hyparlist", "delivery", "hops"}
	keyDeliveryLatency  = []string{"hyparlist", "delivery", "latency"}
	keyViewActive       = []string{"hyparlist", "view", "active"}
	keyViewPassive      = []string{"hyparlist", "view", "passive"}
	keyEager            = []string{"hyparlist", "plumtree", "eager"}
	keyLazy             = []string{"hyparlist", "plumtree", "lazy"}
	keyCacheMessages    = []string{"hyparlist", "plumtree", "cache_messages"}
	keyCacheBytes       = []string{"hyparlist", "plumtree", "cache_bytes"}
	keyMembers          = []string{"hyparlist", "members"}
	keyLinks            = []string{"hyparlist", "links"}
	keyTimers           = []string{"hyparlist", "timers"}
	keyInbox            = []string{"hyparlist", "inbox"}
	keyDispatchQueued   = []string{"hyparlist", "dispatch", "queued"}
	keyDispatchBytes    = []string{"hyparlist", "dispatch", "queued_bytes"}
	keyRecentPayloads   = []string{"hyparlist", "broadcast", "recent_payloads"}
	keyRecentEvicted    = []string{"hyparlist", "broadcast", "recent_evicted"}
	keyNewMembersDrop   = []string{"hyparlist", "member", "new_dropped"}
	keyUnconfirmedDead  = []string{"hyparlist", "member", "unconfirmed_removed"}
	keyChecksDropped    = []string{"hyparlist", "member", "checks_dropped"}
	keyChecksRetried    = []string{"hyparlist", "member", "checks_retried"}
	keyCheckPackets     = []string{"hyparlist", "member", "check_packets"}
	keyNeighborDown     = []string{"hyparlist", "link", "neighbor_down"}
)

// maxMessageType bounds the message types metrics keep labels for.
const maxMessageType = 64

// runtimeMetrics emits the runtime's metrics. It is safe for concurrent
// use: it only reads what newRuntimeMetrics prepared.
type runtimeMetrics struct {
	sink   metricSink
	labels []MetricLabel
	// byType holds labels + {type: name} per message type.
	byType [maxMessageType][]MetricLabel
}

// newRuntimeMetrics prepares the label sets for labels.
func newRuntimeMetrics(sink metricSink, labels []MetricLabel) *runtimeMetrics {
	r := &runtimeMetrics{sink: sink, labels: slices.Clone(labels)}
	for t := range r.byType {
		r.byType[t] = r.with("type", MessageType(t).String())
	}
	return r
}

// with returns the configured labels plus {name: value}.
func (r *runtimeMetrics) with(name, value string) []MetricLabel {
	return append(slices.Clip(r.labels), MetricLabel{Name: name, Value: value})
}

func (r *runtimeMetrics) typeLabels(t MessageType) []MetricLabel {
	if int(t) < len(r.byType) {
		return r.byType[t]
	}
	return r.with("type", "unknown")
}

// sent counts one message of type t, n bytes on the wire.
func (r *runtimeMetrics) sent(t MessageType, n int) { r.sentBatch(t, 1, n) }

// received counts one message of type t, n bytes on the wire.
func (r *runtimeMetrics) received(t MessageType, n int) { r.receivedBatch(t, 1, n) }

func (r *runtimeMetrics) encodeFailed(t MessageType) {
	r.sink.IncrCounterWithLabels(keyEncodeFailed, 1, r.typeLabels(t))
}

func (r *runtimeMetrics) decodeFailed() { r.sink.IncrCounterWithLabels(keyDecodeFailed, 1, r.labels) }

func (r *runtimeMetrics) streamTruncated() {
	r.sink.IncrCounterWithLabels(keyStreamTruncated, 1, r.labels)
}

func (r *runtimeMetrics) decryptFailed(reason string) {
	r.sink.IncrCounterWithLabels(keyDecryptFailed, 1, r.with("reason", reason))
}

func (r *runtimeMetrics) linkFailed(reason string) {
	r.sink.IncrCounterWithLabels(keyLinkFailed, 1, r.with("reason", reason))
}

// healthScore records a new local health score.
func (r *runtimeMetrics) healthScore(score int) {
	r.sink.SetGaugeWithLabels(keyHealthScore, float32(score), r.labels)
}

func (r *runtimeMetrics) dialFailed() { r.sink.IncrCounterWithLabels(keyDialFailed, 1, r.labels) }

// localFailure counts a dial that failed for want of the node's own
// resources (runtime_localfail.go).
func (r *runtimeMetrics) localFailure() {
	r.sink.IncrCounterWithLabels(keyLocalFailure, 1, r.labels)
}

func (r *runtimeMetrics) sendDropped() { r.sink.IncrCounterWithLabels(keySendDropped, 1, r.labels) }

// userDeferred counts a broadcast payload replaced by its announcement.
func (r *runtimeMetrics) userDeferred() { r.sink.IncrCounterWithLabels(keyUserDeferred, 1, r.labels) }

// answerHeld counts a GRAFT answer held for room in the user queue.
func (r *runtimeMetrics) answerHeld() { r.sink.IncrCounterWithLabels(keyAnswerHeld, 1, r.labels) }

// answerExpired counts a held GRAFT answer dropped after MessageCacheTTL.
func (r *runtimeMetrics) answerExpired() { r.sink.IncrCounterWithLabels(keyAnswerExpired, 1, r.labels) }

// answerUnheld counts a GRAFT answer the link's full hold refused, which
// is announced again instead.
func (r *runtimeMetrics) answerUnheld() { r.sink.IncrCounterWithLabels(keyAnswerUnheld, 1, r.labels) }

// graftDropped counts a GRAFT of IDs dropped for a full control queue.
func (r *runtimeMetrics) graftDropped() { r.sink.IncrCounterWithLabels(keyGraftDropped, 1, r.labels) }

// streamRefused counts an accepted stream closed for reason
// (runtime_inbound.go).
func (r *runtimeMetrics) streamRefused(reason string) {
	r.sink.IncrCounterWithLabels(keyStreamRefused, 1, r.with("reason", reason))
}

func (r *runtimeMetrics) packetDropped(reason string) {
	r.sink.IncrCounterWithLabels(keyPacketDropped, 1, r.with("reason", reason))
}

func (r *runtimeMetrics) dispatchDropped(kind string) {
	r.sink.IncrCounterWithLabels(keyDispatchDropped, 1, r.with("kind", kind))
}

// stateExchangeDropped counts an exchange request refused its state.
// recentEvicted counts n entries forgotten at the recognition set's bound.
func (r *runtimeMetrics) recentEvicted(n int) {
	r.sink.IncrCounterWithLabels(keyRecentEvicted, float32(n), r.labels)
}

// neighborDown counts a neighbour HyParView dropped from the active view.
func (r *runtimeMetrics) neighborDown() { r.sink.IncrCounterWithLabels(keyNeighborDown, 1, r.labels) }

// checkDropped counts a confirmation check dropped at the queue's bound.
func (r *runtimeMetrics) checkDropped() {
	r.sink.IncrCounterWithLabels(keyChecksDropped, 1, r.labels)
}

// checkPacket counts a check or probe asked in a packet
// (runtime_checkpacket.go), by whether it was answered in time (label
// kind: answered, unanswered).
func (r *runtimeMetrics) checkPacket(answered bool) {
	kind := "unanswered"
	if answered {
		kind = "answered"
	}
	r.sink.IncrCounterWithLabels(keyCheckPackets, 1, r.with("kind", kind))
}

func (r *runtimeMetrics) stateExchangeDropped() {
	r.sink.IncrCounterWithLabels(keyStateXDropped, 1, r.labels)
}

// delivered records the hops of a delivered broadcast.
func (r *runtimeMetrics) delivered(hops uint16) {
	r.sink.AddSampleWithLabels(keyDeliveryHops, float32(hops), r.labels)
}

// deliveryLatency records d, the time from the loop's delivery of a
// broadcast to its NotifyMsg call.
func (r *runtimeMetrics) deliveryLatency(d time.Duration) {
	ms := float32(d.Seconds() * 1000)
	r.sink.AddSampleWithLabels(keyDeliveryLatency, ms, r.labels)
}

// runtimeGauges is one sample of the gauges.
type runtimeGauges struct {
	active, passive, eager, lazy, members int
	cacheMessages, cacheBytes             int
	links, timers, inbox, inboundStreams  int
	dispatchMsgs, dispatchSize, recent    int
}

// gauges records a sample.
func (r *runtimeMetrics) gauges(g runtimeGauges) {
	for _, v := range []struct {
		key []string
		val int
	}{
		{keyViewActive, g.active}, {keyViewPassive, g.passive},
		{keyEager, g.eager}, {keyLazy, g.lazy}, {keyMembers, g.members},
		{keyCacheMessages, g.cacheMessages}, {keyCacheBytes, g.cacheBytes},
		{keyLinks, g.links}, {keyTimers, g.timers}, {keyInbox, g.inbox},
		{keyInboundStreams, g.inboundStreams},
		{keyDispatchQueued, g.dispatchMsgs}, {keyDispatchBytes, g.dispatchSize},
		{keyRecentPayloads, g.recent},
	} {
		r.sink.SetGaugeWithLabels(v.key, float32(v.val), r.labels)
	}
}
