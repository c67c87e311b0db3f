/**
 * Verifies audit files given in order, from their bytes: splits each into
 * lines (a file may be of any size: it is read chunk by chunk and only one
 * line is held at a time) and hands them to the ChainVerifier. Pure: the
 * caller supplies the chunks (src/cli/audit-verify.ts reads the files).
 */
import {
  ChainVerifier,
  type ChainBreak,
  type ChainEvent,
  type ChainHead,
  type LineLocation,
} from './chain-verifier';

/**
 * Longest line verify reads. The writer's lines are at most MAX_LINE_BYTES
 * (65 KiB); a longer line cannot be one of them, and refusing it keeps the
 * memory of a check bounded whatever the file holds.
 */
export const MAX_VERIFIED_LINE_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;

/** One file to verify: its name as reported, and its bytes in order. */
export interface VerifyInput {
  readonly name: string;
  readonly chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

/** What one file held. */
export interface FileSummary {
  readonly name: string;
  /** Lines read, torn writes included. */
  readonly lines: number;
  /** The chain's last whole line at the end of this file; null if there is none yet. */
  readonly head: ChainHead | null;
}

/** The outcome of a check. */
export interface VerifyOutcome {
  readonly broken: ChainBreak | null;
  readonly head: ChainHead | null;
  /** Lines in the chain (torn writes not counted). */
  readonly lines: number;
  readonly files: readonly FileSummary[];
}

/** Collects one line's bytes across chunks, up to the bound. */
class LineBuffer {
  private parts: Uint8Array[] = [];
  private length = 0;

  /** Adds bytes; false once the line is longer than the bound. */
  add(bytes: Uint8Array): boolean {
    if (bytes.length === 0) return true;
    this.parts.push(bytes);
    this.length += bytes.length;
    return this.length <= MAX_VERIFIED_LINE_BYTES;
  }

  get empty(): boolean {
    return this.length === 0;
  }

  take(): Uint8Array {
    const line = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.length = 0;
    return line;
  }
}

/** Feeds one file's lines to `verifier`; returns how many lines it held, or a break. */
async function feedFile(
  verifier: ChainVerifier,
  input: VerifyInput,
): Promise<{ lines: number; tooLong: ChainBreak | null }> {
  const buffer = new LineBuffer();
  let line = 0;
  for await (const chunk of input.chunks) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      line += 1;
      if (!buffer.add(chunk.subarray(start, end)))
        return { lines: line, tooLong: tooLong(input, line) };
      verifier.push({ file: input.name, line, bytes: buffer.take(), terminated: true });
      if (verifier.firstBreak !== null) return { lines: line, tooLong: null };
      start = end + 1;
    }
    if (!buffer.add(chunk.subarray(start)))
      return { lines: line + 1, tooLong: tooLong(input, line + 1) };
  }
  if (!buffer.empty) {
    line += 1;
    verifier.push({ file: input.name, line, bytes: buffer.take(), terminated: false });
  }
  return { lines: line, tooLong: null };
}

function tooLong(input: VerifyInput, line: number): ChainBreak {
  const at: LineLocation = { file: input.name, line };
  return {
    at,
    reason: `the line is longer than ${MAX_VERIFIED_LINE_BYTES} bytes: no audit line is`,
  };
}

/** Verifies `files` as one chain, in the order given, reporting gaps, torn writes and the anchor. */
export async function verifyFiles(
  files: readonly VerifyInput[],
  onEvent: (event: ChainEvent) => void = () => undefined,
): Promise<VerifyOutcome> {
  const verifier = new ChainVerifier(onEvent);
  const summaries: FileSummary[] = [];
  let broken: ChainBreak | null = null;
  for (const file of files) {
    const { lines, tooLong: overlong } = await feedFile(verifier, file);
    summaries.push({ name: file.name, lines, head: verifier.head });
    broken = overlong ?? verifier.firstBreak;
    if (broken !== null) break;
  }
  broken ??= verifier.finish();
  return { broken, head: verifier.head, lines: verifier.lines, files: summaries };
}
