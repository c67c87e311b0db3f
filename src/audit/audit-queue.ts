/**
 * The bounded queue between append() and the writer: serialized records in
 * order, and the losses between them. A record that does not fit (too many
 * records or bytes waiting) is dropped and counted as a loss, and the loss is
 * attached to the next record queued, so that the gap line lands exactly where
 * the records went missing; losses after the last record wait as a trailing
 * loss. Pure: no I/O, no timers.
 */
import type { Loss, LossReason } from './line-format';

/** Records waiting at most; more are dropped (`queue_full`). */
export const MAX_QUEUED_RECORDS = 10_000;

/** Bytes of serialized records waiting at most (10,000 records of 3.3 KiB); more are dropped. */
export const MAX_QUEUED_BYTES = 32 * 1024 * 1024;

/** A record waiting to be written. */
export interface QueuedRecord {
  readonly json: string;
  readonly bytes: number;
  /** When append() was called: the `time` of its line. */
  readonly timeMs: number;
  /** Records lost just before this one; null once its gap line is written. */
  loss: Loss | null;
}

/** The bounds of a queue. */
export interface QueueLimits {
  readonly records: number;
  readonly bytes: number;
}

/** `later` added to `earlier`. */
export function mergeLoss(earlier: Loss | null, later: Loss): Loss {
  if (earlier === null) return later;
  const reasons: Partial<Record<LossReason, number>> = { ...earlier.reasons };
  for (const [reason, count] of Object.entries(later.reasons) as [LossReason, number][])
    reasons[reason] = (reasons[reason] ?? 0) + count;
  return {
    lost: earlier.lost + later.lost,
    reasons,
    fromMs: Math.min(earlier.fromMs, later.fromMs),
    toMs: Math.max(earlier.toMs, later.toMs),
  };
}

/** Records waiting in order, with the losses between them. */
export class AuditQueue {
  private items: QueuedRecord[] = [];
  /** Index of the first waiting record in `items` (shifting an array is O(n)). */
  private first = 0;
  private waitingBytes = 0;
  private trailing: Loss | null = null;

  constructor(private readonly limits: QueueLimits) {}

  get length(): number {
    return this.items.length - this.first;
  }

  get bytes(): number {
    return this.waitingBytes;
  }

  /** The loss after the last waiting record, if any. */
  get trailingLoss(): Loss | null {
    return this.trailing;
  }

  /** Queues a record; false when it does not fit (then it is counted as lost). */
  offer(json: string, bytes: number, timeMs: number): boolean {
    if (this.length >= this.limits.records || this.waitingBytes + bytes > this.limits.bytes) {
      this.lose('queue_full', timeMs);
      return false;
    }
    this.items.push({ json, bytes, timeMs, loss: this.trailing });
    this.trailing = null;
    this.waitingBytes += bytes;
    return true;
  }

  /** Counts `count` records lost at `timeMs`, before whatever is queued next. */
  lose(reason: LossReason, timeMs: number, count = 1): void {
    this.trailing = mergeLoss(this.trailing, {
      lost: count,
      reasons: { [reason]: count },
      fromMs: timeMs,
      toMs: timeMs,
    });
  }

  /** The `index`-th waiting record, from 0. */
  at(index: number): QueuedRecord | undefined {
    return this.items[this.first + index];
  }

  /** Removes the first `count` records (written). */
  drop(count: number): void {
    for (let i = 0; i < count && this.length > 0; i++) {
      this.waitingBytes -= this.items[this.first]!.bytes;
      this.first += 1;
    }
    if (this.first > 1024 && this.first * 2 > this.items.length) {
      this.items = this.items.slice(this.first);
      this.first = 0;
    }
  }

  /** Takes the trailing loss for a gap line; give it back with restoreTrailing if that line is not written. */
  takeTrailing(): Loss | null {
    const loss = this.trailing;
    this.trailing = null;
    return loss;
  }

  /**
   * Puts back a trailing loss taken earlier and not written: it belongs after
   * the first `after` waiting records (those it followed) and ahead of
   * anything queued or lost since.
   */
  restoreTrailing(loss: Loss, after: number): void {
    const next = this.at(after);
    if (next !== undefined) {
      next.loss = next.loss === null ? loss : mergeLoss(loss, next.loss);
    } else {
      this.trailing = this.trailing === null ? loss : mergeLoss(loss, this.trailing);
    }
  }

  /** Empties the queue; returns how many records were waiting. */
  clear(): number {
    const waiting = this.length;
    this.items = [];
    this.first = 0;
    this.waitingBytes = 0;
    this.trailing = null;
    return waiting;
  }
}
