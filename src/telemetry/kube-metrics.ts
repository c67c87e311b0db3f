/**
 * Metrics of the Kubernetes source: k8gb's (k8gb-metrics.ts), so that
 * existing dashboards and alerts keep working, and the `meridian_kube_*`
 * series of the watchers and the writes, which k8gb leaves to
 * controller-runtime.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  createK8gbMetrics,
  K8GB_METRIC_NAMES,
  type GslbOutcome,
  type RuntimeInfo,
} from './k8gb-metrics';
import type { SeriesSource } from './metrics-page';

export type { GslbOutcome, RuntimeInfo } from './k8gb-metrics';

/** Metric names, for tests and docs. */
export const KUBE_METRIC_NAMES = Object.freeze({
  ...K8GB_METRIC_NAMES,
  watchSynced: 'meridian_kube_watch_synced',
  watchErrors: 'meridian_kube_watch_errors_total',
  watchEvents: 'meridian_kube_watch_events_total',
  writes: 'meridian_kube_writes_total',
  eventsDropped: 'meridian_kube_events_dropped_total',
  reconcileDuration: 'meridian_kube_reconcile_duration_seconds',
  writer: 'meridian_kube_writer',
});

/** Updates of the Kubernetes source's metrics. */
export interface KubeMetrics {
  setSynced(resource: string, synced: boolean): void;
  recordWatchError(resource: string): void;
  recordWatchEvent(resource: string): void;
  recordWrite(kind: string, result: string): void;
  /** An Event dropped by its object's rate bound, by type (Normal, Warning). */
  recordEventDropped(type: string): void;
  recordReconcile(seconds: number): void;
  /** Whether this replica holds the writer Lease. */
  setWriter(leading: boolean): void;
  recordGslb(outcome: GslbOutcome): void;
  /** Drops the series of a deleted Gslb. */
  forgetGslb(namespace: string, name: string): void;
}

/** Defines the Kubernetes source's metrics on `registry`. */
export function createKubeMetrics(
  registry: Registry,
  runtime: RuntimeInfo,
): KubeMetrics & {
  /** k8gb's per-Gslb series, for the metrics page (metrics-page.ts). */
  readonly perGslb: SeriesSource;
} {
  const registers = [registry];
  const k8gb = createK8gbMetrics(registry, runtime);
  const synced = new Gauge({
    name: KUBE_METRIC_NAMES.watchSynced,
    help: '1 once the resource has been listed (or found not served), by resource.',
    labelNames: ['resource'] as const,
    registers,
  });
  const watchErrors = new Counter({
    name: KUBE_METRIC_NAMES.watchErrors,
    help: 'Failed lists and watches, by resource; each is retried with backoff.',
    labelNames: ['resource'] as const,
    registers,
  });
  const watchEvents = new Counter({
    name: KUBE_METRIC_NAMES.watchEvents,
    help: 'Object changes received from lists and watches, by resource.',
    labelNames: ['resource'] as const,
    registers,
  });
  const writes = new Counter({
    name: KUBE_METRIC_NAMES.writes,
    help: 'Writes to the apiserver (status, event, ingress, gslb) by result (done, failed, dropped).',
    labelNames: ['kind', 'result'] as const,
    registers,
  });
  const eventsDropped = new Counter({
    name: KUBE_METRIC_NAMES.eventsDropped,
    help: 'Events not written: beyond the rate bound of their object and type (25, then 1 per 5 min).',
    labelNames: ['type'] as const,
    registers,
  });
  const reconcileDuration = new Gauge({
    name: KUBE_METRIC_NAMES.reconcileDuration,
    help: 'Duration of the last reconcile pass over every Gslb.',
    registers,
  });
  const writer = new Gauge({
    name: KUBE_METRIC_NAMES.writer,
    help: '1 while this replica holds the writer Lease (writes status, Events, owned objects).',
    registers,
  });
  return {
    setWriter: (leading) => writer.set(leading ? 1 : 0),
    setSynced: (resource, value) => synced.set({ resource }, value ? 1 : 0),
    recordWatchError: (resource) => watchErrors.inc({ resource }),
    recordWatchEvent: (resource) => watchEvents.inc({ resource }),
    recordWrite: (kind, result) => writes.inc({ kind, result }),
    recordEventDropped: (type) => eventsDropped.inc({ type }),
    recordReconcile: (seconds) => reconcileDuration.set(seconds),
    recordGslb: (outcome) => k8gb.recordGslb(outcome),
    forgetGslb: (namespace, name) => k8gb.forgetGslb(namespace, name),
    perGslb: k8gb.perGslb,
  };
}
