/**
 * Metrics of the Kubernetes source: k8gb's `k8gb_gslb_*` series with k8gb's
 * names and labels (docs/k8gb-compatibility.md#metrics), Meridian's own `meridian_kube_*`
 * series, Prometheus naming conventions for both, and per-Gslb series that
 * follow the Gslb's health and go away with it.
 */
import { Registry } from 'prom-client';
import {
  KUBE_METRIC_NAMES,
  createKubeMetrics,
  type KubeMetrics,
} from '../../../src/telemetry/kube-metrics';

interface Sample {
  readonly labels: Record<string, string | number | undefined>;
  readonly value: number;
}

function setup(): { registry: Registry; metrics: KubeMetrics } {
  const registry = new Registry();
  return { registry, metrics: createKubeMetrics(registry) };
}

async function samples(registry: Registry, name: string): Promise<Sample[]> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  return ((await metric.get()).values as Sample[]).map(({ labels, value }) => ({ labels, value }));
}

describe('metric naming', () => {
  const { registry } = setup();
  const defined = registry.getMetricsAsArray().map((m) => {
    const labelNames = (m as unknown as { labelNames?: readonly string[] }).labelNames ?? [];
    return [m.name, String(m.type), m.help, [...labelNames]] as const;
  });

  test('the registry holds exactly the metrics of KUBE_METRIC_NAMES', () => {
    expect(defined.map(([name]) => name).sort()).toEqual(Object.values(KUBE_METRIC_NAMES).sort());
  });

  test('the k8gb series keep k8gb’s names and labels', () => {
    const byName = new Map(defined.map(([name, type, , labels]) => [name, [type, labels]]));
    expect(byName.get('k8gb_gslb_errors_total')).toEqual(['counter', ['namespace', 'name']]);
    expect(byName.get('k8gb_gslb_reconciliation_loops_total')).toEqual([
      'counter',
      ['namespace', 'name'],
    ]);
    expect(byName.get('k8gb_gslb_healthy_records')).toEqual(['gauge', ['namespace', 'name']]);
    expect(byName.get('k8gb_gslb_service_status_num')).toEqual([
      'gauge',
      ['namespace', 'name', 'status'],
    ]);
  });

  test.each(defined)('%s (%s)', (name, type, help, labelNames) => {
    // k8gb_ names are kept for compatibility; Meridian's own are meridian_kube_.
    expect(name).toMatch(/^(meridian_kube|k8gb_gslb)_[a-z0-9]+(_[a-z0-9]+)*$/);
    expect(name).not.toMatch(/_(count|sum|bucket|created)$/);
    expect(name).not.toMatch(/_(ms|milliseconds|microseconds|nanoseconds|minutes|hours)(_|$)/);
    expect(help.trim()).not.toBe('');
    expect(help).toBe(help.trim());
    if (type === 'counter') expect(name).toMatch(/_total$/);
    else expect(name).not.toMatch(/_total$/);
    expect(['counter', 'gauge']).toContain(type);
    for (const label of labelNames) {
      expect(label).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
      expect(['le', 'quantile']).not.toContain(label);
    }
  });
});

