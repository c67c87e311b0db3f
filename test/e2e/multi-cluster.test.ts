/**
 * Three clusters (eu, us, ap) on one machine, each its own kube-apiserver +
 * etcd, Meridian and CoreDNS (on 127.0.0.1, .2 and .3, one port), with a
 * real BIND 9 as the edge DNS holding the delegation and glue through which
 * each Meridian finds its peers. A Gslb for the same host lives in every
 * cluster; health is set by patching EndpointSlice readiness in one cluster,
 * and every cluster's CoreDNS is asked what it answers (a UDP client while
 * waiting, kdig to confirm). Shown: failover with ordered fallbacks and
 * k8gb's two-cluster outcome table, round robin shrinking and growing,
 * a cluster's Gslb status listing the peers' targets as served, weighted
 * shares over 10,000 queries, geoip by EDNS Client Subnet, a killed
 * and a black-holed peer not holding up the others, a restart behind a
 * distant peer link answering nothing but the steady state, and how long a
 * health change takes to reach the answers, locally and at the peers
 * (printed, for docs/benchmarks.md).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { dig } from '../../harness/dig';
import { probeTargets } from '../helpers/probe-targets';
import { eventually } from '../../harness/eventually';
import { eventsAbout, gslbStatus, patch, read } from '../../harness/kube-meridian';
import type { DrillReport } from '../../src/cli/drill-report';
import { writeGeoDatabase } from '../helpers/geo-database';
import { latencySummary, type FlipSample } from '../../harness/kube-speed';
import {
  askEvery,
  CLUSTERS,
  converge,
  countAnswers,
  delayedPeerLink,
  deployApp,
  geoNetworks,
  holds,
  ipv6TargetsOf,
  kdigAnswers,
  PEERS,
  seenAs,
  setHealth,
  SITE_CLIENTS,
  startMultiCluster,
  targetsOf,
  type App,
  type ConvergeOptions,
  type Expectation,
  type MultiCluster,
  type Sample,
} from '../helpers/multi-cluster';

const ALL = CLUSTERS.map((c) => c.geoTag);
const EMPTY: readonly string[] = [];
/** Bound on waiting for a correct answer where the test is about correctness, not speed. */
const SETTLE_MS = 15_000;
/** The convergence targets: served locally within 1 s, by every peer within one poll interval plus 1 s. */
const LOCAL_TARGET_MS = 1_000;
const REMOTE_TARGET_MS = PEERS.pollIntervalMs + 1_000;
/**
 * A peer that stops answering is down after `downAfter` failed polls (README,
 * "Peer clusters"): the last of them starts at most downAfter intervals after
 * it stopped and fails after one query timeout; then 1 s to be served.
 */
const PEER_DOWN_MS = PEERS.downAfter * PEERS.pollIntervalMs + PEERS.queryTimeoutMs + 1_000;
/** A peer back is up after `upAfter` answered polls, the last at most upAfter intervals later. */
const PEER_UP_MS = PEERS.upAfter * PEERS.pollIntervalMs + 1_000;
/** Long enough for a change to have reached every peer, to check that an answer did not change. */
const HOLD_MS = REMOTE_TARGET_MS + 500;
const WEIGHTED_QUERIES = 10_000;
const SHARE_TOLERANCE_PP = 3;
const CONVERGENCE_FLIPS = 18;
/** The restart test: a query every 10 ms, through a peer link holding each datagram 300 ms. */
const RESTART_QUERY_EVERY_MS = 10;
const LINK_DELAY_MS = 300;
/** Steady answers asked for before the restart and after the restarted cluster answers again. */
const STEADY_BEFORE_MS = 1_000;
const STEADY_AFTER_MS = 1_000;

let mc: MultiCluster;

beforeAll(async () => {
  mc = await startMultiCluster();
}, 240_000);

afterAll(async () => {
  await mc?.stop();
}, 90_000);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function report(line: string): void {
  process.stdout.write(`multi-cluster: ${line}\n`);
}

const everywhere = (
  geoTags: readonly string[],
  expectation: Expectation,
): Record<string, Expectation> => Object.fromEntries(geoTags.map((tag) => [tag, expectation]));

/** Runs one step of a scenario; a failure names the step. */
async function step<T>(what: string, run: () => Promise<T> | T): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof Error) err.message = `${what}: ${err.message}`;
    throw err;
  }
}

/** Waits until every cluster of `expected` answers so, then confirms it with kdig. */
async function expectAnswers(
  host: string,
  expected: Readonly<Record<string, Expectation>>,
  options: Omit<ConvergeOptions, 'timeoutMs'> = {},
): Promise<Record<string, number>> {
  const reached = await converge(mc, host, expected, { timeoutMs: SETTLE_MS, ...options });
  expect(await kdigAnswers(mc, host, Object.keys(expected), options)).toEqual(seenAs(expected));
  return reached;
}

/**
 * For a change that must not alter the answer: waits until the changed
 * cluster publishes it to its peers (`localtargets-<host>`, what peers
 * poll), then checks that every cluster's answer stays as it was.
 */
async function expectUnchanged(
  app: App,
  geoTag: string,
  ready: boolean,
  expected: Readonly<Record<string, Expectation>>,
): Promise<void> {
  const published: Expectation = ready ? targetsOf(geoTag) : { rcode: 'NXDOMAIN' };
  await converge(mc, `localtargets-${app.host}`, { [geoTag]: published }, { timeoutMs: SETTLE_MS });
  await holds(mc, app.host, expected, HOLD_MS);
}

/** Sets health and waits for the answers; returns the ms from the PATCHes returning to each answer. */
async function change(
  app: App,
  health: Readonly<Record<string, boolean>>,
  expected: Readonly<Record<string, Expectation>>,
): Promise<Record<string, number>> {
  await setHealth(app, health);
  const since = performance.now();
  return expectAnswers(app.host, expected, { since });
}

