import { Registry } from 'prom-client';
import {
  METRIC_NAMES,
  createMetrics,
  type Metrics,
  type TableFacts,
  type Transport,
} from '../../../src/telemetry/metrics';

interface FactState {
  hosts: number;
  records: number;
  generation: number;
  serial: number;
  ready: boolean;
}

interface Setup {
  readonly registry: Registry;
  readonly state: FactState;
  readonly metrics: Metrics;
}

function setup(): Setup {
  const registry = new Registry();
  const state: FactState = { hosts: 0, records: 0, generation: 0, serial: 0, ready: false };
  const facts: TableFacts = {
    hosts: () => state.hosts,
    records: () => state.records,
    generation: () => state.generation,
    serial: () => state.serial,
    ready: () => state.ready,
  };
  const metrics = createMetrics(registry, facts, { version: '1.2.3', nodeVersion: '24.21.0' });
  return { registry, state, metrics };
}

interface Sample {
  readonly labels: Record<string, string | number | undefined>;
  readonly value: number;
  readonly metricName?: string;
}

/** The samples of one metric, optionally only those of one sample name (`_count`, …). */
async function samples(registry: Registry, name: string, sampleName?: string): Promise<Sample[]> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const values = (await metric.get()).values as Sample[];
  return sampleName === undefined ? values : values.filter((v) => v.metricName === sampleName);
}

