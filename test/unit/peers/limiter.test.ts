/**
 * The global in-flight bound: slots up to the capacity, then waiters in
 * arrival order, and a waiter whose signal aborts leaves the queue at once.
 */
import { Limiter } from '../../../src/peers/limiter';

const never = new AbortController().signal;

test('slots up to the capacity, then first come first served', async () => {
  const limiter = new Limiter(2);
  expect(await limiter.acquire(never)).toBe(true);
  expect(await limiter.acquire(never)).toBe(true);
  const order: string[] = [];
  const third = limiter.acquire(never).then((ok) => order.push(`third ${ok}`));
  const fourth = limiter.acquire(never).then((ok) => order.push(`fourth ${ok}`));
  await Promise.resolve();
  expect(order).toEqual([]);
  expect(limiter.inFlight).toBe(2);
  limiter.release();
  await third;
  expect(order).toEqual(['third true']);
  expect(limiter.inFlight).toBe(2);
  limiter.release();
  await fourth;
  expect(order).toEqual(['third true', 'fourth true']);
});

test('an aborted wait resolves false, takes no slot and leaves the queue', async () => {
  const limiter = new Limiter(1);
  await limiter.acquire(never);
  const controller = new AbortController();
  const waiting = limiter.acquire(controller.signal);
  controller.abort();
  expect(await waiting).toBe(false);
  limiter.release();
  expect(limiter.inFlight).toBe(0);
  // Already aborted: refused at once.
  expect(await limiter.acquire(controller.signal)).toBe(false);
  expect(limiter.inFlight).toBe(0);
});
