// Plumtree core: PlumtreeStats, the sizes of its bounded tables.

package hyparlist

// PlumtreeStats is a snapshot of a Plumtree core's bounded tables, for
// metrics and tests.
type PlumtreeStats struct {
	// CachedMessages and CachedBytes describe the message cache that answers
	// GRAFTs (bounded by PlumtreeConfig.CacheTTL and CacheMaxBytes).
	CachedMessages int
	CachedBytes    int
}

// Stats returns the sizes of the core's message cache.
func (p *Plumtree) Stats() PlumtreeStats {
	return PlumtreeStats{CachedMessages: p.cache.len(), CachedBytes: p.cache.bytes}
}
