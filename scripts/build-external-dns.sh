#!/usr/bin/env bash
# Builds external-dns from tools/external-dns (pinned in its go.mod) into the
# cache and prints the binary's path. Rebuilds only when go.mod, go.sum,
# tools.go or the build flags change. The delegation tests run it, with its
# rfc2136 provider, between Meridian's DNSEndpoints and a real BIND; the
# release's DNSEndpoint CRD is copied beside the binary for them.
#
#   scripts/build-external-dns.sh               build if needed, print the path
#   scripts/build-external-dns.sh --pin v0.X.Y  re-pin tools/external-dns to that release
#                                              (rewrites go.mod and go.sum; commit both)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src="$REPO_ROOT/tools/external-dns"
module=sigs.k8s.io/external-dns
command -v go >/dev/null || die "Go is needed to build external-dns (see README, 'Quick start')"

pin() {
  local version="$1" work
  [[ "$version" =~ ^v0\.[0-9]+\.[0-9]+$ ]] || die "--pin wants a release tag like v0.21.0, not '$version'"
  # Work on a copy so that a failed pin leaves the committed files alone.
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  cp "$src/go.mod" "$src/tools.go" "$work/"
  (cd "$work" && go mod edit -require="$module@$version" && go mod tidy)
  cp "$work/go.mod" "$work/go.sum" "$src/"
  log "tools/external-dns pinned to $module $version"
}

if [ "${1:-}" = "--pin" ]; then
  [ $# -eq 2 ] || die "usage: scripts/build-external-dns.sh [--pin v0.X.Y]"
  pin "$2"
  exit 0
fi

version="$(awk '$1 == "require" && $2 == "'"$module"'" { print $3; exit }' "$src/go.mod")"
[[ "$version" =~ ^v0\. ]] || die "no $module v0.X.Y requirement in tools/external-dns/go.mod"
# The release tag, which `external-dns --version` prints (a module build says "unknown").
ldflags="-s -w -X $module/pkg/apis/externaldns.Version=$version"
stamp="$(cat "$src/go.mod" "$src/go.sum" "$src/tools.go" <(echo "$ldflags") | sha256sum | cut -c1-16)"
out="$MERIDIAN_CACHE_DIR/external-dns/$stamp/external-dns"
if [ ! -x "$out" ]; then
  log "building external-dns $version into $out"
  mkdir -p "$(dirname "$out")"
  (cd "$src" && CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags="$ldflags" -o "$out.tmp.$$" "$module")
  mv "$out.tmp.$$" "$out"
fi
# The DNSEndpoint CRD of the same release, beside the binary: the tests install it.
crd="$(dirname "$out")/dnsendpoints.externaldns.k8s.io.yaml"
if [ ! -s "$crd" ]; then
  dir="$(cd "$src" && go list -mod=readonly -m -f '{{.Dir}}' "$module")"
  cp "$dir/config/crd/standard/dnsendpoints.externaldns.k8s.io.yaml" "$crd.tmp.$$"
  mv "$crd.tmp.$$" "$crd"
fi
echo "$out"
