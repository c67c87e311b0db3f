/**
 * Discovery's rules with scripted edge servers (the real BIND is in
 * test/integration/peer-discovery.test.ts): glue names from the same formula
 * as the zone's NS records, this cluster dropped, edge servers asked in order
 * with the first answer winning, failures keeping the last addresses, an
 * answer without address emptying them, the discovered port, and the static
 * list that replaces discovery.
 */
import { Registry } from 'prom-client';
import { loadConfig } from '../../../src/config/load-config';
import type { DnsServer, QueryFn } from '../../../src/peers/dns-client';
import type { QueryOutcome } from '../../../src/dns/client-message';
import {
  peerPortsOf,
  glueNamesOf,
  peerGeoTagsOf,
  PeerDiscovery,
  StaticPeers,
} from '../../../src/peers/peer-discovery';
import { createPeerMetrics, PEER_METRIC_NAMES } from '../../../src/telemetry/peer-metrics';
import { capturingLogger } from '../../helpers/telemetry';

const CONFIG = loadConfig({
  DNS_ZONES: 'example.org:cloud.example.org:30;example.net:gslb.example.net:30',
  CLUSTER_GEO_TAG: 'eu',
  EXT_GSLB_CLUSTERS_GEO_TAGS: 'eu,us,asia',
});

type Script = (server: DnsServer, name: string, type: string) => QueryOutcome;

const answer = (...addresses: string[]): QueryOutcome => ({
  ok: true,
  rcode: 'NOERROR',
  addresses,
  transport: 'udp',
});
const servfail: QueryOutcome = { ok: false, failure: 'servfail', detail: 'SERVFAIL' };
const timeout: QueryOutcome = { ok: false, failure: 'timeout', detail: 'no reply' };

function discovery(
  script: { current: Script },
  edgeServers = ['10.53.0.1', '10.53.0.2'],
  statusAddresses?: (geoTag: string) => readonly string[],
) {
  const calls: string[] = [];
  const query: QueryFn = (server, name, type) => {
    calls.push(`${server.host} ${type} ${name}`);
    return Promise.resolve(script.current(server, name, type));
  };
  const registry = new Registry();
  const { logger, logs } = capturingLogger();
  let changes = 0;
  const d = new PeerDiscovery({
    zones: CONFIG.zones,
    gluePrefix: CONFIG.gluePrefix,
    localGeoTag: CONFIG.clusterGeoTag,
    peerGeoTags: CONFIG.peerGeoTags,
    edgeServers: edgeServers.map((host) => ({ host, port: 53 })),
    peerPorts: [5353],
    refreshIntervalMs: 60_000,
    query,
    metrics: createPeerMetrics(registry),
    logger,
    onChange: () => changes++,
    ...(statusAddresses === undefined ? {} : { statusAddresses }),
  });
  return { d, calls, registry, logs, changes: () => changes };
}

test('peer geotags exclude this cluster, whatever the case, and repeat none', () => {
  expect(peerGeoTagsOf('eu', ['EU', 'us', 'asia', 'US'])).toEqual(['us', 'asia']);
});

test('glue names are the zone NS names of the peer, one per zone', () => {
  expect(glueNamesOf('us', CONFIG.zones, CONFIG.gluePrefix)).toEqual([
    'gslb-ns-us-cloud.example.org',
    'gslb-ns-us-gslb.example.net',
  ]);
  expect(CONFIG.zones.map((z) => z.nameServers[1])).toEqual(
    glueNamesOf('us', CONFIG.zones, CONFIG.gluePrefix),
  );
});

test('A and AAAA of every glue name; addresses become servers on the peer port', async () => {
  const script = {
    current: ((_s, name, type) => {
      if (name.startsWith('gslb-ns-us-cloud'))
        return type === 'A' ? answer('127.0.0.2') : answer('::2');
      if (name.startsWith('gslb-ns-us-gslb'))
        return type === 'A' ? answer('127.0.0.2', '127.0.0.4') : answer();
      return answer('127.0.0.3');
    }) as Script,
  };
  const { d, calls, registry } = discovery(script);
  expect(d.peers()).toEqual([
    { geoTag: 'us', servers: [] },
    { geoTag: 'asia', servers: [] },
  ]);
  await d.refresh();
  expect(d.peers()).toEqual([
    {
      geoTag: 'us',
      servers: [
        { host: '127.0.0.2', port: 5353 },
        { host: '::2', port: 5353 },
        { host: '127.0.0.4', port: 5353 },
      ],
    },
    {
      geoTag: 'asia',
      servers: [{ host: '127.0.0.3', port: 5353 }],
    },
  ]);
  expect(calls.filter((c) => c.includes('-us-')).sort()).toEqual([
    '10.53.0.1 A gslb-ns-us-cloud.example.org.',
    '10.53.0.1 A gslb-ns-us-gslb.example.net.',
    '10.53.0.1 AAAA gslb-ns-us-cloud.example.org.',
    '10.53.0.1 AAAA gslb-ns-us-gslb.example.net.',
  ]);
  const metric = await registry.getSingleMetric(PEER_METRIC_NAMES.addresses)?.get();
  expect(metric?.values.map((v) => [v.labels['peer'], v.value])).toEqual([
    ['us', 3],
    ['asia', 1],
  ]);
});

