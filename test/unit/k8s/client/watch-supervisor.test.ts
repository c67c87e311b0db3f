/**
 * The watch supervisor under fake timers, with scripted sessions standing in
 * for list-watch calls: backoff growth and cap, at most one live session in
 * error storms, stale sessions ignored, the watchdog, periodic relists, stop.
 */
import {
  createWatchSupervisor,
  type SupervisorTimers,
  type WatchSessionSink,
  type WatchSessionStart,
  type WatchSupervisor,
  type WatchSupervisorOptions,
} from '../../../../src/k8s/client/watch-supervisor';

interface FakeSession {
  readonly sink: WatchSessionSink<string>;
  readonly start: WatchSessionStart;
  cancelled: boolean;
}

const timers: SupervisorTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

let sessions: FakeSession[];
let events: string[];
let errors: unknown[];
let supervisor: WatchSupervisor;

function make(options: Partial<WatchSupervisorOptions<string>> = {}): WatchSupervisor {
  supervisor = createWatchSupervisor<string>({
    startSession: (sink, start) => {
      const session: FakeSession = { sink, start, cancelled: false };
      sessions.push(session);
      return {
        cancel: () => {
          session.cancelled = true;
        },
      };
    },
    onEvent: (event) => events.push(event),
    onError: (error) => errors.push(error),
    timers,
    // The top of every jitter range, so delays are predictable.
    random: () => 0.999_999,
    watchdogMs: 0,
    relistIntervalMs: 0,
    ...options,
  });
  return supervisor;
}

/** Sessions neither cancelled nor ended: never more than one. */
function live(): FakeSession[] {
  return sessions.filter((s) => !s.cancelled && s.sink.current);
}

function last(): FakeSession {
  const session = sessions.at(-1);
  if (session === undefined) throw new Error('no session started');
  return session;
}

beforeEach(() => {
  jest.useFakeTimers();
  sessions = [];
  events = [];
  errors = [];
});

afterEach(() => {
  supervisor.stop();
  expect(jest.getTimerCount()).toBe(0);
  jest.useRealTimers();
});

test('starts one session with a list, syncs once, forwards events', () => {
  const onSynced = jest.fn();
  make({ onSynced });
  supervisor.start();
  supervisor.start(); // a second start is a no-op
  expect(sessions).toHaveLength(1);
  expect(last().start.relist).toBe(true);
  expect(supervisor.synced()).toBe(false);
  last().sink.listed();
  last().sink.event('a');
  last().sink.listed();
  expect(supervisor.synced()).toBe(true);
  expect(onSynced).toHaveBeenCalledTimes(1);
  expect(events).toEqual(['a']);
  expect(supervisor.status()).toMatchObject({ state: 'running', restarts: 0, errors: 0 });
});

test('restarts after errors with growing delays, capped at 30 s, and resets on progress', () => {
  make();
  supervisor.start();
  last().sink.listed();
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) {
    const before = sessions.length;
    last().sink.ended(new Error(`boom ${i}`));
    const delay = supervisor.status().lastBackoffMs;
    delays.push(delay);
    expect(supervisor.status().state).toBe('backoff');
    jest.advanceTimersByTime(delay - 1);
    expect(sessions).toHaveLength(before); // not a millisecond early
    jest.advanceTimersByTime(1);
    expect(sessions).toHaveLength(before + 1);
  }
  expect(delays).toEqual([199, 399, 799, 1599, 3199, 6399, 12_799, 25_599, 29_999, 29_999]);
  expect(supervisor.status()).toMatchObject({
    restarts: 10,
    errors: 10,
    consecutiveFailures: 10,
    synced: true,
  });
  expect((supervisor.status().lastError as Error).message).toBe('boom 9');
  expect(errors).toHaveLength(10);
  // Resumes from the last resourceVersion: no relist after a plain reconnect.
  expect(last().start.relist).toBe(false);

  last().sink.event('x'); // progress
  last().sink.ended(new Error('again'));
  expect(supervisor.status().lastBackoffMs).toBe(199);
});

test('a clean end restarts too, without counting an error', () => {
  make();
  supervisor.start();
  last().sink.listed();
  last().sink.ended();
  jest.advanceTimersByTime(199);
  expect(sessions).toHaveLength(2);
  expect(supervisor.status()).toMatchObject({ restarts: 1, errors: 0 });
});

test('an error storm never yields two live sessions, and stale sessions are ignored', () => {
  make({ random: () => 0.5 });
  supervisor.start();
  const first = last();
  first.sink.listed();
  for (let i = 0; i < 100; i++) {
    const current = last();
    // The same session failing many times, and old ones failing late.
    current.sink.ended(new Error('storm'));
    current.sink.ended(new Error('storm again'));
    first.sink.ended(new Error('late'));
    supervisor.start();
    expect(live().length).toBeLessThanOrEqual(1);
    jest.advanceTimersByTime(30_000);
    expect(live()).toHaveLength(1);
  }
  expect(sessions).toHaveLength(101);
  expect(supervisor.status().errors).toBe(100);

  // Anything a superseded session still delivers is dropped.
  first.sink.event('stale');
  first.sink.listed();
  first.sink.bookmark();
  expect(events).toEqual([]);
  expect(first.sink.current).toBe(false);
  expect(last().sink.current).toBe(true);
});

