import { backoffDelayMs, doublingDelayMs } from '../../src/backoff';

test('backoffDelayMs: full jitter under a doubling ceiling, capped', () => {
  const top = (): number => 0.999_999;
  expect([0, 1, 2, 3, 7, 8, 20, 500].map((n) => backoffDelayMs(n, top))).toEqual([
    199, 399, 799, 1599, 25_599, 29_999, 29_999, 29_999,
  ]);
  expect(backoffDelayMs(5, () => 0)).toBe(0);
  expect(backoffDelayMs(1, () => 0.5, 100, 1000)).toBe(100);
});

test('doublingDelayMs: the initial delay after the first failure, doubling, capped', () => {
  expect([1, 2, 3, 4, 10, 1_000].map((n) => doublingDelayMs(n, 1_000, 60_000))).toEqual([
    1_000, 2_000, 4_000, 8_000, 60_000, 60_000,
  ]);
  expect(doublingDelayMs(0, 1_000, 60_000)).toBe(1_000);
});
