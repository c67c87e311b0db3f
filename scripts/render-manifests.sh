#!/usr/bin/env bash
# Renders deploy/helm/meridian with its default values, CRDs included, into
# the plain manifests for clusters installed without Helm, preceded by the
# Namespace (Helm would create it with --create-namespace).
# test/e2e/helm-chart.test.ts checks that the committed file equals a fresh
# render, so run this after every change to the chart.
#
#   scripts/render-manifests.sh         write deploy/manifests/meridian.yaml
#   scripts/render-manifests.sh FILE    write FILE instead
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out="${1:-$REPO_ROOT/deploy/manifests/meridian.yaml}"
helm="${MERIDIAN_HELM_BIN:-$("$REPO_ROOT/scripts/build-helm.sh")}"
namespace=meridian

tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
{
  cat <<HEADER
# Meridian for clusters installed without Helm: deploy/helm/meridian rendered
# with its default values by scripts/render-manifests.sh (do not edit; edit
# the chart and render again). Set your zones and geotags first: DNS_ZONES,
# CLUSTER_GEO_TAG and the other variables of the meridian container, and the
# zones of the Corefile in the meridian-coredns ConfigMap (README, Install in a cluster),
# or render your own with \`helm template\` and your values.
#
#   kubectl apply --server-side -f deploy/manifests/meridian.yaml
apiVersion: v1
kind: Namespace
metadata:
  name: $namespace
  labels:
    app.kubernetes.io/part-of: meridian
HEADER
  # A fixed chart path, so that the "# Source:" lines do not depend on where
  # the repository is checked out.
  (cd "$REPO_ROOT/deploy/helm" && "$helm" template meridian ./meridian --namespace "$namespace" --include-crds)
} >"$tmp"
mv "$tmp" "$out"
trap - EXIT
log "wrote $out"
