import { RiseFall, type ProbeResult } from '../../../src/probes/rise-fall';
import { nextRunMs, SlotAllocator, slotFraction } from '../../../src/probes/probe-slots';

const ok = (atMs: number): ProbeResult => ({ ok: true, atMs, error: null });
const failed = (atMs: number, error = 'status 503'): ProbeResult => ({ ok: false, atMs, error });

describe('RiseFall', () => {
  const make = () => new RiseFall({ rise: 2, fall: 3, staleAfterMs: 30_000 });

  test('a fresh prober marks nothing down before fall results', () => {
    const state = make();
    expect(state.current(0)).toBe('unknown');
    expect(state.record(failed(1))).toBeNull();
    expect(state.record(failed(2))).toBeNull();
    expect(state.current(2)).toBe('unknown');
    expect(state.record(failed(3, 'timeout'))).toEqual({
      from: 'unknown',
      to: 'down',
      result: failed(3, 'timeout'),
    });
    expect(state.current(3)).toBe('down');
  });

  test('down after fall consecutive failures, up after rise consecutive successes', () => {
    const state = make();
    expect(state.record(ok(1))).toMatchObject({ from: 'unknown', to: 'up' });
    // A failure between successes resets the count: no flapping on one lost packet.
    for (const [t, result] of [failed(2), failed(3), ok(4), failed(5), failed(6)].entries())
      expect([t, state.record(result)]).toEqual([t, null]);
    expect(state.record(failed(7))).toMatchObject({ from: 'up', to: 'down' });
    expect(state.record(ok(8))).toBeNull();
    expect(state.record(failed(9))).toBeNull();
    expect(state.record(ok(10))).toBeNull();
    expect(state.record(ok(11))).toMatchObject({ from: 'down', to: 'up', result: ok(11) });
  });

  test('a verdict whose last result is older than the bound is unknown', () => {
    const state = make();
    state.record(failed(0));
    state.record(failed(1));
    state.record(failed(2));
    expect(state.current(30_002)).toBe('down');
    expect(state.current(30_003)).toBe('unknown');
    expect(state.lastResult()).toEqual(failed(2));
  });

  test('a result older than the last one is ignored', () => {
    const state = make();
    state.record(ok(10));
    expect(state.record(failed(5))).toBeNull();
    expect(state.lastResult()).toEqual(ok(10));
  });

  test('rise and fall below 1 are refused', () => {
    expect(() => new RiseFall({ rise: 0, fall: 1, staleAfterMs: 1 })).toThrow('rise and fall');
  });
});

describe('probe slots', () => {
  test('10,000 probes at 10 s: every 100 ms window within 10 % of the mean', () => {
    const slots = new SlotAllocator();
    const intervalMs = 10_000;
    const windows = new Array<number>(intervalMs / 100).fill(0);
    const start = 1_765_000_000_000;
    for (let i = 0; i < 10_000; i++) {
      const at = nextRunMs(slots.acquire(), intervalMs, start);
      expect(at).toBeGreaterThanOrEqual(start);
      expect(at).toBeLessThan(start + intervalMs);
      windows[Math.floor((at - start) / 100)]! += 1;
    }
    const mean = 10_000 / windows.length;
    expect(Math.max(...windows)).toBeLessThanOrEqual(mean * 1.1);
    expect(Math.min(...windows)).toBeGreaterThanOrEqual(mean * 0.9);
  });

  test('a freed slot is reused first, so removals leave no lasting hole', () => {
    const slots = new SlotAllocator();
    const taken = [slots.acquire(), slots.acquire(), slots.acquire()];
    expect(taken).toEqual([0, 1, 2]);
    slots.release(1);
    slots.release(0);
    slots.release(7); // never handed out
    expect([slots.acquire(), slots.acquire(), slots.acquire()]).toEqual([0, 1, 3]);
  });

  test('runs are epoch-aligned: the same slot and interval run at the same times after a restart', () => {
    const at = nextRunMs(5, 10_000, 1_000_000);
    expect(nextRunMs(5, 10_000, at)).toBe(at);
    expect(nextRunMs(5, 10_000, at + 1)).toBe(at + 10_000);
    expect(at % 10_000).toBe(Math.floor(slotFraction(5) * 10_000));
  });
});