describe('per-Gslb series', () => {
  test('recordGslb counts the pass, sets healthy records and the three health-state gauges', async () => {
    const { registry, metrics } = setup();
    const health = {
      'a.cloud.example.org': 'Healthy',
      'b.cloud.example.org': 'Healthy',
      'c.cloud.example.org': 'NotFound',
    };
    metrics.recordGslb({ namespace: 'shop', name: 'web', ok: true, healthyRecords: 4, health });
    metrics.recordGslb({ namespace: 'shop', name: 'web', ok: true, healthyRecords: 3, health });
    metrics.recordGslb({
      namespace: 'shop',
      name: 'api',
      ok: false,
      healthyRecords: 0,
      health: {},
    });
    const web = { namespace: 'shop', name: 'web' };
    const api = { namespace: 'shop', name: 'api' };
    expect(await samples(registry, KUBE_METRIC_NAMES.gslbReconciles)).toEqual([
      { labels: web, value: 2 },
    ]);
    expect(await samples(registry, KUBE_METRIC_NAMES.gslbErrors)).toEqual([
      { labels: api, value: 1 },
    ]);
    expect(await samples(registry, KUBE_METRIC_NAMES.gslbHealthyRecords)).toEqual([
      { labels: web, value: 3 },
      { labels: api, value: 0 },
    ]);
    expect(await samples(registry, KUBE_METRIC_NAMES.gslbServiceStatus)).toEqual([
      { labels: { ...web, status: 'Healthy' }, value: 2 },
      { labels: { ...web, status: 'Unhealthy' }, value: 0 },
      { labels: { ...web, status: 'NotFound' }, value: 1 },
      { labels: { ...api, status: 'Healthy' }, value: 0 },
      { labels: { ...api, status: 'Unhealthy' }, value: 0 },
      { labels: { ...api, status: 'NotFound' }, value: 0 },
    ]);
  });

  test('a later pass overwrites the health-state gauges', async () => {
    const { registry, metrics } = setup();
    metrics.recordGslb({
      namespace: 'shop',
      name: 'web',
      ok: true,
      healthyRecords: 1,
      health: { a: 'Healthy' },
    });
    metrics.recordGslb({
      namespace: 'shop',
      name: 'web',
      ok: true,
      healthyRecords: 0,
      health: { a: 'Unhealthy' },
    });
    expect(
      (await samples(registry, KUBE_METRIC_NAMES.gslbServiceStatus)).map((s) => s.value),
    ).toEqual([0, 1, 0]);
  });

  test('forgetGslb removes every series of that Gslb and no other', async () => {
    const { registry, metrics } = setup();
    const health = { a: 'Healthy' };
    metrics.recordGslb({ namespace: 'shop', name: 'web', ok: true, healthyRecords: 1, health });
    metrics.recordGslb({ namespace: 'shop', name: 'web', ok: false, healthyRecords: 1, health });
    metrics.recordGslb({ namespace: 'shop', name: 'api', ok: true, healthyRecords: 2, health });
    metrics.forgetGslb('shop', 'web');
    const api = { namespace: 'shop', name: 'api' };
    expect(await samples(registry, KUBE_METRIC_NAMES.gslbReconciles)).toEqual([
      { labels: api, value: 1 },
    ]);
    expect(await samples(registry, KUBE_METRIC_NAMES.gslbErrors)).toEqual([]);
    expect(await samples(registry, KUBE_METRIC_NAMES.gslbHealthyRecords)).toEqual([
      { labels: api, value: 2 },
    ]);
    expect(
      (await samples(registry, KUBE_METRIC_NAMES.gslbServiceStatus)).map((s) => s.labels),
    ).toEqual([
      { ...api, status: 'Healthy' },
      { ...api, status: 'Unhealthy' },
      { ...api, status: 'NotFound' },
    ]);
    // Forgetting an unknown Gslb is harmless.
    metrics.forgetGslb('shop', 'nope');
    expect(await samples(registry, KUBE_METRIC_NAMES.gslbHealthyRecords)).toHaveLength(1);
  });
});

describe('watch, write and reconcile series', () => {
  test('each recorder updates its own series', async () => {
    const { registry, metrics } = setup();
    metrics.setSynced('Gslb', false);
    metrics.setSynced('Service', false);
    metrics.setSynced('Gslb', true);
    metrics.recordWatchError('Gateway');
    metrics.recordWatchError('Gateway');
    metrics.recordWatchEvent('EndpointSlice');
    metrics.recordWrite('status', 'done');
    metrics.recordWrite('status', 'done');
    metrics.recordWrite('event', 'dropped');
    metrics.recordReconcile(0.25);
    metrics.recordReconcile(0.125);
    expect(await samples(registry, KUBE_METRIC_NAMES.watchSynced)).toEqual([
      { labels: { resource: 'Gslb' }, value: 1 },
      { labels: { resource: 'Service' }, value: 0 },
    ]);
    expect(await samples(registry, KUBE_METRIC_NAMES.watchErrors)).toEqual([
      { labels: { resource: 'Gateway' }, value: 2 },
    ]);
    expect(await samples(registry, KUBE_METRIC_NAMES.watchEvents)).toEqual([
      { labels: { resource: 'EndpointSlice' }, value: 1 },
    ]);
    expect(await samples(registry, KUBE_METRIC_NAMES.writes)).toEqual([
      { labels: { kind: 'status', result: 'done' }, value: 2 },
      { labels: { kind: 'event', result: 'dropped' }, value: 1 },
    ]);
    expect(await samples(registry, KUBE_METRIC_NAMES.reconcileDuration)).toEqual([
      { labels: {}, value: 0.125 },
    ]);
  });
});
