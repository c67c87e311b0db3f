/**
 * One write of the audit file: the lines for the records waiting, chained
 * from the head, each record preceded by a gap line when records were lost
 * just before it, and the whole after a failure preceded by an outage line.
 * A batch is bounded in bytes and lines, so the JSON and
 * hashing done between two writes stay small, and it never takes the file
 * past its size limit. Records leave the queue only once their lines are
 * known to be in the file (settle), so that a failed write loses nothing
 * but what overflows the queue meanwhile. Pure: the writer does the I/O.
 */
import type { AuditQueue } from './audit-queue';
import { formatLine, sha256Hex, ZERO_HASH, type LineBody, type Loss } from './line-format';
import type { ChainPoint } from './tail';

/** Bytes of one write at most (a single line may be longer). */
export const BATCH_BYTES = 256 * 1024;

/** Lines of one write at most. */
export const BATCH_LINES = 1024;

/** What a line of a batch stands for. */
type LineKind = 'opening' | 'outage' | 'gap' | 'record' | 'trailing';

/** Lines ready to be written in one call. */
export interface Batch {
  readonly bytes: Buffer;
  readonly lines: readonly { readonly seq: number; readonly kind: LineKind }[];
  /** The chain's head once the batch is written. */
  readonly head: ChainPoint;
  readonly records: number;
  /** The trailing loss taken from the queue for the batch's last gap line. */
  readonly trailing: Loss | null;
  /** True when the batch holds more than the opening line. */
  readonly fills: boolean;
  /** True when the batch holds the outage line asked for (or none was asked for). */
  readonly toldOutage: boolean;
}

/** What the next batch is built from. */
export interface BatchInput {
  readonly head: ChainPoint | null;
  readonly opening: { readonly newline: boolean; readonly body: LineBody } | null;
  /** The outage line to write first, after a failure; null when there was none. */
  readonly outage: LineBody | null;
  readonly queue: AuditQueue;
  readonly nowMs: number;
  /** Bytes the file may still grow by. */
  readonly room: number;
  /** The file holds nothing but its opening line: its first line goes in even when larger than the room. */
  readonly fresh: boolean;
}

/** Collects the lines of one batch, chained on from the head. */
class BatchLines {
  readonly parts: string[];
  readonly lines: { seq: number; kind: LineKind }[] = [];
  bytes: number;
  head: ChainPoint | null;
  /** A line beyond the opening is in. */
  fills = false;

  constructor(private readonly input: BatchInput) {
    this.parts = input.opening?.newline === true ? ['\n'] : [];
    this.bytes = this.parts.length;
    this.head = input.head;
  }

  /** Adds the line for `body`; false when it does not fit in this batch or in the file. */
  add(body: LineBody, kind: LineKind, timeMs: number): boolean {
    const seq = this.head === null ? 1 : this.head.seq + 1;
    const text = formatLine(seq, timeMs, this.head?.hash ?? ZERO_HASH, body);
    const size = Buffer.byteLength(text) + 1;
    if (kind !== 'opening') {
      if (!this.fits(size)) return false;
      this.fills = true;
    }
    this.parts.push(text, '\n');
    this.bytes += size;
    this.head = { seq, hash: sha256Hex(text) };
    this.lines.push({ seq, kind });
    return true;
  }

  private fits(size: number): boolean {
    const more = this.bytes + size;
    if (this.lines.length > 0 && (more > BATCH_BYTES || this.lines.length >= BATCH_LINES))
      return false;
    // The first line of a fresh file goes in whatever its size: a new file would not help it.
    return more <= this.input.room || (this.input.fresh && !this.fills);
  }
}

/**
 * The next batch; 'full' when the next line does not fit in the file (rotate
 * it first); null when there is nothing to write.
 */
export function buildBatch(input: BatchInput): Batch | 'full' | null {
  const { queue } = input;
  const batch = new BatchLines(input);
  if (input.opening !== null) batch.add(input.opening.body, 'opening', input.nowMs);
  const toldOutage = input.outage === null || batch.add(input.outage, 'outage', input.nowMs);
  // Nothing goes before the outage line: it marks where writing stopped.
  const records = toldOutage ? addRecords(batch, queue, input.nowMs) : 0;
  const trailing =
    toldOutage && records === queue.length ? addTrailing(batch, queue, input.nowMs) : null;
  const { head, lines } = batch;
  if (head === null || lines.length === 0)
    return queue.length > 0 || queue.trailingLoss !== null || !toldOutage ? 'full' : null;
  const bytes = Buffer.from(batch.parts.join(''));
  return { bytes, lines, head, records, trailing, fills: batch.fills, toldOutage };
}

/** Adds the waiting records that fit, each after its gap line; returns how many. */
function addRecords(batch: BatchLines, queue: AuditQueue, nowMs: number): number {
  let records = 0;
  for (let entry = queue.at(0); entry !== undefined; entry = queue.at(records)) {
    if (entry.loss !== null && !batch.add({ type: 'gap', loss: entry.loss }, 'gap', nowMs)) break;
    if (!batch.add({ type: 'record', recordJson: entry.json }, 'record', entry.timeMs)) break;
    records += 1;
  }
  return records;
}

/** Adds the gap line of the loss after the last record, taking it from the queue. */
function addTrailing(batch: BatchLines, queue: AuditQueue, nowMs: number): Loss | null {
  const loss = queue.trailingLoss;
  if (loss === null || !batch.add({ type: 'gap', loss }, 'trailing', nowMs)) return null;
  return queue.takeTrailing();
}

/**
 * Takes the written part of `batch` out of the queue: its lines up to
 * `writtenSeq` (all of them after a write that succeeded; after a failure, as
 * far as the file turned out to hold). Records not written stay queued, and a
 * trailing loss not written goes back.
 */
export function settle(queue: AuditQueue, batch: Batch, writtenSeq: number | null): void {
  const written = batch.lines.filter((line) => writtenSeq !== null && line.seq <= writtenSeq);
  const records = written.filter((line) => line.kind === 'record').length;
  queue.drop(records);
  // A gap line written without the record after it: that record's loss is told.
  if (written.at(-1)?.kind === 'gap') queue.at(0)!.loss = null;
  if (batch.trailing !== null && written.at(-1)?.kind !== 'trailing')
    queue.restoreTrailing(batch.trailing, batch.records - records);
}
