// Plumtree core: an announcer that announces again a message we grafted
// from it is grafted again after GraftTimeout2, not after the backoff.

package hyparlist

// Not in the paper, whose links do not fall behind. The runtime answers a
// GRAFT with the payloads asked for, and those its full user queue to the
// grafting node refuses it announces again, in an IHAVE
// (runtime_backpressure.go): the announcement is the neighbour's refusal
// of our GRAFT for them, and says that it still has them. Our own graft
// timer for them had doubled its wait after each GRAFT (graftTimerFired),
// while each GRAFT brought only what fitted in that queue. In the runtime
// test TestRuntimeStalledRelayDeliversAll (a burst of 64 payloads of
// 16 KiB through a relay whose queue to the next node holds three),
// traced in session 13, the node behind the relay grafted the burst from
// it ten times in 13 s (waits of 100 ms doubling to 3.2 s), got three or
// four payloads each time, and forgot the last of them when CacheTTL ran out
// since their first announcement: broadcasts accepted and lost.
//
// So an IHAVE of a message still missing, from a neighbour that had
// announced it already, after we have sent at least one GRAFT for it (to
// that neighbour or another), moves the message to a timer of
// GraftTimeout2: it is grafted again one round trip later. Once per GRAFT (ptMissing.renewed, cleared when
// its timer fires), so that repeated announcements can neither make us
// graft faster than once per GraftTimeout2 nor postpone the GRAFT (each
// would restart the wait); and not when the backoff's GRAFT is due within
// GraftTimeout2 anyway (ptGraftTimer.due), which the renewal would only
// delay. The GRAFT after it waits as graftTimerFired's
// backoff says, so a node that is behind and not told again still adds
// little load.
//
// From any announcer, not only the only one (sessions 13 to 15 renewed
// only a message with one announcer, so that a lasting overload would
// keep the backoff and shed load). The renewed GRAFT goes to the next
// announcer in turn (graftTarget), at most once per GraftTimeout2, and
// each answer brings what fits in that neighbour's queue to us. With the
// backoff instead, a node behind by 1,700 payloads of one origin, whose
// two neighbours each answered 16 per GRAFT (their user queue to it,
// PeerSendQueueDepth 16) and announced the rest, got 32 every 6.4 s and
// still missed hundreds when MessageCacheTTL ran out
// (TestRuntimeBurstsDeliverAll, session 15: about 1 run in 100). The
// simulator's 3,000-node run is unchanged (its links do not defer). (The
// bench at N = 32 and 4,096 broadcasts/s offered did not separate the
// only-announcer rule from main's before it within its run-to-run
// spread: BENCHMARKS.md, session 13; not measured again for this one.)

// renewAnnounced records, for the IHAVE entry id from the neighbour
// called from, whether it is such a repeated announcement by an
// announcer, appending id to renew if so. Call it before the
// announcement is recorded in the missing table.
func (p *Plumtree) renewAnnounced(renew []MessageID, id MessageID, from string) []MessageID {
	e, ok := p.missing.m[id]
	if !ok || e.grafts == 0 || e.renewed || !ptAnnounced(e.announcers, from) {
		return renew
	}
	if e.timer != nil && e.timer.due <= p.now+int64(p.cfg.GraftTimeout2) {
		return renew // its GRAFT comes as soon anyway: renewing would postpone it
	}
	return append(renew, id)
}

// regraftRenewed moves the missing messages ids to a new graft timer of
// GraftTimeout2 and marks them renewed.
func (p *Plumtree) regraftRenewed(ids []MessageID) {
	if len(ids) == 0 {
		return
	}
	t := &ptGraftTimer{second: true, ids: ids}
	for _, id := range ids {
		e := p.missing.m[id]
		e.renewed = true
		e.timer = t
		p.missing.m[id] = e
	}
	p.armGraft(t, p.cfg.GraftTimeout2)
}
