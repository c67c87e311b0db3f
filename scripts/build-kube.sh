#!/usr/bin/env bash
# Builds the test Kubernetes control plane (kube-apiserver, etcd, kubectl) from
# tools/kube (pinned in its go.mod) into the cache and prints the directory that
# holds the three binaries. Rebuilds only when go.mod, go.sum, a Go source in
# tools/kube or the build flags change.
#
#   scripts/build-kube.sh               build if needed, print the directory
#   scripts/build-kube.sh --pin v1.X.Y  re-pin tools/kube to k8s.io/kubernetes v1.X.Y
#                                       (rewrites go.mod and go.sum; commit both)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src="$REPO_ROOT/tools/kube"
command -v go >/dev/null || die "Go is needed to build kube-apiserver and etcd (see README, 'Quick start')"

# k8s.io/kubernetes requires its staging modules (k8s.io/api, client-go, …) at
# v0.0.0 and maps them to ./staging/… with replace directives, which Go ignores
# in a dependency. So the wrapper replaces each of them with its published
# v0.X.Y tag itself. The list is taken from the tag's own go.mod, because every
# minor release adds staging modules.
pin() {
  local version="$1" staging info kgomod work
  [[ "$version" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "--pin wants a release tag like v1.36.4, not '$version'"
  staging="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
  # The tag must be on the proxy and in the checksum database (go.sum entries
  # are verified against it); `go mod download` says which one failed.
  info="$(go mod download -json "k8s.io/kubernetes@$version" 2>&1)" ||
    die "k8s.io/kubernetes@$version: $(sed -n 's/.*"Error": "\(.*\)".*/\1/p' <<<"$info")"
  kgomod="$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' <<<"$info")"
  # Work on a copy so that a failed pin leaves the committed files alone.
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  cp -r "$src/tools.go" "$src/etcd" "$work/"
  (
    cd "$work"
    go mod init meridian.invalid/tools/kube 2>/dev/null
    # Same language version and runtime defaults as the upstream build.
    go mod edit -go="$(awk '$1 == "go" { print $2; exit }' "$kgomod")" -toolchain=none
    godebug="$(awk '$1 == "godebug" && $2 ~ /^default=/ { print $2; exit }' "$kgomod")"
    [ -z "$godebug" ] || go mod edit -godebug="$godebug"
    go mod edit -require="k8s.io/kubernetes@$version"
    # Replace lines appear inside a `replace (` block or one by one.
    for module in $(awk '{ if ($1 == "replace") { $1 = ""; $0 = $0 } }
                         $2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }' "$kgomod"); do
      go mod edit -replace="$module=$module@$staging"
    done
    go mod tidy
  )
  cp "$work/go.mod" "$work/go.sum" "$src/"
  log "tools/kube pinned to k8s.io/kubernetes $version (staging modules $staging)"
}

if [ "${1:-}" = "--pin" ]; then
  [ $# -eq 2 ] || die "usage: scripts/build-kube.sh [--pin v1.X.Y]"
  pin "$2"
  exit 0
fi

version="$(awk '$1 == "k8s.io/kubernetes" { print $2; exit } $1 == "require" && $2 == "k8s.io/kubernetes" { print $3; exit }' "$src/go.mod")"
[[ "$version" =~ ^v1\.([0-9]+)\. ]] || die "no k8s.io/kubernetes v1.X.Y requirement in tools/kube/go.mod"
# What hack/lib/version.sh stamps into a release build, minus the commit and
# date, which a module zip does not carry. Without them /version and
# `kubectl version` report v0.0.0-master; feature gates and emulation versions
# do not depend on them.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=${BASH_REMATCH[1]} -X $pkg.gitTreeState=clean"
done
packages=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl ./etcd)

stamp="$(
  cd "$src"
  {
    cat go.mod go.sum
    find . -name '*.go' -print0 | LC_ALL=C sort -z | xargs -0 cat
    echo "$ldflags ${packages[*]}"
  } | sha256sum | cut -c1-16
)"
out="$MERIDIAN_CACHE_DIR/kube/$stamp"
complete() { [ -x "$1/kube-apiserver" ] && [ -x "$1/etcd" ] && [ -x "$1/kubectl" ]; }
if ! complete "$out"; then
  log "building kube-apiserver, kubectl ($version) and etcd into $out (about 7 min cold on 2 cores)"
  tmp="$out.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # One `go build` for all three so that their shared packages compile once.
  (cd "$src" && CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags="$ldflags" -o "$tmp/" "${packages[@]}")
  # A concurrent build of the same stamp may have finished first (either copy
  # is good); an incomplete directory left by a crash is replaced.
  if ! mv -T "$tmp" "$out" 2>/dev/null; then
    if complete "$out"; then rm -rf "$tmp"; else rm -rf "$out" && mv -T "$tmp" "$out"; fi
  fi
fi
echo "$out"
