/**
 * The list-then-watch sessions of one collection, under fake timers, over a
 * fake `request` (the shared fake KubeApi, list pages scripted) and a fake
 * `watch` whose streams the test drives: paginated lists, watches from the
 * last resourceVersion, deduplication against the stubs seen, deletions a
 * relist implies, 410 Gone, ERROR events, quiet ends, failed requests, a 404
 * (CRD not installed) before and after the first list, and the callbacks of
 * superseded or stopped sessions.
 */
import {
  KubeRequestError,
  type KubeObject,
  type KubeReply,
  type WatchedResource,
  type Watcher,
} from '../../../../src/k8s/client/kube-api';
import {
  startListWatch,
  type WatchFunction,
  type WatchQuery,
} from '../../../../src/k8s/client/list-watch-session';
import type { SupervisorTimers } from '../../../../src/k8s/client/watch-supervisor';
import { FakeKubeApi } from '../../../helpers/fake-kube-api';

const SERVICES: WatchedResource = { group: '', version: 'v1', plural: 'services' };
const PATH = '/api/v1/services';
const FIRST_PAGE = `${PATH}?limit=500`;

/** A watch stream the session opened. */
interface FakeStream {
  readonly path: string;
  readonly query: WatchQuery;
  readonly onEvent: (phase: string, object: KubeObject) => void;
  readonly onDone: (error: unknown) => void;
  aborted: boolean;
}

let api: FakeKubeApi;
let streams: FakeStream[];
/** How watch() calls settle: accepted at once, refused with an error, or held until released. */
let watchOutcome: 'accept' | 'hold' | Error;
/** Watches held back, to accept or refuse later. */
let held: { accept: () => void; refuse: (error: Error) => void }[];
let events: string[];
let eventObjects: KubeObject[];
let errors: KubeRequestError[];
let synced: number;
let watcher: Watcher | undefined;

const fakeWatch: WatchFunction = (path, query, onEvent, onDone) => {
  const stream: FakeStream = { path, query, onEvent, onDone, aborted: false };
  streams.push(stream);
  const handle = {
    abort: () => {
      stream.aborted = true;
    },
  };
  if (watchOutcome instanceof Error) return Promise.reject(watchOutcome);
  if (watchOutcome === 'hold')
    return new Promise((resolve, reject) =>
      held.push({ accept: () => resolve(handle), refuse: reject }),
    );
  return Promise.resolve(handle);
};

function start(timers?: SupervisorTimers): Watcher {
  watcher = startListWatch({
    resource: SERVICES,
    request: (method, path, body, bodyType) => api.request(method, path, body, bodyType),
    watch: fakeWatch,
    handlers: {
      onEvent: (event) => {
        const { name, namespace, resourceVersion } = event.object.metadata;
        events.push(`${event.type} ${namespace}/${name} ${resourceVersion}`);
        eventObjects.push(event.object);
      },
      onSynced: () => synced++,
      onError: (error) => errors.push(error),
    },
    // The middle of every jitter range, so restarts come at known times.
    random: () => 0.5,
    ...(timers === undefined ? {} : { timers }),
  });
  return watcher;
}

/** A Service as the apiserver sends it. */
function service(name: string, resourceVersion: string): KubeObject {
  return { metadata: { name, namespace: 'shop', resourceVersion }, spec: { type: 'ClusterIP' } };
}

/** One page of a list reply. */
function page(
  items: KubeObject[],
  metadata: { resourceVersion?: string; continue?: string },
): KubeReply {
  return { status: 200, body: { apiVersion: 'v1', kind: 'ServiceList', metadata, items } };
}

/** Lets the promises of the current session settle; starts no new session. */
const settle = (): Promise<void> => jest.advanceTimersByTimeAsync(0);

/** The backoff after the first failure since progress: half of the initial 200 ms. */
const RESTART_MS = 100;

/** Waits out a backoff of `ms`: the next session starts and its promises settle. */
const advance = (ms: number): Promise<void> => jest.advanceTimersByTimeAsync(ms);

function last(): FakeStream {
  const stream = streams.at(-1);
  if (stream === undefined) throw new Error('no watch started');
  return stream;
}

