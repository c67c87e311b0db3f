/**
 * Where an existing audit file's chain ends, from its last bytes only (a file
 * of any size is never read whole): the last whole line's seq and hash, and
 * at most one line after it that is not a whole line (a write cut short by a
 * crash or a failed write; also a whole line that lost its newline), which
 * the writer then pins with a torn line instead of gluing the next line to
 * it. Pure: chain-files.ts reads the bytes.
 */
import { MAX_LINE_BYTES, parseLine, sha256Hex, type TornSegment } from './line-format';

/**
 * Bytes read from the end of a file: room for a whole line of the longest
 * kind and, after it, a cut-short one of the same length.
 */
export const TAIL_WINDOW_BYTES = 2 * MAX_LINE_BYTES + 2;

/** A point of the chain: a line's seq and the SHA-256 of its bytes. */
export interface ChainPoint {
  readonly seq: number;
  readonly hash: string;
}

/** A line cut short at the end of a file; `terminated` when a newline follows it. */
export interface TornTail extends TornSegment {
  readonly terminated: boolean;
}

/** How a file ends. */
export type Tail =
  | {
      readonly kind: 'lines';
      /** The last whole line; null when the file holds none (empty, or one cut-short line). */
      readonly head: ChainPoint | null;
      readonly torn: TornTail | null;
    }
  | { readonly kind: 'unreadable'; readonly problem: string };

/** The tail of an empty file. */
export const EMPTY_TAIL: Tail = { kind: 'lines', head: null, torn: null };

const NEWLINE = 0x0a;

/** The bytes of `window` from its first whole line on: all of it for a whole file. */
function wholeLines(window: Uint8Array, wholeFile: boolean): Uint8Array | null {
  if (wholeFile) return window;
  // The window may start inside a line: only what follows a newline is whole.
  const firstEnd = window.indexOf(NEWLINE);
  return firstEnd === -1 ? null : window.subarray(firstEnd + 1);
}

/** Reads the end of a file from `window`, its last bytes (`wholeFile` when that is all of it). */
export function readTail(window: Uint8Array, wholeFile: boolean): Tail {
  if (window.length === 0) return EMPTY_TAIL;
  const body = wholeLines(window, wholeFile);
  if (body === null)
    return { kind: 'unreadable', problem: `no line ends in its last ${window.length} bytes` };
  const junk: TornTail[] = [];
  let end = body.length;
  if (end > 0 && body[end - 1] !== NEWLINE) {
    const start = body.lastIndexOf(NEWLINE) + 1;
    junk.push(torn(body.subarray(start), false));
    end = start;
  }
  // `end` is just past a newline (or 0): walk back over whole lines.
  while (end > 0 && junk.length <= 1) {
    const start = end === 1 ? 0 : body.lastIndexOf(NEWLINE, end - 2) + 1;
    const line = body.subarray(start, end - 1);
    const parsed = parseLine(line);
    if (typeof parsed !== 'string') {
      const head = { seq: parsed.seq, hash: sha256Hex(line) };
      return { kind: 'lines', head, torn: junk[0] ?? null };
    }
    junk.push(torn(line, true));
    end = start;
  }
  return noWholeLine(junk, wholeFile, window.length);
}

/** The tail of a file whose window holds no whole audit line. */
function noWholeLine(junk: readonly TornTail[], wholeFile: boolean, windowBytes: number): Tail {
  if (junk.length > 1)
    return {
      kind: 'unreadable',
      problem: `its last ${junk.length} lines are not audit lines; one cut-short write would leave one`,
    };
  if (!wholeFile)
    return { kind: 'unreadable', problem: `no audit line in its last ${windowBytes} bytes` };
  return { kind: 'lines', head: null, torn: junk[0] ?? null };
}

function torn(bytes: Uint8Array, terminated: boolean): TornTail {
  return { bytes: bytes.length, sha256: sha256Hex(bytes), terminated };
}
