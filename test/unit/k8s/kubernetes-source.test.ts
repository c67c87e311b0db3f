/**
 * The Kubernetes source over a fake KubeApi, under fake timers: the test
 * delivers watch events, first lists and errors by hand and scripts the
 * replies to writes. Covers readiness (nothing served before every kind is
 * listed), coalescing of changes, the write path (merge patches, 404/409 as
 * done, retries of 429/5xx and of requests without an answer), logging of
 * repeated watch errors, metrics, the periodic resync and stop().
 */
import type { KubeObject, WatchHandlers } from '../../../src/k8s/client/kube-api';
import { KubeRequestError } from '../../../src/k8s/client/kube-api';
import { KubernetesSource, type KubernetesSourceOptions } from '../../../src/k8s/kubernetes-source';
import { RESOURCES, WATCHED_KINDS, type WatchedKind } from '../../../src/k8s/ingest/object-index';
import type { BuildProblem } from '../../../src/table/build-snapshot';
import type { GslbRecord } from '../../../src/table/model';
import type { GslbOutcome, KubeMetrics } from '../../../src/telemetry/kube-metrics';
import { FakeKubeApi, type RecordedRequest } from '../../helpers/fake-kube-api';
import { capturingLogger } from '../../helpers/telemetry';
import {
  ANNOTATION_EXPOSED_IPS,
  gslbObject,
  ingressObject,
  legacyGslbObject,
  rules,
  serviceObject,
  sliceObject,
  GSLB_CLAIM,
} from '../../helpers/kube-objects';

const HOST = 'app.cloud.example.org';
const STATUS_PATH = '/apis/k8gb.io/v1beta1/namespaces/shop/gslbs/web/status';
const DEBOUNCE = 100;
const MAX_DELAY = 1000;
const RESYNC = 60_000;
const RECORD: GslbRecord = {
  id: 'shop/web',
  hosts: [HOST],
  strategy: 'roundRobin',
  ttlSeconds: 30,
  claim: GSLB_CLAIM,
  clusters: [{ geoTag: 'eu', addresses: ['192.0.2.10'] }],
};

/** The handlers the source gave the watcher of `kind`. */
function handlers(kind: WatchedKind): WatchHandlers {
  return api.watchOf(RESOURCES[kind]).handlers;
}

function event(
  kind: WatchedKind,
  object: KubeObject,
  type: 'add' | 'update' | 'delete' = 'add',
): void {
  handlers(kind).onEvent({ type, object });
}

/** Marks every kind but `except` as listed. */
function syncAll(...except: WatchedKind[]): void {
  for (const kind of WATCHED_KINDS) if (!except.includes(kind)) handlers(kind).onSynced();
}

function statusWrites(): RecordedRequest[] {
  return api.requests.filter((r) => r.path === STATUS_PATH);
}

/** KubeMetrics that records each call as text. */
function recordingMetrics(): KubeMetrics & { calls: string[]; gslbs: GslbOutcome[] } {
  const calls: string[] = [];
  const gslbs: GslbOutcome[] = [];
  return {
    calls,
    gslbs,
    setSynced: (resource, synced) => calls.push(`synced ${resource} ${synced}`),
    recordWatchError: (resource) => calls.push(`watchError ${resource}`),
    recordWatchEvent: (resource) => calls.push(`watchEvent ${resource}`),
    recordWrite: (kind, result) => calls.push(`write ${kind} ${result}`),
    recordEventDropped: (type) => calls.push(`eventDropped ${type}`),
    recordReconcile: (seconds) => calls.push(`reconcile ${typeof seconds}`),
    recordGslb: (outcome) => {
      gslbs.push(outcome);
      calls.push(`gslb ${outcome.namespace}/${outcome.name} ${outcome.ok}`);
    },
    forgetGslb: (namespace, name) => calls.push(`forget ${namespace}/${name}`),
    setWriter: (leading) => calls.push(`writer ${leading}`),
  };
}

