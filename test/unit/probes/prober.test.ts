import type { CheckOutcome, ProbeCheck } from '../../../src/probes/probe-check';
import { Prober, type ProbeSpec } from '../../../src/probes/prober';
import type { VerdictChange } from '../../../src/probes/rise-fall';

const check = (address: string, port = 80): ProbeCheck => ({
  type: 'http',
  address,
  port,
  path: '/',
  host: 'shop.cloud.example.org',
  expectStatus: [200],
  bodyContains: null,
  timeoutMs: 1_000,
  verifyTls: true,
  caPem: null,
});

const spec = (key: string, address = key, overrides: Partial<ProbeSpec> = {}): ProbeSpec => ({
  key,
  check: check(address),
  intervalMs: 1_000,
  rise: 2,
  fall: 2,
  ...overrides,
});

function rig(options: { maxInFlight?: number; maxPerAddress?: number; hang?: boolean } = {}) {
  const healthy = new Map<string, boolean>();
  const runs: string[] = [];
  const changes: [string, VerdictChange][] = [];
  let skipped = 0;
  const prober = new Prober({
    maxInFlight: options.maxInFlight ?? 100,
    maxPerAddress: options.maxPerAddress ?? 10,
    staleIntervals: 3,
    now: () => Date.now(),
    run: (c) => {
      runs.push(`${c.address}:${c.port}`);
      if (options.hang === true) return new Promise<CheckOutcome>(() => undefined);
      const ok = healthy.get(c.address) ?? true;
      return Promise.resolve({ ok, error: ok ? null : 'status 503', latencyMs: 1 });
    },
    onChange: (key, change) => changes.push([key, change]),
    onSkipped: () => skipped++,
  });
  return { prober, healthy, runs, changes, skipped: () => skipped };
}

beforeEach(() => {
  // Off the slots' grid, so that no probe is due at the very first instant.
  jest.useFakeTimers({ now: 1_765_000_000_250 });
});
afterEach(() => {
  jest.useRealTimers();
});

test('each probe runs once per interval; a failing target goes down after fall results, back after rise', async () => {
  const { prober, healthy, runs, changes } = rig();
  prober.set([spec('a'), spec('b')]);
  await jest.advanceTimersByTimeAsync(3_000);
  expect(runs.filter((r) => r.startsWith('a')).length).toBe(3);
  expect(prober.verdict('a')).toBe('up');
  healthy.set('a', false);
  await jest.advanceTimersByTimeAsync(1_000);
  expect(prober.verdict('a')).toBe('up');
  await jest.advanceTimersByTimeAsync(1_000);
  expect(prober.verdict('a')).toBe('down');
  expect(prober.describe('a')).toMatchObject({ verdict: 'down', lastError: 'status 503' });
  expect(prober.downCount).toBe(1);
  // The recent results, oldest first, for explain.
  expect(prober.describe('a').history.map((r) => r.ok)).toEqual([true, true, true, false, false]);
  healthy.set('a', true);
  await jest.advanceTimersByTimeAsync(2_000);
  expect(prober.verdict('a')).toBe('up');
  expect(changes.map(([key, c]) => `${key} ${c.from}→${c.to}`)).toEqual([
    // b's slot comes first in each interval.
    'b unknown→up',
    'a unknown→up',
    'a up→down',
    'a down→up',
  ]);
  await prober.stop();
});

test('probes of the same key are one probe', async () => {
  const { prober, runs } = rig();
  prober.set([spec('a'), spec('a'), spec('a')]);
  await jest.advanceTimersByTimeAsync(2_000);
  expect(runs).toHaveLength(2);
  expect(prober.size).toBe(1);
  await prober.stop();
});

test('the bounds: a run beyond the global or per-address limit is skipped, not failed', async () => {
  const { prober, runs, skipped, changes } = rig({ maxInFlight: 2, maxPerAddress: 1, hang: true });
  prober.set([
    spec('a1', '10.0.0.1'),
    spec('a2', '10.0.0.1'),
    spec('b', '10.0.0.2'),
    spec('c', '10.0.0.3'),
  ]);
  await jest.advanceTimersByTimeAsync(1_000);
  // One at 10.0.0.1, one elsewhere; the rest skipped while those hang.
  expect(runs).toHaveLength(2);
  expect(new Set(runs.map((r) => r.split(':')[0])).size).toBe(2);
  expect(skipped()).toBe(2);
  expect(changes).toEqual([]);
  // Nothing answers: after three intervals every verdict is stale, never down.
  await jest.advanceTimersByTimeAsync(5_000);
  expect(['a1', 'a2', 'b', 'c'].map((k) => prober.verdict(k))).toEqual([
    'unknown',
    'unknown',
    'unknown',
    'unknown',
  ]);
  void prober.stop();
});

test('a removed probe stops running; a changed interval starts over', async () => {
  const { prober, runs } = rig();
  prober.set([spec('a'), spec('b')]);
  await jest.advanceTimersByTimeAsync(1_000);
  prober.set([spec('b', 'b', { intervalMs: 500 })]);
  runs.length = 0;
  await jest.advanceTimersByTimeAsync(2_000);
  expect(runs.every((r) => r.startsWith('b'))).toBe(true);
  expect(runs.length).toBe(4);
  expect(prober.verdict('a')).toBe('unknown');
  await prober.stop();
});

test('stop ends the schedule', async () => {
  const { prober, runs } = rig();
  prober.set([spec('a')]);
  await prober.stop();
  await jest.advanceTimersByTimeAsync(5_000);
  expect(runs).toEqual([]);
});

test('a check that throws counts as a failure, never an unhandled rejection', async () => {
  const changes: string[] = [];
  const prober = new Prober({
    maxInFlight: 10,
    maxPerAddress: 10,
    staleIntervals: 3,
    now: () => Date.now(),
    run: () => {
      throw new Error('bad header');
    },
    onChange: (key, change) => changes.push(`${key} ${change.to} ${change.result.error}`),
  });
  prober.set([spec('a', 'a', { fall: 1 })]);
  await jest.advanceTimersByTimeAsync(1_000);
  expect(changes).toEqual(['a down bad header']);
  expect(prober.describe('a').staleAtMs).toBe(prober.describe('a').lastMs! + 3_001);
  await prober.stop();
});
