// Package sim is hyparlist's protocol simulator: a deterministic
// discrete-event simulation of the real HyParView, Plumtree and membership
// cores of 10^4–10^5 nodes on a virtual clock and network (Simulation),
// and the standard experiments behind `hyparlist sim` (RunExperiments,
// SimResult, whose JSON keys are a contract: DESIGN.md, "Measurement
// tools"). An optional CPU cost model (SimConfig.CPU, sim_cpu.go) makes
// every event take a calibrated CPU time on a core per node or on cores
// shared by all nodes, and runs the runtime's silence judge, so that a
// node that falls behind is seen (the "storm" experiment).
//
// It drives the cores through the library's exported API only: Step and
// Drain, the views and member lists they report, Clone to fork a run,
// Membership.LiveDigest to check convergence. Nothing in the library exists
// for it alone. It is internal because its API is a tool's, free to change
// with the experiments; applications that want to run the cores on their
// own clock use the same exported API.
package sim
