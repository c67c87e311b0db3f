/**
 * The Kubernetes source when things go wrong, end to end against a real
 * kube-apiserver and etcd, answered through a real CoreDNS: an apiserver
 * outage (Meridian keeps serving its last table, stays ready, reconnects by
 * itself and catches up), a 410 Gone on resume (recovered by a relist), a
 * Gslb whose Ingress does not exist yet, an edge DNS that stops answering
 * (last good addresses kept, no Event stream; repeated conditions are one
 * Event with a count), no duplicate watches after repeated apiserver
 * restarts, read from the apiserver's own metrics, and a Gslb CRD not served
 * or not installed (at start) never costing an owned Ingress.
 *
 * The apiserver is stopped with SIGKILL, a crash: connections are reset at
 * once. With SIGTERM, kube-apiserver stops listening but keeps open watches
 * until it is killed (15 s later, the helper's bound), which would only add
 * 15 s to every restart here.
 */
import { join } from 'node:path';
import { eventually, waitFor } from '../../harness/eventually';
import { applyManifests, waitForCrds } from '../../harness/gateway-api';
import type { KubeCluster } from '../../harness/kube-cluster';
import { REPO_ROOT } from '../../harness/processes';
import {
  acceptedAt,
  apiserverMetrics,
  byResourceLabel,
  completedLists,
  etcdCompactions,
  etcdPut,
  meridianLog,
  meridianMetrics,
  meridianReadyz,
  openWatches,
  sleep,
  type LogLine,
} from '../helpers/kube-failures';
import {
  answer,
  backend,
  create,
  EDGE_NAMES,
  expectOk,
  eventsAbout,
  freshNamespace,
  gslbRef,
  ingress,
  ingressSpec,
  patch,
  pathOf,
  read,
  readyOf,
  setLoadBalancer,
  setReady,
  startKubeMeridian,
  ZONE,
  type EventSeen,
  type KubeMeridian,
} from '../../harness/kube-meridian';

const INGRESS_REF = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' };
/** Every watched collection: kind (as Meridian's logs and metrics name it) → plural (as the apiserver's metrics do). */
const WATCHED: Readonly<Record<string, string>> = {
  Gslb: 'gslbs',
  Ingress: 'ingresses',
  Service: 'services',
  EndpointSlice: 'endpointslices',
  Gateway: 'gateways',
  HTTPRoute: 'httproutes',
  GRPCRoute: 'grpcroutes',
};
const KINDS = Object.keys(WATCHED);
/** How long Meridian waits before deleting the Ingress of a Gslb it saw go (src/k8s/reconcile/orphans.ts). */
const ORPHAN_GRACE_MS = 5_000;
const GSLB_CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gslbs.k8gb.io';

/** Marks the Gslb CRD's only version served or not; its objects stay in etcd either way. */
async function setGslbVersionServed(cluster: KubeCluster, served: boolean): Promise<void> {
  const crd = expectOk(await cluster.request('GET', GSLB_CRD_PATH), 200).json as {
    spec: { versions: { served: boolean }[] };
  };
  for (const version of crd.spec.versions) version.served = served;
  expectOk(await cluster.request('PUT', GSLB_CRD_PATH, crd), 200);
}
const PLURALS = Object.values(WATCHED);
/**
 * The cap of the watch restart backoff (src/k8s/client/list-watch-session.ts):
 * after a long outage a watcher may wait this long before its next attempt,
 * so it bounds how late Meridian can notice the apiserver is back.
 */
const MAX_BACKOFF_MS = 5_000;
/**
 * How long a change may take to be served once the apiserver is back: the
 * backoff cap, a second attempt (the apiserver answers 403/429 for a moment
 * after /readyz), and a margin for this 2-core machine under test load.
 */
const CATCH_UP_MS = 2 * MAX_BACKOFF_MS + 5_000;

function report(line: string): void {
  process.stdout.write(`kubernetes-failures: ${line}\n`);
}

/** A ready backend, an Ingress for `host` to it with load-balancer address `ip`; and a Gslb on it unless `gslb` is false. */
async function servedIngress(
  env: KubeMeridian,
  namespace: string,
  name: string,
  host: string,
  ip: string,
  gslb = true,
): Promise<void> {
  const { cluster } = env;
  await backend(cluster, namespace, name, true);
  await create(cluster, ingress(namespace, name, [host], name));
  await setLoadBalancer(cluster, 'Ingress', namespace, name, [{ ip }]);
  if (gslb) await create(cluster, gslbRef(namespace, name, { ...INGRESS_REF, name }));
}