describe('failover', () => {
  test('primary eu, fallbacks us then ap: each cluster answers the first healthy one in that order, nothing when all are down, the primary again on recovery', async () => {
    const app = await deployApp(mc.clusters, 'failover', {
      type: 'failover',
      primaryGeoTag: 'eu',
      fallbackGeoTags: ['us', 'ap'],
      dnsTtlSeconds: 30,
    });
    const [eu, us, ap] = [targetsOf('eu'), targetsOf('us'), targetsOf('ap')];
    await step('all healthy', () => expectAnswers(app.host, everywhere(ALL, eu)));
    await step('a fallback down while the primary is healthy', async () => {
      await setHealth(app, { us: false });
      await expectUnchanged(app, 'us', false, everywhere(ALL, eu));
    });
    await step('that fallback back', async () => {
      await setHealth(app, { us: true });
      await expectUnchanged(app, 'us', true, everywhere(ALL, eu));
    });
    const sequence: [string, Record<string, boolean>, readonly string[]][] = [
      ['primary down: the first fallback', { eu: false }, us],
      ['primary and first fallback down: the next', { us: false }, ap],
      ['all down: an empty answer', { ap: false }, EMPTY],
      ['the last fallback recovers', { ap: true }, ap],
      ['the first fallback recovers: preferred over the last', { us: true }, us],
      ['the primary recovers', { eu: true }, eu],
    ];
    for (const [what, health, expected] of sequence)
      await step(what, () => change(app, health, everywhere(ALL, expected)));
  }, 120_000);

  test("k8gb's two-cluster outcome table (eu primary; ap runs no Gslb for the host)", async () => {
    const members = [mc.cluster('eu'), mc.cluster('us')];
    const app = await deployApp(members, 'table', { type: 'failover', primaryGeoTag: 'eu' });
    const [eu, us] = [targetsOf('eu'), targetsOf('us')];
    const both = ['eu', 'us'];
    await step('eu healthy, us healthy → eu IPs from both', async () => {
      await expectAnswers(app.host, everywhere(both, eu));
      // A cluster without the Gslb does not know the name (k8gb: no DNSEndpoint there).
      await expectAnswers(app.host, { ap: { rcode: 'NXDOMAIN' } });
    });
    await step('eu healthy, us down → eu IPs from both', async () => {
      await setHealth(app, { us: false });
      await expectUnchanged(app, 'us', false, everywhere(both, eu));
    });
    await step('eu down, us healthy → us IPs from both', async () => {
      await change(app, { eu: false, us: true }, everywhere(both, us));
    });
    // k8gb answers NXDOMAIN here (no DNSEndpoint is left); Meridian deliberately
    // answers NOERROR with no data and the SOA, as the name still exists
    // (docs/k8gb-compatibility.md#deliberate-differences). The answer is empty in both.
    await step('eu down, us down → empty answer from both', async () => {
      await change(app, { us: false }, everywhere(both, EMPTY));
    });
    await step('both healthy again → eu IPs from both', async () => {
      await change(app, { eu: true, us: true }, everywhere(both, eu));
    });
    try {
      await step(
        'both healthy, eu↔us DNS blocked → eu IPs from eu, us IPs from us (premature failover)',
        async () => {
          // Each one's glue now leads to a black hole: their polls of each other
          // time out, while the test still reaches both CoreDNS directly.
          const holes = await mc.partition(['eu', 'us']);
          await expectAnswers(app.host, { eu, us });
          await holds(mc, app.host, { eu, us }, 3 * PEERS.pollIntervalMs);
          // The peers' polls did go there, and were dropped.
          expect(holes.map((hole) => hole.received().datagrams > 0)).toEqual([true, true]);
        },
      );
    } finally {
      await mc.partition([]);
    }
    await step('partition healed → eu IPs from both', () =>
      expectAnswers(app.host, everywhere(both, eu)),
    );
  }, 120_000);
});

/**
 * Waits until `geoTag`'s Gslb status lists, as k8gb's healthyRecords do, the
 * targets its cluster serves for the host, the peers' included: the IPv4
 * targets of `ipv4From` and the IPv6 ones of `ipv6From`.
 */
async function expectHealthyRecords(
  app: App,
  geoTag: string,
  ipv4From: string[],
  ipv6From: string[],
): Promise<void> {
  const member = app.members.find((m) => m.geoTag === geoTag);
  if (member === undefined) throw new Error(`${app.host} is not in ${geoTag}`);
  const expected = [...targetsOf(...ipv4From), ...ipv6TargetsOf(...ipv6From)].sort();
  const status = await eventually(
    () => gslbStatus(member.env.cluster, app.namespace, 'app'),
    (s) =>
      JSON.stringify([...(s.healthyRecords?.[app.host] ?? [])].sort()) === JSON.stringify(expected),
    SETTLE_MS,
  ).catch(async () => gslbStatus(member.env.cluster, app.namespace, 'app'));
  expect([...(status.healthyRecords?.[app.host] ?? [])].sort()).toEqual(expected);
}

describe('round robin', () => {
  test('every healthy cluster’s targets from every cluster, shrinking as clusters go down and growing as they come back', async () => {
    const app = await deployApp(mc.clusters, 'rr', { type: 'roundRobin', dnsTtlSeconds: 30 });
    await step('all healthy', async () => {
      await expectAnswers(app.host, everywhere(ALL, targetsOf('eu', 'us', 'ap')));
      // IPv6 targets travel between peers too (ap has none).
      await expectAnswers(app.host, everywhere(ALL, ipv6TargetsOf('eu', 'us')), { type: 'AAAA' });
      await expectHealthyRecords(app, 'us', ['eu', 'us', 'ap'], ['eu', 'us']);
    });
    await step('status follows a peer', async () => {
      await change(app, { eu: false }, everywhere(ALL, targetsOf('us', 'ap')));
      await expectHealthyRecords(app, 'us', ['us', 'ap'], ['us']);
      await change(app, { eu: true }, everywhere(ALL, targetsOf('eu', 'us', 'ap')));
    });
    const sequence: [string, Record<string, boolean>, readonly string[]][] = [
      ['us down', { us: false }, targetsOf('eu', 'ap')],
      ['ap down too', { ap: false }, targetsOf('eu')],
      ['all down', { eu: false }, EMPTY],
      ['ap up', { ap: true }, targetsOf('ap')],
      ['us up', { us: true }, targetsOf('us', 'ap')],
      ['eu up', { eu: true }, targetsOf('eu', 'us', 'ap')],
    ];
    for (const [what, health, expected] of sequence)
      await step(what, () => change(app, health, everywhere(ALL, expected)));
    await step('AAAA after recovery', () =>
      expectAnswers(app.host, everywhere(ALL, ipv6TargetsOf('eu', 'us')), {
        type: 'AAAA',
      }),
    );
  }, 120_000);

  test(`weighted: over ${WEIGHTED_QUERIES.toLocaleString('en-US')} queries through one CoreDNS, each cluster's share within ±${SHARE_TOLERANCE_PP} pp of its weight`, async () => {
    const weights: Record<string, number> = { eu: 50, us: 30, ap: 20 };
    const app = await deployApp(mc.clusters, 'weighted', { type: 'roundRobin', weight: weights });
    const asked = mc.cluster('us');
    const clusterOf = new Map(ALL.map((tag) => [targetsOf(tag).join(','), tag]));

    /** Asks until `quiet` answers in a row are from `serving` clusters only and each was seen. */
    const settle = async (serving: readonly string[], quiet = 300): Promise<void> => {
      const deadline = performance.now() + SETTLE_MS;
      let run = 0;
      let seen = new Set<string>();
      while (run < quiet || seen.size < serving.length) {
        if (performance.now() > deadline)
          throw new Error(`answers not from ${serving.join(', ')} only within ${SETTLE_MS} ms`);
        const reply = await asked.client.ask(app.host);
        const tag = reply === null ? undefined : clusterOf.get(reply.addresses.join(','));
        if (tag !== undefined && serving.includes(tag)) {
          run++;
          seen.add(tag);
        } else {
          run = 0;
          seen = new Set();
        }
      }
    };

    const measure = async (serving: readonly string[]): Promise<void> => {
      await settle(serving);
      const started = performance.now();
      const counts = await countAnswers(asked.client, app.host, WEIGHTED_QUERIES, 32);
      const seconds = (performance.now() - started) / 1000;
      const total = serving.reduce((sum, tag) => sum + (weights[tag] ?? 0), 0);
      const shares: Record<string, number> = {};
      const unexpected: Record<string, number> = {};
      for (const [key, count] of counts) {
        const tag = clusterOf.get(key);
        if (tag === undefined) unexpected[key === '' ? 'unanswered' : key] = count;
        else shares[tag] = (100 * count) / WEIGHTED_QUERIES;
      }
      report(
        `weighted ${JSON.stringify(weights)} with ${serving.join(', ')} healthy, ${WEIGHTED_QUERIES} queries through us's CoreDNS in ${seconds.toFixed(1)} s: ` +
          ALL.map(
            (tag) =>
              `${tag} ${(shares[tag] ?? 0).toFixed(2)} % (expected ${(serving.includes(tag) ? (100 * (weights[tag] ?? 0)) / total : 0).toFixed(2)} %)`,
          ).join(', '),
      );
      // Each answer holds exactly one cluster's targets, all of them.
      expect(unexpected).toEqual({});
      const outside = ALL.flatMap((tag) => {
        const expectedShare = serving.includes(tag) ? (100 * (weights[tag] ?? 0)) / total : 0;
        const share = shares[tag] ?? 0;
        return Math.abs(share - expectedShare) > SHARE_TOLERANCE_PP
          ? [[tag, { share, expectedShare }] as const]
          : [];
      });
      expect(Object.fromEntries(outside)).toEqual({});
    };

    await step('all healthy', () => measure(ALL));
    // A cluster down: the others share by their weights alone.
    await setHealth(app, { ap: false });
    await step('ap down', () => measure(['eu', 'us']));
    await setHealth(app, { ap: true });
  }, 180_000);
});

