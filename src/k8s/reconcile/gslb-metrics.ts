/**
 * k8gb's per-Gslb series (k8gb_gslb_*) after a pass: those of the Gslbs the
 * pass looked at are set, those of the Gslbs gone are removed
 * (docs/k8gb-compatibility.md#metrics).
 */
import type { KubeMetrics } from '../../telemetry/kube-metrics';
import type { ObjectIndex } from '../ingest/object-index';
import type { PassResult } from './gslb-reconciler';
import { isServed } from './resolution';

/** Records the outcome of `result` for k8gb's dashboards and alerts. */
export function recordGslbMetrics(
  metrics: Pick<KubeMetrics, 'recordGslb' | 'forgetGslb'>,
  index: ObjectIndex,
  result: Pick<PassResult, 'resolutions' | 'considered' | 'removed'>,
  geoTag: string,
): void {
  for (const key of result.considered) {
    const gslb = index.gslbs.get(key);
    const resolution = result.resolutions.get(key);
    if (gslb === undefined || resolution === undefined) continue;
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
  for (const key of result.removed) {
    const [namespace = '', name = ''] = key.split('/');
    metrics.forgetGslb(namespace, name);
  }
}
