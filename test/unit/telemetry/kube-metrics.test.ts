/**
 * Metrics of the Kubernetes source: every k8gb metric whose meaning applies,
 * with k8gb's names and labels (docs/k8gb-compatibility.md#metrics),
 * Meridian's own `meridian_kube_*` series, Prometheus naming conventions for
 * both, and per-Gslb series that follow the Gslb's outcome and go away with it.
 */
import { Registry } from 'prom-client';
import {
  KUBE_METRIC_NAMES,
  createKubeMetrics,
  type GslbOutcome,
  type KubeMetrics,
} from '../../../src/telemetry/kube-metrics';
import { MetricsPage } from '../../../src/telemetry/metrics-page';
import { parsePage } from '../../helpers/prometheus-text';

const RUNTIME = {
  namespace: 'meridian',
  version: '1.2.3',
  runtimeVersion: 'v24.21.0',
  arch: 'x64',
  os: 'linux',
  gitSha: 'none',
};

/** A Serving roundRobin Gslb shop/web with `health`, serving `healthyRecords`. */
function outcome(
  health: Record<string, string>,
  healthyRecords: Record<string, string[]> = {},
  extra: Partial<GslbOutcome> = {},
): GslbOutcome {
  return {
    namespace: 'shop',
    name: 'web',
    ok: true,
    strategy: 'roundRobin',
    primary: false,
    geoTag: 'eu',
    health,
    healthyRecords,
    exposedIps: ['192.0.2.1'],
    ...extra,
  };
}

interface Sample {
  readonly labels: Record<string, string | number | undefined>;
  readonly value: number;
}

/** The Kubernetes metrics on a new registry and a page that renders them all. */
function setup(): { registry: Registry; page: MetricsPage; metrics: KubeMetrics } {
  const registry = new Registry();
  const metrics = createKubeMetrics(registry, RUNTIME);
  const page = new MetricsPage(registry);
  page.add(metrics.perGslb);
  return { registry, page, metrics };
}

/** The samples of metric `name`, read back from the page as a scraper sees it. */
async function samples(page: MetricsPage, name: string): Promise<Sample[]> {
  const parsed = parsePage(await page.text());
  if (!parsed.families.has(name)) throw new Error(`no metric ${name}`);
  return parsed.samples
    .filter((s) => s.name === name)
    .map(({ labels, value }) => ({ labels, value }));
}