/** The exposition lines of one metric without HELP and TYPE. */
async function scrape(registry: Registry, name: string): Promise<string[]> {
  const text = await registry.getSingleMetricAsString(name);
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

describe('metric naming lint (in the spirit of CoreDNS metric_naming_test)', () => {
  const { registry } = setup();
  const defined = registry.getMetricsAsArray().map((m) => {
    const labelNames = (m as unknown as { labelNames?: readonly string[] }).labelNames ?? [];
    return [m.name, String(m.type), m.help, [...labelNames]] as const;
  });

  test('the registry holds exactly the metrics of METRIC_NAMES', () => {
    expect(defined.map(([name]) => name).sort()).toEqual(Object.values(METRIC_NAMES).sort());
  });

  test.each(defined)('%s (%s)', (name, type, help, labelNames) => {
    expect(name).toMatch(/^meridian_[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
    expect(name).not.toMatch(/_(count|sum|bucket|created)$/);
    expect(name).not.toMatch(/_(ms|milliseconds|microseconds|nanoseconds|minutes|hours)(_|$)/);
    expect(help.trim()).not.toBe('');
    expect(help).toBe(help.trim());
    if (type === 'counter') expect(name).toMatch(/_total$/);
    else expect(name).not.toMatch(/_total$/);
    if (type === 'histogram') expect(name).toMatch(/_seconds$/);
    expect(['counter', 'gauge', 'histogram']).toContain(type);
    for (const label of labelNames) {
      expect(label).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
      expect(['le', 'quantile']).not.toContain(label);
    }
  });
});

describe('recordQuery', () => {
  test.each<[Transport, number, number, string, string]>([
    ['udp', 1, 0, 'A', 'NOERROR'],
    ['grpc', 28, 3, 'AAAA', 'NXDOMAIN'],
    ['tcp', 65, 5, 'HTTPS', 'REFUSED'],
    ['grpc', 255, 16, 'ANY', 'BADVERS'],
    ['udp', 6, 2, 'SOA', 'SERVFAIL'],
    ['grpc', 99, 0, 'OTHER', 'NOERROR'],
    ['tcp', 65_535, 4, 'OTHER', 'NOTIMP'],
    ['udp', 0, 1, 'NONE', 'FORMERR'],
    ['grpc', 1, 9, 'A', 'OTHER'],
  ])(
    '%s qtype %d rcode %d counts {qtype="%s",rcode="%s"}',
    async (transport, qtype, rcode, qtypeLabel, rcodeLabel) => {
      const { registry, metrics } = setup();
      metrics.recordQuery(transport, qtype, rcode, 0.0002);
      expect(await samples(registry, METRIC_NAMES.queries)).toEqual([
        { labels: { transport, qtype: qtypeLabel, rcode: rcodeLabel }, value: 1 },
      ]);
      const histogram = METRIC_NAMES.queryDuration;
      expect(await samples(registry, histogram, `${histogram}_count`)).toEqual([
        { labels: { transport }, value: 1, metricName: `${histogram}_count` },
      ]);
      expect(await samples(registry, histogram, `${histogram}_sum`)).toEqual([
        { labels: { transport }, value: 0.0002, metricName: `${histogram}_sum` },
      ]);
      const buckets = await samples(registry, histogram, `${histogram}_bucket`);
      expect(buckets.map((b) => [b.labels['le'], b.value])).toEqual([
        [0.000_005, 0],
        [0.000_01, 0],
        [0.000_025, 0],
        [0.000_05, 0],
        [0.000_1, 0],
        [0.000_25, 1],
        [0.000_5, 1],
        [0.001, 1],
        [0.005, 1],
        ['+Inf', 1],
      ]);
    },
  );

  test('series add up per label set', async () => {
    const { registry, metrics } = setup();
    metrics.recordQuery('grpc', 1, 0, 0.00001);
    metrics.recordQuery('grpc', 1, 0, 0.00002);
    metrics.recordQuery('udp', 1, 0, 0.00003);
    metrics.recordQuery('grpc', 1, 3, 0.00004);
    expect(await scrape(registry, METRIC_NAMES.queries)).toEqual([
      'meridian_dns_queries_total{transport="grpc",qtype="A",rcode="NOERROR"} 2',
      'meridian_dns_queries_total{transport="udp",qtype="A",rcode="NOERROR"} 1',
      'meridian_dns_queries_total{transport="grpc",qtype="A",rcode="NXDOMAIN"} 1',
    ]);
    const count = `${METRIC_NAMES.queryDuration}_count`;
    expect(
      (await samples(registry, METRIC_NAMES.queryDuration, count)).map((s) => [
        s.labels['transport'],
        s.value,
      ]),
    ).toEqual([
      ['grpc', 3],
      ['udp', 1],
    ]);
  });
});

describe('other counters and gauges', () => {
  test('bad requests are exported as 0 for every transport before any arrives', async () => {
    const { registry, metrics } = setup();
    expect(await scrape(registry, METRIC_NAMES.badRequests)).toEqual([
      'meridian_dns_bad_requests_total{transport="grpc"} 0',
      'meridian_dns_bad_requests_total{transport="udp"} 0',
      'meridian_dns_bad_requests_total{transport="tcp"} 0',
    ]);
    metrics.recordBadRequest('tcp');
    metrics.recordBadRequest('tcp');
    expect(await scrape(registry, METRIC_NAMES.badRequests)).toContain(
      'meridian_dns_bad_requests_total{transport="tcp"} 2',
    );
  });

  test('gRPC errors are counted by status code', async () => {
    const { registry, metrics } = setup();
    metrics.recordGrpcError('UNAVAILABLE');
    metrics.recordGrpcError('INVALID_ARGUMENT');
    metrics.recordGrpcError('UNAVAILABLE');
    expect(await scrape(registry, METRIC_NAMES.grpcErrors)).toEqual([
      'meridian_grpc_errors_total{code="UNAVAILABLE"} 2',
      'meridian_grpc_errors_total{code="INVALID_ARGUMENT"} 1',
    ]);
  });

  test('recordBuild and setManifestErrors', async () => {
    const { registry, metrics } = setup();
    metrics.recordBuild(0.02, 3, 1_763_800_000_500);
    metrics.recordBuild(0.2, 1, 1_763_800_060_000);
    metrics.setManifestErrors(2);
    expect(await scrape(registry, METRIC_NAMES.tableBuilds)).toEqual([
      'meridian_table_builds_total 2',
    ]);
    expect(await scrape(registry, METRIC_NAMES.tableLastBuild)).toEqual([
      'meridian_table_last_build_timestamp_seconds 1763800060',
    ]);
    expect(await scrape(registry, METRIC_NAMES.gslbProblems)).toEqual(['meridian_gslb_problems 1']);
    expect(await scrape(registry, METRIC_NAMES.manifestErrors)).toEqual([
      'meridian_manifest_errors 2',
    ]);
    const buildDuration = METRIC_NAMES.tableBuildDuration;
    expect(await samples(registry, buildDuration, `${buildDuration}_count`)).toEqual([
      { labels: {}, value: 2, metricName: `${buildDuration}_count` },
    ]);
    expect(await samples(registry, buildDuration, `${buildDuration}_sum`)).toEqual([
      { labels: {}, value: 0.22, metricName: `${buildDuration}_sum` },
    ]);
  });

  test('build info carries the versions', async () => {
    const { registry } = setup();
    expect(await scrape(registry, METRIC_NAMES.buildInfo)).toEqual([
      'meridian_build_info{version="1.2.3",node_version="24.21.0"} 1',
    ]);
  });
});

describe('point-in-time gauges read the facts when scraped', () => {
  test.each<[string, (s: FactState) => void, string, (s: FactState) => void, string]>([
    [
      METRIC_NAMES.tableHosts,
      (s) => (s.hosts = 12),
      'meridian_table_hosts 12',
      (s) => (s.hosts = 3),
      'meridian_table_hosts 3',
    ],
    [
      METRIC_NAMES.tableRecords,
      (s) => (s.records = 40),
      'meridian_table_records 40',
      (s) => (s.records = 0),
      'meridian_table_records 0',
    ],
    [
      METRIC_NAMES.tableGeneration,
      (s) => (s.generation = 1),
      'meridian_table_generation 1',
      (s) => (s.generation = 2),
      'meridian_table_generation 2',
    ],
    [
      METRIC_NAMES.tableSerial,
      (s) => (s.serial = 2_026_112_201),
      'meridian_table_serial 2026112201',
      (s) => (s.serial = 2_026_112_202),
      'meridian_table_serial 2026112202',
    ],
    [
      METRIC_NAMES.ready,
      (s) => (s.ready = true),
      'meridian_ready 1',
      (s) => (s.ready = false),
      'meridian_ready 0',
    ],
  ])('%s', async (name, first, firstLine, second, secondLine) => {
    const { registry, state } = setup();
    first(state);
    expect(await scrape(registry, name)).toEqual([firstLine]);
    second(state);
    expect(await scrape(registry, name)).toEqual([secondLine]);
  });
});