let api: FakeKubeApi;
let served: (readonly GslbRecord[])[];
let problems: BuildProblem[];
let metrics: ReturnType<typeof recordingMetrics>;
let logs: Record<string, unknown>[];
let source: KubernetesSource | undefined;

/** Reconcile passes run so far. */
function passes(): number {
  return metrics.calls.filter((c) => c.startsWith('reconcile')).length;
}

function start(options: Partial<KubernetesSourceOptions> = {}): KubernetesSource {
  const captured = capturingLogger('debug');
  logs = captured.logs;
  const created = new KubernetesSource({
    api,
    geoTag: 'eu',
    defaultTtlSeconds: 30,
    clusterExposedIps: [],
    inZone: (host) => host.endsWith('.cloud.example.org'),
    edgeDnsServers: [],
    debounceMs: DEBOUNCE,
    maxDelayMs: MAX_DELAY,
    resyncIntervalMs: RESYNC,
    logger: captured.logger,
    metrics,
    now: () => new Date('2026-03-01T12:00:00Z'),
    serve: (records) => {
      served.push(records);
      return problems;
    },
    // Elections are tested on their own (reconcile/writer-lease.test.ts).
    writerLease: null,
    ...options,
  });
  source = created;
  created.start();
  return created;
}

/** The objects of one served Gslb: shop/web → Ingress front → Service web (ready), IP 192.0.2.10. */
function deliverWorld(): void {
  event(
    'Gslb',
    gslbObject({
      annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.10' },
      resourceRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'front' },
    }),
  );
  event('Ingress', ingressObject('front', { hosts: { [HOST]: ['web'] } }));
  event('Service', serviceObject('web'));
  event('EndpointSlice', sliceObject('web-1', 'web', true));
}

/** Starts, delivers the world, lists everything and runs the first reconcile. */
async function startReady(options: Partial<KubernetesSourceOptions> = {}): Promise<void> {
  start(options);
  deliverWorld();
  syncAll();
  await jest.advanceTimersByTimeAsync(DEBOUNCE);
  expect(served).toHaveLength(1);
}

function current(): KubernetesSource {
  if (source === undefined) throw new Error('not started');
  return source;
}

const advance = (ms: number): Promise<void> => jest.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  jest.useFakeTimers();
  api = new FakeKubeApi('https://apiserver.test:6443 as meridian');
  served = [];
  problems = [];
  metrics = recordingMetrics();
  source = undefined;
});

afterEach(async () => {
  if (source !== undefined) {
    const stopped = source.stop(0);
    await advance(1);
    await stopped;
  }
  jest.useRealTimers();
});

test('RESOURCES names the collection of every watched kind', () => {
  expect(RESOURCES).toEqual({
    Gslb: { group: 'k8gb.io', version: 'v1beta1', plural: 'gslbs' },
    Ingress: { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses' },
    Service: { group: '', version: 'v1', plural: 'services' },
    EndpointSlice: { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' },
    Gateway: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways' },
    HTTPRoute: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' },
    GRPCRoute: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'grpcroutes' },
    LegacyGslb: { group: 'k8gb.absa.oss', version: 'v1beta1', plural: 'gslbs' },
  });
});

describe('readiness', () => {
  test('start watches every kind, marks each unsynced and logs the apiserver', () => {
    start();
    expect(api.watches.map((w) => w.resource.plural)).toEqual([
      'gslbs',
      'ingresses',
      'services',
      'endpointslices',
      'gateways',
      'httproutes',
      'grpcroutes',
      'gslbs',
    ]);
    expect(metrics.calls).toEqual(WATCHED_KINDS.map((k) => `synced ${k} false`));
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'watching Kubernetes',
        apiserver: 'https://apiserver.test:6443 as meridian',
      }),
    ]);
    expect(current().notReadyReason()).toBe(
      'waiting for the first list of Gslb, Ingress, Service, EndpointSlice, Gateway, HTTPRoute, GRPCRoute, LegacyGslb',
    );
  });

  test('nothing is served until every kind is listed; then one reconcile serves the records', async () => {
    start();
    deliverWorld();
    syncAll('LegacyGslb');
    await advance(10 * MAX_DELAY);
    expect(served).toEqual([]);
    expect(api.requests).toEqual([]);
    expect(current().notReadyReason()).toBe('waiting for the first list of LegacyGslb');
    handlers('LegacyGslb').onSynced();
    expect(current().notReadyReason()).toBe('first reconcile pending');
    await advance(DEBOUNCE - 1);
    expect(served).toEqual([]);
    await advance(1);
    expect(served).toEqual([[RECORD]]);
    expect(current().notReadyReason()).toBeNull();
    expect(metrics.calls.filter((c) => c.startsWith('synced') && c.endsWith('true'))).toEqual(
      WATCHED_KINDS.map((k) => `synced ${k} true`),
    );
    expect(logs.filter((l) => l['msg'] === 'listed').map((l) => l['resource'])).toEqual([
      ...WATCHED_KINDS,
    ]);
  });

  test('a kind listed again changes nothing; the one not listed is still awaited', async () => {
    start();
    syncAll('Gateway');
    handlers('Service').onSynced();
    await advance(DEBOUNCE);
    expect(current().notReadyReason()).toBe('waiting for the first list of Gateway');
  });
});

