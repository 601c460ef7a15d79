// Runtime: counters of the confirmation checks' dials (runtime_confirm.go).

package hyparlist

var (
	// keyChecksDialled counts the confirmation checks that dialled their
	// member.
	keyChecksDialled = []string{"hyparlist", "member", "checks_dialled"}
)

// checkDialled counts a check that dials.
func (r *runtimeMetrics) checkDialled() { r.sink.IncrCounterWithLabels(keyChecksDialled, 1, r.labels) }
