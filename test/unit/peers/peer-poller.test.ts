/**
 * The poller against scripted peers under Jest's fake clock: polls start on a
 * fixed cadence and never overlap, an overrunning poll is cut at its deadline
 * and the next one resumes where it stopped, one silent or dead peer never
 * delays another's answers, hysteresis decides what is served, the in-flight
 * cap holds, and the listener hears only about changes of what is served.
 */
import { Registry } from 'prom-client';
import type { DnsServer, QueryFn } from '../../../src/peers/dns-client';
import type { AddressType, FailureKind, QueryOutcome } from '../../../src/dns/client-message';
import {
  PeerPoller,
  type PeerPollerOptions,
  type PeerTarget,
} from '../../../src/peers/peer-poller';
import type { PeerView } from '../../../src/peers/peer-view';
import { createPeerMetrics, PEER_METRIC_NAMES } from '../../../src/telemetry/peer-metrics';
import { capturingLogger } from '../../helpers/telemetry';

/** How a scripted server behaves for a query. */
type Behaviour =
  | { readonly answer: { A?: string[]; AAAA?: string[] }; readonly delayMs?: number }
  | { readonly nxdomain: true; readonly delayMs?: number }
  | { readonly fail: FailureKind; readonly delayMs?: number }
  | { readonly silent: true };

interface Call {
  readonly server: string;
  readonly name: string;
  readonly type: AddressType;
  readonly at: number;
}

const T0 = 1_000_000;
const INTERVAL = 5_000;
const TIMEOUT = 1_500;

/** A scripted network: behaviour by server host, optionally by host name too. */
function network(): {
  query: QueryFn;
  calls: Call[];
  set(server: string, behaviour: Behaviour | ((name: string) => Behaviour)): void;
  maxInFlight(): number;
} {
  const behaviours = new Map<string, (name: string) => Behaviour>();
  const calls: Call[] = [];
  let inFlight = 0;
  let max = 0;
  const query: QueryFn = (server, name, type, signal) => {
    calls.push({ server: server.host, name, type, at: Date.now() });
    inFlight++;
    max = Math.max(max, inFlight);
    const behaviour = behaviours.get(server.host)?.(name) ?? { fail: 'network' };
    return new Promise<QueryOutcome>((resolve) => {
      const finish = (outcome: QueryOutcome): void => {
        clearTimeout(timer);
        inFlight--;
        resolve(outcome);
      };
      signal.addEventListener('abort', () =>
        finish({ ok: false, failure: 'aborted', detail: 'aborted' }),
      );
      const timer =
        'silent' in behaviour
          ? undefined
          : setTimeout(() => finish(outcomeOf(behaviour, type)), behaviour.delayMs ?? 1);
    });
  };
  return {
    query,
    calls,
    set: (server, behaviour) =>
      behaviours.set(server, typeof behaviour === 'function' ? behaviour : () => behaviour),
    maxInFlight: () => max,
  };
}

function outcomeOf(
  behaviour: Exclude<Behaviour, { silent: true }>,
  type: AddressType,
): QueryOutcome {
  if ('fail' in behaviour) return { ok: false, failure: behaviour.fail, detail: behaviour.fail };
  if ('nxdomain' in behaviour)
    return { ok: true, rcode: 'NXDOMAIN', addresses: [], transport: 'udp' };
  return { ok: true, rcode: 'NOERROR', addresses: behaviour.answer[type] ?? [], transport: 'udp' };
}

const server = (host: string): DnsServer => ({ host, port: 53 });
const peer = (geoTag: string, ...hosts: string[]): PeerTarget => ({
  geoTag,
  servers: hosts.map(server),
});

interface Rig {
  poller: PeerPoller;
  changes: { at: number; view: PeerView }[];
  registry: Registry;
  logs: Record<string, unknown>[];
  hosts: string[];
}

