/**
 * The poller with the real DNS client against three peers on loopback: a
 * Meridian process in standalone mode (cluster `us`, publishing
 * localtargets-<host> on its plain DNS listener), a black hole (a UDP socket
 * that reads and never replies) and a dead port (nothing listening: ICMP port
 * unreachable). The healthy peer's answers are served within milliseconds of
 * each poll's start and polls keep their cadence whatever the other two do;
 * those two are never up; the healthy peer goes down only after two failed
 * polls and comes back only after two answered ones.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createDnsClient, type QueryFn } from '../../src/peers/dns-client';
import { PeerPoller, type PeerTarget } from '../../src/peers/peer-poller';
import type { PeerView } from '../../src/peers/peer-view';
import { createPeerMetrics, PEER_METRIC_NAMES } from '../../src/telemetry/peer-metrics';
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
const MISSING = 'gone.cloud.example.org';
const INTERVAL_MS = 1_000;
const TIMEOUT_MS = 300;

let dir: string;
let meridian: Child;
let meridianPort: number;
let blackHole: Socket;
let blackHoleReads = 0;
let deadPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meridian-peer-'));
  writeFileSync(
    join(dir, 'app.yaml'),
    gslbYaml('app', HOST, ['192.0.2.10', '192.0.2.11', '2001:db8::10']),
  );
  meridianPort = await freePort();
  meridian = await startMeridianProcess(
    await meridianProcessEnv(dir, {
      CLUSTER_GEO_TAG: 'us',
      MERIDIAN_DNS_LISTEN: `127.0.0.1:${meridianPort}`,
    }),
  );
  blackHole = createSocket('udp4');
  blackHole.on('message', () => blackHoleReads++);
  await new Promise<void>((resolve) => blackHole.bind(0, '127.0.0.1', resolve));
  deadPort = await freePort();
});

afterAll(async () => {
  await meridian?.stop();
  blackHole?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Rig {
  poller: PeerPoller;
  registry: Registry;
  /** Time of each query sent, by peer, relative to the rig's start. */
  sent: Map<string, number[]>;
  changes: { at: number; view: PeerView }[];
  started: number;
}

function rig(peers: PeerTarget[]): Rig {
  const client = createDnsClient(TIMEOUT_MS);
  const started = performance.now();
  const sent = new Map<string, number[]>();
  const query: QueryFn = (server, name, type, signal) => {
    const key = `${server.host}:${server.port}`;
    sent.set(key, [...(sent.get(key) ?? []), performance.now() - started]);
    return client(server, name, type, signal);
  };
  const registry = new Registry();
  const changes: { at: number; view: PeerView }[] = [];
  const poller = new PeerPoller({
    peers: () => peers,
    hosts: () => [HOST, MISSING],
    query,
    intervalMs: INTERVAL_MS,
    timeoutMs: TIMEOUT_MS,
    maxInFlight: 256,
    hysteresis: { downAfter: 2, upAfter: 2 },
    now: Date.now,
    metrics: createPeerMetrics(registry),
    logger: capturingLogger().logger,
    onChange: (view) => changes.push({ at: performance.now() - started, view }),
  });
  return { poller, registry, sent, changes, started };
}

const peers = (): PeerTarget[] => [
  { geoTag: 'eu', servers: [{ host: '127.0.0.1', port: blackHole.address().port }] },
  { geoTag: 'asia', servers: [{ host: '127.0.0.1', port: deadPort }] },
  { geoTag: 'us', servers: [{ host: '127.0.0.1', port: meridianPort }] },
];

const served = (view: PeerView, geoTag: string, host = HOST): readonly string[] | undefined =>
  view.hosts.get(host)?.get(geoTag)?.addresses;

async function outcomes(registry: Registry, peer: string): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric(PEER_METRIC_NAMES.queries)?.get();
  return Object.fromEntries(
    (metric?.values ?? [])
      .filter((v) => v.labels['peer'] === peer && v.value > 0)
      .map((v) => [String(v.labels['outcome']), v.value]),
  );
}

