/**
 * The one way tests wait for something to happen: read a value every so
 * often until it is accepted, and fail after a bound with the last value
 * seen. `eventually` returns the value, `waitFor` how long it took; helpers
 * that wait for a process, a CRD or a thread state build on `poll`.
 */

/** How to poll. */
export interface PollOptions {
  readonly timeoutMs: number;
  /** Time between two reads; default 50 ms. */
  readonly intervalMs?: number;
  /** What is waited for, for the failure message. */
  readonly what?: string;
  /** Checked before each read; a message ends the wait at once with that failure. */
  readonly abort?: () => string | null;
}

/** Reads until `accept` holds; returns the value accepted and the milliseconds that took. */
export async function poll<T>(
  read: () => T | Promise<T>,
  accept: (value: T) => boolean,
  options: PollOptions,
): Promise<{ readonly value: T; readonly elapsedMs: number }> {
  const started = performance.now();
  for (;;) {
    const aborted = options.abort?.() ?? null;
    if (aborted !== null) throw new Error(aborted);
    const value = await read();
    const elapsedMs = performance.now() - started;
    if (accept(value)) return { value, elapsedMs };
    if (elapsedMs > options.timeoutMs)
      throw new Error(
        `${options.what ?? 'condition'} not within ${options.timeoutMs} ms; last value: ${JSON.stringify(value)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

/** Reads `readValue` every 50 ms until `accept` holds; returns that value; fails after `timeoutMs`. */
export async function eventually<T>(
  readValue: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  return (await poll(readValue, accept, { timeoutMs })).value;
}

/** Checks `check` every 10 ms until it is true; returns how long that took; fails after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const { elapsedMs } = await poll(check, (ok) => ok, { timeoutMs, intervalMs: 10, what });
  return elapsedMs;
}
