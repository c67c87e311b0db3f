#!/usr/bin/env bash
# Builds helm from tools/helm (pinned in its go.mod) into the cache and prints
# the binary's path. Rebuilds only when go.mod, go.sum, tools.go or the build
# flags change. The tests lint and render deploy/helm/meridian with it.
#
#   scripts/build-helm.sh               build if needed, print the path
#   scripts/build-helm.sh --pin v4.X.Y  re-pin tools/helm to helm.sh/helm/v4 v4.X.Y
#                                       (rewrites go.mod and go.sum; commit both)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src="$REPO_ROOT/tools/helm"
module=helm.sh/helm/v4
command -v go >/dev/null || die "Go is needed to build helm (see README, 'Quick start')"

pin() {
  local version="$1" work
  [[ "$version" =~ ^v4\.[0-9]+\.[0-9]+$ ]] || die "--pin wants a release tag like v4.3.1, not '$version'"
  # Work on a copy so that a failed pin leaves the committed files alone.
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  cp "$src/go.mod" "$src/tools.go" "$work/"
  (cd "$work" && go mod edit -require="$module@$version" && go mod tidy)
  cp "$work/go.mod" "$work/go.sum" "$src/"
  log "tools/helm pinned to $module $version"
}

if [ "${1:-}" = "--pin" ]; then
  [ $# -eq 2 ] || die "usage: scripts/build-helm.sh [--pin v4.X.Y]"
  pin "$2"
  exit 0
fi

version="$(awk '$1 == "require" && $2 == "'"$module"'" { print $3; exit } $1 == "'"$module"'" { print $2; exit }' "$src/go.mod")"
[[ "$version" =~ ^v4\. ]] || die "no $module v4.X.Y requirement in tools/helm/go.mod"
# What helm's Makefile stamps into a release build, minus the commit, which a
# module zip does not carry; `helm version` then reports the pinned release.
ldflags="-s -w -X $module/internal/version.version=$version -X $module/internal/version.gitTreeState=clean"
stamp="$(cat "$src/go.mod" "$src/go.sum" "$src/tools.go" <(echo "$ldflags") | sha256sum | cut -c1-16)"
out="$MERIDIAN_CACHE_DIR/helm/$stamp/helm"
if [ ! -x "$out" ]; then
  log "building helm $version into $out (about 5 to 7 min cold on 2 cores)"
  mkdir -p "$(dirname "$out")"
  (cd "$src" && CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags="$ldflags" -o "$out.tmp.$$" "$module/cmd/helm")
  mv "$out.tmp.$$" "$out"
fi
echo "$out"
