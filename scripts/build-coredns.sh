#!/usr/bin/env bash
# Builds the test CoreDNS from tools/coredns (pinned in its go.mod) into the cache
# and prints the binary's path. Rebuilds only when go.mod, go.sum or main.go change.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src="$REPO_ROOT/tools/coredns"
command -v go >/dev/null || die "Go is needed to build CoreDNS (see README, 'Requirements')"
stamp="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)"
out="$MERIDIAN_CACHE_DIR/coredns/$stamp/coredns"
if [ ! -x "$out" ]; then
  log "building CoreDNS $(awk '/github.com\/coredns\/coredns v/{print $NF}' "$src/go.mod") into $out"
  mkdir -p "$(dirname "$out")"
  (cd "$src" && CGO_ENABLED=0 go build -mod=readonly -trimpath -tags grpcnotrace -ldflags='-s -w' -o "$out.tmp" .)
  mv "$out.tmp" "$out"
fi
echo "$out"
