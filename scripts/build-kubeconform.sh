#!/usr/bin/env bash
# Builds kubeconform from tools/kubeconform (pinned in its go.mod) into the
# cache and prints the binary's path. Rebuilds only when go.mod, go.sum,
# tools.go or the build flags change. The tests validate the chart's rendered
# manifests with it.
#
#   scripts/build-kubeconform.sh               build if needed, print the path
#   scripts/build-kubeconform.sh --pin v0.X.Y  re-pin tools/kubeconform to that release
#                                              (rewrites go.mod and go.sum; commit both)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src="$REPO_ROOT/tools/kubeconform"
module=github.com/yannh/kubeconform
command -v go >/dev/null || die "Go is needed to build kubeconform (see README, 'Quick start')"

pin() {
  local version="$1" work
  [[ "$version" =~ ^v0\.[0-9]+\.[0-9]+$ ]] || die "--pin wants a release tag like v0.8.0, not '$version'"
  # Work on a copy so that a failed pin leaves the committed files alone.
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  cp "$src/go.mod" "$src/tools.go" "$work/"
  (cd "$work" && go mod edit -require="$module@$version" && go mod tidy)
  cp "$work/go.mod" "$work/go.sum" "$src/"
  log "tools/kubeconform pinned to $module $version"
}

if [ "${1:-}" = "--pin" ]; then
  [ $# -eq 2 ] || die "usage: scripts/build-kubeconform.sh [--pin v0.X.Y]"
  pin "$2"
  exit 0
fi

version="$(awk '$1 == "require" && $2 == "'"$module"'" { print $3; exit }' "$src/go.mod")"
[[ "$version" =~ ^v0\. ]] || die "no $module v0.X.Y requirement in tools/kubeconform/go.mod"
# The release tag, which `kubeconform -v` prints (a module build says "development").
ldflags="-s -w -X main.version=$version"
stamp="$(cat "$src/go.mod" "$src/go.sum" "$src/tools.go" <(echo "$ldflags") | sha256sum | cut -c1-16)"
out="$MERIDIAN_CACHE_DIR/kubeconform/$stamp/kubeconform"
if [ ! -x "$out" ]; then
  log "building kubeconform $version into $out"
  mkdir -p "$(dirname "$out")"
  (cd "$src" && CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags="$ldflags" -o "$out.tmp.$$" "$module/cmd/kubeconform")
  mv "$out.tmp.$$" "$out"
fi
echo "$out"