describe('metric naming', () => {
  const { registry, page } = setup();
  const defined = [
    ...registry.getMetricsAsArray().map((m) => {
      const labelNames = (m as unknown as { labelNames?: readonly string[] }).labelNames ?? [];
      return [m.name, String(m.type), m.help, [...labelNames]] as const;
    }),
    ...page.families().map((f) => [f.name, f.type, f.help, [...f.labelNames]] as const),
  ];

  test('the registry holds exactly the metrics of KUBE_METRIC_NAMES', () => {
    expect(defined.map(([name]) => name).sort()).toEqual(Object.values(KUBE_METRIC_NAMES).sort());
  });

  test('every k8gb metric whose meaning applies is kept, with k8gb’s type and labels', () => {
    const k8gb = new Map(
      defined
        .filter(([name]) => name.startsWith('k8gb_'))
        .map(([name, type, , labels]) => [name, [type, labels]]),
    );
    expect(Object.fromEntries(k8gb)).toEqual({
      k8gb_gslb_errors_total: ['counter', ['namespace', 'name']],
      k8gb_gslb_reconciliation_loops_total: ['counter', ['namespace', 'name']],
      k8gb_gslb_healthy_records: ['gauge', ['namespace', 'name']],
      k8gb_gslb_healthy_local_records: ['gauge', ['namespace', 'name', 'geotag']],
      k8gb_gslb_service_status_num: ['gauge', ['namespace', 'name', 'status']],
      k8gb_gslb_status_count_for_failover: ['gauge', ['namespace', 'name', 'status']],
      k8gb_gslb_status_count_for_roundrobin: ['gauge', ['namespace', 'name', 'status']],
      k8gb_gslb_status_count_for_geoip: ['gauge', ['namespace', 'name', 'status']],
      k8gb_endpoint_status_num: ['gauge', ['namespace', 'name', 'dns_name']],
      k8gb_runtime_info: [
        'gauge',
        ['namespace', 'k8gb_version', 'go_version', 'arch', 'os', 'git_sha'],
      ],
    });
  });

  test.each(defined)('%s (%s)', (name, type, help, labelNames) => {
    // k8gb_ names are kept for compatibility; Meridian's own are meridian_kube_.
    expect(name).toMatch(/^(meridian_kube|k8gb)_[a-z0-9]+(_[a-z0-9]+)*$/);
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
  const web = { namespace: 'shop', name: 'web' };

  test('reconciles, healthy records (peers included), local records and host health', async () => {
    const { page, metrics } = setup();
    const health = {
      'a.cloud.example.org': 'Healthy',
      'b.cloud.example.org': 'Healthy',
      'c.cloud.example.org': 'NotFound',
    };
    const records = {
      'a.cloud.example.org': ['192.0.2.1', '198.51.100.1'],
      'b.cloud.example.org': ['192.0.2.1'],
      'c.cloud.example.org': ['198.51.100.1'],
    };
    metrics.recordGslb(outcome(health, records));
    metrics.recordGslb(outcome(health, records));
    metrics.recordGslb({ ...outcome({}), name: 'api', ok: false });
    const api = { namespace: 'shop', name: 'api' };
    expect(await samples(page, KUBE_METRIC_NAMES.gslbReconciles)).toEqual([
      { labels: web, value: 2 },
    ]);
    expect(await samples(page, KUBE_METRIC_NAMES.gslbErrors)).toEqual([{ labels: api, value: 1 }]);
    expect(await samples(page, KUBE_METRIC_NAMES.gslbHealthyRecords)).toEqual([
      { labels: web, value: 4 },
      { labels: api, value: 0 },
    ]);
    expect(await samples(page, KUBE_METRIC_NAMES.gslbHealthyLocalRecords)).toEqual([
      { labels: { ...web, geotag: 'eu' }, value: 1 },
      { labels: { ...api, geotag: 'eu' }, value: 0 },
    ]);
    expect(
      (await samples(page, KUBE_METRIC_NAMES.gslbServiceStatus)).filter(
        (s) => s.labels['name'] === 'web',
      ),
    ).toEqual([
      { labels: { ...web, status: 'Healthy' }, value: 2 },
      { labels: { ...web, status: 'Unhealthy' }, value: 0 },
      { labels: { ...web, status: 'NotFound' }, value: 1 },
    ]);
    // Per strategy: the targets served for the hosts in each local health state.
    expect(
      (await samples(page, KUBE_METRIC_NAMES.statusForRoundRobin)).filter(
        (s) => s.labels['name'] === 'web',
      ),
    ).toEqual([
      { labels: { ...web, status: 'Healthy' }, value: 3 },
      { labels: { ...web, status: 'Unhealthy' }, value: 0 },
      { labels: { ...web, status: 'NotFound' }, value: 1 },
    ]);
    // Each host and its localtargets- name (published only while Healthy).
    expect(
      (await samples(page, KUBE_METRIC_NAMES.endpointStatus)).filter(
        (s) => s.labels['name'] === 'web',
      ),
    ).toEqual([
      { labels: { ...web, dns_name: 'a.cloud.example.org' }, value: 2 },
      { labels: { ...web, dns_name: 'localtargets-a.cloud.example.org' }, value: 1 },
      { labels: { ...web, dns_name: 'b.cloud.example.org' }, value: 1 },
      { labels: { ...web, dns_name: 'localtargets-b.cloud.example.org' }, value: 1 },
      { labels: { ...web, dns_name: 'c.cloud.example.org' }, value: 1 },
      { labels: { ...web, dns_name: 'localtargets-c.cloud.example.org' }, value: 0 },
    ]);
  });

  test('failover: primary and secondary slots as k8gb names them; a changed role leaves no stale series', async () => {
    const { page, metrics } = setup();
    const health = { a: 'Unhealthy' };
    metrics.recordGslb(
      outcome(health, { a: ['198.51.100.1', '198.51.100.2'] }, { strategy: 'failover' }),
    );
    expect(await samples(page, KUBE_METRIC_NAMES.statusForFailover)).toEqual([
      { labels: { ...web, status: 'Healthy_secondary' }, value: 0 },
      { labels: { ...web, status: 'Unhealthy_secondary' }, value: 2 },
      { labels: { ...web, status: 'NotFound_secondary' }, value: 0 },
    ]);
    metrics.recordGslb(
      outcome({ a: 'Healthy' }, { a: ['192.0.2.1'] }, { strategy: 'failover', primary: true }),
    );
    expect(await samples(page, KUBE_METRIC_NAMES.statusForFailover)).toEqual([
      { labels: { ...web, status: 'Healthy_primary' }, value: 1 },
      { labels: { ...web, status: 'Unhealthy_primary' }, value: 0 },
      { labels: { ...web, status: 'NotFound_primary' }, value: 0 },
    ]);
    // Another strategy: the failover series go.
    metrics.recordGslb(outcome({ a: 'Healthy' }, { a: ['192.0.2.1'] }, { strategy: 'geoip' }));
    expect(await samples(page, KUBE_METRIC_NAMES.statusForFailover)).toEqual([]);
    expect((await samples(page, KUBE_METRIC_NAMES.statusForGeoip)).map((s) => s.value)).toEqual([
      1, 0, 0,
    ]);
  });

  test('forgetGslb removes every series of that Gslb and no other', async () => {
    const { page, metrics } = setup();
    metrics.recordGslb(outcome({ a: 'Healthy' }, { a: ['192.0.2.1'] }));
    metrics.recordGslb({
      ...outcome({ a: 'Healthy' }, { a: ['192.0.2.1', '192.0.2.2'] }),
      name: 'api',
    });
    metrics.forgetGslb('shop', 'web');
    for (const name of [
      KUBE_METRIC_NAMES.gslbReconciles,
      KUBE_METRIC_NAMES.gslbHealthyRecords,
      KUBE_METRIC_NAMES.gslbHealthyLocalRecords,
      KUBE_METRIC_NAMES.gslbServiceStatus,
      KUBE_METRIC_NAMES.statusForRoundRobin,
      KUBE_METRIC_NAMES.endpointStatus,
    ])
      expect((await samples(page, name)).every((s) => s.labels['name'] === 'api')).toBe(true);
    expect(await samples(page, KUBE_METRIC_NAMES.gslbHealthyRecords)).toEqual([
      { labels: { namespace: 'shop', name: 'api' }, value: 2 },
    ]);
    // Forgetting an unknown Gslb is harmless.
    metrics.forgetGslb('shop', 'nope');
    expect(await samples(page, KUBE_METRIC_NAMES.gslbHealthyRecords)).toHaveLength(1);
  });

  test('k8gb_runtime_info is 1, labelled with the namespace, version and platform', async () => {
    const { page } = setup();
    expect(await samples(page, KUBE_METRIC_NAMES.runtimeInfo)).toEqual([
      {
        labels: {
          namespace: 'meridian',
          k8gb_version: '1.2.3',
          go_version: 'v24.21.0',
          arch: 'x64',
          os: 'linux',
          git_sha: 'none',
        },
        value: 1,
      },
    ]);
  });
});

describe('watch, write and reconcile series', () => {
  test('each recorder updates its own series', async () => {
    const { page, metrics } = setup();
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
    expect(await samples(page, KUBE_METRIC_NAMES.watchSynced)).toEqual([
      { labels: { resource: 'Gslb' }, value: 1 },
      { labels: { resource: 'Service' }, value: 0 },
    ]);
    expect(await samples(page, KUBE_METRIC_NAMES.watchErrors)).toEqual([
      { labels: { resource: 'Gateway' }, value: 2 },
    ]);
    expect(await samples(page, KUBE_METRIC_NAMES.watchEvents)).toEqual([
      { labels: { resource: 'EndpointSlice' }, value: 1 },
    ]);
    expect(await samples(page, KUBE_METRIC_NAMES.writes)).toEqual([
      { labels: { kind: 'status', result: 'done' }, value: 2 },
      { labels: { kind: 'event', result: 'dropped' }, value: 1 },
    ]);
    expect(await samples(page, KUBE_METRIC_NAMES.reconcileDuration)).toEqual([
      { labels: {}, value: 0.125 },
    ]);
  });
});