function rig(
  peers: PeerTarget[],
  query: QueryFn,
  overrides: Partial<PeerPollerOptions> = {},
  hosts = ['app.cloud.example.org'],
): Rig {
  const registry = new Registry();
  const { logger, logs } = capturingLogger('debug');
  const changes: { at: number; view: PeerView }[] = [];
  const hostList = [...hosts];
  const poller = new PeerPoller({
    peers: () => peers,
    hosts: () => hostList,
    query,
    intervalMs: INTERVAL,
    timeoutMs: TIMEOUT,
    maxInFlight: 256,
    hysteresis: { downAfter: 2, upAfter: 2 },
    now: () => Date.now(),
    metrics: createPeerMetrics(registry),
    logger,
    onChange: (view) => changes.push({ at: Date.now() - T0, view }),
    ...overrides,
  });
  return { poller, changes, registry, logs, hosts: hostList };
}

/** The served addresses of `host` from `geoTag` in the poller's current view. */
function served(poller: PeerPoller, geoTag: string, host = 'app.cloud.example.org'): unknown {
  return poller.view().hosts.get(host)?.get(geoTag)?.addresses;
}

async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

beforeEach(() => {
  jest.useFakeTimers({ now: T0 });
});

afterEach(() => {
  jest.useRealTimers();
});

const US = { answer: { A: ['10.0.0.1'], AAAA: ['2001:db8::1'] } };

test('the first poll starts at once; A and AAAA of localtargets-<host>. are asked; answers are served', async () => {
  const net = network();
  net.set('us', US);
  net.set('asia', { nxdomain: true });
  const r = rig([peer('us', 'us'), peer('asia', 'asia')], net.query);
  r.poller.start();
  await jest.advanceTimersByTimeAsync(10);
  expect(net.calls.map((c) => `${c.server} ${c.type} ${c.name} @${c.at - T0}`).sort()).toEqual([
    'asia A localtargets-app.cloud.example.org. @0',
    'asia AAAA localtargets-app.cloud.example.org. @0',
    'us A localtargets-app.cloud.example.org. @0',
    'us AAAA localtargets-app.cloud.example.org. @0',
  ]);
  const entry = r.poller.view().hosts.get('app.cloud.example.org');
  expect(entry?.get('us')).toEqual({
    addresses: ['10.0.0.1', '2001:db8::1'],
    state: 'up',
    lastSuccessMs: T0 + 1,
  });
  // NXDOMAIN is an answer: asia is up and has no healthy targets.
  expect(entry?.get('asia')).toEqual({ addresses: [], state: 'up', lastSuccessMs: T0 + 1 });
  expect(r.poller.view().peers.get('us')).toEqual({
    state: 'up',
    lastSuccessMs: T0 + 1,
    failedPolls: 0,
    lastError: null,
    server: server('us'),
  });
  expect(await metricValue(r.registry, PEER_METRIC_NAMES.up, { peer: 'us' })).toBe(1);
  expect(
    await metricValue(r.registry, PEER_METRIC_NAMES.queries, { peer: 'asia', outcome: 'nxdomain' }),
  ).toBe(2);
  await r.poller.stop();
});

test('the listener hears only changes of what is served, not every poll', async () => {
  const net = network();
  net.set('us', US);
  const r = rig([peer('us', 'us')], net.query);
  r.poller.start();
  await jest.advanceTimersByTimeAsync(3 * INTERVAL + 10);
  expect(net.calls).toHaveLength(8);
  expect(r.changes.map((c) => c.at)).toEqual([1]);
  // The view still moves on: lastSuccess is the latest poll's.
  expect(r.poller.view().peers.get('us')?.lastSuccessMs).toBe(T0 + 3 * INTERVAL + 1);
  net.set('us', { answer: { A: ['10.0.0.9'] } });
  await jest.advanceTimersByTimeAsync(INTERVAL);
  expect(r.changes.map((c) => c.at)).toEqual([1, 4 * INTERVAL + 1]);
  expect(served(r.poller, 'us')).toEqual(['10.0.0.9']);
  await r.poller.stop();
});

