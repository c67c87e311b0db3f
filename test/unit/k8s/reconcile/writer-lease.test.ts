/**
 * The writer election against a fake apiserver that stores one Lease with
 * resourceVersions and refuses stale updates with 409, as the real one does.
 * Time is driven by fake timers; expiry uses the injected monotonic clock.
 */
import type { KubeReply } from '../../../../src/k8s/client/kube-api';
import { WriterLease } from '../../../../src/k8s/reconcile/writer-lease';
import { FakeKubeApi } from '../../../helpers/fake-kube-api';

interface StoredLease {
  metadata: { name: string; namespace: string; resourceVersion: string };
  spec: Record<string, unknown>;
}

/** One Lease, optimistic concurrency, and a switch to make the apiserver unreachable. */
class LeaseStore {
  lease: StoredLease | null = null;
  version = 0;
  down = false;

  /** A connection to this store; each replica gets its own. */
  api(): FakeKubeApi {
    return new FakeKubeApi().respond('*', '*', (r) => this.handle(r.method, r.path, r.body));
  }

  private handle(method: string, path: string, body: unknown): Promise<KubeReply> {
    if (this.down) return Promise.reject(new Error('connection refused'));
    const reply = (status: number, payload?: unknown): Promise<KubeReply> =>
      Promise.resolve({
        status,
        body: payload === undefined ? undefined : structuredClone(payload),
      });
    const sent = body as StoredLease | undefined;
    switch (method) {
      case 'GET':
        return this.lease === null ? reply(404) : reply(200, this.lease);
      case 'POST':
        if (this.lease !== null) return reply(409);
        this.lease = {
          ...sent!,
          metadata: { ...sent!.metadata, resourceVersion: String(++this.version) },
        };
        expect(path).toBe('/apis/coordination.k8s.io/v1/namespaces/meridian/leases');
        return reply(201, this.lease);
      case 'PUT':
        if (this.lease === null) return reply(404);
        if (sent!.metadata.resourceVersion !== this.lease.metadata.resourceVersion)
          return reply(409);
        this.lease = {
          ...sent!,
          metadata: { ...sent!.metadata, resourceVersion: String(++this.version) },
        };
        return reply(200, this.lease);
      default:
        return reply(405);
    }
  }
}

let clock = 0;
const monotonicMs = (): number => clock;

function replica(store: LeaseStore, identity: string, changes: boolean[]): WriterLease {
  return new WriterLease({
    api: store.api(),
    namespace: 'meridian',
    name: 'meridian-writer',
    identity,
    leaseDurationMs: 15_000,
    renewIntervalMs: 2_000,
    onChange: (leading) => changes.push(leading),
    monotonicMs,
    now: () => new Date('2026-11-22T00:00:00.123Z'),
  });
}

/** Advances both the fake timers and the monotonic clock, letting promises settle. */
async function advance(ms: number): Promise<void> {
  for (let step = 0; step < ms; step += 500) {
    clock += 500;
    await jest.advanceTimersByTimeAsync(500);
  }
}

beforeEach(() => {
  jest.useFakeTimers();
  clock = 0;
});
afterEach(() => {
  jest.useRealTimers();
});

test('the first replica creates the Lease and writes; a second one waits', async () => {
  const store = new LeaseStore();
  const a: boolean[] = [];
  const b: boolean[] = [];
  const first = replica(store, 'a', a);
  first.start();
  await advance(500);
  expect([first.isLeading(), a]).toEqual([true, [true]]);
  expect(store.lease?.spec).toMatchObject({
    holderIdentity: 'a',
    leaseDurationSeconds: 15,
    acquireTime: '2026-11-22T00:00:00.123000Z',
    leaseTransitions: 0,
  });
  const second = replica(store, 'b', b);
  second.start();
  await advance(30_000);
  // a renews every 2 s, so b keeps seeing a new record and never takes over.
  expect([first.isLeading(), second.isLeading(), b]).toEqual([true, false, []]);
  expect(store.version).toBeGreaterThan(10);
  await first.stop();
  await second.stop();
});

test('when the writer stops renewing (crash), another takes over after the lease duration, not before', async () => {
  const store = new LeaseStore();
  const a: boolean[] = [];
  const b: boolean[] = [];
  const first = replica(store, 'a', a);
  first.start();
  await advance(500);
  const second = replica(store, 'b', b);
  second.start();
  await advance(2_000);
  // A crash: a's timers stop, nothing is released.
  jest.spyOn(first as unknown as { tick: () => Promise<void> }, 'tick').mockResolvedValue();
  await advance(14_000);
  expect(second.isLeading()).toBe(false);
  await advance(4_000);
  expect([second.isLeading(), b]).toEqual([true, [true]]);
  expect(store.lease?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  await second.stop();
});

test('a graceful stop releases the Lease, so the next replica writes at once', async () => {
  const store = new LeaseStore();
  const a: boolean[] = [];
  const b: boolean[] = [];
  const first = replica(store, 'a', a);
  first.start();
  await advance(500);
  const second = replica(store, 'b', b);
  second.start();
  await advance(1_000);
  await first.stop();
  expect(a).toEqual([true, false]);
  expect(store.lease?.spec['holderIdentity']).toBe('');
  await advance(2_500);
  expect(second.isLeading()).toBe(true);
  await second.stop();
});

test('the writer that cannot reach the apiserver for a lease duration stops writing', async () => {
  const store = new LeaseStore();
  const changes: boolean[] = [];
  const lease = replica(store, 'a', changes);
  lease.start();
  await advance(500);
  store.down = true;
  await advance(14_000);
  expect(lease.isLeading()).toBe(true);
  await advance(2_500);
  expect([lease.isLeading(), changes]).toEqual([false, [true, false]]);
  store.down = false;
  await advance(2_500);
  expect([lease.isLeading(), changes]).toEqual([true, [true, false, true]]);
  await lease.stop();
});

test('two replicas racing for a free Lease: the stale update gets 409 and only one writes', async () => {
  const store = new LeaseStore();
  store.lease = {
    metadata: { name: 'meridian-writer', namespace: 'meridian', resourceVersion: '1' },
    spec: { holderIdentity: '', leaseDurationSeconds: 1 },
  };
  store.version = 1;
  const a: boolean[] = [];
  const b: boolean[] = [];
  const first = replica(store, 'a', a);
  const second = replica(store, 'b', b);
  first.start();
  second.start();
  await advance(500);
  expect([first.isLeading(), second.isLeading()].filter(Boolean)).toHaveLength(1);
  await first.stop();
  await second.stop();
});