describe('an apiserver that goes away and comes back', () => {
  let env: KubeMeridian;
  let meridianPid: number | undefined;

  beforeAll(async () => {
    // Host names are looked up again every second: several periods fit in seconds.
    env = await startKubeMeridian({ meridianEnv: { RECONCILE_REQUEUE_SECONDS: '1' } });
    meridianPid = env.meridian.process.pid;
  }, 180_000);

  afterAll(async () => {
    await env?.stop();
  }, 60_000);

  /** The same Meridian process as at the start: nothing was restarted to recover. */
  function expectSameMeridian(): void {
    expect(env.meridian.process.pid).toBe(meridianPid);
    expect(env.meridian.process.exitCode).toBeNull();
  }

  test('a Gslb whose Ingress does not exist: ResourceNotFound and a Warning Event, then served once the Ingress is created', async () => {
    const { cluster } = env;
    const ns = await freshNamespace(cluster, 'missing');
    const host = `missing.${ns}.${ZONE}`;
    await create(cluster, gslbRef(ns, 'missing', { ...INGRESS_REF, name: 'missing' }));

    const condition = await eventually(
      () => readyOf(cluster, ns, 'missing'),
      (c) => c?.reason === 'ResourceNotFound',
    );
    expect(condition).toMatchObject({ status: 'False' });
    expect(condition?.message).toContain(`Ingress ${ns}/missing not found`);
    const events = await eventually(
      () => eventsAbout(cluster, ns, 'missing'),
      (list) => list.some((e) => e.reason === 'ResourceNotFound'),
    );
    expect(events.find((e) => e.reason === 'ResourceNotFound')).toMatchObject({
      type: 'Warning',
      involvedObject: { kind: 'Gslb' },
    });
    expect(await answer(env, host)).toEqual([]);

    await servedIngress(env, ns, 'missing', host, '192.0.2.20', false);
    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.length > 0,
      ),
    ).toEqual(['192.0.2.20']);
    expect(
      await eventually(
        () => readyOf(cluster, ns, 'missing'),
        (c) => c?.status === 'True',
      ),
    ).toMatchObject({ reason: 'Serving' });
    expectSameMeridian();
  }, 30_000);

  test('an edge DNS that stops answering: the last good addresses, Ready and no Event stream; repeated conditions are one Event with a count', async () => {
    const { cluster } = env;
    const ns = await freshNamespace(cluster, 'edge');
    const host = `kept.${ns}.${ZONE}`;
    const annotated = (name: string, hostname: string): ReturnType<typeof gslbRef> =>
      gslbRef(
        ns,
        name,
        { ...INGRESS_REF, name },
        { annotations: { 'k8gb.io/exposed-hostnames': hostname } },
      );
    await servedIngress(env, ns, 'kept', host, '192.0.2.50', false);
    await servedIngress(env, ns, 'late', `late.${ns}.${ZONE}`, '192.0.2.51', false);
    await create(cluster, annotated('kept', 'lb.edge.test'));
    const [v4] = EDGE_NAMES['lb.edge.test']!;
    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.length > 0,
      ),
    ).toEqual([v4]);
    await eventually(
      () => readyOf(cluster, ns, 'kept'),
      (c) => c?.status === 'True',
    );

    // Stopped, the edge DNS refuses every lookup at once (ICMP port unreachable).
    await env.edge.stop();
    const down = performance.now();
    // A name first looked up now fails at once, nothing known to keep: the lookups do fail.
    await create(cluster, annotated('late', 'other-lb.edge.test'));
    const unresolved = await eventually(
      () => readyOf(cluster, ns, 'late'),
      (c) => c?.reason === 'ExposedAddressesUnresolved',
    );
    expect(unresolved?.message).toContain('ECONNREFUSED');
    const samples: string[] = [];
    while (performance.now() - down < 5_000) {
      const [got, ready] = await Promise.all([answer(env, host), readyOf(cluster, ns, 'kept')]);
      samples.push(`${got.join(',')} ${ready?.status} ${ready?.reason}`);
      await sleep(250);
    }
    report(`edge DNS down 5 s: ${samples.length} samples of the Gslb that resolved before`);
    expect(new Set(samples)).toEqual(new Set([`${v4} True Serving`]));
    await env.restartEdge();
    await eventually(
      () => readyOf(cluster, ns, 'late'),
      (c) => c?.status === 'True',
    );
    // No Event stream: only the decision record of its first answer, nothing during the outage.
    const kept = await eventsAbout(cluster, ns, 'kept');
    expect(kept.map((e) => `${e.reason} ${e.count} ${e.message.includes('nothing →')}`)).toEqual([
      'AnswerChanged 1 true',
    ]);

    // Three times the same problem and the recovery from it: two Events, each with count 3.
    for (let i = 0; i < 3; i++)
      for (const [name, reason] of [
        ['gone', 'ResourceNotFound'],
        ['late', 'Serving'],
      ] as const) {
        await patch(cluster, 'Gslb', ns, 'late', { spec: { resourceRef: { name } } });
        await eventually(
          () => readyOf(cluster, ns, 'late'),
          (c) => c?.reason === reason,
        );
      }
    // Decision records (AnswerChanged) aside: those are counted by docs/decisions.md's rules.
    const summary = (list: readonly EventSeen[]): string[] =>
      list
        .filter((e) => e.reason !== 'AnswerChanged')
        .map((e) => `${e.type} ${e.reason} ${e.count}`)
        .sort();
    const expected = [
      // The first Serving was the recovery from the edge outage.
      'Normal Serving 4',
      'Warning ExposedAddressesUnresolved 1',
      'Warning ResourceNotFound 3',
    ];
    const events = await eventually(
      () => eventsAbout(cluster, ns, 'late'),
      (list) => summary(list).join() === expected.join(),
    ).catch(() => eventsAbout(cluster, ns, 'late'));
    expect(summary(events)).toEqual(expected);
    expect(events.find((e) => e.reason === 'ResourceNotFound')?.message).toBe(
      `Ingress ${ns}/gone not found`,
    );
    expectSameMeridian();
  }, 40_000);

  test('a 30 s outage: the last table keeps answering, /readyz stays 200, Meridian reconnects by itself and catches up', async () => {
    const OUTAGE_MS = 30_000;
    const { cluster } = env;
    const ns = await freshNamespace(cluster, 'outage');
    const host = `app.${ns}.${ZONE}`;
    const late = `late.${ns}.${ZONE}`;
    await servedIngress(env, ns, 'app', host, '192.0.2.10');
    // The Gslb created after the outage: its Ingress is there before, so the
    // Gslb watch alone has to come back for it to be served.
    await servedIngress(env, ns, 'late', late, '192.0.2.11', false);
    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.length > 0,
      ),
    ).toEqual(['192.0.2.10']);
    expect(await answer(env, late)).toEqual([]);

    await cluster.stopApiserver('SIGKILL');
    const down = performance.now();
    await expect(cluster.request('GET', '/readyz')).rejects.toThrow(/ECONNREFUSED/);
    const answers: string[][] = [];
    const readiness: number[] = [];
    while (performance.now() - down < OUTAGE_MS) {
      const tick = performance.now();
      const [got, ready] = await Promise.all([
        answer(env, host).catch((err: unknown) => [`error: ${String(err)}`]),
        meridianReadyz(env),
      ]);
      answers.push(got);
      readiness.push(ready);
      await sleep(1_000 - (performance.now() - tick));
    }
    const correct = answers.filter((a) => a.length === 1 && a[0] === '192.0.2.10').length;
    report(
      `apiserver down ${((performance.now() - down) / 1000).toFixed(1)} s: ` +
        `${correct}/${answers.length} answers through CoreDNS correct, ` +
        `/readyz 200 in ${readiness.filter((s) => s === 200).length}/${readiness.length} probes`,
    );
    expect(answers.filter((a) => a.length !== 1 || a[0] !== '192.0.2.10')).toEqual([]);
    // About one a second; fewer only when the machine is very busy.
    expect(answers.length).toBeGreaterThanOrEqual(20);
    expect(readiness.filter((status) => status !== 200)).toEqual([]);

    const startedAt = Date.now();
    await cluster.startApiserver();
    const back = performance.now();
    const backAt = Date.now();
    // Right after the apiserver is back: one endpoint turns unready, and a Gslb is created.
    await setReady(cluster, ns, 'app', false);
    await create(cluster, gslbRef(ns, 'late', { ...INGRESS_REF, name: 'late' }));
    const [unready, created] = await Promise.all([
      acceptedAt(
        () => answer(env, host),
        (a) => a.length === 0,
        CATCH_UP_MS,
      ),
      acceptedAt(
        () => answer(env, late),
        (a) => a.length === 1 && a[0] === '192.0.2.11',
        CATCH_UP_MS,
      ),
    ]);
    // For the figures only: a resumed watch is refused with 410 by the new
    // apiserver (see the 410 test below), so the first 410 of a resource
    // after the restart is when its watch got through again (negative:
    // before the apiserver's /readyz turned 200).
    const reconnected = KINDS.map((kind) => {
      const line = meridianLog(env).find(
        (l) => l.resource === kind && l.status === 410 && Date.parse(l.time) >= startedAt,
      );
      const after = line === undefined ? 'not yet' : `${(Date.parse(line.time) - backAt) / 1000} s`;
      return `${kind} ${after}`;
    });
    const seconds = (at: number): string => `${((at - back) / 1000).toFixed(1)} s`;
    report(
      `after the apiserver was back (${(cluster.apiserverReadyMs / 1000).toFixed(1)} s from its start to /readyz): ` +
        `first change served after ${seconds(Math.min(unready, created))}; ` +
        `EndpointSlice readiness after ${seconds(unready)}, the new Gslb after ${seconds(created)}; ` +
        `watches through again after: ${reconnected.join(', ')}`,
    );
    expect(await meridianReadyz(env)).toBe(200);
    expectSameMeridian();
  }, 150_000);

  test('three apiserver restarts leave exactly one Meridian watch per resource, and every resource synced', async () => {
    const { cluster } = env;
    // Meridian has had 5 s to reconnect when the second restart comes; the
    // third comes right after the second, while it is still reconnecting.
    for (const pauseAfter of [5_000, 0, 0]) {
      await cluster.stopApiserver('SIGKILL');
      await sleep(2_000);
      await cluster.startApiserver();
      await sleep(pauseAfter);
    }

    // Back once every resource nobody but Meridian watches has a watch again.
    const meridianOnly = ['gslbs', 'ingresses', 'gateways', 'httproutes', 'grpcroutes'];
    await eventually(
      async () => openWatches(await apiserverMetrics(cluster), meridianOnly),
      (watches) => meridianOnly.every((r) => watches[r]! >= 1),
      CATCH_UP_MS,
    );
    await sleep(2_000);
    const samples: Record<string, number>[] = [];
    for (let i = 0; i < 10; i++) {
      samples.push(openWatches(await apiserverMetrics(cluster), PLURALS));
      await sleep(500);
    }

    const metrics = await meridianMetrics(env);
    const synced = byResourceLabel(metrics, 'meridian_kube_watch_synced');
    const errors = byResourceLabel(metrics, 'meridian_kube_watch_errors_total');
    report(`watch errors counted by Meridian so far: ${JSON.stringify(errors)}`);
    // k8gb's legacy collection is not served here (its CRD is not installed): listed as empty.
    expect(synced).toEqual({ ...Object.fromEntries(KINDS.map((k) => [k, 1])), LegacyGslb: 1 });
    // Each restart broke every watch at least once.
    for (const kind of KINDS) expect(errors[kind]).toBeGreaterThanOrEqual(3);
    expect(await meridianReadyz(env)).toBe(200);
    expectSameMeridian();

    // The apiserver watches some of these itself (services, endpointslices):
    // what is left once Meridian is gone is not Meridian's.
    await env.meridian.stop();
    const baseline = await eventually(
      async () => {
        const first = openWatches(await apiserverMetrics(cluster), PLURALS);
        await sleep(1_000);
        return { first, second: openWatches(await apiserverMetrics(cluster), PLURALS) };
      },
      ({ first, second }) => JSON.stringify(first) === JSON.stringify(second),
      10_000,
    ).then(({ second }) => second);
    const meridians = samples.map((sample) =>
      Object.fromEntries(PLURALS.map((r) => [r, sample[r]! - baseline[r]!])),
    );
    report(
      `Meridian's open watches per resource in ${samples.length} samples: ` +
        PLURALS.map((r) => `${r} ${meridians.map((m) => m[r]).join('')}`).join(', ') +
        ` (the apiserver's own: ${JSON.stringify(baseline)})`,
    );
    for (const resource of PLURALS) {
      const counts = meridians.map((m) => m[resource]!).sort();
      // Never two at once. A quiet watch is ended by the client after 30 s
      // without data and resumed within ~200 ms, so a sample may catch none;
      // most must see exactly one.
      expect({ resource, max: Math.max(...counts) }).toEqual({ resource, max: 1 });
      expect({ resource, median: counts[counts.length >> 1] }).toEqual({ resource, median: 1 });
    }
  }, 150_000);
  test('the Gslb CRD not served for a while, then absent when Meridian starts, then installed again: the Ingress an embedded Gslb owns is never deleted', async () => {
    const { cluster } = env;
    // The previous test left Meridian stopped.
    await env.restartMeridian();
    const ns = await freshNamespace(cluster, 'crd');
    const host = `owned.${ns}.${ZONE}`;
    await backend(cluster, ns, 'web', true);
    const embedded = {
      apiVersion: 'k8gb.io/v1beta1',
      kind: 'Gslb',
      metadata: {
        name: 'owned',
        namespace: ns,
        annotations: { 'k8gb.io/exposed-ip-addresses': '192.0.2.55' },
      },
      spec: { ingress: ingressSpec([host], 'web'), strategy: { type: 'roundRobin' } },
    };
    await create(cluster, embedded);
    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.length > 0,
      ),
    ).toEqual(['192.0.2.55']);
    const owned = await eventually(
      () => read<{ metadata: { uid: string } }>(cluster, 'Ingress', ns, 'owned'),
      (i) => i !== null,
    );
    const ownedUid = owned!.metadata.uid;
    const stillThere = async (): Promise<void> =>
      expect(
        (await read<{ metadata: { uid: string } }>(cluster, 'Ingress', ns, 'owned'))?.metadata.uid,
      ).toBe(ownedUid);

    // 1. Not served, the objects kept (an upgrade or a restore in the wrong order): the
    //    last answers stay and nothing is deleted, past the 5 s grace of an owned Ingress.
    await setGslbVersionServed(cluster, false);
    await eventually(
      async () => (await cluster.request('GET', pathOf('Gslb', ns))).status,
      (status) => status === 404,
    );
    await waitFor(
      () => meridianLog(env).some((l) => String(l['msg']).startsWith('Gslb is not served')),
      CATCH_UP_MS,
      "Meridian's notice that Gslbs are not served",
    );
    await sleep(ORPHAN_GRACE_MS + 2_000);
    await stillThere();
    expect(await answer(env, host)).toEqual(['192.0.2.55']);
    await setGslbVersionServed(cluster, true);
    await eventually(
      () => readyOf(cluster, ns, 'owned'),
      (c) => c?.status === 'True',
      CATCH_UP_MS,
    );
    await stillThere();

    // 2. Meridian starts while no Gslb CRD is installed (a restore that brings the Ingresses
    //    back first): the first list answers 404, which is not "every Gslb is gone".
    await env.meridian.stop();
    expectOk(await cluster.request('DELETE', GSLB_CRD_PATH), 200);
    await eventually(
      async () => (await cluster.request('GET', GSLB_CRD_PATH)).status,
      (status) => status === 404,
    );
    await env.restartMeridian();
    await sleep(ORPHAN_GRACE_MS + 2_000);
    await stillThere();
    await applyManifests(cluster, [join(REPO_ROOT, 'deploy', 'crds', 'gslbs.k8gb.io.yaml')]);
    await waitForCrds(cluster, ['gslbs.k8gb.io']);
    await create(cluster, embedded);
    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.length > 0,
        CATCH_UP_MS,
      ),
    ).toEqual(['192.0.2.55']);
    await stillThere();
  }, 120_000);
});

