/**
 * How long to wait before the next try after consecutive failures, in one
 * place for every retry loop: the watches and the Kubernetes write queue
 * (full jitter, as many replicas may fail together) and the delegation
 * writers (plain doubling: one writer, and a schedule the docs can state).
 * Pure.
 */

/**
 * The delay after the `failures`-th consecutive failure (0-based): full
 * jitter, uniform in [0, min(max, initial * 2^failures)], so that many
 * replicas restarting at once spread out (AWS "Exponential Backoff and Jitter").
 */
export function backoffDelayMs(
  failures: number,
  random: () => number,
  initialMs = 200,
  maxMs = 30_000,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(failures, 30));
  return Math.floor(random() * ceiling);
}

/** The delay after `failures` consecutive failures (1 or more): initial, doubling, at most max. */
export function doublingDelayMs(failures: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
}