test('polls start on a fixed cadence and never overlap; a silent peer never delays a healthy one', async () => {
  const net = network();
  net.set('us', { ...US, delayMs: 20 });
  net.set('eu', { silent: true });
  const r = rig([peer('eu', 'eu'), peer('us', 'us')], net.query);
  r.poller.start();
  await jest.advanceTimersByTimeAsync(4 * INTERVAL + TIMEOUT + 10);
  const starts = (host: string): number[] => [
    ...new Set(net.calls.filter((c) => c.server === host).map((c) => c.at - T0)),
  ];
  expect(starts('us')).toEqual([0, 5_000, 10_000, 15_000, 20_000]);
  expect(starts('eu')).toEqual([0, 5_000, 10_000, 15_000, 20_000]);
  // us's answers are served 20 ms into the first poll, not after eu's 1.5 s timeout.
  expect(r.changes[0]?.at).toBe(20);
  expect(served(r.poller, 'us')).toEqual(['10.0.0.1', '2001:db8::1']);
  expect(r.poller.view().peers.get('eu')?.state).toBe('down');
  expect(
    await metricValue(r.registry, PEER_METRIC_NAMES.queries, { peer: 'eu', outcome: 'timeout' }),
  ).toBe(10);
  // Each poll lasted until eu's timeout, never longer.
  const durations = await r.registry.getSingleMetric(PEER_METRIC_NAMES.pollDuration)?.get();
  const valueOf = (suffix: string): number =>
    durations?.values.find((v) =>
      String((v as { metricName?: string }).metricName).endsWith(suffix),
    )?.value ?? 0;
  const [sum, count] = [valueOf('_sum'), valueOf('_count')];
  expect(count).toBe(5);
  expect(sum / count).toBeCloseTo(TIMEOUT / 1000, 2);
  await r.poller.stop();
});

test('a poll with more work than fits the interval ends at its deadline; the next resumes where it stopped', async () => {
  const net = network();
  net.set('us', { answer: { A: ['10.0.0.1'] }, delayMs: 900 });
  const hosts = Array.from({ length: 10 }, (_, i) => `h${i}.cloud.example.org`);
  const r = rig([peer('us', 'us')], net.query, { maxInFlight: 2 }, hosts);
  r.poller.start();
  await jest.advanceTimersByTimeAsync(INTERVAL - 1);
  // Two at a time, 900 ms each: 12 sent by 4.5 s; the 2 sent at 4.5 s are cut at 5 s.
  expect(net.calls).toHaveLength(12);
  await jest.advanceTimersByTimeAsync(10);
  expect(
    await metricValue(r.registry, PEER_METRIC_NAMES.queries, { peer: 'us', outcome: 'skipped' }),
  ).toBe(2 + 8);
  const firstPoll = 12;
  // The second poll starts on time and with the questions the first never finished.
  expect(net.calls.slice(firstPoll).map((c) => c.at - T0)).toEqual([INTERVAL, INTERVAL]);
  const asked = (calls: Call[]): string[] => calls.map((c) => `${c.name} ${c.type}`);
  const finishedFirst = asked(net.calls.slice(0, 10));
  expect(asked(net.calls.slice(firstPoll, firstPoll + 2))).toEqual(asked(net.calls.slice(10, 12)));
  await jest.advanceTimersByTimeAsync(INTERVAL);
  const everyQuestion = new Set(
    hosts.flatMap((h) => [`localtargets-${h}. A`, `localtargets-${h}. AAAA`]),
  );
  expect(new Set([...finishedFirst, ...asked(net.calls.slice(firstPoll))])).toEqual(everyQuestion);
  expect(net.maxInFlight()).toBe(2);
  await r.poller.stop();
});

