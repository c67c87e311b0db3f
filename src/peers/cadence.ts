/**
 * Runs a task now and every interval after, never two at once. Runs start at
 * planned times, start + k × interval, so the cadence does not drift with the
 * runs' own length; after a stall (the event loop blocked, a run longer than
 * the interval) it restarts from now rather than running the missed ones in a
 * burst.
 */

/** A periodic task's loop. */
export class Cadence {
  private loop: Promise<void> | null = null;
  private stopped = false;
  private sleep: { timer: NodeJS.Timeout; wake: () => void } | null = null;

  /**
   * `task` should end by its own deadline; `onError` gets what it throws, and
   * the next run is at the next planned time all the same.
   */
  constructor(
    private readonly intervalMs: number,
    private readonly task: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Starts the first run now; a second call does nothing. */
  start(): void {
    if (this.loop !== null || this.stopped) return;
    this.loop = this.run();
  }

  /** Runs no more; resolves once the run under way (which the caller may abort) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sleep !== null) {
      clearTimeout(this.sleep.timer);
      this.sleep.wake();
    }
    await this.loop;
  }

  private async run(): Promise<void> {
    let planned = performance.now();
    while (!this.stopped) {
      try {
        await this.task();
      } catch (err) {
        this.onError(err);
      }
      planned += this.intervalMs;
      const wait = planned - performance.now();
      if (wait < 0) planned = performance.now();
      if (wait > 0 && !this.stopped) await this.sleepFor(wait);
    }
  }

  private sleepFor(ms: number): Promise<void> {
    return new Promise<void>((wake) => {
      this.sleep = {
        timer: setTimeout(() => {
          this.sleep = null;
          wake();
        }, ms),
        wake,
      };
    });
  }
}
