//go:build !hashicorpmetrics

// Metrics: the go-metrics label type of memberlist v0.5.x (default build).

package hyparlist

// This file picks the metrics library as memberlist v0.5.x does: through
// github.com/hashicorp/go-metrics/compat, which is armon/go-metrics unless the
// program is built with the hashicorpmetrics tag (metrics_hashicorp.go). A
// program on memberlist v0.5.x therefore gets the same label type and the
// same global sink from hyparlist as from memberlist.

import metrics "github.com/hashicorp/go-metrics/compat"

// MetricLabel is the label type of Config.MetricLabels and
// NetTransportConfig.MetricLabels: go-metrics/compat's Label, as in
// memberlist v0.5.x. Built without the hashicorpmetrics tag it is
// github.com/armon/go-metrics.Label; with it, github.com/hashicorp/go-metrics.Label
// (the type memberlist v0.7.0 uses).
type MetricLabel = metrics.Label

// The global sink's functions, as memberlist calls them.
var (
	metricsIncrCounter = metrics.IncrCounterWithLabels
	metricsSetGauge    = metrics.SetGaugeWithLabels
	metricsAddSample   = metrics.AddSampleWithLabels
)
