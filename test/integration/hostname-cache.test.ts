/**
 * The host name cache against a small UDP DNS server on 127.0.0.1 whose
 * answers the test sets: a miss is pending and resolves in the background
 * (A and AAAA, canonical IPv6), failures are told apart from missing names,
 * onChange fires only when a result changes, refresh() looks every name up
 * again, the cache is bounded (least recently used first out), at most
 * maxConcurrent names are looked up at once, a failure of a name that
 * resolved keeps its addresses for the grace, stop() ends it.
 */
import { waitFor } from '../../harness/eventually';
import type { HostPort } from '../../src/config/host-port';
import { createSocket, type Socket } from 'node:dgram';
import * as dnsPacket from 'dns-packet';
import { HostnameCache, type HostnameCacheOptions } from '../../src/k8s/reconcile/hostname-cache';
import type { WatchHandlers } from '../../src/k8s/client/kube-api';
import { WATCHED_KINDS, type WatchedKind } from '../../src/k8s/ingest/object-index';
import { RESOURCES } from '../../src/k8s/ingest/object-index';
import { KubernetesSource } from '../../src/k8s/kubernetes-source';
import type { GslbRecord } from '../../src/table/model';
import { createKubeMetrics } from '../../src/telemetry/kube-metrics';
import { Registry } from 'prom-client';
import { FakeKubeApi } from '../helpers/fake-kube-api';
import { capturingLogger } from '../helpers/telemetry';
import { GSLB_CLAIM, gslbObject, rules, serviceObject, sliceObject } from '../helpers/kube-objects';

/** What the server answers for one name. */
interface Zone {
  a?: string[];
  aaaa?: string[];
  /** DNS RCODE to answer with instead (2 = SERVFAIL). */
  rcode?: number;
  /** Never answer. */
  drop?: boolean;
  /** Answer this much later. */
  delayMs?: number;
}

interface DnsServer {
  readonly address: HostPort;
  readonly names: Map<string, Zone>;
  /** `TYPE name` of every question received. */
  readonly queries: string[];
  /** The most names with a question not yet answered at one time. */
  maxOutstanding: number;
  close(): Promise<void>;
}

const NXDOMAIN = 3;
const SERVFAIL = 2;

async function startDnsServer(): Promise<DnsServer> {
  const socket: Socket = createSocket('udp4');
  const names = new Map<string, Zone>();
  const queries: string[] = [];
  /** Questions not yet answered, by name. */
  const outstanding = new Map<string, number>();
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const server: DnsServer = {
    address: { host: '127.0.0.1', port: socket.address().port },
    names,
    queries,
    maxOutstanding: 0,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (message, peer) => {
    const query = dnsPacket.decode(message);
    const question = query.questions?.[0];
    if (question === undefined) return;
    queries.push(`${question.type} ${question.name}`);
    const zone = names.get(question.name.toLowerCase());
    if (zone?.drop === true) return;
    outstanding.set(question.name, (outstanding.get(question.name) ?? 0) + 1);
    server.maxOutstanding = Math.max(server.maxOutstanding, outstanding.size);
    const rcode = zone === undefined ? NXDOMAIN : (zone.rcode ?? 0);
    const data =
      question.type === 'A' ? zone?.a : question.type === 'AAAA' ? zone?.aaaa : undefined;
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | rcode,
      questions: [question],
      answers:
        rcode === 0
          ? (data ?? []).map((value) => ({
              name: question.name,
              type: question.type as 'A',
              ttl: 30,
              data: value,
            }))
          : [],
    });
    const send = (): void => {
      const left = outstanding.get(question.name)! - 1;
      if (left === 0) outstanding.delete(question.name);
      else outstanding.set(question.name, left);
      socket.send(reply, peer.port, peer.address);
    };
    if (zone?.delayMs === undefined) send();
    else setTimeout(send, zone.delayMs);
  });
  return server;
}

/** A UDP port on 127.0.0.1 nobody listens on. */
async function closedPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let server: DnsServer;
let changes: number;
let caches: HostnameCache[];

function makeCache(options: Partial<HostnameCacheOptions> = {}): HostnameCache {
  const cache = new HostnameCache({
    servers: [server.address],
    maxNames: 100,
    timeoutMs: 500,
    onChange: () => changes++,
    ...options,
  });
  caches.push(cache);
  return cache;
}