describe('geoip', () => {
  test('clients of the eu and us sites get their site’s targets from every cluster, an unknown client all of them; a site whose targets are down gets all healthy ones', async () => {
    const app = await deployApp(mc.clusters, 'geo', { type: 'geoip' });
    const all = targetsOf('eu', 'us', 'ap');
    const cases = async (what: string, expectations: [string, readonly string[]][]) => {
      for (const [clientSubnet, expected] of expectations)
        await step(`${what}, client ${clientSubnet}`, () =>
          expectAnswers(app.host, everywhere(ALL, expected), { clientSubnet }),
        );
    };
    await cases('all healthy', [
      [SITE_CLIENTS.euSite, targetsOf('eu')],
      [SITE_CLIENTS.usSite, targetsOf('us')],
      [SITE_CLIENTS.unknown, all],
    ]);
    await step('all healthy, no client subnet', () =>
      expectAnswers(app.host, everywhere(ALL, all)),
    );
    await setHealth(app, { eu: false });
    await cases('eu down', [
      [SITE_CLIENTS.euSite, targetsOf('us', 'ap')],
      [SITE_CLIENTS.usSite, targetsOf('us')],
      [SITE_CLIENTS.unknown, targetsOf('us', 'ap')],
    ]);
    await setHealth(app, { eu: true });
    await cases('eu back', [[SITE_CLIENTS.euSite, targetsOf('eu')]]);
  }, 120_000);
});

describe('a peer that stops answering', () => {
  test('killed (nothing listens): its targets leave every answer within the down threshold, the others keep converging on schedule, and it is back after restart', async () => {
    const app = await deployApp(mc.clusters, 'killed', { type: 'roundRobin' });
    const alive = ['eu', 'us'];
    await expectAnswers(app.host, everywhere(ALL, targetsOf('eu', 'us', 'ap')));
    const ap = mc.cluster('ap');
    try {
      await ap.killCoreDns();
      await step('ap killed', async () => {
        const since = performance.now();
        const reached = await expectAnswers(app.host, everywhere(alive, targetsOf('eu', 'us')), {
          since,
        });
        reportDetection('killed ap: its targets left', reached, PEER_DOWN_MS);
        expect(Math.max(...Object.values(reached))).toBeLessThanOrEqual(PEER_DOWN_MS);
        await holds(
          mc,
          app.host,
          everywhere(alive, targetsOf('eu', 'us')),
          3 * PEERS.pollIntervalMs,
        );
      });
      await step('us down while ap is dead', async () => {
        const reached = await change(app, { us: false }, everywhere(alive, targetsOf('eu')));
        expectOnSchedule('us', reached);
      });
      await step('us up while ap is dead', async () => {
        const reached = await change(app, { us: true }, everywhere(alive, targetsOf('eu', 'us')));
        expectOnSchedule('us', reached);
      });
      await step('ap restarted', async () => {
        await ap.restoreCoreDns();
        const since = performance.now();
        const reached = await expectAnswers(
          app.host,
          everywhere(ALL, targetsOf('eu', 'us', 'ap')),
          { since },
        );
        reportDetection('ap restarted: its targets back', reached, PEER_UP_MS);
        expect(Math.max(...Object.values(reached))).toBeLessThanOrEqual(PEER_UP_MS);
      });
    } finally {
      await restoreIfDown('ap');
    }
  }, 120_000);

  test('black-holed (queries time out): the others fail over from the unreachable primary within the down threshold and keep converging on schedule', async () => {
    const app = await deployApp(mc.clusters, 'holed', {
      type: 'failover',
      primaryGeoTag: 'eu',
      fallbackGeoTags: ['us', 'ap'],
    });
    const others = ['us', 'ap'];
    await expectAnswers(app.host, everywhere(ALL, targetsOf('eu')));
    const eu = mc.cluster('eu');
    try {
      const hole = await eu.blackHole();
      await step('eu black-holed: premature failover to us, as k8gb does', async () => {
        const since = performance.now();
        const reached = await expectAnswers(app.host, everywhere(others, targetsOf('us')), {
          since,
        });
        reportDetection('black-holed eu: failed over', reached, PEER_DOWN_MS);
        // The peers' polls reached the hole and went unanswered.
        expect(hole.received().datagrams).toBeGreaterThan(0);
        expect(Math.max(...Object.values(reached))).toBeLessThanOrEqual(PEER_DOWN_MS);
        await holds(mc, app.host, everywhere(others, targetsOf('us')), 3 * PEERS.pollIntervalMs);
      });
      await step('us down while eu is black-holed', async () => {
        const reached = await change(app, { us: false }, everywhere(others, targetsOf('ap')));
        expectOnSchedule('us', reached);
      });
      await step('us up while eu is black-holed', async () => {
        const reached = await change(app, { us: true }, everywhere(others, targetsOf('us')));
        expectOnSchedule('us', reached);
      });
      await step('eu reachable again: the primary everywhere', async () => {
        await eu.restoreCoreDns();
        const since = performance.now();
        const reached = await expectAnswers(app.host, everywhere(ALL, targetsOf('eu')), {
          since,
        });
        reportDetection('eu reachable again: primary back', reached, PEER_UP_MS);
        expect(Math.max(...Object.values(reached))).toBeLessThanOrEqual(PEER_UP_MS);
      });
    } finally {
      await restoreIfDown('eu');
    }
  }, 120_000);
});

