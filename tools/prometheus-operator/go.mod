// The Prometheus Operator release whose ServiceMonitor CRD the chart's
// optional ServiceMonitor is validated and applied against
// (scripts/servicemonitor-crd.sh). Nothing here is compiled: the module is
// only downloaded, and go.sum makes `go mod download` verify its checksum, so
// every machine checks against byte-identical CRDs. `go mod tidy` would drop
// the requirement (no Go code imports it); re-pin with
// `scripts/servicemonitor-crd.sh --pin v0.X.Y` instead.
module meridian.invalid/tools/prometheus-operator

go 1.26.0

require github.com/prometheus-operator/prometheus-operator v0.85.0