describe('legacy Gslbs (k8gb.absa.oss)', () => {
  const LEGACY_STATUS = '/apis/k8gb.absa.oss/v1beta1/namespaces/shop/gslbs/old/status';
  const legacy = (): KubeObject =>
    legacyGslbObject({
      name: 'old',
      annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.20' },
      ingress: { rules: rules({ 'old.cloud.example.org': ['web'] }) },
    });

  test('a CRD not installed does not hold readiness back; installed later, its Gslbs are served', async () => {
    start();
    deliverWorld();
    // What the watcher reports for a collection that answers 404: listed and empty, then the error.
    handlers('LegacyGslb').onSynced();
    handlers('LegacyGslb').onError(
      new KubeRequestError('the server could not find the requested resource', 404),
    );
    syncAll('LegacyGslb');
    await advance(DEBOUNCE);
    expect(current().notReadyReason()).toBeNull();
    expect(served).toEqual([[RECORD]]);
    // Its usual state (only clusters coming from older k8gb have the CRD): info, not an error.
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'info',
        resource: 'LegacyGslb',
        msg: 'LegacyGslb is not served by the apiserver (CRD not installed?); treated as empty, looked for again',
      }),
    );
    expect(metrics.calls.filter((c) => c.startsWith('watchError'))).toEqual([]);
    // The CRD is installed: the retried list reports its objects (a first list is reported once).
    event('LegacyGslb', legacy());
    await advance(DEBOUNCE);
    expect(served.at(-1)?.map((r) => r.id)).toEqual(['shop/web', 'shop/old@k8gb.absa.oss']);
    const status = api.requests.find((r) => r.path === LEGACY_STATUS);
    expect(status).toMatchObject({ method: 'PATCH', bodyType: 'merge-patch' });
    // Read-only: only its status and Events, never an Ingress for its embedded spec.
    expect(api.sent().filter((r) => r.includes('ingresses') || r.includes('absa'))).toEqual([
      `PATCH ${LEGACY_STATUS}`,
    ]);
    expect(metrics.calls).toContain('gslb shop/old true');
  });
});

describe('coalescing', () => {
  test('a burst of changes is one reconcile, after the quiet time', async () => {
    await startReady();
    for (let i = 0; i < 5; i++) {
      event('EndpointSlice', sliceObject(`web-${i + 2}`, 'web', i % 2 === 0));
      await advance(DEBOUNCE / 2);
    }
    expect(passes()).toBe(1);
    await advance(DEBOUNCE / 2 - 1);
    expect(passes()).toBe(1);
    await advance(1);
    expect(passes()).toBe(2);
    await advance(10 * DEBOUNCE);
    expect(passes()).toBe(2);
  });

  test('a steady stream of changes still reconciles within maxDelayMs of the first', async () => {
    await startReady();
    const first = 0;
    for (let t = first; t < MAX_DELAY; t += 50) {
      event('Service', serviceObject(`s-${t}`));
      await advance(t + 50 < MAX_DELAY ? 50 : 49);
    }
    // 999 ms after the first change: not yet.
    expect(passes()).toBe(1);
    await advance(1);
    expect(passes()).toBe(2);
  });

  test('the periodic resync reconciles without any change, and a pass that changes no record serves nothing new', async () => {
    await startReady();
    await advance(RESYNC - 1);
    expect(passes()).toBe(1);
    await advance(1 + DEBOUNCE);
    expect(passes()).toBe(2);
    expect(served).toHaveLength(1);
  });
});