/** Restarts a cluster's CoreDNS that a failed test left down. */
async function restoreIfDown(geoTag: string): Promise<void> {
  await mc
    .cluster(geoTag)
    .restoreCoreDns()
    .catch((err: Error) => {
      if (!err.message.includes('is running')) throw err;
    });
}

function reportDetection(what: string, reached: Record<string, number>, boundMs: number): void {
  report(
    `${what} at ${Object.entries(reached)
      .map(([tag, ms]) => `${tag} after ${ms.toFixed(0)} ms`)
      .join(', ')} (bound ${boundMs} ms)`,
  );
}

/** The changed cluster within the local target, every other within the remote one. */
function expectOnSchedule(changed: string, reached: Record<string, number>): void {
  const late = Object.entries(reached).filter(([tag, ms]) =>
    tag === changed ? ms > LOCAL_TARGET_MS : ms > REMOTE_TARGET_MS,
  );
  expect(Object.fromEntries(late)).toEqual({});
}

describe('probes', () => {
  /** Each cluster's ingress address for the probed app: loopback, where the test serves it. */
  const INGRESS = { eu: '127.0.1.1', us: '127.0.1.2', ap: '127.0.1.3' } as const;
  const PROBE = { intervalSeconds: 1, timeoutSeconds: 1, fall: 2, rise: 2 } as const;
  /** Down after fall failed probes, plus the peers' next poll, plus a build and a margin. */
  const PROBE_DOWN_MS = PROBE.intervalSeconds * PROBE.fall * 1000 + REMOTE_TARGET_MS;
  const PROBE_UP_MS = PROBE.intervalSeconds * PROBE.rise * 1000 + REMOTE_TARGET_MS;

  test("ready EndpointSlices but a dead ingress address: its probe fails, the cluster's targets are withdrawn, every peer fails over, and it comes back", async () => {
    const targets = await probeTargets();
    const { port, serve, stop } = targets;
    try {
      for (const address of Object.values(INGRESS)) await serve(address);
      const app = await deployApp(
        mc.clusters,
        'probed',
        { type: 'failover', primaryGeoTag: 'eu', fallbackGeoTags: ['us', 'ap'] },
        (tag) => ({
          annotations: { 'k8gb.io/exposed-ip-addresses': INGRESS[tag as keyof typeof INGRESS] },
          spec: { probe: { type: 'http', port, path: '/healthz', ...PROBE } },
        }),
      );
      await expectAnswers(app.host, everywhere(ALL, [INGRESS.eu]));
      await step('eu ingress dead', async () => {
        await stop(INGRESS.eu);
        const since = performance.now();
        const reached = await expectAnswers(app.host, everywhere(ALL, [INGRESS.us]), { since });
        reportDetection(
          'dead ingress at eu (EndpointSlices ready): failed over',
          reached,
          PROBE_DOWN_MS,
        );
        expect(Math.max(...Object.values(reached))).toBeLessThanOrEqual(PROBE_DOWN_MS);
        // The Gslb's status at eu names the target its probe took out.
        const failing = `failing their probe here: ${INGRESS.eu}:${port} refused`;
        const status = await eventually(
          () => gslbStatus(mc.cluster('eu').env.cluster, app.namespace, 'app'),
          (seen) =>
            seen.conditions?.find((c) => c.type === 'Answering')?.message.includes(failing) ===
            true,
        );
        expect(status.healthyRecords?.[app.host]).toEqual([INGRESS.us]);
      });
      await step('eu ingress back', async () => {
        await serve(INGRESS.eu);
        const since = performance.now();
        const reached = await expectAnswers(app.host, everywhere(ALL, [INGRESS.eu]), { since });
        reportDetection('eu ingress back: primary served again', reached, PROBE_UP_MS);
        expect(Math.max(...Object.values(reached))).toBeLessThanOrEqual(PROBE_UP_MS);
      });
    } finally {
      await targets.close();
    }
  }, 90_000);
});

describe('a restart', () => {
  test(`us restarted while a client asks its CoreDNS every ${RESTART_QUERY_EVERY_MS} ms, its link to the primary eu holding each datagram ${LINK_DELAY_MS} ms: not one answer differs from the steady state`, async () => {
    // A cluster that answered before knowing its peers would answer with its own targets.
    const app = await deployApp(mc.clusters, 'restart', {
      type: 'failover',
      primaryGeoTag: 'eu',
      fallbackGeoTags: ['us', 'ap'],
    });
    const steady = targetsOf('eu');
    await expectAnswers(app.host, everywhere(ALL, steady));
    const us = mc.cluster('us');
    // The restarted us polls eu through the relay: its first poll of eu takes a 600 ms round trip.
    const link = await delayedPeerLink(mc, 'us', 'eu', LINK_DELAY_MS);
    let restarted = false;
    const asking = askEvery(us.client, app.host, RESTART_QUERY_EVERY_MS);
    try {
      await sleep(STEADY_BEFORE_MS);
      restarted = true;
      // CoreDNS back the moment the new Meridian listens, not when its gRPC backoff next allows
      // (which may be after the first poll of eu): anything answered before that poll is seen.
      const restart = await us.restartMeridian(link.meridianEnv, { holdCoreDns: true });
      // Until it has answered steadily for a while again, bounded.
      const deadline = performance.now() + SETTLE_MS;
      while (
        steadyRunMs(asking.samples(), steady) < STEADY_AFTER_MS &&
        performance.now() < deadline
      )
        await sleep(50);
      const samples = await asking.stop();
      const outcome = restartOutcome(samples, steady, restart);
      const { counts } = outcome;
      report(
        `us restarted (its link to eu delayed ${LINK_DELAY_MS} ms each way) while a client asked its CoreDNS every ${RESTART_QUERY_EVERY_MS} ms: ` +
          `${samples.length} queries over ${((samples.at(-1)?.sentAt ?? 0) - (samples[0]?.sentAt ?? 0)).toFixed(0)} ms, ` +
          `${counts.answered} answered (eu's targets), ${counts.wrong} wrong, ` +
          `${counts.servfail + counts.timeout} not answered (${counts.servfail} SERVFAIL, ${counts.timeout} timed out); ` +
          `the gap lasted ${outcome.gapMs.toFixed(0)} ms (last answer before to first answer after), ` +
          `Meridian ready ${(restart.readyAt - restart.stoppedAt).toFixed(0)} ms after the old one exited, ` +
          `first answer ${outcome.firstAnswerAfterReadyMs?.toFixed(0) ?? 'never'} ms after ready; ` +
          `${link.relay.forwarded()} datagrams crossed the delayed link`,
      );
      // Not one answer differs from the steady state: no other targets, no NXDOMAIN.
      expect(outcome.wrong).toEqual({});
      // Meridian was down while the client asked, and the cluster came back.
      expect(counts.servfail + counts.timeout).toBeGreaterThan(0);
      expect(outcome.answeredAfterReady).toBeGreaterThan(0);
      expect(steadyRunMs(samples, steady)).toBeGreaterThanOrEqual(STEADY_AFTER_MS);
      // The restarted cluster's polls of eu did cross the delayed link.
      expect(link.relay.forwarded()).toBeGreaterThan(0);
    } finally {
      await asking.stop();
      // Back to its own settings: peers through the glue, no delay.
      if (restarted) await us.restartMeridian();
      await link.relay.close();
    }
    await expectAnswers(app.host, everywhere(ALL, steady));
  }, 90_000);
});