test('the healthy peer is served on schedule while a black hole and a dead peer time out and fail', async () => {
  const r = rig(peers());
  r.poller.start();
  await new Promise((resolve) => setTimeout(resolve, 4 * INTERVAL_MS + TIMEOUT_MS + 100));
  await r.poller.stop();

  // Meridian answers with its own targets of the host (A and AAAA), and
  // NXDOMAIN for a host it does not serve: an answer, "nothing healthy there".
  const view = r.poller.view();
  expect(served(view, 'us')).toEqual(['192.0.2.10', '192.0.2.11', '2001:db8::10']);
  expect(view.hosts.get(MISSING)?.get('us')).toMatchObject({ addresses: [], state: 'up' });
  expect(view.peers.get('us')?.state).toBe('up');
  expect(view.peers.get('eu')).toMatchObject({ state: 'down', lastSuccessMs: null });
  expect(view.peers.get('asia')).toMatchObject({ state: 'down', lastSuccessMs: null });

  // The healthy peer's answers were served a few ms into the first poll,
  // not after the black hole's 300 ms timeout.
  expect(r.changes).toHaveLength(1);
  expect(r.changes[0]?.at).toBeLessThan(TIMEOUT_MS / 2);

  // Five polls, one per second, each starting within 50 ms of its slot.
  const pollStarts = (key: string): number[] =>
    (r.sent.get(key) ?? []).filter((t, i, all) => i === 0 || t - (all[i - 1] ?? 0) > 500);
  const us = pollStarts(`127.0.0.1:${meridianPort}`);
  expect(us).toHaveLength(5);
  us.forEach((t, i) => {
    expect(Math.abs(t - i * INTERVAL_MS)).toBeLessThan(50);
  });
  expect(pollStarts(`127.0.0.1:${blackHole.address().port}`)).toHaveLength(5);

  expect(await outcomes(r.registry, 'us')).toEqual({ answer: 10, nxdomain: 10 });
  expect(await outcomes(r.registry, 'eu')).toEqual({ timeout: 20 });
  expect(await outcomes(r.registry, 'asia')).toEqual({ network: 20 });
  expect(blackHoleReads).toBeGreaterThanOrEqual(20);
});

test('a peer that stops answering goes down after 2 failed polls, and is up again after 2 answered ones', async () => {
  const r = rig(peers().filter((p) => p.geoTag === 'us'));
  const state = (): string | undefined => r.poller.view().peers.get('us')?.state;
  await r.poller.pollOnce();
  expect(state()).toBe('up');
  expect(served(r.poller.view(), 'us')).toHaveLength(3);

  const pid = meridian.process.pid ?? 0;
  process.kill(pid, 'SIGSTOP');
  try {
    await r.poller.pollOnce();
    expect(state()).toBe('up');
    expect(served(r.poller.view(), 'us')).toHaveLength(3);
    await r.poller.pollOnce();
    expect(state()).toBe('down');
    expect(served(r.poller.view(), 'us')).toEqual([]);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await r.poller.pollOnce();
  expect(state()).toBe('down');
  expect(served(r.poller.view(), 'us')).toEqual([]);
  await r.poller.pollOnce();
  expect(state()).toBe('up');
  expect(served(r.poller.view(), 'us')).toEqual(['192.0.2.10', '192.0.2.11', '2001:db8::10']);
  expect(r.changes.map((c) => served(c.view, 'us')?.length)).toEqual([3, 0, 3]);
  const changes = await r.registry.getSingleMetric(PEER_METRIC_NAMES.stateChanges)?.get();
  expect(changes?.values.map((v) => `${v.labels['state']} ${v.value}`).sort()).toEqual([
    'down 1',
    'up 2',
  ]);
});

test('a local health change at the peer reaches the view at the next poll', async () => {
  const r = rig(peers().filter((p) => p.geoTag === 'us'));
  await r.poller.pollOnce();
  writeFileSync(join(dir, 'app.yaml'), gslbYaml('app', HOST, ['192.0.2.99']));
  try {
    const changed = performance.now();
    for (;;) {
      await r.poller.pollOnce();
      if (served(r.poller.view(), 'us')?.[0] === '192.0.2.99') break;
      if (performance.now() - changed > 5_000)
        throw new Error('the peer change was not seen in 5 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(served(r.poller.view(), 'us')).toEqual(['192.0.2.99']);
  } finally {
    writeFileSync(
      join(dir, 'app.yaml'),
      gslbYaml('app', HOST, ['192.0.2.10', '192.0.2.11', '2001:db8::10']),
    );
  }
});
