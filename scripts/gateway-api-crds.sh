#!/usr/bin/env bash
# Prints the directory holding the Gateway API's standard-channel CRDs
# (config/crd/standard of sigs.k8s.io/gateway-api at the release pinned in
# tools/gateway-api/go.mod), downloading the module into the Go module cache
# when it is not there yet. go.sum pins the module's checksum, so the tests
# install exactly the CRDs that release published.
#
#   scripts/gateway-api-crds.sh               download if needed, print the directory
#   scripts/gateway-api-crds.sh --pin v1.X.Y  re-pin tools/gateway-api to that release
#                                             (rewrites go.mod and go.sum; commit both)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src="$REPO_ROOT/tools/gateway-api"
module=sigs.k8s.io/gateway-api
command -v go >/dev/null || die "Go is needed to fetch the Gateway API CRDs (see README, 'Quick start')"

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

# Meridian balances HTTPRoutes and GRPCRoutes, so a release whose standard
# channel lacks either (GRPCRoute entered it in v1.1) is of no use.
crd_dir() {
  local dir="$1/config/crd/standard" kind
  for kind in gateways httproutes grpcroutes; do
    [ -f "$dir/gateway.networking.k8s.io_$kind.yaml" ] || die "$dir has no standard-channel $kind CRD"
  done
  echo "$dir"
}

pin() {
  local version="$1" work dir
  [[ "$version" =~ ^v1\.[0-9]+\.[0-9]+$ ]] || die "--pin wants a release tag like v1.6.3, not '$version'"
  # Work on a copy so that a failed pin leaves the committed files alone.
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  cp "$src/go.mod" "$work/"
  (cd "$work" && go mod edit -require="$module@$version")
  # With a module argument, `go mod download` checks the sum against the
  # checksum database and records it in go.sum.
  dir="$(download "$work" "$module")"
  crd_dir "$dir" >/dev/null
  cp "$work/go.mod" "$work/go.sum" "$src/"
  log "tools/gateway-api pinned to $module $version"
}

if [ "${1:-}" = "--pin" ]; then
  [ $# -eq 2 ] || die "usage: scripts/gateway-api-crds.sh [--pin v1.X.Y]"
  pin "$2"
  exit 0
fi

version="$(awk '$1 == "require" && $2 == "'"$module"'" { print $3; exit }' "$src/go.mod")"
[[ "$version" =~ ^v1\. ]] || die "no $module v1.X.Y requirement in tools/gateway-api/go.mod"
# Without the line `go mod download` would fetch the sum from the checksum
# database and add it to go.sum quietly, verifying nothing that was committed.
grep -qF "$module $version h1:" "$src/go.sum" 2>/dev/null ||
  die "tools/gateway-api/go.sum has no checksum for $module $version; run scripts/gateway-api-crds.sh --pin $version"
dir="$(download "$src" "$module")"
crd_dir "$dir"
