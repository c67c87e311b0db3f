/**
 * Holds the current snapshot. One writer (the rebuild loop) swaps whole
 * snapshots; readers take the reference once per query. Assigning a reference
 * is atomic on Node's event loop, so no lock is needed.
 */
import type { RecordSnapshot } from './snapshot';

/** The current table, or null before the first build. */
export class TableHolder {
  private snapshot: RecordSnapshot | null = null;

  /** Returns the snapshot queries are answered from, or null before the first build. */
  current(): RecordSnapshot | null {
    return this.snapshot;
  }

  /** Replaces the served snapshot. */
  swap(next: RecordSnapshot): void {
    this.snapshot = next;
  }

  /**
   * Returns the serial for the next snapshot: the Unix time in seconds, or one
   * more than the current serial when that is not larger, so serials increase
   * across rebuilds and across restarts alike.
   */
  nextSerial(nowMs: number): number {
    const seconds = Math.floor(nowMs / 1000) >>> 0;
    const current = this.snapshot?.serial ?? 0;
    return seconds > current ? seconds : (current + 1) >>> 0;
  }

  /** Returns the generation number for the next snapshot. */
  nextGeneration(): number {
    return (this.snapshot?.generation ?? 0) + 1;
  }
}
