/**
 * The write queue under fake timers, with writes that finish when the test
 * says so: coalescing per key, one write per key at a time, the concurrency
 * bound, the pending bound, retries with backoff, idle() and stop().
 */
import {
  WriteQueue,
  type QueuedWrite,
  type WriteQueueOptions,
} from '../../../../src/k8s/reconcile/write-queue';

type Outcome = 'done' | 'retry';

/** A write whose runs are recorded and finish when `finish` is called. */
interface ControlledWrite extends QueuedWrite {
  /** Runs started so far. */
  readonly runs: number;
  /** Ends the oldest unfinished run. */
  finish(outcome: Outcome | Error): void;
}

function controlled(key: string, kind = 'status'): ControlledWrite {
  const waiting: ((outcome: Outcome | Error) => void)[] = [];
  let runs = 0;
  return {
    key,
    kind,
    get runs() {
      return runs;
    },
    run: () => {
      runs++;
      return new Promise<Outcome>((resolve, reject) => {
        waiting.push((outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome)));
      });
    },
    finish(outcome) {
      const next = waiting.shift();
      if (next === undefined) throw new Error(`${key}: no run in progress`);
      next(outcome);
    },
  };
}

/** A write that answers each run from `outcomes` at once (the last one repeats). */
function scripted(key: string, ...outcomes: (Outcome | Error)[]): QueuedWrite & { runs: number } {
  const write = {
    key,
    kind: 'status',
    runs: 0,
    run: () => {
      const outcome = outcomes[Math.min(write.runs, outcomes.length - 1)]!;
      write.runs++;
      return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
    },
  };
  return write;
}

let results: [string, string][];

function makeQueue(options: Partial<WriteQueueOptions> = {}): WriteQueue {
  return new WriteQueue({
    concurrency: 2,
    maxPending: 100,
    maxAttempts: 3,
    onResult: (kind, result) => results.push([kind, result]),
    // The top of every jitter range: retry delays are 399, 799, … ms.
    random: () => 0.999_999,
    ...options,
  });
}

/** Lets settled promises run their callbacks. */
const flush = (): Promise<void> => jest.advanceTimersByTimeAsync(0);

beforeEach(() => {
  jest.useFakeTimers();
  results = [];
});

afterEach(() => {
  jest.useRealTimers();
});

test('a write runs at once and reports done', async () => {
  const queue = makeQueue();
  const write = scripted('a', 'done');
  queue.push(write);
  expect(write.runs).toBe(1);
  expect(queue.size).toBe(1);
  await flush();
  expect(queue.size).toBe(0);
  expect(results).toEqual([['status', 'done']]);
});

test('a newer write for a waiting key replaces the older one', async () => {
  const queue = makeQueue({ concurrency: 1 });
  const blocker = controlled('blocker');
  const older = controlled('b');
  const newer = controlled('b', 'event');
  queue.push(blocker);
  queue.push(older);
  queue.push(newer);
  expect(queue.size).toBe(2);
  blocker.finish('done');
  await flush();
  expect([older.runs, newer.runs]).toEqual([0, 1]);
  newer.finish('done');
  await flush();
  expect(results).toEqual([
    ['status', 'done'],
    ['event', 'done'],
  ]);
  expect(queue.size).toBe(0);
});

test('one write per key at a time: a write for a running key waits for it', async () => {
  const queue = makeQueue({ concurrency: 4 });
  const first = controlled('a');
  const second = controlled('a');
  queue.push(first);
  queue.push(second);
  await flush();
  expect([first.runs, second.runs]).toEqual([1, 0]);
  first.finish('done');
  await flush();
  expect(second.runs).toBe(1);
  second.finish('done');
  await flush();
  expect(results).toHaveLength(2);
});

