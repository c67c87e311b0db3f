#!/usr/bin/env bash
# The project's entry point on a fresh machine:
#   ./run.sh start   standalone mode on examples/ (gRPC :9053, plain DNS :5353)
#   ./run.sh test    the whole test suite (unit, integration, end-to-end through CoreDNS
#                    and against a real kube-apiserver with etcd)
#   ./run.sh bench   dnsperf benchmarks (not part of the test suite)
#   ./run.sh npm …   any npm command with the project's Node
# It provides Node 24, the npm dependencies, the Debian DNS tools (kdig, dig,
# dnsperf, BIND), the test CoreDNS, the MaxMind database writer and the test
# control plane (kube-apiserver, etcd, kubectl), each only when missing, then
# hands over to npm.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/lib.sh"
cd "$REPO_ROOT"

node_bin="$(scripts/ensure-node.sh)"
export PATH="$node_bin:$PATH"

lock_stamp="node_modules/.meridian-lock-$(sha256sum package-lock.json | cut -c1-16)"
if [ ! -e "$lock_stamp" ]; then
  # `npm install` with the committed lock file installs exactly the locked
  # versions. Not `npm ci`: registries that do not serve every platform's
  # optional binaries (unrs-resolver's android/win32/… builds, say) produce a
  # lock without them, which `npm ci` rejects as out of sync.
  log "installing npm dependencies (locked versions)"
  npm install --no-audit --no-fund --no-save >&2
  touch "$lock_stamp"
fi

needs_tools() {
  scripts/ensure-debian-tools.sh
  MERIDIAN_COREDNS_BIN="$(scripts/build-coredns.sh)"
  export MERIDIAN_COREDNS_BIN
  # Writes the small MaxMind databases the geoip tests serve from.
  MERIDIAN_MMDB_WRITER_BIN="$(scripts/build-mmdb-writer.sh)"
  export MERIDIAN_MMDB_WRITER_BIN
}

# external-dns, between Meridian's DNSEndpoints and BIND in the delegation tests.
needs_external_dns() {
  MERIDIAN_EXTERNAL_DNS_BIN="$(scripts/build-external-dns.sh)"
  export MERIDIAN_EXTERNAL_DNS_BIN
}

# The tests need the control plane; the control-plane benchmark builds it itself when missing. Built here rather
# than from inside Jest, whose test timeouts a cold build (minutes) would break.
needs_kube() {
  MERIDIAN_KUBE_BIN_DIR="$(scripts/build-kube.sh)"
  export MERIDIAN_KUBE_BIN_DIR
}

command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
  start) exec npm start -- "$@" ;;
  test) needs_tools; needs_kube; needs_external_dns; exec npm test -- "$@" ;;
  bench) needs_tools; exec npm run bench -- "$@" ;;
  npm) exec npm "$@" ;;
  *) die "usage: ./run.sh start|test|bench|npm …" ;;
esac
