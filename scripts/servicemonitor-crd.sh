#!/usr/bin/env bash
# Prints the path of the ServiceMonitor CRD (monitoring.coreos.com/v1) of the
# Prometheus Operator release pinned in tools/prometheus-operator/go.mod,
# downloading the module into the Go module cache when it is not there yet.
# The chart's optional ServiceMonitor is validated and applied against it;
# go.sum pins the module's checksum, so every machine uses the same CRD.
#
#   scripts/servicemonitor-crd.sh               download if needed, print the path
#   scripts/servicemonitor-crd.sh --pin v0.X.Y  re-pin tools/prometheus-operator to that release
#                                               (rewrites go.mod and go.sum; commit both)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src="$REPO_ROOT/tools/prometheus-operator"
module=github.com/prometheus-operator/prometheus-operator
crd=example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml
command -v go >/dev/null || die "Go is needed to fetch the ServiceMonitor CRD (see README, 'Quick start')"

# `go mod download -json` reports a failure in its Error field; other failures
# (a checksum mismatch, say) only on stderr, so fall back to the whole output.
download() {
  local dir="$1" query="$2" info error
  if ! info="$(cd "$dir" && go mod download -json "$query" 2>&1)"; then
    error="$(sed -n 's/.*"Error": "\(.*\)".*/\1/p' <<<"$info")"
    die "$query: ${error:-$info}"
  fi
  sed -n 's/.*"Dir": "\(.*\)".*/\1/p' <<<"$info"
}

crd_file() {
  [ -f "$1/$crd" ] || die "$1 has no $crd"
  echo "$1/$crd"
}

pin() {
  local version="$1" work dir
  [[ "$version" =~ ^v0\.[0-9]+\.[0-9]+$ ]] || die "--pin wants a release tag like v0.85.0, not '$version'"
  # Work on a copy so that a failed pin leaves the committed files alone.
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  cp "$src/go.mod" "$work/"
  (cd "$work" && go mod edit -require="$module@$version")
  # With a module argument, `go mod download` checks the sum against the
  # checksum database and records it in go.sum.
  dir="$(download "$work" "$module")"
  crd_file "$dir" >/dev/null
  cp "$work/go.mod" "$work/go.sum" "$src/"
  log "tools/prometheus-operator pinned to $module $version"
}

if [ "${1:-}" = "--pin" ]; then
  [ $# -eq 2 ] || die "usage: scripts/servicemonitor-crd.sh [--pin v0.X.Y]"
  pin "$2"
  exit 0
fi

version="$(awk '$1 == "require" && $2 == "'"$module"'" { print $3; exit }' "$src/go.mod")"
[[ "$version" =~ ^v0\. ]] || die "no $module v0.X.Y requirement in tools/prometheus-operator/go.mod"
# Without the line `go mod download` would fetch the sum from the checksum
# database and add it to go.sum quietly, verifying nothing that was committed.
grep -qF "$module $version h1:" "$src/go.sum" 2>/dev/null ||
  die "tools/prometheus-operator/go.sum has no checksum for $module $version; run scripts/servicemonitor-crd.sh --pin $version"
crd_file "$(download "$src" "$module")"