/** Looks `name` up until it is no longer pending. */
async function settled(
  cache: HostnameCache,
  name: string,
): Promise<ReturnType<HostnameCache['lookup']>> {
  await waitFor(() => cache.lookup(name).state !== 'pending', 5_000, `${name} to settle`);
  return cache.lookup(name);
}

beforeAll(async () => {
  server = await startDnsServer();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.names.clear();
  server.queries.length = 0;
  server.maxOutstanding = 0;
  changes = 0;
  caches = [];
});

afterEach(() => {
  for (const cache of caches) cache.stop();
});

test('a miss is pending; the lookup runs once in the background and resolves A and AAAA, IPv6 canonical', async () => {
  server.names.set('app.example.net', {
    a: ['192.0.2.1', '192.0.2.2'],
    aaaa: ['2001:db8:0:0:0:0:0:1'],
  });
  const cache = makeCache();
  expect(cache.lookup('app.example.net')).toEqual({ state: 'pending' });
  expect(cache.lookup('app.example.net')).toEqual({ state: 'pending' });
  await waitFor(() => changes === 1, 5_000, 'onChange');
  expect(cache.lookup('app.example.net')).toEqual({
    state: 'resolved',
    addresses: ['192.0.2.1', '192.0.2.2', '2001:db8::1'],
  });
  expect([...server.queries].sort()).toEqual(['A app.example.net', 'AAAA app.example.net']);
});

test.each<[string, Zone, unknown]>([
  ['A only (AAAA NODATA)', { a: ['192.0.2.7'] }, { state: 'resolved', addresses: ['192.0.2.7'] }],
  ['AAAA only', { aaaa: ['2001:db8::7'] }, { state: 'resolved', addresses: ['2001:db8::7'] }],
  ['no records at all (NODATA)', {}, { state: 'failed', error: 'no A or AAAA record' }],
  [
    'SERVFAIL',
    { rcode: SERVFAIL },
    { state: 'failed', error: 'queryA ESERVFAIL case.example.net' },
  ],
])('%s', async (_case, zone, expected) => {
  server.names.set('case.example.net', zone);
  const cache = makeCache();
  expect(await settled(cache, 'case.example.net')).toEqual(expected);
  expect(changes).toBe(1);
});

test('a name that does not exist fails as missing', async () => {
  const cache = makeCache();
  expect(await settled(cache, 'nowhere.example.net')).toEqual({
    state: 'failed',
    error: 'no A or AAAA record',
  });
});

test('a server nobody listens on fails the lookup', async () => {
  const cache = makeCache({
    servers: [{ host: '127.0.0.1', port: await closedPort() }],
    timeoutMs: 200,
  });
  const result = await settled(cache, 'dead.example.net');
  expect(result.state).toBe('failed');
  expect(result.state === 'failed' && result.error).toMatch(
    /^query(A|AAAA) E(CONNREFUSED|TIMEOUT) dead\.example\.net$/,
  );
});

test('refresh looks every name up again; onChange fires only when a result changed', async () => {
  server.names.set('a.example.net', { a: ['192.0.2.1'] });
  server.names.set('b.example.net', { a: ['192.0.2.2'] });
  const cache = makeCache();
  await settled(cache, 'a.example.net');
  await settled(cache, 'b.example.net');
  expect(changes).toBe(2);

  const before = server.queries.length;
  cache.refresh();
  await waitFor(() => server.queries.length === before + 4, 5_000, 'the refresh queries');
  await pause(50);
  expect(changes).toBe(2);

  server.names.set('b.example.net', { a: ['192.0.2.3'], aaaa: ['2001:db8::3'] });
  cache.refresh();
  await waitFor(() => changes === 3, 5_000, 'onChange after a change');
  expect(cache.lookup('b.example.net')).toEqual({
    state: 'resolved',
    addresses: ['192.0.2.3', '2001:db8::3'],
  });
  expect(cache.lookup('a.example.net')).toEqual({ state: 'resolved', addresses: ['192.0.2.1'] });

  server.names.delete('a.example.net');
  cache.refresh();
  await waitFor(() => changes === 4, 5_000, 'onChange after a name went away');
  expect(cache.lookup('a.example.net')).toEqual({ state: 'failed', error: 'no A or AAAA record' });
});

test('beyond maxNames the least recently used name is dropped', async () => {
  for (const name of ['a', 'b', 'c']) server.names.set(`${name}.example.net`, { a: ['192.0.2.1'] });
  const cache = makeCache({ maxNames: 2 });
  await settled(cache, 'a.example.net');
  await settled(cache, 'b.example.net');
  // Using a makes b the least recently used.
  expect(cache.lookup('a.example.net').state).toBe('resolved');
  await settled(cache, 'c.example.net');
  expect(cache.lookup('a.example.net').state).toBe('resolved');
  expect(cache.lookup('c.example.net').state).toBe('resolved');
  expect(cache.lookup('b.example.net')).toEqual({ state: 'pending' });
});