describe('writes', () => {
  test('the status is sent as a merge patch; after a 2xx the same status is not sent again', async () => {
    await startReady();
    expect(api.requests).toEqual([
      {
        method: 'PATCH',
        path: STATUS_PATH,
        body: {
          status: expect.objectContaining({ serviceHealth: { [HOST]: 'Healthy' }, geoTag: 'eu' }),
        },
        bodyType: 'merge-patch',
      },
    ]);
    await advance(0);
    expect(metrics.calls.filter((c) => c.startsWith('write'))).toEqual(['write status done']);
    event('Service', serviceObject('unrelated'));
    await advance(DEBOUNCE);
    expect(passes()).toBe(2);
    expect(statusWrites()).toHaveLength(1);
  });

  test("problems of a table build the source did not ask for (a peer's answer) reach the Gslb's status", async () => {
    await startReady();
    await advance(0);
    expect(statusWrites()).toHaveLength(1);
    const before = passes();
    current().problemsChanged([
      { gslb: 'shop/web', host: HOST, reason: '2324 A targets; only the first 2319 are served' },
    ]);
    await advance(DEBOUNCE);
    expect(passes()).toBe(before + 1);
    // The pass planned the status from the problems, without a table build of its own.
    expect(served).toHaveLength(1);
    const writes = statusWrites();
    expect(writes).toHaveLength(2);
    expect(writes[1]?.body).toMatchObject({
      status: {
        conditions: [
          expect.objectContaining({
            status: 'False',
            reason: 'HostsNotServed',
            message: `${HOST}: 2324 A targets; only the first 2319 are served`,
          }),
        ],
      },
    });
    // The same problems again change nothing.
    current().problemsChanged([
      { gslb: 'shop/web', host: HOST, reason: '2324 A targets; only the first 2319 are served' },
    ]);
    await advance(DEBOUNCE);
    expect(passes()).toBe(before + 1);
  });

  test.each([404, 409])('a %d reply is done, not retried and not logged', async (status) => {
    api.reply('PATCH', STATUS_PATH, { status, body: { message: 'gone' } });
    await startReady();
    await advance(RESYNC / 2);
    expect(statusWrites()).toHaveLength(1);
    expect(metrics.calls.filter((c) => c.startsWith('write'))).toEqual(['write status done']);
    expect(logs.filter((l) => l['level'] === 'warn')).toEqual([]);
  });

  test.each([429, 500, 503])(
    'a %d reply is retried after a backoff, with one warning per failure',
    async (status) => {
      api.reply('PATCH', STATUS_PATH, { status, body: { message: 'try later' } });
      await startReady();
      await advance(0);
      expect(statusWrites()).toHaveLength(1);
      expect(logs.filter((l) => l['level'] === 'warn')).toEqual([
        expect.objectContaining({
          msg: 'write failed; retrying',
          kind: 'status',
          method: 'PATCH',
          path: STATUS_PATH,
          status,
          err: 'try later',
          code: 'MERIDIAN_ERR_KUBE',
        }),
      ]);
      // Full jitter under a 400 ms ceiling for the first retry.
      await advance(400);
      expect(statusWrites()).toHaveLength(2);
      expect(metrics.calls.filter((c) => c.startsWith('write'))).toEqual(['write status done']);
    },
  );

  test('a request without an answer is retried', async () => {
    api.reply('PATCH', STATUS_PATH, new Error('connect ECONNREFUSED'));
    await startReady();
    await advance(400);
    expect(statusWrites()).toHaveLength(2);
    expect(metrics.calls.filter((c) => c.startsWith('write'))).toEqual(['write status done']);
  });

  test.each<[number, unknown, string | undefined]>([
    [422, { message: 'status.conditions: Invalid value' }, 'status.conditions: Invalid value'],
    [403, { message: 42 }, undefined],
    [400, undefined, undefined],
  ])('a %d reply is refused: logged once, not retried', async (status, body, err) => {
    api.reply('PATCH', STATUS_PATH, { status, body });
    await startReady();
    await advance(RESYNC / 2);
    expect(statusWrites()).toHaveLength(1);
    const warnings = logs.filter((l) => l['level'] === 'warn');
    expect(warnings).toEqual([expect.objectContaining({ msg: 'write refused', status })]);
    expect(warnings[0]?.['err']).toBe(err);
    expect(metrics.calls.filter((c) => c.startsWith('write'))).toEqual(['write status done']);
  });

  test('Events and Ingress writes go through the same path', async () => {
    start();
    event('Gslb', gslbObject({ strategy: { type: 'manual' } }));
    syncAll();
    await advance(DEBOUNCE);
    expect(api.requests.map((r) => `${r.method} ${r.path} ${r.bodyType ?? '-'}`)).toEqual([
      `PATCH ${STATUS_PATH} merge-patch`,
      'POST /api/v1/namespaces/shop/events -',
    ]);
    expect((api.requests[1]?.body as { reason: string }).reason).toBe('InvalidSpec');
  });
});

