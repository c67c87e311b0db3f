/**
 * One alarm at a wall-clock time, moved or cancelled at will: what wakes the
 * pipeline when a drain's next step is due, since the clock moves a drain and
 * no input announces it.
 */

/** The timer functions used; injected so tests drive time. */
export interface AlarmTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export class StepAlarm {
  private handle: unknown = null;
  private stopped = false;

  constructor(
    private readonly timers: AlarmTimers,
    private readonly now: () => number,
    private readonly onDue: () => void,
  ) {}

  /** Rings at `atMs` (at once if past), replacing the alarm set before; null cancels it. */
  set(atMs: number | null): void {
    this.cancel();
    if (atMs === null || this.stopped) return;
    this.handle = this.timers.setTimeout(
      () => {
        this.handle = null;
        this.onDue();
      },
      Math.max(0, atMs - this.now()),
    );
  }

  /** Cancels the alarm for good. */
  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  private cancel(): void {
    if (this.handle !== null) this.timers.clearTimeout(this.handle);
    this.handle = null;
  }
}
