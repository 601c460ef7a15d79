//go:build !hashicorpmetrics

package hyparlist_test

import metrics "github.com/hashicorp/go-metrics/compat"

// memberlistMetricLabel is the label type of memberlist v0.5.4's
// Config.MetricLabels and NetTransportConfig.MetricLabels: go-metrics/compat's
// Label, which without the hashicorpmetrics tag is armon/go-metrics' Label.
type memberlistMetricLabel = metrics.Label
