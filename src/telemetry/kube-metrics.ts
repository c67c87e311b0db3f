/**
 * Metrics of the Kubernetes source. The `k8gb_gslb_*` series keep k8gb's
 * names, labels and meaning (docs/k8gb-compatibility.md#metrics), so existing dashboards and
 * alerts keep working; the `meridian_kube_*` series show the watchers and the
 * writes, which k8gb leaves to controller-runtime.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** Metric names, for tests and docs. */
export const KUBE_METRIC_NAMES = Object.freeze({
  gslbErrors: 'k8gb_gslb_errors_total',
  gslbReconciles: 'k8gb_gslb_reconciliation_loops_total',
  gslbHealthyRecords: 'k8gb_gslb_healthy_records',
  gslbServiceStatus: 'k8gb_gslb_service_status_num',
  watchSynced: 'meridian_kube_watch_synced',
  watchErrors: 'meridian_kube_watch_errors_total',
  watchEvents: 'meridian_kube_watch_events_total',
  writes: 'meridian_kube_writes_total',
  eventsDropped: 'meridian_kube_events_dropped_total',
  reconcileDuration: 'meridian_kube_reconcile_duration_seconds',
  writer: 'meridian_kube_writer',
});

const HEALTH_STATES = ['Healthy', 'Unhealthy', 'NotFound'] as const;

/** One Gslb's outcome in a reconcile pass. */
export interface GslbOutcome {
  readonly namespace: string;
  readonly name: string;
  readonly ok: boolean;
  /** Addresses across status.healthyRecords. */
  readonly healthyRecords: number;
  readonly health: Readonly<Record<string, string>>;
}

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
export function createKubeMetrics(registry: Registry): KubeMetrics {
  const registers = [registry];
  const perGslb = ['namespace', 'name'] as const;
  const errors = new Counter({
    name: KUBE_METRIC_NAMES.gslbErrors,
    help: 'k8gb: reconciles of a Gslb that found a problem (see its Ready condition).',
    labelNames: perGslb,
    registers,
  });
  const reconciles = new Counter({
    name: KUBE_METRIC_NAMES.gslbReconciles,
    help: 'k8gb: reconciles of a Gslb that served it.',
    labelNames: perGslb,
    registers,
  });
  const healthyRecords = new Gauge({
    name: KUBE_METRIC_NAMES.gslbHealthyRecords,
    help: 'k8gb: addresses across the Gslb status.healthyRecords.',
    labelNames: perGslb,
    registers,
  });
  const serviceStatus = new Gauge({
    name: KUBE_METRIC_NAMES.gslbServiceStatus,
    help: 'k8gb: hosts of the Gslb in each local health state.',
    labelNames: ['namespace', 'name', 'status'] as const,
    registers,
  });
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
    recordGslb(outcome) {
      const labels = { namespace: outcome.namespace, name: outcome.name };
      (outcome.ok ? reconciles : errors).inc(labels);
      healthyRecords.set(labels, outcome.healthyRecords);
      for (const status of HEALTH_STATES) {
        const count = Object.values(outcome.health).filter((h) => h === status).length;
        serviceStatus.set({ ...labels, status }, count);
      }
    },
    forgetGslb(namespace, name) {
      const labels = { namespace, name };
      for (const metric of [errors, reconciles, healthyRecords]) metric.remove(labels);
      for (const status of HEALTH_STATES) serviceStatus.remove({ ...labels, status });
    },
  };
}
