/**
 * The whole peer chain as the composition root will wire it, from the
 * configuration: a real BIND as EDGE_DNS_SERVERS delegates cloud.example.org
 * to gslb-ns-us-cloud.example.org (glue 127.0.0.2, where a Meridian process
 * of cluster `us` listens on MERIDIAN_PEER_PORT) and gslb-ns-asia-… (glue
 * 127.0.0.3, nothing listening). createPeerSync discovers both, polls them,
 * and its view, merged with withPeerTargets, builds a table whose answer for
 * the host holds this cluster's and the peer's targets. MERIDIAN_PEERS gives
 * the same result without discovery.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { Registry } from 'prom-client';
import { loadConfig, type Config } from '../../src/config/load-config';
import { configuredPeerGeoTags, createPeerSync, type PeerSync } from '../../src/peers/peer-sync';
import { withPeerTargets, type PeerView } from '../../src/peers/peer-view';
import { answerMessage } from '../../src/table/answer';
import { buildSnapshot } from '../../src/table/build-snapshot';
import type { GslbRecord } from '../../src/table/model';
import { createPeerMetrics, PEER_METRIC_NAMES } from '../../src/telemetry/peer-metrics';
import { startBind, type Bind } from '../helpers/bind';
import { gslbYaml } from '../../harness/gslb-yaml';
import {
  freePort,
  meridianProcessEnv,
  startMeridianProcess,
  type Child,
} from '../../harness/processes';
import { capturingLogger } from '../helpers/telemetry';

jest.setTimeout(60_000);

const HOST = 'app.cloud.example.org';

/** This cluster's own Gslb, as a source would hand it to the table. */
const LOCAL: GslbRecord = {
  id: 'test/app',
  hosts: [HOST],
  strategy: 'roundRobin',
  ttlSeconds: 30,
  clusters: [{ geoTag: 'eu', addresses: ['198.51.100.1'] }],
};

let dir: string;
let peerPort: number;
let meridian: Child;
let edge: Bind;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meridian-peer-'));
  writeFileSync(join(dir, 'app.yaml'), gslbYaml('app', HOST, ['192.0.2.10', '2001:db8::10']));
  peerPort = await freePort();
  [meridian, edge] = await Promise.all([
    (async () =>
      startMeridianProcess(
        await meridianProcessEnv(dir, {
          CLUSTER_GEO_TAG: 'us',
          MERIDIAN_DNS_LISTEN: `127.0.0.2:${peerPort}`,
        }),
      ))(),
    startBind({
      parent: 'example.org',
      zone: 'cloud.example.org',
      gluePrefix: 'gslb-ns-',
      clusters: [
        { geoTag: 'eu', addresses: ['127.0.0.1'] },
        { geoTag: 'us', addresses: ['127.0.0.2'] },
        { geoTag: 'asia', addresses: ['127.0.0.3'] },
      ],
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([meridian?.stop(), edge?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Starts a PeerSync from `env` and resolves with it once a view has the peer's targets. */
async function syncUntilServed(
  env: Record<string, string>,
): Promise<{ sync: PeerSync; view: PeerView; registry: Registry; config: Config }> {
  const config = loadConfig({
    DNS_ZONES: 'example.org:cloud.example.org:30',
    CLUSTER_GEO_TAG: 'eu',
    MERIDIAN_PEER_POLL_INTERVAL_SECONDS: '0.5',
    MERIDIAN_PEER_QUERY_TIMEOUT_MS: '300',
    ...env,
  });
  const registry = new Registry();
  let resolveServed: (view: PeerView) => void = () => undefined;
  const served = new Promise<PeerView>((resolve) => {
    resolveServed = resolve;
  });
  const sync = createPeerSync({
    config,
    edgeServers: config.edgeDnsServers,
    logger: capturingLogger().logger,
    metrics: createPeerMetrics(registry, configuredPeerGeoTags(config)),
    now: Date.now,
    hosts: () => LOCAL.hosts,
    onChange: (view) => {
      if ((view.hosts.get(HOST)?.get('us')?.addresses.length ?? 0) > 0) resolveServed(view);
    },
  });
  await sync.start();
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('no peer targets within 5 s')), 5_000).unref(),
  );
  return { sync, view: await Promise.race([served, timeout]), registry, config };
}

/** Answers `A host` from a table built with the peers' view, as the app will. */
function answerA(view: PeerView, config: Config): string[] {
  const { snapshot } = buildSnapshot({
    zones: config.zones,
    gslbs: withPeerTargets([LOCAL], view),
    localGeoTag: config.clusterGeoTag,
    serial: 1,
    generation: 1,
  });
  const query = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: HOST }] });
  const result = answerMessage(snapshot, query);
  if (result.kind !== 'answered') throw new Error(result.reason);
  return (dnsPacket.decode(result.reply).answers ?? [])
    .flatMap((a) => (a.type === 'A' ? [a.data] : []))
    .sort();
}

test('discovery through BIND, then polling: the peer targets join the table', async () => {
  const { sync, view, registry, config } = await syncUntilServed({
    EXT_GSLB_CLUSTERS_GEO_TAGS: 'eu,us,asia',
    EDGE_DNS_SERVERS: edge.server,
    MERIDIAN_PEER_PORT: String(peerPort),
  });
  try {
    expect(sync.peerGeoTags).toEqual(['us', 'asia']);
    expect(configuredPeerGeoTags(config)).toEqual(sync.peerGeoTags);
    expect(view.peers.get('us')).toMatchObject({
      state: 'up',
      server: { host: '127.0.0.2', port: peerPort },
    });
    expect(view.hosts.get(HOST)?.get('us')?.addresses).toEqual(['192.0.2.10', '2001:db8::10']);
    expect(view.peers.get('asia')).toMatchObject({
      state: 'down',
      server: { host: '127.0.0.3', port: peerPort },
    });
    expect(answerA(view, config)).toEqual(['192.0.2.10', '198.51.100.1']);
    const up = await registry.getSingleMetric(PEER_METRIC_NAMES.up)?.get();
    expect(up?.values.map((v) => `${v.labels['peer']} ${v.value}`)).toEqual(['us 1', 'asia 0']);
  } finally {
    await sync.stop();
  }
});

test('MERIDIAN_PEERS replaces discovery', async () => {
  const { sync, view, config } = await syncUntilServed({
    MERIDIAN_PEERS: `us=127.0.0.2:${peerPort}`,
    // Would fail if asked: nothing listens there.
    EDGE_DNS_SERVERS: `127.0.0.1:${await freePort()}`,
  });
  try {
    expect(sync.peerGeoTags).toEqual(['us']);
    expect(configuredPeerGeoTags(config)).toEqual(['us']);
    expect(answerA(view, config)).toEqual(['192.0.2.10', '198.51.100.1']);
  } finally {
    await sync.stop();
  }
});

test('without peers nothing is polled and the view stays empty', async () => {
  const config = loadConfig({
    DNS_ZONES: 'example.org:cloud.example.org:30',
    CLUSTER_GEO_TAG: 'eu',
  });
  const sync = createPeerSync({
    config,
    edgeServers: config.edgeDnsServers,
    logger: capturingLogger().logger,
    metrics: createPeerMetrics(new Registry()),
    now: Date.now,
    hosts: () => LOCAL.hosts,
    onChange: () => {
      throw new Error('no change expected');
    },
  });
  await sync.start();
  expect(sync.peerGeoTags).toEqual([]);
  expect(sync.view().hosts.size).toBe(0);
  expect(withPeerTargets([LOCAL], sync.view())).toEqual([LOCAL]);
  await sync.stop();
});
