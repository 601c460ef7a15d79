// Runtime: counters of the confirmation checks' dials (runtime_confirm.go).

package hyparlist

var (
	// keyChecksDialled counts the confirmation checks that dialled their
	// member.
	keyChecksDialled = []string{"hyparlist", "member", "checks_dialled"}
	// keyChecksByLink counts the confirmation checks answered by an open
	// link to the member, without a dial (linkAnswered).
	keyChecksByLink = []string{"hyparlist", "member", "checks_by_link"}
)

// checkDialled counts a check that dials.
func (r *runtimeMetrics) checkDialled() { r.sink.IncrCounterWithLabels(keyChecksDialled, 1, r.labels) }

// checkAnsweredByLink counts a check answered by an open link.
func (r *runtimeMetrics) checkAnsweredByLink() {
	r.sink.IncrCounterWithLabels(keyChecksByLink, 1, r.labels)
}
