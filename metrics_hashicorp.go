//go:build hashicorpmetrics

// Metrics: the go-metrics label type of memberlist v0.7.0 (hashicorpmetrics
// build tag).

package hyparlist

// This file is metrics_compat.go under the hashicorpmetrics build tag: it
// imports github.com/hashicorp/go-metrics itself rather than through its
// compat package, which go-metrics v0.7.0 and later no longer have, so that
// programs on go-metrics v0.7.0 (as memberlist v0.7.0 is) build with the tag.

import metrics "github.com/hashicorp/go-metrics"

// MetricLabel is the label type of Config.MetricLabels and
// NetTransportConfig.MetricLabels: with the hashicorpmetrics build tag it is
// github.com/hashicorp/go-metrics.Label, as in memberlist v0.7.0; without
// it, go-metrics/compat's Label (armon/go-metrics.Label), as in memberlist
// v0.5.x.
type MetricLabel = metrics.Label

// The global sink's functions, as memberlist calls them.
var (
	metricsIncrCounter = metrics.IncrCounterWithLabels
	metricsSetGauge    = metrics.SetGaugeWithLabels
	metricsAddSample   = metrics.AddSampleWithLabels
)
