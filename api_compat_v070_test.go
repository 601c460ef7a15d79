//go:build hashicorpmetrics

package hyparlist_test

import metrics "github.com/hashicorp/go-metrics"

// memberlistMetricLabel is the label type of memberlist v0.7.0's
// Config.MetricLabels and NetTransportConfig.MetricLabels: go-metrics' own
// Label.
type memberlistMetricLabel = metrics.Label
