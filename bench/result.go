package main

import (
	"runtime"
	"time"
)

// result is one JSON line: one system and broadcast path (or one sweep
// step, or the raw ceiling). Field names are the contract of DESIGN.md's
// "Measurement tools"; see README.md in this directory for their meaning.
type result struct {
	Mode          string  `json:"mode"` // "run", "sweep", "sweep_summary", "raw"
	System        string  `json:"system"`
	API           string  `json:"api"`
	Config        string  `json:"config"`
	Nodes         int     `json:"nodes"`
	PayloadBytes  int     `json:"payload_bytes"`
	Broadcasts    int     `json:"broadcasts"`
	Rate          float64 `json:"rate"`
	LoadAvgBefore string  `json:"load_avg_before"`
	GoVersion     string  `json:"go_version"`
	Timestamp     string  `json:"timestamp"`
	// MaxTrees is hyparlist's Config.BroadcastTrees in this run (absent
	// for memberlist).
	MaxTrees *int `json:"max_trees,omitempty"`
	// IHaveIntervalMs and GraftTimeoutMs are hyparlist's
	// Config.IHaveInterval and Config.GraftTimeout in this run (absent for
	// memberlist).
	IHaveIntervalMs *float64 `json:"ihave_interval_ms,omitempty"`
	GraftTimeoutMs  *float64 `json:"graft_timeout_ms,omitempty"`
	// GraftTimeoutMinMs is hyparlist's Config.GraftTimeoutMin (0: fixed
	// GraftTimeout).
	GraftTimeoutMinMs *float64 `json:"graft_timeout_min_ms,omitempty"`
	// KeepaliveIntervalMs is hyparlist's Config.KeepaliveInterval when
	// -keepalive-interval set it (absent: the profile's ProbeInterval).
	KeepaliveIntervalMs *float64 `json:"keepalive_interval_ms,omitempty"`
	// VerifyUserBroadcasts is hyparlist's Config.VerifyUserBroadcasts
	// in this run (-verify-user; absent for memberlist).
	VerifyUserBroadcasts *bool `json:"verify_user_broadcasts,omitempty"`
	// StreamBufferBytes is hyparlist's Config.StreamBufferBytes when set.
	StreamBufferBytes int `json:"stream_buffer_bytes,omitempty"`
	// MessageCacheMaxBytes is hyparlist's Config.MessageCacheMaxBytes
	// when -cache-bytes set it.
	MessageCacheMaxBytes int `json:"message_cache_max_bytes,omitempty"`

	// Broadcast phase.
	DeliveredRatio              float64   `json:"delivered_ratio"`
	MessagesComplete            float64   `json:"messages_complete"`
	DuplicateNotify             int64     `json:"duplicate_notify"`
	DuplicateNotifyPerBroadcast float64   `json:"duplicate_notify_per_broadcast"`
	LatencyP50Ms                float64   `json:"latency_p50_ms"`
	LatencyP99Ms                float64   `json:"latency_p99_ms"`
	LatencyMaxMs                float64   `json:"latency_max_ms"`
	LatencyQuantilesMs          []float64 `json:"latency_quantiles_ms"`
	DeliveryP50Ms               float64   `json:"delivery_p50_ms"`
	DeliveryP99Ms               float64   `json:"delivery_p99_ms"`
	PayloadCopiesPerReceiver    float64   `json:"payload_copies_per_receiver"`
	PayloadCopiesPerBroadcast   float64   `json:"payload_copies_per_broadcast"`
	WireBytesPerBroadcast       float64   `json:"wire_bytes_per_broadcast"`
	CPUMsPerBroadcast           float64   `json:"cpu_ms_per_broadcast"`
	// SysCPUMsPerBroadcast is the system (kernel) part of
	// CPUMsPerBroadcast, and MinorFaultsPerBroadcast the process's minor
	// page faults in the phase per broadcast: a heap that grows (N
	// message caches filling) is first touched page by page.
	SysCPUMsPerBroadcast    float64 `json:"sys_cpu_ms_per_broadcast"`
	MinorFaultsPerBroadcast float64 `json:"minor_faults_per_broadcast"`
	SendErrors              int64   `json:"send_errors"`
	// BroadcastsAccepted counts the broadcasts the system took (Broadcast
	// returned nil, or the payload was queued), AchievedRate them per
	// second of the send loop, and LostDeliveries the (accepted
	// broadcast, other node) pairs never delivered by the drain deadline:
	// what overload lost, as opposed to what it only slowed down.
	BroadcastsAccepted int64   `json:"broadcasts_accepted"`
	AchievedRate       float64 `json:"achieved_rate"`
	LostDeliveries     int64   `json:"lost_deliveries"`
	// With -settle, LateDeliveries counts the pairs of LostDeliveries
	// delivered within the settle time after the figures were taken,
	// LostAfterSettle those still missing then (lost, or later still),
	// and SettleCounters the counters' growth meanwhile.
	LateDeliveries  *int64           `json:"late_deliveries,omitempty"`
	LostAfterSettle *int64           `json:"lost_after_settle,omitempty"`
	SettleCounters  map[string]int64 `json:"settle_counters,omitempty"`
	// BroadcastWaitS is the time the send loop spent inside the native
	// Broadcast calls (back-pressure: waiting for room), in seconds, and
	// BroadcastWaitMaxMs the longest single call.
	BroadcastWaitS     float64 `json:"broadcast_wait_s,omitempty"`
	BroadcastWaitMaxMs float64 `json:"broadcast_wait_max_ms,omitempty"`
	PhaseS             float64 `json:"phase_s"`
	// Warmup is the warm-up before this phase (-warmup), absent without.
	Warmup *warmupFigures `json:"warmup,omitempty"`

	// Cluster figures, shared by the lines of one cluster.
	IdleWindowS          float64            `json:"idle_window_s"`
	IdleAfterS           float64            `json:"idle_after_s,omitempty"` // -idle-after: the wait between the joins' end and the window
	IdleCPUCores         float64            `json:"idle_cpu_cores"`
	IdleBytesPerNodePerS float64            `json:"idle_bytes_per_node_per_s"`
	HeapBytesPerNode     int64              `json:"heap_bytes_per_node"`
	GoroutinesPerNode    float64            `json:"goroutines_per_node"`
	HeapBytesPerNodeEnd  int64              `json:"heap_bytes_per_node_end"`
	GoroutinesPerNodeEnd float64            `json:"goroutines_per_node_end"`
	IdleBytesByType      map[string]float64 `json:"idle_bytes_per_node_per_s_by_type,omitempty"`
	IdleCounters         map[string]int64   `json:"idle_counters,omitempty"` // growth over the idle window, all nodes; frames_sent.<type> counts frames
	JoinConvergenceMs    int64              `json:"join_convergence_ms"`
	Join99Ms             int64              `json:"join_99_ms"`
	JoinErrors           int64              `json:"join_errors"`
	JoinPairsRatio       float64            `json:"join_pairs_ratio"`
	MembersMin           int                `json:"members_min"`
	MemberFlaps          int64              `json:"member_flaps"`
	CrashDetectionMs     int64              `json:"crash_detection_ms"`
	LinksFailedSilent    *int64             `json:"links_failed_silent,omitempty"`
	Counters             map[string]int64   `json:"counters,omitempty"`
	JoinCounters         map[string]int64   `json:"join_counters,omitempty"` // at the join's end (converged or deadline)
	PhaseCounters        map[string]int64   `json:"phase_counters,omitempty"`
	// FDLimit is the process's RLIMIT_NOFILE (soft) during the run;
	// FDsPeak the most descriptors open at once (sampled every 0.5 s from
	// the cluster's creation to its shutdown), FDsPeakS when (seconds
	// after the first node's creation), FDsJoinEnd how many at the join's
	// end. With -fd-kinds, FDKindsPeak and FDKindsJoinEnd count the open
	// streams then by kind (fds.go).
	FDLimit        int              `json:"fd_limit,omitempty"`
	FDsPeak        int              `json:"fds_peak,omitempty"`
	FDsPeakS       float64          `json:"fds_peak_s,omitempty"`
	FDsJoinEnd     int              `json:"fds_join_end,omitempty"`
	FDKindsPeak    map[string]int64 `json:"fd_kinds_peak,omitempty"`
	FDKindsJoinEnd map[string]int64 `json:"fd_kinds_join_end,omitempty"`
	Timeouts       []string         `json:"timeouts"`
	Error          string           `json:"error,omitempty"`

	// Sweep summary.
	HighestRateHeld float64 `json:"highest_rate_held,omitempty"`

	// Raw ceiling.
	RawMessagesPerS float64 `json:"raw_messages_per_s,omitempty"`
	RawCores        float64 `json:"raw_cores,omitempty"`
	RawConns        int     `json:"raw_conns,omitempty"`
}

// warmupFigures is what a warm-up phase (-warmup) did: its broadcasts are
// not in the measured phase's figures.
type warmupFigures struct {
	Seconds                 float64 `json:"s"`
	Broadcasts              int     `json:"broadcasts"`
	AchievedRate            float64 `json:"achieved_rate"`
	DeliveredRatio          float64 `json:"delivered_ratio"`
	LatencyP50Ms            float64 `json:"latency_p50_ms"`
	LatencyP99Ms            float64 `json:"latency_p99_ms"`
	CPUMsPerBroadcast       float64 `json:"cpu_ms_per_broadcast"`
	SysCPUMsPerBroadcast    float64 `json:"sys_cpu_ms_per_broadcast"`
	MinorFaultsPerBroadcast float64 `json:"minor_faults_per_broadcast"`
}

func goVersion() string { return runtime.Version() }

func now() string { return time.Now().UTC().Format(time.RFC3339) }
