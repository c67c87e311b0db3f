/**
 * Checks a chain of audit lines, one line at a time, across files given in
 * order: every line parses, its `seq` is the one before plus one and its
 * `prev` is the SHA-256 of the line before. A line that does not parse, or has
 * no newline, may be a write cut short by a crash: it is accepted only when the
 * next line pins it (`torn`: its length and hash) and carries the chain on
 * from the last whole line. The first line may be anchored on a file no longer
 * given; that anchor is reported, not judged. Pure: the caller reads the
 * bytes (src/cli/audit-verify.ts).
 */
import { parseLine, sha256Hex, type ParsedLine, type TornSegment } from './line-format';

/** Where a line is: its file as given and its 1-based line number there. */
export interface LineLocation {
  readonly file: string;
  readonly line: number;
}

/** One line's bytes (without the newline) and where it is. */
export interface Segment extends LineLocation {
  readonly bytes: Uint8Array;
  /** False for a file's last line when the file does not end with a newline. */
  readonly terminated: boolean;
}

/** What verify reports about an intact chain as it goes. */
export type ChainEvent =
  | { readonly kind: 'start'; readonly at: LineLocation }
  | {
      readonly kind: 'anchor';
      readonly at: LineLocation;
      readonly prev: string;
      readonly seq: number;
    }
  | {
      readonly kind: 'gap';
      readonly at: LineLocation;
      readonly seq: number;
      readonly gap: NonNullable<ParsedLine['gap']>;
    }
  | {
      readonly kind: 'outage';
      readonly at: LineLocation;
      readonly seq: number;
      readonly outage: NonNullable<ParsedLine['outage']>;
    }
  | {
      readonly kind: 'torn';
      readonly at: LineLocation;
      readonly bytes: number;
      readonly pinnedAt: LineLocation;
    };

/** The first break found. */
export interface ChainBreak {
  readonly at: LineLocation;
  readonly reason: string;
}

/** The last whole line of the chain. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
  readonly at: LineLocation;
}

/** The line before the current one, as the next line may have to judge it. */
interface Previous {
  readonly at: LineLocation;
  readonly bytes: number;
  readonly sha256: string;
  /** Why it is not a whole line; null when it was accepted into the chain. */
  problem: string | null;
  /** The head before it, to go back to when it turns out to be a torn write. */
  readonly headBefore: ChainHead | null;
}

const where = (at: LineLocation): string => `${at.file}:${at.line}`;

/** A segment as a whole line, or why it is not one (a line without its newline never is). */
function judge(
  segment: Segment,
): { line: ParsedLine; problem: null } | { line: null; problem: string } {
  const parsed = parseLine(segment.bytes);
  if (typeof parsed === 'string') return { line: null, problem: parsed };
  if (!segment.terminated)
    return {
      line: null,
      problem:
        'the line has no newline: a write cut short and not yet pinned by a torn line, or the file was truncated',
    };
  return { line: parsed, problem: null };
}

/** Verifies one chain; feed it every line in order with push(), then call finish(). */
export class ChainVerifier {
  private headLine: ChainHead | null = null;
  private previous: Previous | null = null;
  private broken: ChainBreak | null = null;
  private count = 0;

  constructor(private readonly onEvent: (event: ChainEvent) => void = () => undefined) {}

  /** The last whole line accepted so far. */
  get head(): ChainHead | null {
    return this.headLine;
  }

  /** Lines accepted so far (torn writes not counted). */
  get lines(): number {
    return this.count;
  }

  /** The first break, once found; later lines are then ignored. */
  get firstBreak(): ChainBreak | null {
    return this.broken;
  }

  push(segment: Segment): void {
    if (this.broken !== null) return;
    const sha256 = sha256Hex(segment.bytes);
    const { line, problem } = judge(segment);
    if (line !== null && line.torn !== null) {
      if (!this.acceptTorn(segment, line.torn)) return;
    } else if (this.failOnPrevious()) {
      return;
    }
    const at = { file: segment.file, line: segment.line };
    this.previous = { at, bytes: segment.bytes.length, sha256, problem, headBefore: this.headLine };
    // A bad line may still be a torn write: the next line decides.
    if (line === null) return;
    const chainProblem = this.linkProblem(line, at);
    if (chainProblem !== null) {
      this.fail(at, chainProblem);
      return;
    }
    this.headLine = { seq: line.seq, hash: sha256, at };
    this.count += 1;
    if (line.gap !== null) this.onEvent({ kind: 'gap', at, seq: line.seq, gap: line.gap });
    if (line.outage !== null)
      this.onEvent({ kind: 'outage', at, seq: line.seq, outage: line.outage });
  }

  /** Ends the input: a bad last line is a break, since no line can pin it any more. */
  finish(): ChainBreak | null {
    if (this.broken === null) this.failOnPrevious();
    return this.broken;
  }

  /** Breaks at the line before when it was bad and the current line does not pin it. */
  private failOnPrevious(): boolean {
    if (this.previous === null || this.previous.problem === null) return false;
    this.fail(this.previous.at, this.previous.problem);
    return true;
  }

  /** Takes the line before as a torn write pinned by `line`; false (and a break) when it does not match. */
  private acceptTorn(segment: Segment, torn: TornSegment): boolean {
    const before = this.previous;
    const at = { file: segment.file, line: segment.line };
    if (before === null || before.bytes !== torn.bytes || before.sha256 !== torn.sha256) {
      this.fail(
        at,
        `its "torn" (${torn.bytes} bytes, sha256 ${torn.sha256}) does not match the line before it`,
      );
      return false;
    }
    if (before.problem === null) this.count -= 1;
    this.headLine = before.headBefore;
    before.problem = null;
    this.onEvent({ kind: 'torn', at: before.at, bytes: torn.bytes, pinnedAt: at });
    return true;
  }

  /** Why `line` does not follow the head, or null. */
  private linkProblem(line: ParsedLine, at: LineLocation): string | null {
    const head = this.headLine;
    if (head === null) {
      if (line.type === 'start') this.onEvent({ kind: 'start', at });
      else this.onEvent({ kind: 'anchor', at, prev: line.prev, seq: line.seq });
      return null;
    }
    if (line.type === 'start')
      return `a new chain starts here, after ${where(head.at)}: the files are out of order, or lines of another chain were added`;
    const expected = head.seq + 1;
    if (line.seq > expected)
      return `seq ${line.seq} where ${expected} was expected: ${line.seq - expected} line(s) missing after ${where(head.at)}, or lines out of order`;
    if (line.seq < expected)
      return `seq ${line.seq} where ${expected} was expected: a line repeated or inserted, or lines out of order`;
    if (line.prev !== head.hash)
      return `"prev" is not the SHA-256 of ${where(head.at)} (expected ${head.hash}, found ${line.prev}): that line was altered, or lines were removed or inserted between them`;
    return null;
  }

  private fail(at: LineLocation, reason: string): void {
    this.broken = { at, reason };
  }
}
