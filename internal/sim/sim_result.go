package sim

// SimResult is the outcome of one simulator experiment: one JSON object per
// experiment, one line each, as `hyparlist sim -json` prints it. The keys
// are a contract (see DESIGN.md, "Measurement tools"); a metric that an
// experiment does not measure is null.
//
// Overlay metrics (isolated … clustering_coefficient) describe the
// overlay at the end of the experiment: after the shuffle rounds for
// "overlay", after the broadcasts for "broadcast", after healing for
// "fail", after reconnection for "partition" (see OverlayStats).
type SimResult struct {
	// Experiment is "overlay", "broadcast", "fail" or "partition".
	Experiment string `json:"experiment"`
	// Nodes is the number of nodes that joined; Seed the run's seed.
	Nodes int    `json:"nodes"`
	Seed  uint64 `json:"seed"`
	// Contact is the join contact mode ("same" or "random").
	Contact string `json:"contact"`
	// Loss is the random message loss probability.
	Loss float64 `json:"loss"`
	// FailFraction is the fraction of nodes crashed at once ("fail"; 0
	// elsewhere).
	FailFraction float64 `json:"fail_fraction"`
	// Survivors is the number of nodes up at the end.
	Survivors int `json:"survivors"`

	Isolated                 int     `json:"isolated"`
	Components               int     `json:"components"`
	LargestComponentFraction float64 `json:"largest_component_fraction"`
	AsymmetricLinks          int     `json:"asymmetric_links"`
	DeadLinks                int     `json:"dead_links"`
	ActiveDegreeMin          int     `json:"active_degree_min"`
	ActiveDegreeMax          int     `json:"active_degree_max"`
	ActiveDegreeMean         float64 `json:"active_degree_mean"`
	PassiveDegreeMean        float64 `json:"passive_degree_mean"`
	InDegreeStddev           float64 `json:"in_degree_stddev"`
	PassiveInDegreeMean      float64 `json:"passive_in_degree_mean"`
	ContactPassiveInDegree   int     `json:"contact_passive_in_degree"`
	AvgPathLength            float64 `json:"avg_path_length"`
	// PathSources is the number of BFS sources behind AvgPathLength (all
	// nodes of the largest component when it has at most
	// SimConfig.PathSamples).
	PathSources           int     `json:"path_sources"`
	ClusteringCoefficient float64 `json:"clustering_coefficient"`
	// MembershipMsgsPerNodePerSecond is HyParView's traffic (all its
	// message types, keepalives included) per up node (at the end) per
	// virtual second: over the last shuffle period of building the stable
	// overlay ("overlay"), the broadcasts ("broadcast"), from the crash to the end
	// ("fail"), from the split to the end ("partition").
	MembershipMsgsPerNodePerSecond float64 `json:"membership_msgs_per_node_per_s"`

	// ReliabilityFirstBroadcast is the fraction of surviving nodes that
	// delivered the broadcast sent at the instant of the crash, counted
	// when it settled (no queued event descends from it any more, see
	// RunUntilSettled); FirstBroadcastSettleSeconds is how long that took.
	// ReliabilityFirstBroadcastEarly counts only the deliveries made
	// within SimConfig.DetectionDelayMin of the crash, before any node
	// could know of it, so before any view repair could help.
	// ReliabilityFirstBroadcastFlood is the flood baseline's copy of the
	// same broadcast (it has no repair mechanism: it is final early).
	ReliabilityFirstBroadcast      *float64 `json:"reliability_first_broadcast"`
	ReliabilityFirstBroadcastEarly *float64 `json:"reliability_first_broadcast_early"`
	ReliabilityFirstBroadcastFlood *float64 `json:"reliability_first_broadcast_flood"`
	FirstBroadcastSettleSeconds    *float64 `json:"first_broadcast_settle_s"`
	// After the first broadcast settles, a fresh broadcast is sent from a
	// random node of the largest component, then one per shuffle period,
	// until one reaches every survivor or the experiment's limit
	// (ExperimentConfig.HealingMaxRounds) passes. HealingRounds is the
	// number of shuffle periods until a fresh broadcast first reached
	// every node of the largest surviving component (0: the first fresh
	// broadcast did), HealingRoundsAll until one reached every survivor;
	// -1 when it did not happen. ReliabilityAfterHealing is the fraction
	// of survivors that delivered the last fresh broadcast.
	HealingRounds           *int     `json:"healing_rounds"`
	HealingRoundsAll        *int     `json:"healing_rounds_all"`
	ReliabilityAfterHealing *float64 `json:"reliability_after_healing"`

	// RMR is the relative message redundancy (payload copies received /
	// (nodes that delivered − 1) − 1, Plumtree §4) summed over all stable
	// broadcasts but the first, whose payload builds the tree;
	// RMRSingleSender over broadcasts 2…k from the single sender,
	// RMRRandomSenders over the broadcasts from random senders,
	// RMRAllSend over the round in which AllSendSenders nodes broadcast at
	// the same instant.
	RMR              *float64 `json:"rmr"`
	RMRSingleSender  *float64 `json:"rmr_single_sender"`
	RMRRandomSenders *float64 `json:"rmr_random_senders"`
	RMRAllSend       *float64 `json:"rmr_all_send"`
	AllSendSenders   *int     `json:"all_send_senders"`
	// LDH is the mean over the stable broadcasts of the last delivery hop
	// (largest hop count of a delivery); LDHMax the largest; LDHFlood the
	// mean for the flood baseline's copies of the same broadcasts.
	LDH      *float64 `json:"ldh"`
	LDHMax   *int     `json:"ldh_max"`
	LDHFlood *float64 `json:"ldh_flood"`
	// MissedDeliveries counts (broadcast, up node) pairs without a
	// delivery, over all broadcasts of the experiment (the all-send round
	// included); DuplicateDeliveries counts second deliveries.
	MissedDeliveries    *int `json:"missed_deliveries"`
	DuplicateDeliveries *int `json:"duplicate_deliveries"`
	// PayloadMsgsPerBroadcast and ControlMsgsPerBroadcast are the Gossip
	// messages and the Plumtree control messages (IHave, Graft, Prune)
	// sent per stable broadcast.
	PayloadMsgsPerBroadcast *float64 `json:"payload_msgs_per_broadcast"`
	ControlMsgsPerBroadcast *float64 `json:"control_msgs_per_broadcast"`
	// LatencyMeanSeconds is the mean over stable broadcasts of the time
	// from sending to the last delivery.
	LatencyMeanSeconds *float64 `json:"last_delivery_latency_s"`

	// UnsettledBroadcasts counts the broadcasts of the experiment that
	// had not settled SimConfig.SettleMax after they were sent (their
	// figures are then taken at that point).
	UnsettledBroadcasts *int `json:"unsettled_broadcasts"`

	// PartitionHealRounds is the number of shuffle periods after the
	// partition healed until the overlay was one component again; -1 if
	// it did not within the experiment's limit. ComponentsDuringPartition
	// is the number of components just before healing.
	PartitionHealRounds       *int `json:"partition_heal_rounds"`
	ComponentsDuringPartition *int `json:"components_during_partition"`

	// Membership experiment ("membership", see
	// sim_membership_experiment.go). MembershipScenario is "join",
	// "crash", "partition" or "ghosts". MembershipConvergedSeconds is the virtual
	// time from the last join, the crash, the heal or the forged announcement until every live
	// node listed exactly the live set (checked every second; null if not
	// within 600 s). FalsePositiveDeaths counts the distinct nodes
	// declared dead by some node while they were up (join: from the start
	// to the end of the steady window; crash, ghosts: during the scenario).
	// MembershipBytesPerNodePerSecond is the membership traffic (encoded
	// ClassMembership Gossip frames plus the membership core's own
	// messages) per up node per virtual second: over the 60 s steady
	// window after convergence (join), from the crash or the split to the
	// end (crash, partition). CrashDetectedFraction is the fraction of
	// survivors that listed every crashed node as dead within
	// CrashDetectionWindowSeconds (keepalive interval + longest detection
	// delay + longest suspicion timeout + 1 s); CrashDetectionSeconds is
	// when the last of them did (null if not all did). HeapBytesPerNode is
	// the live heap after convergence divided by the nodes (every core and
	// the simulator included).
	MembershipScenario              string   `json:"membership_scenario,omitempty"`
	MembershipConvergedSeconds      *float64 `json:"membership_converged_seconds,omitempty"`
	FalsePositiveDeaths             *int     `json:"false_positive_deaths,omitempty"`
	MembershipBytesPerNodePerSecond *float64 `json:"membership_bytes_per_node_per_s,omitempty"`
	CrashDetectedFraction           *float64 `json:"crash_detected_fraction,omitempty"`
	CrashDetectionSeconds           *float64 `json:"crash_detection_seconds,omitempty"`
	CrashDetectionWindowSeconds     *float64 `json:"crash_detection_window_seconds,omitempty"`
	// Ghosts is the number of forged members of the "ghosts" scenario,
	// and GhostsClearedSeconds the virtual time from their announcement
	// until no live node listed any (nil: still listed after 600 s).
	Ghosts               int      `json:"ghosts,omitempty"`
	GhostsClearedSeconds *float64 `json:"ghosts_cleared_seconds,omitempty"`
	HeapBytesPerNode     *float64 `json:"heap_bytes_per_node,omitempty"`

	// Storm experiment ("storm", sim_storm.go) and the CPU cost model
	// (SimConfig.CPU). CPUMode is "node" or "shared" (empty when the
	// model is off), CPUCores the shared cores. StormPairsRatio is the
	// fraction of (node, member) pairs listed at convergence or at the
	// deadline; LinksFailedSilentJoin counts the links the silence judge
	// failed until then, LinksFailedSilentAfter those it failed in the
	// 30 s after; MaxHealthScore is the highest local health score any
	// node reached; CPUBusyCores the CPU time charged until convergence or
	// the deadline divided by the virtual time (cores kept busy on
	// average).
	CPUMode                string   `json:"cpu_mode,omitempty"`
	CPUCores               *int     `json:"cpu_cores,omitempty"`
	StormPairsRatio        *float64 `json:"storm_pairs_ratio,omitempty"`
	LinksFailedSilentJoin  *uint64  `json:"links_failed_silent_join,omitempty"`
	LinksFailedSilentAfter *uint64  `json:"links_failed_silent_after,omitempty"`
	MaxHealthScore         *int     `json:"max_health_score,omitempty"`
	CPUBusyCores           *float64 `json:"cpu_busy_cores,omitempty"`
	// The storm's work per node until convergence or the deadline, the
	// counts the costs were calibrated with: frames sent, KiB encoded
	// (sent), connections opened, members listed by member-table
	// publishes, timers fired.
	StormFramesPerNode    *float64 `json:"storm_frames_per_node,omitempty"`
	StormKiBPerNode       *float64 `json:"storm_kib_per_node,omitempty"`
	StormDialsPerNode     *float64 `json:"storm_dials_per_node,omitempty"`
	StormPublishedPerNode *float64 `json:"storm_published_per_node,omitempty"`
	StormTimersPerNode    *float64 `json:"storm_timers_per_node,omitempty"`
	// The largest lag of a node's loop measured by a silence check, and
	// the longest a frame waited for its reader (shared cores), over the
	// storm and the steady window.
	StormMaxLagSeconds        *float64 `json:"storm_max_lag_s,omitempty"`
	StormMaxReaderWaitSeconds *float64 `json:"storm_max_reader_wait_s,omitempty"`

	// VirtualSeconds is the simulated time; Events the number of events
	// processed (both include building the stable overlay); WallSeconds
	// the wall-clock time of building the stable overlay plus running
	// this experiment on its copy; PeakHeapBytes the largest heap of the
	// process seen so far (experiments run in parallel share it). The
	// last two vary between runs.
	VirtualSeconds float64 `json:"virtual_seconds"`
	Events         uint64  `json:"events"`
	WallSeconds    float64 `json:"wall_seconds"`
	PeakHeapBytes  uint64  `json:"peak_heap_bytes"`

	// Series for the plots, not part of the JSON line.
	ActiveInDegreeHist  []int     `json:"-"`
	PassiveInDegreeHist []int     `json:"-"`
	BroadcastRMR        []float64 `json:"-"`
	BroadcastLDH        []int     `json:"-"`
	BroadcastFloodLDH   []int     `json:"-"`
	// BroadcastRandomFrom is the number of leading broadcasts sent by the
	// single sender.
	BroadcastRandomFrom int `json:"-"`
}

// setOverlay copies the overlay metrics into r.
func (r *SimResult) setOverlay(o OverlayStats) {
	r.Survivors = o.Up
	r.Isolated = o.Isolated
	r.Components = o.Components
	r.LargestComponentFraction = o.LargestComponentFraction
	r.AsymmetricLinks = o.AsymmetricLinks
	r.DeadLinks = o.DeadLinks
	r.ActiveDegreeMin = o.ActiveDegreeMin
	r.ActiveDegreeMax = o.ActiveDegreeMax
	r.ActiveDegreeMean = o.ActiveDegreeMean
	r.PassiveDegreeMean = o.PassiveDegreeMean
	r.InDegreeStddev = o.InDegreeStddev
	r.PassiveInDegreeMean = o.PassiveInDegreeMean
	r.ContactPassiveInDegree = o.ContactPassiveInDegree
	r.AvgPathLength = o.AvgPathLength
	r.PathSources = o.PathSources
	r.ClusteringCoefficient = o.ClusteringCoefficient
	r.ActiveInDegreeHist = o.ActiveInDegreeHist
	r.PassiveInDegreeHist = o.PassiveInDegreeHist
}

// simPtr returns a pointer to v, for the optional fields of SimResult.
func simPtr[T any](v T) *T { return &v }