test('a peer is down after 2 failed polls, not 1, and up again after 2 answered polls, not 1', async () => {
  const net = network();
  net.set('us', US);
  const r = rig([peer('us', 'us')], net.query);
  r.poller.start();
  await jest.advanceTimersByTimeAsync(10);
  expect(served(r.poller, 'us')).toEqual(['10.0.0.1', '2001:db8::1']);

  net.set('us', { fail: 'servfail' });
  await jest.advanceTimersByTimeAsync(INTERVAL);
  expect(r.poller.view().peers.get('us')?.state).toBe('up');
  expect(served(r.poller, 'us')).toEqual(['10.0.0.1', '2001:db8::1']);
  await jest.advanceTimersByTimeAsync(INTERVAL);
  expect(r.poller.view().peers.get('us')?.state).toBe('down');
  expect(served(r.poller, 'us')).toEqual([]);
  // What a decision record tells of the peer going down.
  expect(r.poller.view().peers.get('us')).toMatchObject({
    failedPolls: 2,
    lastError: 'servfail: servfail',
  });
  expect(r.changes.map((c) => c.at)).toEqual([1, 2 * INTERVAL + 1]);
  expect(r.logs.find((l) => l['level'] === 'warn')).toMatchObject({
    msg: 'peer us is down after failed polls; its targets are no longer served',
    peer: 'us',
    failure: 'servfail: servfail',
    lastSuccessMs: T0 + 1,
  });
  expect(r.logs.filter((l) => l['msg'] === 'peer us answered nothing in this poll')).toHaveLength(
    2,
  );

  net.set('us', { answer: { A: ['10.0.0.2'] } });
  await jest.advanceTimersByTimeAsync(INTERVAL);
  expect(r.poller.view().peers.get('us')?.state).toBe('down');
  expect(served(r.poller, 'us')).toEqual([]);
  await jest.advanceTimersByTimeAsync(INTERVAL);
  expect(r.poller.view().peers.get('us')?.state).toBe('up');
  expect(served(r.poller, 'us')).toEqual(['10.0.0.2']);
  expect(
    await metricValue(r.registry, PEER_METRIC_NAMES.stateChanges, { peer: 'us', state: 'down' }),
  ).toBe(1);
  // Up twice: at the first answer, and after the outage.
  expect(
    await metricValue(r.registry, PEER_METRIC_NAMES.stateChanges, { peer: 'us', state: 'up' }),
  ).toBe(2);
  await r.poller.stop();
});

test('answers from before a peer went down are not served when it comes back', async () => {
  const net = network();
  const [one, two] = ['one.cloud.example.org', 'two.cloud.example.org'];
  net.set('us', US);
  // The peer loses its address (discovery found none): its polls fail without
  // asking anything, so the answers it gave before stay recorded.
  const peers = [peer('us', 'us')];
  const r = rig(peers, net.query, { hysteresis: { downAfter: 2, upAfter: 1 } }, [one, two]);
  r.poller.start();
  await jest.advanceTimersByTimeAsync(10);
  expect(served(r.poller, 'us', two)).toEqual(['10.0.0.1', '2001:db8::1']);
  peers[0] = peer('us');
  await jest.advanceTimersByTimeAsync(2 * INTERVAL);
  expect(r.poller.view().peers.get('us')?.state).toBe('down');
  expect(served(r.poller, 'us', two)).toEqual([]);
  // Back, but `two` now fails once: its answer from before the outage stays unserved.
  peers[0] = peer('us', 'us');
  net.set('us', (name) =>
    name.includes(one) ? { answer: { A: ['10.0.0.5'] } } : { fail: 'servfail' },
  );
  await jest.advanceTimersByTimeAsync(INTERVAL);
  expect(r.poller.view().peers.get('us')?.state).toBe('up');
  expect(served(r.poller, 'us', one)).toEqual(['10.0.0.5']);
  expect(served(r.poller, 'us', two)).toEqual([]);
  expect(r.poller.view().hosts.get(two)?.get('us')).toEqual({
    addresses: [],
    state: 'up',
    lastSuccessMs: T0 + 1,
  });
  await r.poller.stop();
});