test('no more than `concurrency` writes run at once; the rest start as others end', async () => {
  const queue = makeQueue({ concurrency: 2 });
  const writes = ['a', 'b', 'c', 'd', 'e'].map((k) => controlled(k));
  for (const write of writes) queue.push(write);
  const running = (): number[] => writes.map((w) => w.runs);
  expect(running()).toEqual([1, 1, 0, 0, 0]);
  writes[1]!.finish('done');
  await flush();
  expect(running()).toEqual([1, 1, 1, 0, 0]);
  writes[0]!.finish('done');
  writes[2]!.finish('done');
  await flush();
  expect(running()).toEqual([1, 1, 1, 1, 1]);
  writes[3]!.finish('done');
  writes[4]!.finish('done');
  await flush();
  expect(results).toHaveLength(5);
  expect(queue.size).toBe(0);
});

test('beyond maxPending waiting keys a new key is dropped; a replacement is not', async () => {
  const queue = makeQueue({ concurrency: 1, maxPending: 2 });
  const running = controlled('a');
  const b = controlled('b');
  const c = controlled('c');
  const d = controlled('d', 'event');
  const c2 = controlled('c');
  queue.push(running);
  queue.push(b);
  queue.push(c);
  queue.push(d);
  expect(results).toEqual([['event', 'dropped']]);
  queue.push(c2);
  expect(results).toEqual([['event', 'dropped']]);
  expect(queue.size).toBe(3);
  running.finish('done');
  await flush();
  b.finish('done');
  await flush();
  c2.finish('done');
  await flush();
  expect([d.runs, c.runs, c2.runs]).toEqual([0, 0, 1]);
  expect(results.map(([, r]) => r)).toEqual(['dropped', 'done', 'done', 'done']);
});

test('a transient failure is retried after a backoff delay, not before', async () => {
  const queue = makeQueue();
  const write = scripted('a', 'retry', 'done');
  queue.push(write);
  await flush();
  expect(write.runs).toBe(1);
  expect(results).toEqual([]);
  await jest.advanceTimersByTimeAsync(398);
  expect(write.runs).toBe(1);
  await jest.advanceTimersByTimeAsync(1);
  expect(write.runs).toBe(2);
  expect(results).toEqual([['status', 'done']]);
});

test('a run that throws counts as a transient failure', async () => {
  const queue = makeQueue();
  const write = scripted('a', new Error('socket hang up'), 'done');
  queue.push(write);
  await flush();
  expect(results).toEqual([]);
  await jest.advanceTimersByTimeAsync(399);
  expect(write.runs).toBe(2);
  expect(results).toEqual([['status', 'done']]);
});

test.each<[string, Outcome | Error]>([
  ['retry', 'retry'],
  ['a throw', new Error('boom')],
])('with maxAttempts 1, %s fails the write at once', async (_case, outcome) => {
  const queue = makeQueue({ maxAttempts: 1 });
  const write = scripted('a', outcome);
  queue.push(write);
  await flush();
  expect(results).toEqual([['status', 'failed']]);
  expect(jest.getTimerCount()).toBe(0);
  expect(queue.size).toBe(0);
});

test('a write that keeps failing while others hold every slot is given up after maxAttempts', async () => {
  // With the only slot busy when each retry is due, the retry waits in the queue.
  const queue = makeQueue({ concurrency: 1, maxAttempts: 2 });
  const failing = controlled('a');
  const other = controlled('b');
  queue.push(failing);
  failing.finish('retry');
  await flush();
  queue.push(other);
  await jest.advanceTimersByTimeAsync(399);
  expect(failing.runs).toBe(1);
  other.finish('done');
  await flush();
  expect(failing.runs).toBe(2);
  failing.finish('retry');
  await flush();
  expect(results).toEqual([
    ['status', 'done'],
    ['status', 'failed'],
  ]);
  expect(jest.getTimerCount()).toBe(0);
});

