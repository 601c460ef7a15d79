//go:build !hashicorpmetrics

package hyparlist

import metrics "github.com/hashicorp/go-metrics/compat"

// inmemSink is the in-memory sink of the metrics library metrics_compat.go
// picks, for tests that read what the runtime emitted.
type inmemSink = metrics.InmemSink

var newInmemSink = metrics.NewInmemSink