/** A NOERROR reply with exactly the steady-state addresses. */
function isAnswer(sample: Sample, steady: readonly string[]): boolean {
  const reply = sample.reply;
  return (
    reply !== null &&
    reply.rcode === 'NOERROR' &&
    reply.addresses.length === steady.length &&
    reply.addresses.every((a, i) => a === steady[i])
  );
}

/** How long the latest run of steady answers has lasted, by the queries' send times. */
function steadyRunMs(samples: readonly Sample[], steady: readonly string[]): number {
  let first: Sample | undefined;
  for (let i = samples.length - 1; i >= 0; i--) {
    const sample = samples[i] as Sample;
    if (!isAnswer(sample, steady)) break;
    first = sample;
  }
  const last = samples.at(-1);
  return first === undefined || last === undefined ? 0 : last.sentAt - first.sentAt;
}

/**
 * Sorts the queries of a restart: steady answers; non-answers (SERVFAIL
 * while Meridian is down or warming up, timeouts), allowed and counted; and
 * wrong replies (other targets, an empty answer, NXDOMAIN, any other rcode).
 */
function restartOutcome(
  samples: readonly Sample[],
  steady: readonly string[],
  restart: { readonly readyAt: number },
) {
  const counts = { answered: 0, servfail: 0, timeout: 0, wrong: 0 };
  /** Wrong replies by what they said: how many, and when the first and the last were sent. */
  const wrong: Record<string, { count: number; firstAtMs: number; lastAtMs: number }> = {};
  const start = samples[0]?.sentAt ?? 0;
  let firstMiss: number | null = null;
  let lastMiss: number | null = null;
  for (const sample of samples) {
    if (isAnswer(sample, steady)) {
      counts.answered++;
      continue;
    }
    if (sample.reply === null) counts.timeout++;
    else if (sample.reply.rcode === 'SERVFAIL' && sample.reply.addresses.length === 0)
      counts.servfail++;
    else {
      counts.wrong++;
      const said = `${sample.reply.rcode} [${sample.reply.addresses.join(', ')}]`;
      const atMs = Math.round(sample.sentAt - start);
      const seen = wrong[said];
      if (seen === undefined) wrong[said] = { count: 1, firstAtMs: atMs, lastAtMs: atMs };
      else wrong[said] = { ...seen, count: seen.count + 1, lastAtMs: atMs };
      continue;
    }
    firstMiss ??= sample.sentAt;
    lastMiss = sample.sentAt;
  }
  const answers = samples.filter((s) => isAnswer(s, steady));
  const before = answers.filter((s) => firstMiss !== null && s.sentAt < firstMiss).at(-1);
  const after = answers.find((s) => lastMiss !== null && s.sentAt > lastMiss);
  const afterReady = answers.filter((s) => s.sentAt >= restart.readyAt);
  return {
    counts,
    wrong,
    /** From the last answer before the first non-answer to the first after the last one. */
    gapMs: before === undefined || after === undefined ? 0 : after.sentAt - before.sentAt,
    answeredAfterReady: afterReady.length,
    firstAnswerAfterReadyMs:
      afterReady[0] === undefined ? null : afterReady[0].sentAt - restart.readyAt,
  };
}

describe('convergence', () => {
  test(`a health change is served locally within ${LOCAL_TARGET_MS} ms and by every peer within one poll interval + 1 s (p99 over ${CONVERGENCE_FLIPS} flips)`, async () => {
    const app = await deployApp(mc.clusters, 'converge', { type: 'roundRobin' });
    await expectAnswers(app.host, everywhere(ALL, targetsOf('eu', 'us', 'ap')));
    const healthy = new Set(ALL);
    const local: FlipSample[] = [];
    const remote: FlipSample[] = [];
    for (let i = 0; i < CONVERGENCE_FLIPS; i++) {
      // eu, us, ap in turn, each down then up: every cluster is both the
      // changed one and a peer. A random pause spreads the changes over the
      // phases of the peers' polls.
      const tag = ALL[i % ALL.length] as string;
      const ready = !healthy.has(tag);
      if (ready) healthy.add(tag);
      else healthy.delete(tag);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * PEERS.pollIntervalMs));
      const sent = performance.now();
      await setHealth(app, { [tag]: ready });
      const returned = performance.now();
      const reached = await converge(
        mc,
        app.host,
        everywhere(ALL, targetsOf(...ALL.filter((t) => healthy.has(t)))),
        { since: returned, timeoutMs: SETTLE_MS },
      );
      for (const [peer, latencyMs] of Object.entries(reached))
        (peer === tag ? local : remote).push({ latencyMs, patchMs: returned - sent, ready });
    }
    const l = latencySummary(local);
    const r = latencySummary(remote);
    const ms = (value: number): string => value.toFixed(0);
    report(
      `convergence over ${CONVERGENCE_FLIPS} EndpointSlice readiness flips (PATCH returned → CoreDNS answer), ` +
        `poll interval ${PEERS.pollIntervalMs} ms: local p50 ${ms(l.p50)} ms, p99 ${ms(l.p99)} ms, max ${ms(l.max)} ms ` +
        `(${local.length} samples); remote p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms, max ${ms(r.max)} ms ` +
        `(${remote.length} samples, each peer); k8gb documents reconcile interval + TTL, 30 s + 30 s by default`,
    );
    expect(local).toHaveLength(CONVERGENCE_FLIPS);
    expect(remote).toHaveLength(2 * CONVERGENCE_FLIPS);
    expect(l.p99).toBeLessThanOrEqual(LOCAL_TARGET_MS);
    expect(r.p99).toBeLessThanOrEqual(REMOTE_TARGET_MS);
  }, 120_000);
});

// ---------------------------------------------------------------------------
// Evidence: decision records in the audit file, Events, verify and explain

interface AuditedCause {
  readonly kind: string;
  readonly requestedBy?: string;
  readonly detail?: string;
  readonly object?: { kind: string; name: string; resourceVersion?: string; generation?: number };
  readonly peer?: { geoTag: string; failedPolls: number; lastError: string | null };
}
interface AuditedRecord {
  readonly time: string;
  readonly host: string;
  readonly type: string;
  readonly before: readonly { address: string; clusters: readonly string[] }[];
  readonly after: readonly { address: string; clusters: readonly string[] }[];
  readonly causes: readonly AuditedCause[];
  readonly ttl?: { readonly before: number; readonly after: number };
  readonly geoTag: string;
}

const MERIDIAN_BIN = join(__dirname, '..', '..', 'dist', 'main.js');

function auditPath(geoTag: string): string {
  return mc.cluster(geoTag).env.meridianEnv['MERIDIAN_AUDIT_FILE'] ?? '';
}

/** The decision records of `geoTag`'s audit file about `host`. */
function auditRecords(geoTag: string, host: string): AuditedRecord[] {
  return readFileSync(auditPath(geoTag), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { type: string; record?: AuditedRecord })
    .filter((line) => line.type === 'record' && line.record?.host === host)
    .map((line) => line.record!);
}

