/**
 * Peer discovery against a real BIND 9 as the edge DNS, holding the
 * delegation of cloud.example.org to gslb-ns-<geotag>-cloud.example.org with
 * glue on 127.0.0.1-3: the peers' addresses (A and AAAA) are found through
 * edge servers asked in order (a dead one and a REFUSED one first), this
 * cluster's own name is never asked, a zone change is picked up by the next
 * refresh, and a BIND that stops answering (paused, then gone) leaves the
 * last known addresses in place, within the query timeout.
 */
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/load-config';
import { createDnsClient, type QueryFn } from '../../src/peers/dns-client';
import { PeerDiscovery } from '../../src/peers/peer-discovery';
import { createPeerMetrics, PEER_METRIC_NAMES } from '../../src/telemetry/peer-metrics';
import { startBind, type Bind, type BindCluster } from '../helpers/bind';
import { freePort } from '../../harness/processes';
import { capturingLogger } from '../helpers/telemetry';

jest.setTimeout(60_000);

const TIMEOUT_MS = 300;
const CLUSTERS: BindCluster[] = [
  { geoTag: 'eu', addresses: ['127.0.0.1'] },
  { geoTag: 'us', addresses: ['127.0.0.2', '::1'] },
  { geoTag: 'asia', addresses: ['127.0.0.3'] },
];
const DELEGATION = {
  parent: 'example.org',
  zone: 'cloud.example.org',
  gluePrefix: 'gslb-ns-',
  clusters: CLUSTERS,
};

let edge: Bind;
let refusing: Bind;
let deadPort: number;

beforeAll(async () => {
  [edge, refusing] = await Promise.all([startBind(DELEGATION), startBind(null)]);
  deadPort = await freePort();
});

afterAll(async () => {
  await Promise.all([edge?.stop(), refusing?.stop()]);
});

interface Rig {
  discovery: PeerDiscovery;
  registry: Registry;
  logs: Record<string, unknown>[];
  asked: string[];
  changes: () => number;
}

function rig(edgeServers: string[], refreshIntervalMs = 60_000): Rig {
  const config = loadConfig({
    DNS_ZONES: 'example.org:cloud.example.org:30',
    CLUSTER_GEO_TAG: 'eu',
    EXT_GSLB_CLUSTERS_GEO_TAGS: 'eu,us,asia',
    EDGE_DNS_SERVERS: edgeServers.join(','),
    MERIDIAN_PEER_PORT: '5353',
  });
  const client = createDnsClient(TIMEOUT_MS);
  const asked: string[] = [];
  const query: QueryFn = (server, name, type, signal) => {
    asked.push(`${server.host}:${server.port} ${type} ${name}`);
    return client(server, name, type, signal);
  };
  const registry = new Registry();
  const { logger, logs } = capturingLogger();
  let changes = 0;
  const discovery = new PeerDiscovery({
    zones: config.zones,
    gluePrefix: config.gluePrefix,
    localGeoTag: config.clusterGeoTag,
    peerGeoTags: config.peerGeoTags,
    edgeServers: config.edgeDnsServers,
    peerPorts: [config.peers.port ?? 53],
    refreshIntervalMs,
    query,
    metrics: createPeerMetrics(registry),
    logger,
    onChange: () => changes++,
  });
  return { discovery, registry, logs, asked, changes: () => changes };
}

async function refreshResults(registry: Registry): Promise<string[]> {
  const metric = await registry.getSingleMetric(PEER_METRIC_NAMES.discoveryRefreshes)?.get();
  return (metric?.values ?? [])
    .map((v) => `${v.labels['peer']} ${v.labels['result']} ${v.value}`)
    .sort();
}