describe('watch errors', () => {
  const notServed = (): KubeRequestError =>
    new KubeRequestError('the server could not find the requested resource', 404);

  test('a 404 (CRD not installed) is logged at warn once, then at debug while it repeats', () => {
    start();
    handlers('HTTPRoute').onError(notServed());
    handlers('HTTPRoute').onError(notServed());
    handlers('HTTPRoute').onError(notServed());
    const entries = logs.filter((l) => l['resource'] === 'HTTPRoute');
    expect(entries.map((l) => l['level'])).toEqual(['warn', 'debug', 'debug']);
    expect(entries[0]).toEqual(
      expect.objectContaining({
        msg: 'HTTPRoute is not served by the apiserver (CRD not installed?); treated as empty, looked for again',
        status: 404,
        err: 'the server could not find the requested resource',
        code: 'MERIDIAN_ERR_KUBE',
      }),
    );
    expect(metrics.calls.filter((c) => c.startsWith('watchError'))).toEqual([
      'watchError HTTPRoute',
      'watchError HTTPRoute',
      'watchError HTTPRoute',
    ]);
  });

  test('the legacy Gslb collection not served is no error: info once, then debug, not counted; its other failures are', () => {
    start();
    const legacy = handlers('LegacyGslb');
    legacy.onError(notServed());
    legacy.onError(notServed());
    legacy.onError(new KubeRequestError('Forbidden', 403));
    const entries = logs.filter((l) => l['resource'] === 'LegacyGslb');
    expect(entries.map((l) => [l['level'], l['status']])).toEqual([
      ['info', 404],
      ['debug', 404],
      ['warn', 403],
    ]);
    expect(metrics.calls.filter((c) => c.startsWith('watchError'))).toEqual([
      'watchError LegacyGslb',
    ]);
  });

  test('other errors: warn, then debug while the same message repeats; a new message or progress warns again', () => {
    start();
    const failing = handlers('Service');
    failing.onError(new KubeRequestError('connect ECONNREFUSED', undefined));
    failing.onError(new KubeRequestError('connect ECONNREFUSED', undefined));
    failing.onError(new KubeRequestError('Unauthorized', 401));
    event('Service', serviceObject('web'));
    failing.onError(new KubeRequestError('Unauthorized', 401));
    // Errors of one kind do not silence another.
    handlers('Gslb').onError(new KubeRequestError('Unauthorized', 401));
    const entries = logs.filter((l) => l['msg'] === 'watch failed; retrying with backoff');
    expect(entries.map((l) => [l['resource'], l['level'], l['err'], l['status']])).toEqual([
      ['Service', 'warn', 'connect ECONNREFUSED', undefined],
      ['Service', 'debug', 'connect ECONNREFUSED', undefined],
      ['Service', 'warn', 'Unauthorized', 401],
      ['Service', 'warn', 'Unauthorized', 401],
      ['Gslb', 'warn', 'Unauthorized', 401],
    ]);
  });
});