test('one host failing while the peer answers others: its answer is forgotten after 2 failures', async () => {
  const net = network();
  const [one, two] = ['one.cloud.example.org', 'two.cloud.example.org'];
  net.set('us', US);
  const r = rig([peer('us', 'us')], net.query, {}, [one, two]);
  r.poller.start();
  await jest.advanceTimersByTimeAsync(10);
  net.set('us', (name) => (name.includes(two) ? { fail: 'servfail' } : US));
  await jest.advanceTimersByTimeAsync(INTERVAL);
  expect(served(r.poller, 'us', two)).toEqual(['10.0.0.1', '2001:db8::1']);
  await jest.advanceTimersByTimeAsync(INTERVAL);
  expect(served(r.poller, 'us', two)).toEqual([]);
  expect(served(r.poller, 'us', one)).toEqual(['10.0.0.1', '2001:db8::1']);
  expect(r.poller.view().peers.get('us')?.state).toBe('up');
  await r.poller.stop();
});

test('a failed poll moves to the peer next address', async () => {
  const net = network();
  net.set('dead', { fail: 'network' });
  net.set('alive', US);
  const r = rig([peer('us', 'dead', 'alive')], net.query);
  r.poller.start();
  await jest.advanceTimersByTimeAsync(10);
  expect(r.poller.view().peers.get('us')).toMatchObject({ state: 'down', server: server('alive') });
  await jest.advanceTimersByTimeAsync(INTERVAL);
  expect(net.calls.map((c) => c.server)).toEqual(['dead', 'dead', 'alive', 'alive']);
  expect(served(r.poller, 'us')).toEqual(['10.0.0.1', '2001:db8::1']);
  await r.poller.stop();
});

test('the in-flight cap holds across peers, each getting an equal share', async () => {
  const net = network();
  for (const host of ['a', 'b', 'c']) net.set(host, { ...US, delayMs: 50 });
  const hosts = Array.from({ length: 10 }, (_, i) => `h${i}.cloud.example.org`);
  const r = rig(
    [peer('a', 'a'), peer('b', 'b'), peer('c', 'c')],
    net.query,
    { maxInFlight: 7 },
    hosts,
  );
  let maxSeen = 0;
  r.poller.start();
  for (let t = 0; t < 1_200; t += 10) {
    maxSeen = Math.max(maxSeen, r.poller.inFlight);
    await jest.advanceTimersByTimeAsync(10);
  }
  expect(net.calls).toHaveLength(60);
  expect(net.maxInFlight()).toBe(6); // 7 shared by 3 peers: 2 each
  expect(maxSeen).toBe(6);
  await r.poller.stop();
});

test('with more peers than the cap, the global cap still holds', async () => {
  const net = network();
  for (const host of ['a', 'b', 'c']) net.set(host, { ...US, delayMs: 50 });
  const r = rig([peer('a', 'a'), peer('b', 'b'), peer('c', 'c')], net.query, { maxInFlight: 2 });
  r.poller.start();
  await jest.advanceTimersByTimeAsync(1_000);
  expect(net.calls).toHaveLength(6);
  expect(net.maxInFlight()).toBe(2);
  for (const geoTag of ['a', 'b', 'c']) expect(served(r.poller, geoTag)).toHaveLength(2);
  await r.poller.stop();
});

test('a peer that answers nothing is asked no more than its share in one poll', async () => {
  const net = network();
  net.set('dead', { fail: 'network' });
  const hosts = Array.from({ length: 50 }, (_, i) => `h${i}.cloud.example.org`);
  const r = rig([peer('dead', 'dead')], net.query, { maxInFlight: 8 }, hosts);
  r.poller.start();
  await jest.advanceTimersByTimeAsync(100);
  expect(net.calls).toHaveLength(8);
  expect(
    await metricValue(r.registry, PEER_METRIC_NAMES.queries, { peer: 'dead', outcome: 'skipped' }),
  ).toBe(100 - 8);
  await r.poller.stop();
});

test('with a share of one, a single lost reply does not fail the poll', async () => {
  const net = network();
  let first = true;
  net.set('us', () => {
    if (!first) return US;
    first = false;
    return { fail: 'timeout' };
  });
  const hosts = ['one.cloud.example.org', 'two.cloud.example.org'];
  const r = rig([peer('us', 'us')], net.query, { maxInFlight: 1 }, hosts);
  const poll = r.poller.pollOnce();
  await jest.advanceTimersByTimeAsync(100);
  await poll;
  expect(net.calls).toHaveLength(4);
  expect(r.poller.view().peers.get('us')?.state).toBe('up');
  expect(served(r.poller, 'us', 'two.cloud.example.org')).toEqual(['10.0.0.1', '2001:db8::1']);
});