test('glue A and AAAA through the edge servers in order: a dead and a REFUSED server are passed over', async () => {
  const dead = `127.0.0.1:${deadPort}`;
  const r = rig([dead, refusing.server, edge.server]);
  await r.discovery.refresh();
  expect(r.discovery.peers()).toEqual([
    {
      geoTag: 'us',
      servers: [
        { host: '127.0.0.2', port: 5353 },
        { host: '::1', port: 5353 },
      ],
    },
    { geoTag: 'asia', servers: [{ host: '127.0.0.3', port: 5353 }] },
  ]);
  expect(r.asked.filter((a) => a.endsWith(' A gslb-ns-us-cloud.example.org.'))).toEqual([
    `${dead} A gslb-ns-us-cloud.example.org.`,
    `${refusing.server} A gslb-ns-us-cloud.example.org.`,
    `${edge.server} A gslb-ns-us-cloud.example.org.`,
  ]);
  // This cluster's own name server is not a peer.
  expect(r.asked.some((a) => a.includes('gslb-ns-eu-'))).toBe(false);
  expect(await refreshResults(r.registry)).toEqual(['asia resolved 1', 'us resolved 1']);
  expect(r.changes()).toBe(1);
});

test('a change of the edge zone is picked up by the next periodic refresh', async () => {
  const r = rig([edge.server], 300);
  await r.discovery.start();
  try {
    expect(r.discovery.peers()[1]?.servers).toEqual([{ host: '127.0.0.3', port: 5353 }]);
    await edge.setClusters([
      CLUSTERS[0] as BindCluster,
      CLUSTERS[1] as BindCluster,
      { geoTag: 'asia', addresses: ['127.0.0.4'] },
    ]);
    const changed = Date.now();
    while (r.discovery.peers()[1]?.servers[0]?.host !== '127.0.0.4') {
      if (Date.now() - changed > 5_000) throw new Error('the zone change was not picked up in 5 s');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(r.discovery.peers()[1]?.servers).toEqual([{ host: '127.0.0.4', port: 5353 }]);
    expect(r.changes()).toBe(2);
    expect(r.logs.some((l) => l['msg'] === "peer asia's name servers changed")).toBe(true);
  } finally {
    await r.discovery.stop();
    await edge.setClusters(CLUSTERS);
  }
});

test('a peer removed from the zone has no address any more (NXDOMAIN is an answer)', async () => {
  const r = rig([edge.server]);
  await r.discovery.refresh();
  await edge.setClusters(CLUSTERS.filter((c) => c.geoTag !== 'asia'));
  try {
    await r.discovery.refresh();
    expect(r.discovery.peers()[1]).toEqual({ geoTag: 'asia', servers: [] });
    expect(await refreshResults(r.registry)).toEqual([
      'asia empty 1',
      'asia resolved 1',
      'us resolved 2',
    ]);
  } finally {
    await edge.setClusters(CLUSTERS);
  }
});

test('a BIND that stops answering, then is gone: the last known addresses are kept, within the timeout', async () => {
  const spare = await startBind(DELEGATION);
  const r = rig([spare.server]);
  await r.discovery.refresh();
  const known = r.discovery.peers();
  expect(known[0]?.servers).toHaveLength(2);

  await spare.pause();
  try {
    const started = performance.now();
    await r.discovery.refresh();
    const elapsed = performance.now() - started;
    // Every look-up runs in parallel, each bounded by one timeout per edge server.
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 500);
    expect(r.discovery.peers()).toEqual(known);
  } finally {
    spare.resume();
  }
  await spare.stop();
  const started = performance.now();
  await r.discovery.refresh();
  // Nothing listens any more: refused at once, not timed out.
  expect(performance.now() - started).toBeLessThan(TIMEOUT_MS);
  expect(r.discovery.peers()).toEqual(known);
  expect(await refreshResults(r.registry)).toEqual([
    'asia failed 2',
    'asia resolved 1',
    'us failed 2',
    'us resolved 1',
  ]);
  const warnings = r.logs.filter((l) => l['level'] === 'warn');
  expect(warnings.map((w) => w['msg'])).toContain(
    "cannot look up peer us's name servers; keeping its last known addresses",
  );
  expect(warnings.map((w) => String(w['failures']))).toEqual(
    expect.arrayContaining([
      expect.stringContaining('timeout'),
      expect.stringContaining('network'),
    ]),
  );
  const addresses = await r.registry.getSingleMetric(PEER_METRIC_NAMES.addresses)?.get();
  expect(addresses?.values.find((v) => v.labels['peer'] === 'us')?.value).toBe(2);
});
