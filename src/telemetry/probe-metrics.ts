/**
 * Metrics of the active health probes (docs/probes.md), Meridian's own
 * (`meridian_probe_*`; k8gb has no probes). `type` and `outcome` are closed
 * sets, so the number of series does not grow with the number of probes.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const PROBE_METRIC_NAMES = Object.freeze({
  checks: 'meridian_probe_checks_total',
  duration: 'meridian_probe_duration_seconds',
  skipped: 'meridian_probe_skipped_total',
  probes: 'meridian_probes',
  down: 'meridian_probe_down',
});

/** How one check ended, as a label. */
export const PROBE_OUTCOMES = [
  'ok',
  'timeout',
  'refused',
  'closed',
  'tls_error',
  'status',
  'body_mismatch',
  'other',
] as const;
export type ProbeOutcome = (typeof PROBE_OUTCOMES)[number];

const PROBE_TYPE_LABELS = ['http', 'https', 'tcp'] as const;

/** The outcome label of a check's error text (probes/probe-check.ts). */
export function probeOutcomeOf(error: string | null): ProbeOutcome {
  if (error === null) return 'ok';
  if (error === 'timeout') return 'timeout';
  if (error === 'refused') return 'refused';
  if (error === 'connection closed') return 'closed';
  if (error.startsWith('TLS error')) return 'tls_error';
  if (error.startsWith('status ')) return 'status';
  if (error === 'body mismatch') return 'body_mismatch';
  return 'other';
}

export interface ProbeMetrics {
  recordCheck(type: string, error: string | null, seconds: number): void;
  recordSkipped(type: string): void;
}

/**
 * Defines the probe metrics on `registry`, zero series for every type and
 * outcome; `counts` is read at scrape time (probes running, probes down).
 */
export function createProbeMetrics(
  registry: Registry,
  counts: () => { readonly probes: number; readonly down: number },
): ProbeMetrics {
  const checks = new Counter({
    name: PROBE_METRIC_NAMES.checks,
    help: 'Probe checks finished, by probe type and outcome.',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: PROBE_METRIC_NAMES.duration,
    help: 'Time one probe check took, connection set-up included, by probe type.',
    labelNames: ['type'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const skipped = new Counter({
    name: PROBE_METRIC_NAMES.skipped,
    help: 'Probe runs skipped because the global or per-address bound on checks in flight was reached.',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  new Gauge({
    name: PROBE_METRIC_NAMES.probes,
    help: 'Distinct probes running (probes of the same address, port and request are one).',
    registers: [registry],
    collect() {
      this.set(counts().probes);
    },
  });
  new Gauge({
    name: PROBE_METRIC_NAMES.down,
    help: 'Probes whose verdict is down: their targets are withdrawn from this cluster.',
    registers: [registry],
    collect() {
      this.set(counts().down);
    },
  });
  for (const type of PROBE_TYPE_LABELS) {
    for (const outcome of PROBE_OUTCOMES) checks.labels(type, outcome).inc(0);
    skipped.labels(type).inc(0);
  }
  return {
    recordCheck: (type, error, seconds) => {
      checks.labels(type, probeOutcomeOf(error)).inc();
      duration.labels(type).observe(seconds);
    },
    recordSkipped: (type) => skipped.labels(type).inc(),
  };
}
