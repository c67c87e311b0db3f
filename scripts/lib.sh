# Shared helpers for the project's shell scripts; sourced, never run.
# The cache lives outside the work tree so that a fresh clone on the same machine
# (CI, the next checkout) reuses Node, CoreDNS and the Go build cache.
MERIDIAN_CACHE_DIR="${MERIDIAN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/meridian}"
export MERIDIAN_CACHE_DIR
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }
