/**
 * A counting semaphore: the global bound on peer queries in flight. Waiters
 * are the pollers' workers, each waiting at most once, so the queue is bounded
 * by their number; an aborted wait leaves the queue at once.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly capacity: number) {}

  /** Queries in flight now. */
  get inFlight(): number {
    return this.active;
  }

  /** Resolves true with a slot taken, or false when `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.active < this.capacity) {
      this.active++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        this.active++;
        resolve(true);
      };
      const onAbort = (): void => {
        const at = this.waiting.indexOf(grant);
        if (at !== -1) this.waiting.splice(at, 1);
        resolve(false);
      };
      this.waiting.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Gives a slot back, to the longest waiter if any. */
  release(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}
