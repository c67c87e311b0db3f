/**
 * The dispatcher shared by apiserver requests: one is kept while it is young,
 * a fresh one replaces it when it is old or after a failure through it, and a
 * replaced one is closed (letting its requests finish), never a fresh one
 * that was not used.
 */
import { DispatcherPool } from '../../../../src/k8s/client/dispatcher-pool';

interface FakeDispatcher {
  readonly name: string;
  closed: number;
  close(): Promise<void>;
}

function fake(name: string): FakeDispatcher {
  const dispatcher: FakeDispatcher = {
    name,
    closed: 0,
    close: () => {
      dispatcher.closed += 1;
      return Promise.resolve();
    },
  };
  return dispatcher;
}

let now: number;
let pool: DispatcherPool<FakeDispatcher>;

beforeEach(() => {
  now = 0;
  pool = new DispatcherPool(1_000, () => now);
});

test('the first dispatcher is kept for every request while it is younger than the maximum age', () => {
  const first = fake('first');
  expect(pool.pick(first)).toBe(first);
  for (const t of [1, 500, 999]) {
    now = t;
    const fresh = fake(`at ${t}`);
    expect(pool.pick(fresh)).toBe(first);
    expect(fresh.closed).toBe(0);
  }
  expect(first.closed).toBe(0);
});

test('at the maximum age a fresh one takes over and the old one is closed once', () => {
  const first = fake('first');
  pool.pick(first);
  now = 1_000;
  const second = fake('second');
  expect(pool.pick(second)).toBe(second);
  expect(first.closed).toBe(1);
  now = 1_500;
  expect(pool.pick(fake('third'))).toBe(second);
  expect(first.closed).toBe(1);
});

test('a failure through the current dispatcher retires it; the next request gets a fresh one', () => {
  const first = fake('first');
  pool.pick(first);
  pool.discard(first);
  expect(first.closed).toBe(1);
  const second = fake('second');
  expect(pool.pick(second)).toBe(second);
});

test('a failure through a dispatcher already replaced changes nothing', () => {
  const first = fake('first');
  pool.pick(first);
  now = 2_000;
  const second = fake('second');
  pool.pick(second);
  pool.discard(first);
  expect(first.closed).toBe(1);
  expect(pool.pick(fake('third'))).toBe(second);
  expect(second.closed).toBe(0);
});

test('without a dispatcher (plain http) there is nothing to share', () => {
  expect(pool.pick(undefined)).toBeUndefined();
  pool.discard(undefined);
  const first = fake('first');
  expect(pool.pick(first)).toBe(first);
});
