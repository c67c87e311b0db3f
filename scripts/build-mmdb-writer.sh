#!/usr/bin/env bash
# Builds mmdb-writer from tools/mmdb (MaxMind's mmdbwriter, pinned in its
# go.mod) into the cache and prints the binary's path. Rebuilds only when
# go.mod, go.sum, main.go or the build flags change. The tests write their
# GeoIP databases with it instead of committing binary fixtures.
#
#   scripts/build-mmdb-writer.sh               build if needed, print the path
#   scripts/build-mmdb-writer.sh --pin v1.X.Y  re-pin tools/mmdb to that mmdbwriter release
#                                              (rewrites go.mod and go.sum; commit both)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src="$REPO_ROOT/tools/mmdb"
module=github.com/maxmind/mmdbwriter
command -v go >/dev/null || die "Go is needed to build mmdb-writer (see README, 'Quick start')"

pin() {
  local version="$1" work
  [[ "$version" =~ ^v1\.[0-9]+\.[0-9]+$ ]] || die "--pin wants a release tag like v1.2.0, not '$version'"
  # Work on a copy so that a failed pin leaves the committed files alone.
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  cp "$src/go.mod" "$src/go.sum" "$src/main.go" "$work/"
  (cd "$work" && go mod edit -require="$module@$version" && go mod tidy)
  cp "$work/go.mod" "$work/go.sum" "$src/"
  log "tools/mmdb pinned to $module $version"
}

if [ "${1:-}" = "--pin" ]; then
  [ $# -eq 2 ] || die "usage: scripts/build-mmdb-writer.sh [--pin v1.X.Y]"
  pin "$2"
  exit 0
fi
[ $# -eq 0 ] || die "usage: scripts/build-mmdb-writer.sh [--pin v1.X.Y]"

version="$(awk '$1 == "require" && $2 == "'"$module"'" { print $3; exit } $1 == "'"$module"'" { print $2; exit }' "$src/go.mod")"
[[ "$version" =~ ^v1\. ]] || die "no $module v1.X.Y requirement in tools/mmdb/go.mod"
ldflags="-s -w"
stamp="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" <(echo "$ldflags") | sha256sum | cut -c1-16)"
out="$MERIDIAN_CACHE_DIR/mmdb-writer/$stamp/mmdb-writer"
if [ ! -x "$out" ]; then
  log "building mmdb-writer ($module $version) into $out"
  mkdir -p "$(dirname "$out")"
  (cd "$src" && CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags="$ldflags" -o "$out.tmp.$$" .)
  mv "$out.tmp.$$" "$out"
fi
echo "$out"
