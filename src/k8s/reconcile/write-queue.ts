/**
 * Writes to the apiserver, coalesced per object: when a newer write for the
 * same key arrives while an older one waits, only the newer one is sent (a
 * status written twice in a burst is written once). A bounded number run at
 * once, failures are retried with capped, jittered backoff, and the queue
 * holds at most `maxPending` keys; beyond that a write is refused (and
 * counted), which is safe because every write is recomputed by the next
 * periodic reconcile.
 */
import { backoffDelayMs } from '../../backoff';

/** One write. `run` resolves with 'done', or 'retry' for a transient failure. */
export interface QueuedWrite {
  readonly key: string;
  /** For metrics: status, event, ingress or gslb. */
  readonly kind: string;
  readonly run: () => Promise<'done' | 'retry'>;
}

/** Options of {@link WriteQueue}. */
export interface WriteQueueOptions {
  readonly concurrency: number;
  readonly maxPending: number;
  /** Attempts of one write before it is given up (the next reconcile makes it again). */
  readonly maxAttempts: number;
  readonly onResult: (kind: string, result: 'done' | 'failed' | 'dropped') => void;
  readonly random?: () => number;
}

interface Pending {
  readonly write: QueuedWrite;
  attempts: number;
}

export class WriteQueue {
  private readonly waiting = new Map<string, Pending>();
  private readonly running = new Set<string>();
  /** Writes waiting out their backoff, by key, with the timer that brings them back. */
  private readonly backingOff = new Map<string, { timer: NodeJS.Timeout; pending: Pending }>();
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: WriteQueueOptions) {}

  /** Queues `write`; it replaces a queued or backing-off write with the same key. */
  push(write: QueuedWrite): void {
    if (this.stopped) return;
    const retry = this.backingOff.get(write.key);
    if (retry !== undefined) {
      // The newer write says what the object should be now; the old retry is moot.
      clearTimeout(retry.timer);
      this.backingOff.delete(write.key);
    }
    const replaces = retry !== undefined || this.waiting.has(write.key);
    if (!replaces && this.waiting.size + this.backingOff.size >= this.options.maxPending) {
      this.options.onResult(write.kind, 'dropped');
      return;
    }
    this.waiting.set(write.key, { write, attempts: 0 });
    this.pump();
  }

  /** Writes waiting, running or backing off. */
  get size(): number {
    return this.waiting.size + this.running.size + this.backingOff.size;
  }

  /** Resolves when nothing is waiting, running or backing off, or after `timeoutMs`. */
  idle(timeoutMs: number): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  stop(): void {
    this.stopped = true;
    this.waiting.clear();
    for (const { timer } of this.backingOff.values()) clearTimeout(timer);
    this.backingOff.clear();
    this.notifyIdle();
  }

  private pump(): void {
    for (const [key, pending] of this.waiting) {
      if (this.running.size >= this.options.concurrency) return;
      // One write per object at a time keeps them in order.
      if (this.running.has(key)) continue;
      this.waiting.delete(key);
      this.running.add(key);
      void this.execute(pending).finally(() => {
        this.running.delete(key);
        if (!this.stopped) this.pump();
        if (this.size === 0) this.notifyIdle();
      });
    }
  }

  private async execute(pending: Pending): Promise<void> {
    const { write } = pending;
    let outcome: 'done' | 'retry';
    try {
      outcome = await write.run();
    } catch {
      outcome = 'retry';
    }
    if (outcome === 'done') {
      this.options.onResult(write.kind, 'done');
      return;
    }
    pending.attempts++;
    if (pending.attempts >= this.options.maxAttempts || this.stopped) {
      this.options.onResult(write.kind, 'failed');
      return;
    }
    // A newer write for the key, queued while this one ran, supersedes the retry.
    if (this.waiting.has(write.key)) return;
    const delay = backoffDelayMs(pending.attempts, this.options.random ?? Math.random, 200, 10_000);
    const timer = setTimeout(() => {
      this.backingOff.delete(write.key);
      if (this.stopped) return;
      this.waiting.set(write.key, pending);
      this.pump();
    }, delay);
    timer.unref();
    this.backingOff.set(write.key, { timer, pending });
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
