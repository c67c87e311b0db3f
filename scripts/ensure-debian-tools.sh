#!/usr/bin/env bash
# Installs the Debian packages the test suite drives as real clients and servers:
# kdig (knot-dnsutils), dig (bind9-dnsutils), dnsperf, and named (bind9, the edge
# DNS that peer discovery is tested against). Skips apt when all are present.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

declare -A package_for=([kdig]=knot-dnsutils [dig]=bind9-dnsutils [dnsperf]=dnsperf [named]=bind9)
missing=()
for tool in "${!package_for[@]}"; do
  command -v "$tool" >/dev/null || missing+=("${package_for[$tool]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
log "installing Debian packages: ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