test('a session that fails synchronously inside startSession is restarted once', () => {
  let calls = 0;
  supervisor = createWatchSupervisor<string>({
    startSession: (sink) => {
      calls++;
      if (calls === 1) sink.ended(new Error('sync failure'));
      return { cancel: () => undefined };
    },
    onEvent: () => undefined,
    timers,
    random: () => 0,
    watchdogMs: 0,
    relistIntervalMs: 0,
  });
  supervisor.start();
  expect(supervisor.status().state).toBe('backoff');
  jest.advanceTimersByTime(0);
  expect(calls).toBe(2);
  expect(supervisor.status()).toMatchObject({ state: 'running', errors: 1 });
});

test('the watchdog restarts a silent watch with a relist; events keep it quiet', () => {
  make({ watchdogMs: 10_000 });
  supervisor.start();
  last().sink.listed();
  for (let i = 0; i < 5; i++) {
    jest.advanceTimersByTime(9_000);
    last().sink.bookmark();
  }
  expect(sessions).toHaveLength(1);

  jest.advanceTimersByTime(10_000);
  expect(sessions[0]?.cancelled).toBe(true);
  expect(supervisor.status()).toMatchObject({ state: 'backoff', watchdogRestarts: 1 });
  jest.advanceTimersByTime(199);
  expect(sessions).toHaveLength(2);
  expect(last().start.relist).toBe(true);
  expect(live()).toHaveLength(1);

  // A list that hangs is caught too, with growing backoff.
  jest.advanceTimersByTime(10_000 + 399);
  expect(sessions).toHaveLength(3);
  expect(supervisor.status().watchdogRestarts).toBe(2);
});

test('relists periodically, replacing the session', () => {
  make({ relistIntervalMs: 60_000 });
  supervisor.start();
  last().sink.listed();
  jest.advanceTimersByTime(60_000);
  expect(sessions).toHaveLength(2);
  expect(sessions[0]?.cancelled).toBe(true);
  expect(last().start.relist).toBe(true);
  last().sink.listed();
  jest.advanceTimersByTime(60_000);
  expect(sessions).toHaveLength(3);
  expect(supervisor.status().periodicRelists).toBe(2);
  expect(live()).toHaveLength(1);
});

test('a relist due during backoff happens on the pending restart', () => {
  make({ relistIntervalMs: 1_000, initialBackoffMs: 5_000 });
  supervisor.start();
  last().sink.listed();
  last().sink.ended(new Error('down'));
  jest.advanceTimersByTime(4_998);
  expect(sessions).toHaveLength(1);
  jest.advanceTimersByTime(1);
  expect(sessions).toHaveLength(2);
  expect(last().start.relist).toBe(true);
});

test('stop cancels the session and every timer, and ignores late callbacks', () => {
  make({ watchdogMs: 10_000, relistIntervalMs: 60_000 });
  supervisor.start();
  last().sink.listed();
  expect(jest.getTimerCount()).toBe(2);
  supervisor.stop();
  expect(last().cancelled).toBe(true);
  expect(jest.getTimerCount()).toBe(0);
  last().sink.event('late');
  last().sink.ended(new Error('late'));
  jest.advanceTimersByTime(3_600_000);
  expect(sessions).toHaveLength(1);
  expect(events).toEqual([]);
  expect(supervisor.status().state).toBe('stopped');
  supervisor.start(); // final: no restart after stop
  expect(sessions).toHaveLength(1);
});

test('stop during backoff clears the pending restart', () => {
  make();
  supervisor.start();
  last().sink.ended(new Error('x'));
  expect(jest.getTimerCount()).toBe(1);
  supervisor.stop();
  expect(jest.getTimerCount()).toBe(0);
});

test('onError may stop the supervisor', () => {
  supervisor = createWatchSupervisor<string>({
    startSession: () => ({ cancel: () => undefined }),
    onEvent: () => undefined,
    onError: () => supervisor.stop(),
    timers,
  });
  supervisor.start();
  // Reach the sink through a second supervisor would be contrived; use the watchdog instead.
  jest.advanceTimersByTime(300_000);
  expect(supervisor.status()).toMatchObject({ state: 'stopped', errors: 1 });
  expect(jest.getTimerCount()).toBe(0);
});

test('default timers are real and unref-ed', () => {
  jest.useRealTimers();
  supervisor = createWatchSupervisor<string>({
    startSession: () => ({ cancel: () => undefined }),
    onEvent: () => undefined,
  });
  supervisor.start();
  expect(supervisor.status().state).toBe('running');
  supervisor.stop();
  jest.useFakeTimers();
});