/** Waits for a record of `host` A in `geoTag`'s audit file that `accept` takes. */
async function auditedChange(
  geoTag: string,
  host: string,
  accept: (record: AuditedRecord) => boolean,
): Promise<AuditedRecord> {
  try {
    const found = await eventually(
      () => Promise.resolve(auditRecords(geoTag, host).filter((r) => r.type === 'A' && accept(r))),
      (records) => records.length > 0,
      SETTLE_MS,
    );
    return found[found.length - 1]!;
  } catch (err) {
    // The records there are say why none was the one wanted.
    const seen = JSON.stringify(auditRecords(geoTag, host));
    throw new Error(`${(err as Error).message}; ${geoTag}'s records of ${host}: ${seen}`);
  }
}

const addressesOf = (list: AuditedRecord['after']): string[] => list.map((t) => t.address).sort();
const clustersOf = (list: AuditedRecord['after']): string[] => [
  ...new Set(list.flatMap((t) => t.clusters)),
];

function runMeridian(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MERIDIAN_BIN, ...args], { timeout: 20_000 }, (error, out, err) =>
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), out, err }),
    );
  });
}

describe('evidence', () => {
  test('a failed primary, a killed peer, a changed Gslb and a reloaded geo database: each an audit record with its cause, an Event, a chain that verifies, and explain per site', async () => {
    const app = await deployApp(mc.clusters, 'evidence', {
      type: 'failover',
      primaryGeoTag: 'eu',
      fallbackGeoTags: ['us', 'ap'],
      dnsTtlSeconds: 30,
    });
    const [eu, us] = [targetsOf('eu'), targetsOf('us')];
    const euCluster = mc.cluster('eu').env.cluster;
    const admin = mc.cluster('eu').env.meridianEnv['MERIDIAN_ADMIN_LISTEN'] ?? '';
    await expectAnswers(app.host, everywhere(ALL, eu));
    // The failover answer shows only eu: that eu knows the fallbacks' targets too, only explain tells.
    await eventually(
      async () => {
        const reply = await fetch(`http://${admin}/v1/explain?name=${app.host}&type=A`);
        const explained = (await reply.json()) as {
          clusters?: { geoTag: string; healthy: boolean }[];
        };
        return (explained.clusters ?? []).filter((c) => c.healthy).map((c) => c.geoTag);
      },
      (healthy) => ALL.every((tag) => healthy.includes(tag)),
      SETTLE_MS,
    );

    await step("the primary's EndpointSlice fails", async () => {
      await setHealth(app, { eu: false });
      await expectAnswers(app.host, everywhere(ALL, us));
      type Versioned = { metadata: { resourceVersion: string } };
      const slice = await read<Versioned>(euCluster, 'EndpointSlice', app.namespace, 'app-slice');
      const local = await auditedChange(
        'eu',
        app.host,
        // Before eu's own slice was first ready it may have answered with us already: the record
        // wanted is the one that moves the answer from eu to us.
        (r) =>
          addressesOf(r.before).join() === eu.join() && addressesOf(r.after).join() === us.join(),
      );
      expect(addressesOf(local.before)).toEqual(eu);
      expect(clustersOf(local.before)).toEqual(['eu']);
      expect(clustersOf(local.after)).toEqual(['us']);
      expect(local.causes).toContainEqual(
        expect.objectContaining({
          kind: 'endpoints-ready-changed',
          object: expect.objectContaining({
            kind: 'EndpointSlice',
            name: 'app-slice',
            resourceVersion: slice?.metadata.resourceVersion,
          }) as unknown,
        }),
      );
      // At a peer the same change is eu's targets leaving its answer.
      const remote = await auditedChange(
        'us',
        app.host,
        (r) => addressesOf(r.before).includes(eu[0]!) && addressesOf(r.after).join() === us.join(),
      );
      expect(remote.causes.some((c) => c.peer?.geoTag === 'eu')).toBe(true);
      const events = await eventually(
        () => eventsAbout(euCluster, app.namespace, 'app'),
        (list) =>
          list.some(
            (e) =>
              e.reason === 'AnswerChanged' &&
              e.message.includes('endpoints-ready-changed EndpointSlice'),
          ),
      );
      expect(events.map((e) => e.reason)).toContain('AnswerChanged');
      await setHealth(app, { eu: true });
      await expectAnswers(app.host, everywhere(ALL, eu));
    });

    await step('a peer is killed', async () => {
      await mc.cluster('eu').killCoreDns();
      try {
        await converge(mc, app.host, { us, ap: us }, { timeoutMs: PEER_DOWN_MS + SETTLE_MS });
        const down = await auditedChange('us', app.host, (r) =>
          r.causes.some((c) => c.kind === 'peer-down'),
        );
        const cause = down.causes.find((c) => c.kind === 'peer-down');
        expect(cause?.peer).toMatchObject({ geoTag: 'eu' });
        expect(cause?.peer?.failedPolls).toBeGreaterThanOrEqual(PEERS.downAfter);
        expect(cause?.peer?.lastError).toEqual(expect.any(String));
        expect(addressesOf(down.after)).toEqual(us);
      } finally {
        await mc.cluster('eu').restoreCoreDns();
      }
      await converge(mc, app.host, everywhere(ALL, eu), { timeoutMs: PEER_UP_MS + SETTLE_MS });
      await auditedChange('us', app.host, (r) => r.causes.some((c) => c.kind === 'peer-up'));
    });

    await step('the Gslb is changed', async () => {
      const usCluster = mc.cluster('us').env.cluster;
      await patch(usCluster, 'Gslb', app.namespace, 'app', {
        spec: {
          strategy: {
            type: 'failover',
            primaryGeoTag: 'us',
            fallbackGeoTags: ['eu', 'ap'],
            dnsTtlSeconds: 30,
          },
        },
      });
      type Versioned = { metadata: { resourceVersion: string; generation: number } };
      const gslb = await read<Versioned>(usCluster, 'Gslb', app.namespace, 'app');
      await expectAnswers(app.host, { us });
      const changed = await auditedChange('us', app.host, (r) =>
        r.causes.some((c) => c.kind === 'gslb-changed'),
      );
      expect(changed.causes.find((c) => c.kind === 'gslb-changed')?.object).toMatchObject({
        kind: 'Gslb',
        name: 'app',
        generation: gslb?.metadata.generation,
      });
      expect(addressesOf(changed.after)).toEqual(us);
    });

    const geo = await deployApp(mc.clusters, 'evidence-geo', { type: 'geoip' });
    try {
      await step('the geo database is reloaded with the ap targets moved to eu-west', async () => {
        // Every cluster's targets merged first: a reload before that moves nothing served yet.
        await expectAnswers(geo.host, { eu: targetsOf('eu', 'us', 'ap') });
        await expectAnswers(geo.host, { eu: eu }, { clientSubnet: SITE_CLIENTS.euSite });
        writeGeoDatabase(
          mc.geoDatabasePath,
          geoNetworks().map((n) =>
            n['datacenter'] === 'ap-south' ? { ...n, datacenter: 'eu-west' } : n,
          ),
        );
        const moved = [...eu, ...targetsOf('ap')].sort();
        await expectAnswers(geo.host, { eu: moved }, { clientSubnet: SITE_CLIENTS.euSite });
        await auditedChange('eu', geo.host, (r) =>
          r.causes.some((c) => c.kind === 'geo-database-reloaded'),
        );
      });
      await step('explain names the reason of each site', async () => {
        for (const [client, datacenter] of [
          ['10.10.7.1', 'eu-west'],
          ['10.20.7.1', 'us-east'],
        ] as const) {
          const reply = await fetch(
            `http://${admin}/v1/explain?name=${geo.host}&type=A&client=${client}`,
          );
          expect(reply.status).toBe(200);
          const explained = (await reply.json()) as {
            clusters: { geoTag: string; inAnswer: boolean; reason: string }[];
          };
          const chosen = explained.clusters.filter((c) => c.inAnswer);
          expect(chosen.length).toBeGreaterThan(0);
          for (const cluster of chosen) expect(cluster.reason).toContain(datacenter);
          const printed = await runMeridian([
            'explain',
            geo.host,
            '--client',
            client,
            '--server',
            `http://${admin}`,
          ]);
          expect(printed.code).toBe(0);
          expect(printed.out).toContain(datacenter);
        }
      });
    } finally {
      writeGeoDatabase(mc.geoDatabasePath, geoNetworks());
    }

    await step('every audit file verifies, and not after a one-byte edit', async () => {
      for (const tag of ALL) {
        const intact = await runMeridian(['audit', 'verify', auditPath(tag)]);
        expect([tag, intact.code, intact.out]).toEqual([tag, 0, expect.stringContaining('intact')]);
      }
      const lines = readFileSync(auditPath('eu'), 'utf8').split('\n');
      const at = lines.findIndex((line) => line.includes('"type":"record"'));
      const edited = `${auditPath('eu')}.edited`;
      lines[at] = lines[at]!.replace('"type":"record"', '"type":"recorD"');
      writeFileSync(edited, lines.join('\n'));
      const broken = await runMeridian(['audit', 'verify', edited]);
      expect(broken.code).toBe(1);
      expect(broken.err).toContain(`BROKEN at ${edited}:${at + 1}`);
    });
  }, 240_000);
});

