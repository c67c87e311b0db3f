/**
 * k8gb's per-Gslb series (k8gb_gslb_*) after a pass: those of the Gslbs the
 * pass looked at are set, those of the Gslbs gone are removed
 * (docs/k8gb-compatibility.md#metrics).
 *
 * The series are labelled by namespace and name only, so a legacy
 * (k8gb.absa.oss) Gslb and a k8gb.io one of the same name share them, as in
 * k8gb. The one served feeds them: a legacy Gslb set aside (LegacyIgnored)
 * does not, and a Gslb's going removes them only when no other Gslb of that
 * name still feeds them.
 */
import type { KubeMetrics } from '../../telemetry/kube-metrics';
import { gslbKeyOfId, type GslbSource } from '../ingest/gslb-objects';
import type { ObjectIndex } from '../ingest/object-index';
import type { PassResult } from './gslb-reconciler';
import { isServed, type Resolution } from './resolution';

/** Records the outcome of `result` for k8gb's dashboards and alerts. */
export function recordGslbMetrics(
  metrics: Pick<KubeMetrics, 'recordGslb' | 'forgetGslb'>,
  index: ObjectIndex,
  result: Pick<PassResult, 'resolutions' | 'considered' | 'removed'>,
  geoTag: string,
): void {
  for (const id of result.considered) {
    const gslb = index.gslbById(id);
    const resolution = result.resolutions.get(id);
    if (gslb === undefined || resolution === undefined) continue;
    if (!feeds(resolution)) {
      forgetUnfed(metrics, index, result, gslbKeyOfId(id));
      continue;
    }
    const record = resolution.records[0];
    metrics.recordGslb({
      namespace: gslb.namespace,
      name: gslb.name,
      ok: isServed(resolution),
      strategy: record?.strategy ?? null,
      primary: record?.primaryGeoTag === geoTag,
      geoTag,
      health: resolution.health,
      healthyRecords: resolution.healthyRecords,
      exposedIps: resolution.exposedIps,
    });
  }
  for (const id of result.removed) forgetUnfed(metrics, index, result, gslbKeyOfId(id));
}

/** A legacy Gslb set aside for a k8gb.io one (or for its migration labels) leaves the series alone. */
function feeds(resolution: Resolution): boolean {
  return resolution.reason !== 'LegacyIgnored';
}

/** Removes the series of `namespace/name` unless a Gslb of either group still feeds them. */
function forgetUnfed(
  metrics: Pick<KubeMetrics, 'forgetGslb'>,
  index: ObjectIndex,
  result: Pick<PassResult, 'resolutions'>,
  key: string,
): void {
  const feeding = (gslb: GslbSource | undefined): boolean => {
    const resolution = gslb === undefined ? undefined : result.resolutions.get(gslb.id);
    return resolution !== undefined && feeds(resolution);
  };
  if (feeding(index.gslbs.get(key)) || feeding(index.legacyGslbs.get(key))) return;
  const slash = key.indexOf('/');
  metrics.forgetGslb(key.slice(0, slash), key.slice(slash + 1));
}
