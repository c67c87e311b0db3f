#!/usr/bin/env bash
# Prints the directory holding a Node.js >= 24 binary, installing Node 24 from the
# npm registry (package `node`, which ships the official binary) into the cache
# when the machine's own Node is older. Nothing is installed system-wide.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REQUIRED_MAJOR=24
current_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if command -v node >/dev/null && [ "$(current_major node)" -ge "$REQUIRED_MAJOR" ]; then
  dirname "$(command -v node)"
  exit 0
fi

prefix="$MERIDIAN_CACHE_DIR/node-$REQUIRED_MAJOR"
bin="$prefix/node_modules/node/bin"
if [ ! -x "$bin/node" ] || [ "$(current_major "$bin/node")" -lt "$REQUIRED_MAJOR" ]; then
  command -v npm >/dev/null || die "npm is needed to fetch Node $REQUIRED_MAJOR"
  log "installing Node $REQUIRED_MAJOR into $prefix"
  mkdir -p "$prefix"
  npm install --silent --no-audit --no-fund --prefix "$prefix" "node@$REQUIRED_MAJOR" >&2
fi
[ "$(current_major "$bin/node")" -ge "$REQUIRED_MAJOR" ] || die "Node $REQUIRED_MAJOR install failed ($bin/node)"
echo "$bin"