test('stop drops lookups in flight and starts no new ones; cached names still answer', async () => {
  server.names.set('known.example.net', { a: ['192.0.2.1'] });
  server.names.set('slow.example.net', { drop: true });
  const cache = makeCache({ timeoutMs: 2_000 });
  await settled(cache, 'known.example.net');
  expect(cache.lookup('slow.example.net')).toEqual({ state: 'pending' });
  await waitFor(() => server.queries.includes('A slow.example.net'), 5_000, 'the slow query');
  cache.stop();
  const queries = server.queries.length;
  expect(cache.lookup('new.example.net')).toEqual({ state: 'pending' });
  cache.refresh();
  await pause(100);
  expect(server.queries.length).toBe(queries);
  expect(cache.lookup('slow.example.net')).toEqual({ state: 'pending' });
  expect(cache.lookup('known.example.net')).toEqual({
    state: 'resolved',
    addresses: ['192.0.2.1'],
  });
  expect(changes).toBe(1);
});

test('at most maxConcurrent names are looked up at once; the rest wait, misses before refreshes', async () => {
  const names = Array.from({ length: 60 }, (_, i) => `n${i}.example.net`);
  for (const [i, name] of names.entries())
    server.names.set(name, { a: [`192.0.2.${i + 1}`], delayMs: 20 });
  const cache = makeCache({ maxConcurrent: 4 });
  for (const name of names) expect(cache.lookup(name)).toEqual({ state: 'pending' });
  expect(cache.running).toBe(4);
  await waitFor(() => changes === names.length, 10_000, 'every first lookup');
  expect(server.maxOutstanding).toBe(4);

  server.maxOutstanding = 0;
  const before = server.queries.length;
  cache.refresh();
  expect(cache.running).toBe(4);
  // A miss during the refresh goes ahead of the refreshes still waiting.
  server.names.set('new.example.net', { a: ['198.51.100.1'] });
  expect(cache.lookup('new.example.net')).toEqual({ state: 'pending' });
  await waitFor(() => cache.lookup('new.example.net').state === 'resolved', 5_000, 'the miss');
  expect(server.queries.length - before).toBeLessThan(names.length);
  await waitFor(
    () => server.queries.length === before + 2 * names.length + 2,
    10_000,
    'the refresh queries',
  );
  await waitFor(() => cache.running === 0, 5_000, 'the refresh to end');
  expect(server.maxOutstanding).toBe(4);
  // Nothing changed: no onChange but the miss's.
  expect(changes).toBe(names.length + 1);
  expect(cache.lookup('n59.example.net')).toEqual({
    state: 'resolved',
    addresses: ['192.0.2.60'],
  });
});