describe('drain', () => {
  test('meridian drain lowers the TTL at once, withdraws eu one old TTL later at every site, and undrain brings it back; each step audited with who asked', async () => {
    const ttl = 8;
    const app = await deployApp(mc.clusters, 'drained', {
      type: 'failover',
      primaryGeoTag: 'eu',
      fallbackGeoTags: ['us', 'ap'],
      dnsTtlSeconds: ttl,
    });
    const [eu, us] = [targetsOf('eu'), targetsOf('us')];
    const euCoreDns = mc.cluster('eu');
    const gslb = `${app.namespace}/app`;
    const kubeconfig = euCoreDns.env.cluster.kubeconfigPath;
    const asOperator = (verb: 'drain' | 'undrain') =>
      runMeridian([verb, '--gslb', gslb, '--kubeconfig', kubeconfig, '--by', 'e2e-operator']);
    const ttlAtEu = async (): Promise<number> =>
      (await dig('dig', [`@${euCoreDns.address}`, '-p', String(euCoreDns.port), app.host, 'A']))
        .answer[0]?.ttl ?? -1;
    await expectAnswers(app.host, everywhere(ALL, eu));
    await eventually(ttlAtEu, (seen) => seen > 5, SETTLE_MS);

    const asked = performance.now();
    await step('drain', async () => {
      const drained = await asOperator('drain');
      expect(drained).toMatchObject({
        code: 0,
        out: expect.stringContaining(`Gslb ${gslb}: drained from`) as unknown,
      });
      // First the TTL (MERIDIAN_DRAIN_TTL_SECONDS, 5): eu still answers with its own targets.
      await eventually(ttlAtEu, (seen) => seen <= 5, SETTLE_MS);
      expect((await euCoreDns.client.ask(app.host))?.addresses).toEqual(eu);
    });
    await step('withdrawn after the old TTL, at every site', async () => {
      await expectAnswers(app.host, everywhere(ALL, us));
      const seconds = (performance.now() - asked) / 1000;
      // Not before the old TTL has passed; within it, a peer poll and the passes' debounce after.
      expect(seconds).toBeGreaterThanOrEqual(ttl - 0.5);
      expect(seconds).toBeLessThan(ttl + PEERS.pollIntervalMs / 1000 + 3);
      // eu's localtargets- answers NODATA, which a Meridian peer reads as a drain.
      await converge(
        mc,
        `localtargets-${app.host}`,
        { eu: { rcode: 'NOERROR' } },
        { timeoutMs: SETTLE_MS },
      );
    });
    await step('each step is an audit record with cause drain', async () => {
      const lowered = await auditedChange('eu', app.host, (r) => r.ttl?.after === 5);
      expect(lowered.ttl).toEqual({ before: ttl, after: 5 });
      expect(lowered.causes).toContainEqual(
        expect.objectContaining({ kind: 'drain', requestedBy: 'e2e-operator' }),
      );
      const withdrawn = await auditedChange(
        'eu',
        app.host,
        (r) => addressesOf(r.after).join() === us.join(),
      );
      expect(withdrawn.causes.map((c) => [c.kind, c.requestedBy])).toContainEqual([
        'drain',
        'e2e-operator',
      ]);
      for (const peer of ['us', 'ap']) {
        const seen = await auditedChange(
          peer,
          app.host,
          (r) => addressesOf(r.before).includes(eu[0]!) && !addressesOf(r.after).includes(eu[0]!),
        );
        expect(seen.causes).toContainEqual(
          expect.objectContaining({
            kind: 'drain',
            peer: expect.objectContaining({ geoTag: 'eu' }) as unknown,
          }),
        );
      }
    });
    await step('undrain', async () => {
      const undrained = await asOperator('undrain');
      expect(undrained.code).toBe(0);
      await expectAnswers(app.host, everywhere(ALL, eu));
      expect(await ttlAtEu()).toBeLessThanOrEqual(5);
      const back = await auditedChange('eu', app.host, (r) =>
        r.causes.some((c) => c.kind === 'drain' && (c.detail ?? '').startsWith('undrained')),
      );
      expect(addressesOf(back.after)).toEqual(eu);
      // One old TTL later the Gslb's own TTL is served again.
      await eventually(ttlAtEu, (seen) => seen > 5, SETTLE_MS);
    });
  }, 120_000);
});

