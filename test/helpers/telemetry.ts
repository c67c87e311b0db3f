/**
 * Loggers and metrics for tests: a logger whose JSON lines are kept in an
 * array, and the metrics on a fresh registry with fixed table facts.
 */
import { createProbeMetrics } from '../../src/telemetry/probe-metrics';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { createLogger, type Logger } from '../../src/telemetry/logger';
import { CAUSE_KINDS } from '../../src/serving/decisions';
import { createDecisionMetrics } from '../../src/telemetry/decision-metrics';
import { createAuditMetrics } from '../../src/telemetry/audit-metrics';
import { createKubeMetrics } from '../../src/telemetry/kube-metrics';
import { createMetrics, type Metrics } from '../../src/telemetry/metrics';
import { MetricsPage } from '../../src/telemetry/metrics-page';
import { createPeerMetrics } from '../../src/telemetry/peer-metrics';

/** A real pino logger and the records it wrote. */
export function capturingLogger(level = 'info'): {
  logger: Logger;
  logs: Record<string, unknown>[];
} {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger(level, sink), logs };
}

/**
 * Every metric on a new registry (the Kubernetes source's and the peers' too), over an empty,
 * ready table, and the page that also renders the families kept outside the registry.
 */
export function metricsOnNewRegistry(): {
  registry: Registry;
  page: MetricsPage;
  metrics: Metrics;
} {
  const registry = new Registry();
  const page = new MetricsPage(registry);
  const kube = createKubeMetrics(registry, {
    namespace: 'test',
    version: 'test',
    runtimeVersion: 'test',
    arch: 'test',
    os: 'test',
    gitSha: 'none',
  });
  page.add(kube.perGslb);
  createPeerMetrics(registry);
  createDecisionMetrics(registry, CAUSE_KINDS);
  createAuditMetrics(registry);
  createProbeMetrics(registry, () => ({ probes: 0, down: 0 }));
  const facts = {
    hosts: () => 0,
    records: () => 0,
    generation: () => 0,
    serial: () => 0,
    ready: () => true,
  };
  return {
    registry,
    page,
    metrics: createMetrics(registry, facts, { version: 'test', nodeVersion: 'test' }),
  };
}