// Regression: the retry timer used to push the write as a new entry with
// attempts 0, and the pump started it at once, so the line that carries the
// attempt count over found nothing in `waiting`. Every retry was attempt 1:
// the delay never grew past backoffDelayMs(1) (< 400 ms) and the write was
// never given up, so a persistently failing write (a 5xx from the apiserver,
// a webhook that is down) was retried forever, several times a second per
// object, and meridian_kube_writes_total{result="failed"} never counted it.
test('a write that keeps failing is retried with growing delays and given up after maxAttempts', async () => {
  const results: string[] = [];
  const queue = new WriteQueue({
    concurrency: 2,
    maxPending: 10,
    maxAttempts: 3,
    onResult: (_kind, result) => results.push(result),
    random: () => 0.999_999,
  });
  const started = Date.now();
  const runTimes: number[] = [];
  queue.push({
    key: 'status shop/web',
    kind: 'status',
    run: () => {
      runTimes.push(Date.now() - started);
      return Promise.resolve('retry');
    },
  });
  await jest.advanceTimersByTimeAsync(5_000);
  queue.stop();
  // Attempt 1 at once, then after backoffDelayMs(1) = 399 and backoffDelayMs(2) = 799.
  expect(runTimes).toEqual([0, 399, 1198]);
  expect(results).toEqual(['failed']);
});

// Regression: write-queue.ts says "A newer write for the key, queued
// meanwhile, supersedes the retry", but the retry used to be skipped only
// when the newer write was still waiting when the timer fired. A newer write
// pushed during the backoff normally starts at once and is finished by then,
// so the older write was sent again afterwards and overwrote the newer state
// (an older status or Ingress spec won until the next pass noticed).
test('a retry is dropped when a newer write for the same key was queued during its backoff', async () => {
  const queue = new WriteQueue({
    concurrency: 2,
    maxPending: 10,
    maxAttempts: 5,
    onResult: () => undefined,
    random: () => 0.999_999,
  });
  const sent: string[] = [];
  let olderRuns = 0;
  queue.push({
    key: 'status shop/web',
    kind: 'status',
    run: () => {
      sent.push('older');
      return Promise.resolve(olderRuns++ === 0 ? 'retry' : 'done');
    },
  });
  await jest.advanceTimersByTimeAsync(0);
  queue.push({
    key: 'status shop/web',
    kind: 'status',
    run: () => {
      sent.push('newer');
      return Promise.resolve('done');
    },
  });
  await jest.advanceTimersByTimeAsync(5_000);
  queue.stop();
  expect(sent).toEqual(['older', 'newer']);
});

describe('idle', () => {
  test('resolves at once when nothing waits or runs', async () => {
    const queue = makeQueue();
    await expect(queue.idle(10_000)).resolves.toBeUndefined();
  });

  test('resolves when the last write ends', async () => {
    const queue = makeQueue();
    const a = controlled('a');
    const b = controlled('b');
    queue.push(a);
    queue.push(b);
    let idle = false;
    void queue.idle(60_000).then(() => (idle = true));
    a.finish('done');
    await flush();
    expect(idle).toBe(false);
    b.finish('done');
    await flush();
    expect(idle).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('resolves after the timeout when a write never ends', async () => {
    const queue = makeQueue();
    queue.push(controlled('a'));
    let idle = false;
    void queue.idle(500).then(() => (idle = true));
    await jest.advanceTimersByTimeAsync(499);
    expect(idle).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(idle).toBe(true);
  });
});

describe('stop', () => {
  test('waiting writes are dropped and later pushes ignored; the running one ends', async () => {
    const queue = makeQueue({ concurrency: 1 });
    const running = controlled('a');
    const waiting = controlled('b');
    queue.push(running);
    queue.push(waiting);
    queue.stop();
    const late = controlled('c');
    queue.push(late);
    running.finish('done');
    await flush();
    expect([running.runs, waiting.runs, late.runs]).toEqual([1, 0, 0]);
    expect(results).toEqual([['status', 'done']]);
    expect(queue.size).toBe(0);
  });

  test('a write failing after stop is not retried', async () => {
    const queue = makeQueue();
    const write = controlled('a');
    queue.push(write);
    queue.stop();
    write.finish('retry');
    await flush();
    expect(results).toEqual([['status', 'failed']]);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('pending retries are cancelled', async () => {
    const queue = makeQueue();
    const write = scripted('a', 'retry');
    queue.push(write);
    await flush();
    expect(jest.getTimerCount()).toBe(1);
    queue.stop();
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(write.runs).toBe(1);
  });
});
