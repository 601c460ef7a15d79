// Runtime: the membership core's counters (membershipStats) emitted as
// go-metrics counters.

package hyparlist

// This file owns the emission of membershipStats: sampleStats hands it
// the core's stats, and it emits what grew since the last sample as
// hyparlist.member.* counters. These say why members were lost (a
// suspicion that expired, an announcement, a failed confirmation check),
// which a flapping cluster needs to be read; and the "left" records
// refused as not the member's own word, as hyparlist.msg.refused reason
// foreign_left.

var (
	keyChecksPutOff      = []string{"hyparlist", "member", "checks_put_off"}
	keyAccusations       = []string{"hyparlist", "member", "accusations"}
	keyAccusationsHeld   = []string{"hyparlist", "member", "accusations_withheld"}
	keyExchangeSuspected = []string{"hyparlist", "member", "exchanged_deaths_suspected"}
	keySuspicionsExpired = []string{"hyparlist", "member", "suspicions_expired"}
	keyDeadAnnounced     = []string{"hyparlist", "member", "dead_from_announcements"}
	keyAnnounced         = []string{"hyparlist", "member", "announced"}
	keyAnnouncements     = []string{"hyparlist", "member", "announcements"}
)

// memberStats emits the growth of the membership core's counters from
// prev to cur and returns cur, the next call's prev.
func (r *runtimeMetrics) memberStats(prev, cur membershipStats) membershipStats {
	for _, c := range []struct {
		key       []string
		prev, cur uint64
	}{
		{keyNewMembersDrop, prev.NewMembersDropped, cur.NewMembersDropped},
		{keyUnconfirmedDead, prev.UnconfirmedRemoved, cur.UnconfirmedRemoved},
		{keyChecksRetried, prev.ChecksRetried, cur.ChecksRetried},
		{keyChecksPutOff, prev.ChecksPutOff, cur.ChecksPutOff},
		{keyAccusations, prev.Accusations, cur.Accusations},
		{keyAccusationsHeld, prev.AccusationsWithheld, cur.AccusationsWithheld},
		{keySuspicionsExpired, prev.SuspicionsExpired, cur.SuspicionsExpired},
		{keyDeadAnnounced, prev.DeadFromAnnouncements, cur.DeadFromAnnouncements},
		{keyExchangeSuspected, prev.ExchangedDeathsSuspected, cur.ExchangedDeathsSuspected},
		{keyAnnouncements, prev.Announcements, cur.Announcements},
	} {
		r.growth(c.key, r.labels, c.prev, c.cur)
	}
	// Records announced, per reason (membership_announce_kinds.go).
	for k := range numAnnounceKinds {
		r.growth(keyAnnounced, r.with("kind", k.String()), prev.AnnouncedRecords[k], cur.AnnouncedRecords[k])
	}
	// "Left" records refused for not being the member's own word
	// (membership_sign.go) count among the refused messages.
	r.growth(keyMsgRefused, r.with("reason", refusedForeignLeft), prev.ForeignLeavesRefused, cur.ForeignLeavesRefused)
	r.growth(keyMsgRefused, r.with("reason", refusedIncarnation), prev.IncarnationsRefused, cur.IncarnationsRefused)
	return cur
}

// growth adds cur−prev to the counter key when a core's count grew.
func (r *runtimeMetrics) growth(key []string, labels []MetricLabel, prev, cur uint64) {
	if cur > prev {
		r.sink.IncrCounterWithLabels(key, float32(cur-prev), labels)
	}
}
