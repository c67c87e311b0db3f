/**
 * When each probe runs, so that any number of probes at one interval are
 * spread evenly over it, never a burst: probe i (in the order they were
 * added, a freed index reused first) runs at the fraction frac(i·φ) of its
 * interval, φ the golden ratio. That sequence fills [0, 1) more evenly than
 * random offsets for every count (Weyl; its discrepancy falls as log n / n),
 * so 10,000 probes at 10 s put 100 ± 2 into each 100 ms, where random offsets
 * would put up to about 130. Times are aligned to the epoch, so the slots of a
 * restarted prober fall where they were. Pure.
 */

/** The golden ratio's fractional part. */
const PHI = (Math.sqrt(5) - 1) / 2;

/** The fraction of its interval at which the probe in slot `index` runs. */
export function slotFraction(index: number): number {
  return (index * PHI) % 1;
}

/** The first time at or after `nowMs` when a probe of `intervalMs` in slot `index` runs. */
export function nextRunMs(index: number, intervalMs: number, nowMs: number): number {
  const offset = Math.floor(slotFraction(index) * intervalMs);
  const cycles = Math.ceil((nowMs - offset) / intervalMs);
  return offset + cycles * intervalMs;
}

/** Hands out slot indexes, the lowest free one first, so removals leave no lasting holes. */
export class SlotAllocator {
  private next = 0;
  /** Freed indexes, kept sorted descending so the lowest is popped. */
  private readonly freed: number[] = [];

  acquire(): number {
    const reused = this.freed.pop();
    if (reused !== undefined) return reused;
    return this.next++;
  }

  release(index: number): void {
    if (index < 0 || index >= this.next || this.freed.includes(index)) return;
    this.freed.push(index);
    this.freed.sort((a, b) => b - a);
  }
}