describe('drill', () => {
  const schema = JSON.parse(
    readFileSync(join(__dirname, '..', '..', 'docs', 'drill-report.schema.json'), 'utf8'),
  ) as object;
  const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);
  const admins = (): string =>
    CLUSTERS.map(
      (c) => `http://${mc.cluster(c.geoTag).env.meridianEnv['MERIDIAN_ADMIN_LISTEN'] ?? ''}`,
    ).join(',');
  const drillArgs = (gslb: string, hold: string, dir: string): string[] => [
    'drill',
    '--gslb',
    gslb,
    '--fail',
    'eu',
    '--servers',
    CLUSTERS.map((c) => `${mc.cluster(c.geoTag).address}:${mc.cluster(c.geoTag).port}`).join(','),
    '--admin',
    admins(),
    '--kubeconfig',
    mc.cluster('eu').env.cluster.kubeconfigPath,
    '--by',
    'e2e-drill',
    '--hold',
    hold,
    '--objective',
    '30s',
    '--report',
    dir,
  ];

  test('meridian drill on the primary: every server leaves eu within the old TTL plus a poll and comes back; audited at all three; a report that validates; SIGINT mid-hold undrains', async () => {
    const ttl = 8;
    const app = await deployApp(mc.clusters, 'drilled', {
      type: 'failover',
      primaryGeoTag: 'eu',
      fallbackGeoTags: ['us', 'ap'],
      dnsTtlSeconds: ttl,
    });
    const [eu, us] = [targetsOf('eu'), targetsOf('us')];
    const gslb = `${app.namespace}/app`;
    await expectAnswers(app.host, everywhere(ALL, eu));
    const dir = mkdtempSync(join(tmpdir(), 'meridian-drill-'));

    const drilled = await step('a drill of 3 s hold', async () => {
      const drill = await spawnMeridian(drillArgs(gslb, '3s', dir), 90_000);
      expect({ code: drill.code, err: drill.err }).toEqual({ code: 0, err: '' });
      return JSON.parse(readFileSync(join(dir, 'drill-report.json'), 'utf8')) as DrillReport;
    });
    report(`drill: ${drilled.summary} (report in ${dir})`);
    await step(
      'the report: valid, timings within the old TTL plus a poll plus 1 s, every lane switching',
      () => {
        expect(validate(drilled) ? [] : validate.errors).toEqual([]);
        expect(drilled).toMatchObject({ outcome: 'pass', undrained: true, findings: [] });
        const bound = ttl + PEERS.pollIntervalMs / 1000 + 1;
        for (const server of drilled.servers) {
          expect(server.before).toEqual(['eu']);
          expect(server.failover!.seconds).toBeGreaterThanOrEqual(ttl - 0.5);
          expect(server.failover!.seconds).toBeLessThanOrEqual(bound);
          // eu's own table withdrew it at the old TTL: the rest is a peer poll, or nothing.
          expect(server.failover!.meridianSeconds).toBeGreaterThanOrEqual(ttl - 0.5);
          expect(server.failback!.seconds).toBeLessThanOrEqual(PEERS.pollIntervalMs / 1000 + 1);
          const lane = server.segments.map((s) => s.clusters.join('+'));
          expect(lane[0]).toBe('eu');
          expect(lane).toContain('us');
          expect(lane.at(-1)).toBe('eu');
          expect(server.failed + server.empty).toBe(0);
        }
        const svg = readFileSync(join(dir, 'drill-report.svg'), 'utf8');
        for (const server of drilled.servers) expect(svg).toContain(server.server);
        expect(readFileSync(join(dir, 'drill-report.md'), 'utf8')).toContain(
          `# Failover drill: eu drained for ${app.host}: PASS`,
        );
        expect(drilled.clusters.map((c) => c.geoTag)).toEqual(ALL);
        expect(drilled.clusters.every((c) => c.version !== null && c.gslbGeneration !== null)).toBe(
          true,
        );
      },
    );
    await step('the audit files of all three hold the drill’s drain records', async () => {
      const drainedAt = Date.parse(drilled.times.drainedAt!);
      const during = (r: AuditedRecord): boolean => Date.parse(r.time) >= drainedAt - 1_000;
      const withdrawn = await auditedChange(
        'eu',
        app.host,
        (r) => during(r) && addressesOf(r.after).join() === us.join(),
      );
      expect(withdrawn.causes).toContainEqual(
        expect.objectContaining({ kind: 'drain', requestedBy: 'e2e-drill' }),
      );
      for (const peer of ['us', 'ap']) {
        await auditedChange(
          peer,
          app.host,
          (r) =>
            during(r) &&
            addressesOf(r.before).includes(eu[0]!) &&
            !addressesOf(r.after).includes(eu[0]!),
        );
        // The peer tells a drain once eu answers NODATA for both types; a poll that caught
        // eu between its A and AAAA answers records the first type's change as a target change.
        const drainSeen = await eventually(
          () =>
            Promise.resolve(
              auditRecords(peer, app.host).filter(
                (r) => during(r) && r.causes.some((c) => c.kind === 'drain'),
              ),
            ),
          (records) => records.length > 0,
          SETTLE_MS,
        );
        expect(drainSeen[0]!.causes.find((c) => c.kind === 'drain')?.peer?.geoTag).toBe('eu');
      }
      expect(
        drilled.decisions.find((d) => d.geoTag === 'eu')!.records.length,
      ).toBeGreaterThanOrEqual(3);
    });

    await step('SIGINT in the middle of a 60 s hold: undrained, a partial report', async () => {
      await expectAnswers(app.host, everywhere(ALL, eu));
      // A drill starts from the normal state: one TTL after the undrain.
      const euAdmin = mc.cluster('eu').env.meridianEnv['MERIDIAN_ADMIN_LISTEN'] ?? '';
      await eventually(
        async () =>
          (
            (await (
              await fetch(`http://${euAdmin}/v1/explain?name=${app.host}&type=A`)
            ).json()) as { drain?: unknown }
          ).drain,
        (drain) => drain === null,
        SETTLE_MS,
      );
      const partial = mkdtempSync(join(tmpdir(), 'meridian-drill-'));
      const drill = await spawnMeridian(drillArgs(gslb, '60s', partial), 60_000, 'holding');
      expect({ code: drill.code, err: drill.err }).toEqual({ code: 1, err: '' });
      expect(drill.out).toContain('INTERRUPTED');
      const cut = JSON.parse(
        readFileSync(join(partial, 'drill-report.json'), 'utf8'),
      ) as DrillReport;
      expect(validate(cut) ? [] : validate.errors).toEqual([]);
      expect(cut).toMatchObject({ outcome: 'interrupted', interrupted: true, undrained: true });
      const object = await read<{ metadata: { annotations?: Record<string, string> } }>(
        mc.cluster('eu').env.cluster,
        'Gslb',
        app.namespace,
        'app',
      );
      expect(object?.metadata.annotations?.['meridian.dev/drain']).toBeUndefined();
      await expectAnswers(app.host, everywhere(ALL, eu));
    });
  }, 180_000);
});

/**
 * Runs the built binary; with `interruptOn`, sends SIGINT once its output
 * holds that word. Resolves with the exit code and the output.
 */
function spawnMeridian(
  args: readonly string[],
  timeoutMs: number,
  interruptOn?: string,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MERIDIAN_BIN, ...args], { stdio: 'pipe' });
    let out = '';
    let err = '';
    let interrupted = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      // Once: a second SIGINT ends the drill at once, as it would for an operator.
      if (interruptOn !== undefined && !interrupted && out.includes(interruptOn)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, out, err });
    });
  });
}
