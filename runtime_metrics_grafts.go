// Runtime: Plumtree's GRAFTs by cause (plumtreeStats) emitted as go-metrics
// counters.

package hyparlist

// keyGraftCause is hyparlist.plumtree.graft_sent, labelled by the cause of
// the GRAFT (reason: missing, regraft, answer, repair, relink, gap; plumtreeStats).
// hyparlist.plumtree.graft counts the same frames as the writers send them.
var keyGraftCause = []string{"hyparlist", "plumtree", "graft_sent"}

// graftStats emits the growth of the Plumtree core's GRAFT counts from
// prev to cur and returns cur, the next call's prev.
func (r *runtimeMetrics) graftStats(prev, cur plumtreeStats) plumtreeStats {
	for _, c := range []struct {
		reason    string
		prev, cur uint64
	}{
		{"missing", prev.GraftsMissing, cur.GraftsMissing},
		{"regraft", prev.GraftsRegraft, cur.GraftsRegraft},
		{"answer", prev.GraftsAnswer, cur.GraftsAnswer},
		{"repair", prev.GraftsRepair, cur.GraftsRepair},
		{"relink", prev.GraftsRelink, cur.GraftsRelink},
		{"gap", prev.GraftsGap, cur.GraftsGap},
	} {
		r.growth(keyGraftCause, r.with("reason", c.reason), c.prev, c.cur)
	}
	r.growth(keyMissingDropped, r.labels, prev.MissingDropped, cur.MissingDropped)
	r.growth(keyMissingExpired, r.labels, prev.MissingExpired, cur.MissingExpired)
	r.growth(keyGraftUncached, r.labels, prev.GraftUncached, cur.GraftUncached)
	return cur
}

// keyMissingDropped is hyparlist.plumtree.missing_dropped: IDs announced
// by IHAVE and not recorded because the missing table was full
// (PlumtreeConfig.MissingMax).
var keyMissingDropped = []string{"hyparlist", "plumtree", "missing_dropped"}

// keyMissingExpired is hyparlist.plumtree.missing_expired: messages
// announced by IHAVE and given up, never received, CacheTTL after their
// first announcement.
var keyMissingExpired = []string{"hyparlist", "plumtree", "missing_expired"}

// keyGraftUncached is hyparlist.plumtree.graft_uncached: IDs asked by a
// neighbour's GRAFT that the message cache no longer held.
var keyGraftUncached = []string{"hyparlist", "plumtree", "graft_uncached"}