describe('a name that resolved, when its lookups fail', () => {
  const GRACE = 60_000;
  let clock: number;
  let cache: HostnameCache;
  const ADDRESSES = { state: 'resolved', addresses: ['192.0.2.1'] };

  /** Refreshes and waits until both questions of the name were answered. */
  async function refreshed(): Promise<void> {
    const before = server.queries.length;
    cache.refresh();
    await waitFor(() => server.queries.length >= before + 2, 5_000, 'the refresh queries');
    await waitFor(() => cache.running === 0, 5_000, 'the refresh to end');
  }

  beforeEach(async () => {
    clock = 1_000_000;
    server.names.set('lb.example.net', { a: ['192.0.2.1'] });
    cache = makeCache({ failureGraceMs: GRACE, now: () => clock });
    expect(await settled(cache, 'lb.example.net')).toEqual(ADDRESSES);
    expect(changes).toBe(1);
  });

  test('within the grace: the last addresses are kept and nothing changes', async () => {
    server.names.set('lb.example.net', { rcode: SERVFAIL });
    await refreshed();
    expect(cache.lookup('lb.example.net')).toEqual(ADDRESSES);
    clock += GRACE - 1;
    await refreshed();
    expect(cache.lookup('lb.example.net')).toEqual(ADDRESSES);
    expect(changes).toBe(1);
  });

  test('after the grace: the next failed lookup reports the failure', async () => {
    server.names.set('lb.example.net', { rcode: SERVFAIL });
    await refreshed();
    clock += GRACE;
    await refreshed();
    expect(cache.lookup('lb.example.net')).toEqual({
      state: 'failed',
      error: 'queryA ESERVFAIL lb.example.net',
    });
    expect(changes).toBe(2);
    // And a recovery is news again.
    server.names.set('lb.example.net', { a: ['192.0.2.1'] });
    await refreshed();
    expect(cache.lookup('lb.example.net')).toEqual(ADDRESSES);
    expect(changes).toBe(3);
  });

  test('a recovery within the grace changes nothing, and a later failure has a grace of its own', async () => {
    server.names.set('lb.example.net', { rcode: SERVFAIL });
    await refreshed();
    clock += GRACE / 2;
    server.names.set('lb.example.net', { a: ['192.0.2.1'] });
    await refreshed();
    expect(changes).toBe(1);
    server.names.set('lb.example.net', { rcode: SERVFAIL });
    clock += GRACE / 2;
    await refreshed();
    clock += GRACE / 2;
    await refreshed();
    expect(cache.lookup('lb.example.net')).toEqual(ADDRESSES);
    expect(changes).toBe(1);
  });

  test('an answer that the name has no address is reported at once', async () => {
    server.names.delete('lb.example.net');
    await refreshed();
    expect(cache.lookup('lb.example.net')).toEqual({
      state: 'failed',
      error: 'no A or AAAA record',
    });
    expect(changes).toBe(2);
  });

  test('with no grace every failure is reported at once', async () => {
    const strict = makeCache({ failureGraceMs: 0 });
    expect(await settled(strict, 'lb.example.net')).toEqual(ADDRESSES);
    server.names.set('lb.example.net', { rcode: SERVFAIL });
    strict.refresh();
    await waitFor(() => strict.lookup('lb.example.net').state === 'failed', 5_000, 'the failure');
  });
});

describe('in the Kubernetes source', () => {
  test('a Gslb waits for its exposed host name, then is served and its status written', async () => {
    server.names.set('lb.example.net', { a: ['203.0.113.1'] });
    const api = new FakeKubeApi();
    const handlers = (kind: WatchedKind): WatchHandlers => api.watchOf(RESOURCES[kind]).handlers;
    const served: (readonly GslbRecord[])[] = [];
    const source = new KubernetesSource({
      api,
      geoTag: 'eu',
      defaultTtlSeconds: 30,
      clusterExposedIps: [],
      inZone: (host) => host.endsWith('.cloud.example.org'),
      edgeDnsServers: [server.address],
      debounceMs: 5,
      maxDelayMs: 50,
      resyncIntervalMs: 600_000,
      logger: capturingLogger().logger,
      metrics: createKubeMetrics(new Registry(), {
        namespace: 'test',
        version: 'test',
        runtimeVersion: 'test',
        arch: 'test',
        os: 'test',
        gitSha: 'none',
      }),
      now: () => new Date('2026-03-01T00:00:00Z'),
      serve: (records) => {
        served.push(records);
        return [];
      },
      writerLease: null,
    });
    source.start();
    try {
      handlers('Gslb').onEvent({
        type: 'add',
        object: gslbObject({
          annotations: { 'k8gb.io/exposed-hostnames': 'lb.example.net' },
          ingress: { rules: rules({ 'app.cloud.example.org': ['web'] }) },
        }),
      });
      handlers('Service').onEvent({ type: 'add', object: serviceObject('web') });
      handlers('EndpointSlice').onEvent({ type: 'add', object: sliceObject('web-1', 'web', true) });
      for (const kind of WATCHED_KINDS) handlers(kind).onSynced();
      await waitFor(() => served.length >= 2, 5_000, 'the reconcile after the lookup');
      // First pass: the name is being looked up; nothing served, no status.
      expect(served[0]).toEqual([]);
      expect(served[1]).toEqual([
        {
          id: 'shop/web',
          hosts: ['app.cloud.example.org'],
          strategy: 'roundRobin',
          ttlSeconds: 30,
          claim: GSLB_CLAIM,
          clusters: [{ geoTag: 'eu', addresses: ['203.0.113.1'] }],
        },
      ]);
      await waitFor(() => api.requests.length > 0, 5_000, 'the status write');
      expect(api.sent().filter((r) => r.endsWith('/status'))).toEqual([
        'PATCH /apis/k8gb.io/v1beta1/namespaces/shop/gslbs/web/status',
      ]);
    } finally {
      await source.stop(100);
    }
  });
});
