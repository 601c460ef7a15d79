// Package hyparlist gives Go programs cluster membership and reliable
// cluster-wide broadcast that scale to thousands of nodes.
//
// It combines two protocols by Leitão, Pereira and Rodrigues:
//
//   - HyParView (DSN 2007) keeps a small symmetric active view of
//     TCP-connected neighbours and a larger passive view used to repair it.
//   - Plumtree (SRDS 2007, "Epidemic Broadcast Trees") builds a spanning
//     tree over the active views: payloads are pushed eagerly on tree links
//     and announced lazily (IHAVE) on the others; GRAFT and PRUNE repair and
//     optimise the tree.
//
// Both protocols are pure, deterministic state machines (see HyParView and
// Plumtree): they take events and the current time and return actions. The
// same code runs a real node and the discrete-event simulator.
package hyparlist