/** Lists `items` at `resourceVersion` and opens the watch that follows. */
async function startListed(items: KubeObject[], resourceVersion: string): Promise<void> {
  api.reply('GET', PATH, page(items, { resourceVersion }));
  start();
  await settle();
  expect(streams).toHaveLength(1);
}

function watchQuery(resourceVersion: string): WatchQuery {
  return { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 290 };
}

/** Ends the current watch with a 410 Gone ERROR event, as the apiserver does. */
function gone(): void {
  last().onEvent('ERROR', {
    code: 410,
    message: 'too old resource version: 5 (10)',
  } as unknown as KubeObject);
  last().onDone(null);
}

beforeEach(() => {
  jest.useFakeTimers();
  api = new FakeKubeApi();
  streams = [];
  watchOutcome = 'accept';
  held = [];
  events = [];
  eventObjects = [];
  errors = [];
  synced = 0;
  watcher = undefined;
});

afterEach(() => {
  watcher?.stop();
  jest.useRealTimers();
});

describe('list', () => {
  test('is read page by page with continue tokens; the watch starts from its resourceVersion', async () => {
    api.reply(
      'GET',
      PATH,
      page([service('a', '1')], { continue: 'next page' }),
      page([service('b', '2')], { resourceVersion: '10' }),
    );
    start();
    await settle();
    expect(api.sent()).toEqual([`GET ${FIRST_PAGE}`, `GET ${FIRST_PAGE}&continue=next%20page`]);
    expect(events).toEqual(['add shop/a 1', 'add shop/b 2']);
    // List items get the apiVersion and kind that watch events carry.
    expect(eventObjects.map((o) => [o.apiVersion, o.kind])).toEqual([
      ['v1', 'Service'],
      ['v1', 'Service'],
    ]);
    expect(synced).toBe(1);
    expect(streams.map((s) => [s.path, s.query])).toEqual([[PATH, watchQuery('10')]]);
    expect(errors).toEqual([]);
    expect(watcher?.restarts()).toBe(0);
  });

  test('a page without items or metadata is an empty list', async () => {
    api.reply('GET', PATH, { status: 200, body: {} });
    start();
    await settle();
    expect([events, synced]).toEqual([[], 1]);
    expect(last().query).toEqual(watchQuery(''));
  });

  test.each<[string, KubeReply | Error, string, number | undefined]>([
    ['a Status', { status: 500, body: { message: 'etcd down' } }, 'etcd down', 500],
    ['no body', { status: 503, body: undefined }, 'HTTP 503', 503],
    ['no answer', new Error('socket hang up'), 'socket hang up', undefined],
  ])(
    'a failed list (%s) ends the session before any watch',
    async (_case, reply, message, code) => {
      api.reply('GET', PATH, reply);
      start();
      await settle();
      expect(errors.map((e) => [e.message, e.statusCode])).toEqual([
        [`list ${PATH}: ${message}`, code],
      ]);
      expect([synced, streams.length, events.length]).toEqual([0, 0, 0]);
      // The next session lists again.
      api.reply('GET', PATH, page([service('a', '1')], { resourceVersion: '10' }));
      await advance(RESTART_MS);
      expect([events, synced, streams.length]).toEqual([['add shop/a 1'], 1, 1]);
      expect(watcher?.restarts()).toBe(1);
    },
  );

  test('a KubeRequestError from the request is reported as it is', async () => {
    const error = new KubeRequestError(`GET ${FIRST_PAGE}: connect ECONNREFUSED`, undefined);
    api.reply('GET', PATH, error);
    start();
    await settle();
    expect(errors).toEqual([error]);
    expect(errors[0]).toBe(error);
  });

  test('a 404 before the first list counts as listed and empty, and is looked for again', async () => {
    api.reply('GET', PATH, {
      status: 404,
      body: { message: 'the server could not find the requested resource' },
    });
    start();
    await settle();
    expect(synced).toBe(1);
    expect(errors.map((e) => [e.message, e.statusCode])).toEqual([
      [`list ${PATH}: the server could not find the requested resource`, 404],
    ]);
    expect(streams).toEqual([]);
    api.reply('GET', PATH, page([service('a', '1')], { resourceVersion: '10' }));
    await advance(RESTART_MS);
    expect(events).toEqual(['add shop/a 1']);
    // Reported once, whatever the supervisor says after its first list.
    expect(synced).toBe(1);
  });

  test('a 404 after the first list keeps what is known', async () => {
    await startListed([service('a', '1')], '10');
    api.reply('GET', PATH, { status: 404, body: {} });
    gone();
    await advance(RESTART_MS);
    expect(errors.map((e) => e.statusCode)).toEqual([410, 404]);
    expect(events).toEqual(['add shop/a 1']);
    expect(synced).toBe(1);
    // A second failure in a row: twice the backoff.
    api.reply('GET', PATH, page([service('a', '1')], { resourceVersion: '40' }));
    await advance(2 * RESTART_MS);
    expect(events).toEqual(['add shop/a 1']);
    expect(last().query).toEqual(watchQuery('40'));
  });
});