test('edge servers are asked in order: SERVFAIL or a timeout moves on, the first answer wins', async () => {
  const script = {
    current: ((server) => (server.host === '10.53.0.1' ? servfail : answer('127.0.0.2'))) as Script,
  };
  const { d, calls } = discovery(script, ['10.53.0.1', '10.53.0.2', '10.53.0.3']);
  await d.refresh();
  expect(d.peers()[0]?.servers[0]).toEqual({ host: '127.0.0.2', port: 5353 });
  const forOne = calls.filter((c) => c.endsWith(' A gslb-ns-us-cloud.example.org.'));
  expect(forOne).toEqual([
    '10.53.0.1 A gslb-ns-us-cloud.example.org.',
    '10.53.0.2 A gslb-ns-us-cloud.example.org.',
  ]);
  script.current = (server) => (server.host === '10.53.0.3' ? answer('127.0.0.9') : timeout);
  await d.refresh();
  expect(d.peers()[0]?.servers).toEqual([{ host: '127.0.0.9', port: 5353 }]);
});

test('a refresh that cannot complete keeps the last addresses, counted and logged', async () => {
  const script = { current: (() => answer('127.0.0.2')) as Script };
  const { d, registry, logs, changes } = discovery(script);
  await d.refresh();
  expect(changes()).toBe(1);
  // One of the four look-ups of `us` fails on every server.
  script.current = (_s, name, type) =>
    name.startsWith('gslb-ns-us-gslb') && type === 'AAAA' ? timeout : answer('127.0.0.7');
  await d.refresh();
  expect(d.peers()[0]?.servers).toEqual([{ host: '127.0.0.2', port: 5353 }]);
  expect(d.peers()[1]?.servers).toEqual([{ host: '127.0.0.7', port: 5353 }]);
  expect(changes()).toBe(2);
  const refreshes = await registry.getSingleMetric(PEER_METRIC_NAMES.discoveryRefreshes)?.get();
  expect(
    refreshes?.values.map((v) => `${v.labels['peer']} ${v.labels['result']} ${v.value}`).sort(),
  ).toEqual(['asia resolved 2', 'us failed 1', 'us resolved 1']);
  const warning = logs.find((l) => l['level'] === 'warn');
  expect(warning?.['msg']).toBe(
    "cannot look up peer us's name servers; keeping its last known addresses",
  );
  expect(warning?.['kept']).toEqual(['127.0.0.2:5353']);
  expect(warning?.['failures']).toEqual([
    'AAAA gslb-ns-us-gslb.example.net: 10.53.0.1:53 timeout (no reply); 10.53.0.2:53 timeout (no reply)',
  ]);
});

test('NXDOMAIN or NODATA for every glue name empties the list: the edge says the peer is gone', async () => {
  const script = { current: (() => answer('127.0.0.2')) as Script };
  const { d, registry } = discovery(script);
  await d.refresh();
  script.current = () => ({ ok: true, rcode: 'NXDOMAIN', addresses: [], transport: 'udp' });
  await d.refresh();
  expect(d.peers().map((p) => p.servers)).toEqual([[], []]);
  const refreshes = await registry.getSingleMetric(PEER_METRIC_NAMES.discoveryRefreshes)?.get();
  expect(refreshes?.values.find((v) => v.labels['result'] === 'empty')?.value).toBe(1);
});

test('start() refreshes once at once, then every interval; stop() ends it', async () => {
  jest.useFakeTimers();
  try {
    const script = { current: (() => answer('127.0.0.2')) as Script };
    const { d, calls } = discovery(script);
    await d.start();
    expect(calls).toHaveLength(8);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(16);
    await d.stop();
    await jest.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(16);
  } finally {
    jest.useRealTimers();
  }
});

test("a peer the ZoneDelegations' status lists is taken from there; the others from the edge", async () => {
  const listed: Record<string, readonly string[]> = { us: ['198.51.100.7', '198.51.100.7'] };
  const script = { current: () => answer('203.0.113.9') };
  const { d, calls } = discovery(script, ['10.53.0.1'], (tag) => listed[tag] ?? []);
  await d.refresh();
  expect(d.peers()).toEqual([
    { geoTag: 'us', servers: [{ host: '198.51.100.7', port: 5353 }] },
    { geoTag: 'asia', servers: [{ host: '203.0.113.9', port: 5353 }] },
  ]);
  expect(calls.some((call) => call.includes('-us-'))).toBe(false);
  expect(calls.some((call) => call.includes('-asia-'))).toBe(true);
  // Once the status no longer lists it, the edge is asked again.
  listed['us'] = [];
  await d.refresh();
  expect(calls.some((call) => call.includes('-us-'))).toBe(true);
});

test('a static list is served as given', async () => {
  const list = [{ geoTag: 'us', servers: [{ host: '127.0.0.2', port: 1053 }] }];
  const peers = new StaticPeers(list);
  await peers.start();
  expect(peers.peers()).toBe(list);
  await peers.stop();
});

describe("the ports a discovered peer is polled on, by k8gb's rule", () => {
  const edge = (...ports: number[]): { host: string; port: number }[] =>
    ports.map((port, i) => ({ host: `10.53.0.${i + 1}`, port }));
  test.each<[number[], number[]]>([
    [[], [53]],
    [[53], [53]],
    [[1053], [1053, 53]],
    [
      [53, 1053],
      [53, 1053],
    ],
    [
      [1053, 2053],
      [1053, 2053, 53],
    ],
    // k8gb tries 53 only when no edge server uses it, so here never.
    [[1053, 53], [1053]],
    [
      [5353, 5353],
      [5353, 53],
    ],
  ])('edge servers on %j: %j', (ports, expected) => {
    expect(peerPortsOf(edge(...ports))).toEqual(expected);
  });
});
