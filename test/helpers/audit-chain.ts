/**
 * Audit chains built in memory, the way the writer builds them, for the tests
 * of verify and of the tail reader; and files of lines turned back into the
 * chunks verify reads.
 */
import { formatLine, sha256Hex, ZERO_HASH, type LineBody } from '../../src/audit/line-format';
import type { VerifyInput } from '../../src/audit/verify-files';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');

/** Writes lines as the writer does: seq from 1 (or `firstSeq`), each chained to the one before. */
export class ChainBuilder {
  private seq: number;
  private prev: string;

  constructor(options: { firstSeq?: number; prev?: string } = {}) {
    this.seq = options.firstSeq ?? 1;
    this.prev = options.prev ?? ZERO_HASH;
  }

  /** The line for `body`, chained on. */
  line(body: LineBody): string {
    const text = formatLine(this.seq, T0 + this.seq * 1000, this.prev, body);
    this.seq += 1;
    this.prev = sha256Hex(text);
    return text;
  }

  start(): string {
    return this.line({ type: 'start' });
  }

  record(record: unknown): string {
    return this.line({ type: 'record', recordJson: JSON.stringify(record) });
  }

  /** `n` record lines of a decision-record-like shape. */
  records(n: number): string[] {
    return Array.from({ length: n }, (_, i) =>
      this.record({
        host: `app${this.seq}.cloud.example.org`,
        type: 'A',
        after: [`192.0.2.${i % 250}`],
      }),
    );
  }

  /** Hash and seq the next line will follow. */
  get head(): { prev: string; seq: number } {
    return { prev: this.prev, seq: this.seq };
  }

  /** Continues from another head (after a torn line, the chain goes on from the last whole one). */
  resume(head: { prev: string; seq: number }): void {
    this.prev = head.prev;
    this.seq = head.seq;
  }
}

/** A file's text from its lines, each with its newline. */
export const fileText = (lines: readonly string[]): string => lines.map((l) => `${l}\n`).join('');

/** The file `text` as verify reads it, cut into chunks of `chunkSize` bytes. */
export function fileInput(name: string, text: string | Buffer, chunkSize = 7): VerifyInput {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return { name, chunks };
}