describe('watch', () => {
  test('events are deduplicated against what was seen', async () => {
    await startListed([service('a', '1')], '10');
    const stream = last();
    // The same version again: no event. A new one: an update.
    stream.onEvent('ADDED', service('a', '1'));
    stream.onEvent('MODIFIED', service('a', '11'));
    stream.onEvent('MODIFIED', service('a', '11'));
    stream.onEvent('ADDED', service('c', '12'));
    // A deletion of something never seen is no event.
    stream.onEvent('DELETED', service('x', '13'));
    stream.onEvent('DELETED', service('c', '14'));
    stream.onEvent('BOOKMARK', { metadata: { name: '', resourceVersion: '20' } });
    expect(events).toEqual([
      'add shop/a 1',
      'update shop/a 11',
      'add shop/c 12',
      'delete shop/c 14',
    ]);
    // The next session resumes from the bookmark, without a list.
    stream.onDone(null);
    await advance(RESTART_MS);
    expect(api.requests).toHaveLength(1);
    expect(last().query).toEqual(watchQuery('20'));
  });

  test('cluster-scoped objects are deduplicated too', async () => {
    const node = (resourceVersion: string): KubeObject => ({
      metadata: { name: 'node-1', resourceVersion },
    });
    await startListed([node('1')], '10');
    last().onEvent('ADDED', node('1'));
    last().onEvent('DELETED', node('2'));
    expect(events).toEqual(['add undefined/node-1 1', 'delete undefined/node-1 2']);
  });

  test('an event without a resourceVersion leaves the one to resume from', async () => {
    await startListed([], '10');
    last().onEvent('ADDED', { metadata: { name: 'a', namespace: 'shop' } });
    last().onEvent('BOOKMARK', { metadata: { name: '', resourceVersion: '' } });
    last().onDone(null);
    await advance(RESTART_MS);
    expect(last().query).toEqual(watchQuery('10'));
  });

  test.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    // What client-node passes after 30 s without data: a DOMException named
    // TimeoutError. Built as an Error here, since Jest's sandbox has its own
    // Error, of which Node's DOMException is not an instance.
    [
      "client-node's timeout on silence",
      Object.assign(new Error('The operation was aborted due to timeout'), {
        name: 'TimeoutError',
      }),
    ],
  ])(
    'a quiet end (%s) resumes from the last resourceVersion, with no error',
    async (_case, end) => {
      await startListed([service('a', '1')], '10');
      last().onEvent('MODIFIED', service('a', '11'));
      last().onDone(end);
      await advance(RESTART_MS);
      expect(errors).toEqual([]);
      expect(api.requests).toHaveLength(1);
      expect(streams.map((s) => s.query)).toEqual([watchQuery('10'), watchQuery('11')]);
      expect(watcher?.restarts()).toBe(1);
    },
  );

  test('an ERROR event ends the session with its status; the next resumes without a list', async () => {
    await startListed([service('a', '1')], '10');
    last().onEvent('ERROR', { code: 500, message: 'internal error' } as unknown as KubeObject);
    // Events after the Status but before the end still count.
    last().onEvent('MODIFIED', service('a', '11'));
    last().onDone(null);
    await advance(RESTART_MS);
    expect(errors.map((e) => [e.message, e.statusCode])).toEqual([
      [`watch ${PATH}: internal error`, 500],
    ]);
    expect(api.requests).toHaveLength(1);
    expect(last().query).toEqual(watchQuery('11'));
  });

  test('an ERROR event without a message or code', async () => {
    await startListed([], '10');
    last().onEvent('ERROR', {} as unknown as KubeObject);
    last().onDone(null);
    await settle();
    expect(errors.map((e) => [e.message, e.statusCode])).toEqual([
      [`watch ${PATH}: error`, undefined],
    ]);
  });

  test('410 Gone in an ERROR event relists; the relist deletes what it no longer has', async () => {
    await startListed([service('a', '1'), service('b', '2')], '10');
    api.reply('GET', PATH, page([service('a', '1'), service('c', '3')], { resourceVersion: '30' }));
    gone();
    await advance(RESTART_MS);
    expect(errors.map((e) => [e.message, e.statusCode])).toEqual([
      [`watch ${PATH}: too old resource version: 5 (10)`, 410],
    ]);
    expect(api.sent()).toEqual([`GET ${FIRST_PAGE}`, `GET ${FIRST_PAGE}`]);
    // a is unchanged: no event; c is new; b is gone.
    expect(events).toEqual(['add shop/a 1', 'add shop/b 2', 'add shop/c 3', 'delete shop/b 2']);
    // A deletion reports what was remembered of the object: a stub.
    expect(eventObjects.at(-1)).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'b', namespace: 'shop', resourceVersion: '2' },
    });
    expect(last().query).toEqual(watchQuery('30'));
    // Deleted, then listed again: an add.
    last().onEvent('ADDED', service('b', '31'));
    expect(events.at(-1)).toBe('add shop/b 31');
  });

  test('a watch that ends with 410 relists', async () => {
    await startListed([service('a', '1')], '10');
    api.reply('GET', PATH, page([service('a', '2')], { resourceVersion: '20' }));
    last().onDone(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await advance(RESTART_MS);
    expect(errors.map((e) => [e.message, e.statusCode])).toEqual([[`watch ${PATH}: Gone`, 410]]);
    expect(api.requests).toHaveLength(2);
    expect(events).toEqual(['add shop/a 1', 'update shop/a 2']);
  });

  test('a watch that fails ends with its status and cause; the next resumes without a list', async () => {
    await startListed([], '10');
    const cause = Object.assign(new Error('Forbidden', { cause: new Error('RBAC') }), {
      statusCode: 403,
    });
    last().onDone(cause);
    await advance(RESTART_MS);
    expect(errors.map((e) => [e.message, e.statusCode, e.cause])).toEqual([
      [`watch ${PATH}: Forbidden: RBAC`, 403, cause],
    ]);
    expect(api.requests).toHaveLength(1);
    expect(last().query).toEqual(watchQuery('10'));
  });

  test('a failure that is not an Error, without a status code', async () => {
    await startListed([], '10');
    last().onDone({ statusCode: 'teapot' });
    await settle();
    expect(errors.map((e) => [e.message, e.statusCode])).toEqual([
      [`watch ${PATH}: [object Object]`, undefined],
    ]);
  });

  test('a watch request that is refused ends the session; the next tries the watch again', async () => {
    watchOutcome = new Error('connect ECONNREFUSED');
    await startListed([service('a', '1')], '10');
    expect(errors.map((e) => [e.message, e.statusCode])).toEqual([
      [`watch ${PATH}: connect ECONNREFUSED`, undefined],
    ]);
    watchOutcome = 'accept';
    await advance(RESTART_MS);
    expect(api.requests).toHaveLength(1);
    expect(streams.map((s) => s.query)).toEqual([watchQuery('10'), watchQuery('10')]);
  });

  test('a watch silent for the watchdog time is aborted and replaced by a relist', async () => {
    await startListed([service('a', '1')], '10');
    api.reply('GET', PATH, page([service('a', '1')], { resourceVersion: '50' }));
    await advance(300_000 + RESTART_MS);
    expect(streams[0]?.aborted).toBe(true);
    expect(errors.map((e) => [e.message, e.statusCode])).toEqual([
      [`watch ${PATH}: watch silent for 300000 ms`, undefined],
    ]);
    expect(api.requests).toHaveLength(2);
    expect(events).toEqual(['add shop/a 1']);
    expect(last().query).toEqual(watchQuery('50'));
  });
});