test('a peer without address fails its polls; with no hosts nothing is asked and nothing changes', async () => {
  const net = network();
  net.set('us', US);
  const r = rig([peer('none'), peer('us', 'us')], net.query, {}, []);
  r.poller.start();
  await jest.advanceTimersByTimeAsync(INTERVAL + 10);
  expect(net.calls).toHaveLength(0);
  expect(r.changes).toHaveLength(0);
  r.hosts.push('app.cloud.example.org');
  await jest.advanceTimersByTimeAsync(INTERVAL);
  expect(
    await metricValue(r.registry, PEER_METRIC_NAMES.queries, {
      peer: 'none',
      outcome: 'no_address',
    }),
  ).toBe(2);
  expect(r.poller.view().peers.get('none')).toEqual({
    state: 'down',
    lastSuccessMs: null,
    failedPolls: 1,
    lastError: 'no address known',
    server: null,
  });
  expect(served(r.poller, 'us')).toEqual(['10.0.0.1', '2001:db8::1']);
  await r.poller.stop();
});

test('a host gone from the table leaves the view, and that is a change', async () => {
  const net = network();
  net.set('us', US);
  const r = rig([peer('us', 'us')], net.query, {}, [
    'one.cloud.example.org',
    'two.cloud.example.org',
  ]);
  r.poller.start();
  await jest.advanceTimersByTimeAsync(10);
  expect([...r.poller.view().hosts.keys()]).toEqual([
    'one.cloud.example.org',
    'two.cloud.example.org',
  ]);
  r.hosts.splice(1, 1);
  await jest.advanceTimersByTimeAsync(INTERVAL);
  expect([...r.poller.view().hosts.keys()]).toEqual(['one.cloud.example.org']);
  expect(r.changes).toHaveLength(2);
  await r.poller.stop();
});

test('new addresses for a peer are taken up at the next poll', async () => {
  const net = network();
  net.set('old', US);
  net.set('new', { answer: { A: ['10.0.0.7'] } });
  const peers = [peer('us', 'old')];
  const r = rig(peers, net.query);
  r.poller.start();
  await jest.advanceTimersByTimeAsync(10);
  peers[0] = peer('us', 'new');
  await jest.advanceTimersByTimeAsync(INTERVAL);
  expect(r.poller.view().peers.get('us')?.server).toEqual(server('new'));
  expect(served(r.poller, 'us')).toEqual(['10.0.0.7']);
  await r.poller.stop();
});

test('stop() abandons a running poll at once', async () => {
  const net = network();
  net.set('eu', { silent: true });
  const r = rig([peer('eu', 'eu')], net.query);
  r.poller.start();
  await jest.advanceTimersByTimeAsync(100);
  let stopped = false;
  void r.poller.stop().then(() => {
    stopped = true;
  });
  await jest.advanceTimersByTimeAsync(0);
  expect(stopped).toBe(true);
  expect(r.poller.inFlight).toBe(0);
  await jest.advanceTimersByTimeAsync(3 * INTERVAL);
  expect(net.calls).toHaveLength(2);
});

test('a listener that throws does not stop polling; concurrent pollOnce calls share one poll', async () => {
  const net = network();
  net.set('us', US);
  const r = rig([peer('us', 'us')], net.query, {
    onChange: () => {
      throw new Error('listener broke');
    },
  });
  const first = r.poller.pollOnce();
  const second = r.poller.pollOnce();
  await jest.advanceTimersByTimeAsync(10);
  await Promise.all([first, second]);
  expect(net.calls).toHaveLength(2);
  expect(served(r.poller, 'us')).toEqual(['10.0.0.1', '2001:db8::1']);
  expect(r.logs.find((l) => l['level'] === 'error')?.['msg']).toBe('peer view listener failed');
  await r.poller.stop();
});
