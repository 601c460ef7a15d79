package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// printDeliveryTable prints one row per node: its state and view sizes, and
// delivered/expected for each phase and broadcast API, then a total row
// over the survivors. sent holds the messages of each phase and API. It
// returns the survivors' total, whose ok reports a perfect run.
func printDeliveryTable(w io.Writer, c *demoCluster, sent [numPhases]map[demoAPI][]msgKey) tally {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "NODE\tSTATE\tMEMBERS\tNEIGHBOURS")
	for p := range numPhases {
		for _, api := range demoAPIs {
			fmt.Fprintf(tw, "\t%s/%s", p, api)
		}
	}
	fmt.Fprintln(tw, "\tEXTRA\tJOIN EVENTS\tLEAVE EVENTS")

	var cols [numPhases][]tally // survivors' totals per column
	for p := range numPhases {
		cols[p] = make([]tally, len(demoAPIs))
	}
	var total tally
	for _, n := range c.nodes {
		state, members, neighbours := "alive", fmt.Sprint(n.ml.NumMembers()), fmt.Sprint(len(n.ml.Neighbors()))
		if n.crashed {
			state, members, neighbours = "crashed", "-", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s", n.name, state, members, neighbours)
		extra := c.rec.foreignCount(n.name)
		for p := range numPhases {
			for i, api := range demoAPIs {
				if n.crashed && p == phaseAfter {
					fmt.Fprint(tw, "\t-")
					continue
				}
				t := c.rec.tally(n.name, p, api, sent[p][api])
				extra += t.extra
				if !n.crashed {
					cols[p][i] = cols[p][i].add(t)
					total = total.add(t)
				}
				fmt.Fprintf(tw, "\t%s", cell(t))
			}
		}
		if !n.crashed {
			total.extra += c.rec.foreignCount(n.name)
		}
		fmt.Fprintf(tw, "\t%d\t%d\t%d\n", extra, n.events.joins.Load(), n.events.leaves.Load())
	}
	fmt.Fprint(tw, "survivors\t\t\t")
	for p := range numPhases {
		for i := range demoAPIs {
			fmt.Fprintf(tw, "\t%s", cell(cols[p][i]))
		}
	}
	fmt.Fprintf(tw, "\t%d\t\t\n", total.extra)
	tw.Flush()
	return total
}

// cell formats delivered/expected, marking a shortfall.
func cell(t tally) string {
	s := fmt.Sprintf("%d/%d", t.delivered, t.expected)
	if t.delivered < t.expected {
		s += " MISSED"
	}
	return s
}