test('the supervisor runs on the timers given', async () => {
  const delays: number[] = [];
  const timers: SupervisorTimers = {
    setTimeout: (callback, ms) => {
      delays.push(ms);
      return setTimeout(callback, ms);
    },
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
  api.reply('GET', PATH, page([], { resourceVersion: '10' }));
  start(timers);
  await settle();
  last().onDone(null);
  // The watchdog and the periodic relist, re-armed on progress, and the restart.
  expect(delays).toContain(300_000);
  expect(delays).toContain(1_800_000);
  expect(delays.at(-1)).toBe(RESTART_MS);
  await advance(RESTART_MS);
  expect(streams).toHaveLength(2);
});

describe('stale sessions', () => {
  test('the callbacks of a superseded watch are ignored', async () => {
    await startListed([service('a', '1')], '10');
    const old = last();
    old.onDone(new Error('connection reset'));
    await advance(RESTART_MS);
    expect(streams).toHaveLength(2);
    old.onEvent('ADDED', service('c', '12'));
    old.onEvent('DELETED', service('a', '13'));
    old.onEvent('ERROR', { code: 410, message: 'gone' } as unknown as KubeObject);
    old.onDone(new Error('late'));
    await settle();
    expect(events).toEqual(['add shop/a 1']);
    expect(errors.map((e) => e.message)).toEqual([`watch ${PATH}: connection reset`]);
    // The late 410 did not reach the current session: it still resumes without a list.
    last().onEvent('MODIFIED', service('a', '14'));
    last().onDone(null);
    await advance(RESTART_MS);
    expect(api.requests).toHaveLength(1);
    expect(last().query).toEqual(watchQuery('14'));
    expect(events).toEqual(['add shop/a 1', 'update shop/a 14']);
  });

  test('a list that answers after stop reports nothing', async () => {
    let answer: (reply: KubeReply) => void = () => undefined;
    api.respond('GET', PATH, () => new Promise<KubeReply>((resolve) => (answer = resolve)));
    start().stop();
    answer(page([service('a', '1')], { resourceVersion: '10' }));
    await settle();
    expect([events, synced, errors, streams]).toEqual([[], 0, [], []]);
  });

  test('a list that fails after stop reports nothing', async () => {
    let fail: (error: Error) => void = () => undefined;
    api.respond('GET', PATH, () => new Promise<KubeReply>((_resolve, reject) => (fail = reject)));
    start().stop();
    fail(new Error('socket hang up'));
    await settle();
    expect([synced, errors, streams]).toEqual([0, [], []]);
  });

  test('a watch accepted after stop is aborted at once', async () => {
    watchOutcome = 'hold';
    await startListed([], '10');
    watcher?.stop();
    held.forEach((watch) => watch.accept());
    await settle();
    expect(last().aborted).toBe(true);
    last().onEvent('ADDED', service('a', '1'));
    expect(events).toEqual([]);
  });

  test('a watch refused after stop reports nothing', async () => {
    watchOutcome = 'hold';
    await startListed([], '10');
    watcher?.stop();
    held.forEach((watch) => watch.refuse(new Error('connect ECONNREFUSED')));
    await settle();
    expect(errors).toEqual([]);
  });

  test('stop aborts the running watch; its later callbacks are ignored', async () => {
    await startListed([service('a', '1')], '10');
    watcher?.stop();
    expect(last().aborted).toBe(true);
    last().onEvent('MODIFIED', service('a', '2'));
    last().onDone(new Error('aborted'));
    await advance(60_000);
    expect([events, errors, streams.length]).toEqual([['add shop/a 1'], [], 1]);
  });
});