describe('410 Gone when a watch resumes from a resourceVersion that is gone', () => {
  let env: KubeMeridian;

  beforeAll(async () => {
    env = await startKubeMeridian({
      cluster: { etcdCompactionInterval: '5s' },
      meridianEnv: { LOG_LEVEL: 'debug' },
    });
  }, 180_000);

  afterAll(async () => {
    await env?.stop();
  }, 60_000);

  test('every resumed watch gets 410, Meridian relists, and what changed meanwhile and afterwards is served', async () => {
    const { cluster } = env;
    // The apiserver took --etcd-compaction-interval=5s and compacts etcd on
    // that beat: every round rewrites compact_rev_key.
    const before = await etcdCompactions(cluster);
    await eventually(
      () => etcdCompactions(cluster),
      (c) => c.count >= before.count + 2,
      20_000,
    );

    const ns = await freshNamespace(cluster, 'gone');
    const host = `app.${ns}.${ZONE}`;
    const doomed = `doomed.${ns}.${ZONE}`;
    const fresh = `fresh.${ns}.${ZONE}`;
    await servedIngress(env, ns, 'app', host, '192.0.2.30');
    await servedIngress(env, ns, 'doomed', doomed, '192.0.2.31');
    await servedIngress(env, ns, 'fresh', fresh, '192.0.2.32', false);
    for (const [name, ip] of [
      [host, '192.0.2.30'],
      [doomed, '192.0.2.31'],
    ] as const) {
      expect(
        await eventually(
          () => answer(env, name),
          (a) => a.length > 0,
        ),
      ).toEqual([ip]);
    }

    // How to get a 410 for certain: a restarted apiserver fills its watch
    // cache from etcd's revision at start, and refuses a watch resumed from
    // any older resourceVersion with 410 "too old resource version". Meridian
    // resumes from the last resourceVersion it saw, which is at most etcd's
    // revision when the apiserver stopped; a write straight into etcd while
    // the apiserver is down (outside /registry, so no object changes) makes
    // etcd's revision strictly newer, so every watch Meridian resumes is
    // refused. (The apiserver's own writes at start, leases and the
    // kubernetes Service's endpoints, usually do the same, but not for certain.)
    // And with compaction every 5 s, etcd drops those revisions within
    // seconds as well: no apiserver could serve that resourceVersion again,
    // which is what makes a relist the only way back.
    await cluster.stopApiserver('SIGKILL');
    const stoppedAt = Date.now();
    const bumped = await etcdPut(cluster, '/meridian-test/revision-bump', String(stoppedAt));
    await cluster.startApiserver();
    // Deleted before Meridian has relisted, or just after; a watch from the
    // old resourceVersion can no longer tell, only the relist can.
    expect((await cluster.request('DELETE', pathOf('Gslb', ns, 'doomed'))).status).toBe(200);

    const isGone = (line: LogLine): boolean =>
      line.status === 410 && Date.parse(line.time) >= stoppedAt;
    const gone = await eventually(
      () => Promise.resolve(meridianLog(env).filter(isGone)),
      (lines) => KINDS.every((kind) => lines.some((l) => l.resource === kind)),
      CATCH_UP_MS,
    );
    const resumedFrom: number[] = [];
    for (const line of gone) {
      expect(line).toMatchObject({ level: 'warn', msg: 'watch failed; retrying with backoff' });
      const [, from, oldest] =
        /too old resource version: (\d+) \((\d+)\)/.exec(line.err ?? '') ?? [];
      expect(Number(from)).toBeLessThan(bumped);
      expect(Number(oldest)).toBeGreaterThanOrEqual(bumped);
      resumedFrom.push(Number(from));
    }
    report(
      `410 Gone logged for ${gone.map((l) => l.resource).join(', ')}: ` +
        `resumed from ${Math.min(...resumedFrom)}..${Math.max(...resumedFrom)}, etcd at ${bumped} after the bump`,
    );

    // Changes after the 410s: served, so the relists worked and the watches run again.
    await setReady(cluster, ns, 'app', false);
    await create(cluster, gslbRef(ns, 'fresh', { ...INGRESS_REF, name: 'fresh' }));
    await eventually(
      () => answer(env, host),
      (a) => a.length === 0,
      20_000,
    );
    expect(
      await eventually(
        () => answer(env, fresh),
        (a) => a.length > 0,
        20_000,
      ),
    ).toEqual(['192.0.2.32']);
    await eventually(
      () => answer(env, doomed),
      (a) => a.length === 0,
      20_000,
    );

    // The relists, seen by the new apiserver (its counters start at zero).
    // A resource nobody changed meanwhile may still be in its backoff (at most
    // MAX_BACKOFF_MS after its 410), so wait for every relist, within bounds.
    const lists = await eventually(
      async () => completedLists(await apiserverMetrics(cluster), PLURALS),
      (counts) => PLURALS.every((plural) => (counts[plural] ?? 0) > 0),
      CATCH_UP_MS,
    ).catch(async () => completedLists(await apiserverMetrics(cluster), PLURALS));
    report(`cluster-wide LISTs served by the restarted apiserver: ${JSON.stringify(lists)}`);
    for (const plural of PLURALS)
      expect({ plural, listed: lists[plural]! > 0 }).toEqual({
        plural,
        listed: true,
      });

    // And the resourceVersion Meridian held is compacted away in etcd: a list
    // at exactly that version is now refused with 410 as well.
    const oldest = Math.min(...resumedFrom);
    const exact = await eventually(
      () =>
        cluster.request(
          'GET',
          `/apis/k8gb.io/v1beta1/gslbs?resourceVersion=${oldest}&resourceVersionMatch=Exact`,
        ),
      (reply) => reply.status === 410,
      30_000,
    );
    expect(exact.text).toContain('too old');
    expect(await meridianReadyz(env)).toBe(200);
  }, 150_000);
});