describe('metrics', () => {
  test('each reconcile records the Gslbs it looked at and its duration; a deleted Gslb is forgotten once', async () => {
    await startReady();
    expect(metrics.gslbs).toEqual([
      {
        namespace: 'shop',
        name: 'web',
        ok: true,
        strategy: 'roundRobin',
        primary: false,
        geoTag: 'eu',
        health: { [HOST]: 'Healthy' },
        healthyRecords: { [HOST]: ['192.0.2.10'] },
        exposedIps: ['192.0.2.10'],
      },
    ]);
    expect(metrics.calls.filter((c) => c.startsWith('watchEvent'))).toEqual([
      'watchEvent Gslb',
      'watchEvent Ingress',
      'watchEvent Service',
      'watchEvent EndpointSlice',
    ]);
    event('Gslb', gslbObject({ name: 'broken', uid: 'b', strategy: {} }));
    await advance(DEBOUNCE);
    // Nothing web depends on changed: only the new Gslb is looked at.
    expect(metrics.gslbs.slice(1).map((g) => `${g.name} ${g.ok}`)).toEqual(['broken false']);
    event('Gslb', gslbObject(), 'delete');
    await advance(DEBOUNCE);
    event('Service', serviceObject('x'));
    await advance(DEBOUNCE);
    const tail = metrics.calls.filter((c) => /^(gslb|forget|reconcile)/.test(c));
    expect(tail).toEqual([
      'gslb shop/web true',
      'reconcile number',
      'gslb shop/broken false',
      'reconcile number',
      'forget shop/web',
      'reconcile number',
      'reconcile number',
    ]);
  });

  test('healthyRecords lists the addresses of each host', async () => {
    start();
    event(
      'Gslb',
      gslbObject({
        annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1,192.0.2.2' },
        ingress: {
          rules: [
            {
              host: 'a.cloud.example.org',
              http: { paths: [{ backend: { service: { name: 'web' } } }] },
            },
            {
              host: 'b.cloud.example.org',
              http: { paths: [{ backend: { service: { name: 'web' } } }] },
            },
          ],
        },
      }),
    );
    event('Service', serviceObject('web'));
    event('EndpointSlice', sliceObject('web-1', 'web', true));
    syncAll();
    await advance(DEBOUNCE);
    expect(metrics.gslbs[0]?.healthyRecords).toEqual({
      'a.cloud.example.org': ['192.0.2.1', '192.0.2.2'],
      'b.cloud.example.org': ['192.0.2.1', '192.0.2.2'],
    });
  });
});

describe('stop', () => {
  test('stops every watcher; later events and timers reconcile nothing', async () => {
    await startReady();
    await current().stop();
    expect(api.watches.every((w) => w.stopped)).toBe(true);
    event('Service', serviceObject('late'));
    await advance(RESYNC * 2);
    expect(served).toHaveLength(1);
  });

  test('a pending reconcile is cancelled', async () => {
    start();
    syncAll();
    await current().stop();
    await advance(DEBOUNCE * 10);
    expect(served).toEqual([]);
  });

  test('waits for a write in flight, up to the grace time', async () => {
    api.reply('PATCH', STATUS_PATH, 'hang');
    await startReady();
    let stopped = false;
    void current()
      .stop(500)
      .then(() => (stopped = true));
    await advance(499);
    expect(stopped).toBe(false);
    await advance(1);
    expect(stopped).toBe(true);
  });
});

test('watchRestarts adds up the restarts of every watcher', () => {
  api.restartsEach = 2;
  start();
  expect(current().watchRestarts()).toBe(2 * WATCHED_KINDS.length);
});
