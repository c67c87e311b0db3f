/**
 * The audit file's line format, shared by the writer and by `meridian audit
 * verify` (docs/audit.md says it byte for byte, for auditors with other
 * tools). A line is one JSON object, `seq`, `time`, `prev` and `type` first;
 * `prev` is the SHA-256 (hex) of the previous line's exact bytes without its
 * newline, so that changing, removing or inserting any line breaks the chain
 * at the line after it. Pure: no I/O.
 */
import { createHash } from 'node:crypto';

/** Names the format in every file's first line, so that a later format can be told apart. */
export const AUDIT_FORMAT = 'meridian-audit/1';

/** `prev` of the first line of a chain: no line came before it. */
export const ZERO_HASH = '0'.repeat(64);

/** Largest serialized record kept; a larger one is dropped and counted (`too_large`). */
export const MAX_RECORD_BYTES = 64 * 1024;

/**
 * Longest line the writer produces: a record at the cap plus the fixed
 * fields (the longest other line, a `continue` naming a 255-byte file name,
 * stays far below the margin). Readers of the tail rely on it.
 */
export const MAX_LINE_BYTES = MAX_RECORD_BYTES + 1024;

/** What may be lost before a line is written; a gap line counts them by reason. */
export const LOSS_REASONS = ['queue_full', 'too_large', 'unserializable'] as const;

/** One of LOSS_REASONS. */
export type LossReason = (typeof LOSS_REASONS)[number];

/** Records lost between two lines: how many, why, and when the first and last were dropped. */
export interface Loss {
  readonly lost: number;
  readonly reasons: Readonly<Partial<Record<LossReason, number>>>;
  readonly fromMs: number;
  readonly toMs: number;
}

/** A line cut short (a crash or a failed write), pinned by the line after it. */
export interface TornSegment {
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * A time the file could not be written, told by the first line written after
 * it: since when, the failed operation and its errno code, and how many tries
 * failed. Records queued meanwhile follow it (written late, each with the time
 * it was handed in); those that did not fit are told by a gap line.
 */
export interface Outage {
  readonly sinceMs: number;
  readonly operation: string;
  readonly errno: string;
  readonly failures: number;
}

/** What a line says besides seq, time and prev. */
export type LineBody =
  | { readonly type: 'start'; readonly note?: string; readonly torn?: TornSegment }
  | { readonly type: 'continue'; readonly previous: string; readonly torn?: TornSegment }
  | { readonly type: 'record'; readonly recordJson: string }
  | { readonly type: 'gap'; readonly loss: Loss }
  | { readonly type: 'torn'; readonly torn: TornSegment }
  | { readonly type: 'outage'; readonly outage: Outage };

/** The line types, in the order docs/audit.md lists them. */
export const LINE_TYPES = ['start', 'continue', 'record', 'gap', 'torn', 'outage'] as const;

/** `record` as JSON, or null when JSON.stringify refuses it (a cycle, a BigInt, a function). */
export function serializeRecord(record: unknown): string | null {
  try {
    // undefined for a function or for undefined itself, whatever the declared type says.
    const json: unknown = JSON.stringify(record);
    return typeof json === 'string' ? json : null;
  } catch {
    return null;
  }
}

/** The SHA-256 of `data` (a string is hashed as UTF-8), lower-case hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The line (without its newline) for `body` at `seq`, `timeMs` and `prev`.
 * A record's JSON is inserted as given: it came from JSON.stringify, which
 * escapes every newline, so a line never holds one.
 */
export function formatLine(seq: number, timeMs: number, prev: string, body: LineBody): string {
  const head = `{"seq":${seq},"time":${JSON.stringify(new Date(timeMs).toISOString())},"prev":"${prev}","type":"${body.type}"`;
  switch (body.type) {
    case 'record':
      return `${head},"record":${body.recordJson}}`;
    case 'gap': {
      const { lost, reasons, fromMs, toMs } = body.loss;
      const from = new Date(fromMs).toISOString();
      const to = new Date(toMs).toISOString();
      return `${head},${JSON.stringify({ lost, reasons, from, to }).slice(1)}`;
    }
    case 'torn':
      return `${head},"torn":${JSON.stringify(body.torn)}}`;
    case 'outage': {
      const { sinceMs, operation, errno, failures } = body.outage;
      const since = new Date(sinceMs).toISOString();
      return `${head},${JSON.stringify({ since, operation, errno, failures }).slice(1)}`;
    }
    case 'start':
    case 'continue': {
      const rest: Record<string, unknown> = { format: AUDIT_FORMAT, ...body };
      delete rest['type'];
      return `${head},${JSON.stringify(rest).slice(1)}`;
    }
  }
}

/** A line as verify and the tail reader see it. */
export interface ParsedLine {
  readonly seq: number;
  readonly prev: string;
  readonly type: (typeof LINE_TYPES)[number];
  /** The cut-short line this one pins, if any. */
  readonly torn: TornSegment | null;
  /** A gap line's count, reasons and times; null on other lines. */
  readonly gap: {
    readonly lost: number;
    readonly reasons: Record<string, number>;
    readonly from: string;
    readonly to: string;
  } | null;
  /** A `continue` line's previous file name; null on other lines. */
  readonly previous: string | null;
  /** An outage line's start, failed operation and errno code; null on other lines. */
  readonly outage: {
    readonly since: string;
    readonly operation: string;
    readonly errno: string;
    readonly failures: number;
  } | null;
}

const HEX_64 = /^[0-9a-f]{64}$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isCount = (value: unknown, min: number): value is number =>
  Number.isSafeInteger(value) && (value as number) >= min;

function tornOf(value: unknown): TornSegment | null | string {
  if (value === undefined) return null;
  if (!isObject(value) || !isCount(value['bytes'], 0) || typeof value['sha256'] !== 'string')
    return '"torn" must be {"bytes": N, "sha256": HEX}';
  if (!HEX_64.test(value['sha256'])) return '"torn.sha256" is not 64 lower-case hex digits';
  return { bytes: value['bytes'], sha256: value['sha256'] };
}

function gapOf(line: Record<string, unknown>): ParsedLine['gap'] | string {
  const { lost, reasons, from, to } = line;
  if (!isCount(lost, 1)) return 'a gap line needs "lost", a count of at least 1';
  if (!isObject(reasons) || !Object.values(reasons).every((n) => isCount(n, 1)))
    return 'a gap line needs "reasons", counts by reason';
  if (typeof from !== 'string' || typeof to !== 'string')
    return 'a gap line needs "from" and "to" times';
  return { lost, reasons: reasons as Record<string, number>, from, to };
}

function outageOf(line: Record<string, unknown>): ParsedLine['outage'] | string {
  const { since, operation, errno, failures } = line;
  if (typeof since !== 'string') return 'an outage line needs "since", a time';
  if (typeof operation !== 'string' || typeof errno !== 'string')
    return 'an outage line needs "operation" and "errno"';
  if (!isCount(failures, 1)) return 'an outage line needs "failures", a count of at least 1';
  return { since, operation, errno, failures };
}

/** What a line of `type` needs beyond the common fields; a problem or null. */
function typeProblem(line: Record<string, unknown>, type: ParsedLine['type']): string | null {
  if (type === 'record' && !('record' in line)) return 'a record line has no "record"';
  if (type === 'start' && line['prev'] !== ZERO_HASH)
    return 'a start line must have the zero "prev"';
  if (type === 'continue' && typeof line['previous'] !== 'string')
    return 'a continue line needs "previous", the name of the file before';
  if (type === 'torn' && line['torn'] === undefined) return 'a torn line needs "torn"';
  return null;
}

/** Parses one line (without its newline); returns what is wrong with it as a string. */
export function parseLine(bytes: Uint8Array): ParsedLine | string {
  let line: unknown;
  try {
    line = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return 'not valid JSON';
  }
  if (!isObject(line)) return 'not a JSON object';
  const type = commonProblem(line);
  if (!LINE_TYPES.includes(type as ParsedLine['type'])) return type;
  const known = type as ParsedLine['type'];
  const problem = typeProblem(line, known);
  if (problem !== null) return problem;
  const torn = tornOf(line['torn']);
  if (typeof torn === 'string') return torn;
  const gap = known === 'gap' ? gapOf(line) : null;
  if (typeof gap === 'string') return gap;
  const outage = known === 'outage' ? outageOf(line) : null;
  if (typeof outage === 'string') return outage;
  const previous = known === 'continue' ? (line['previous'] as string) : null;
  return {
    seq: line['seq'] as number,
    prev: line['prev'] as string,
    type: known,
    torn,
    gap,
    previous,
    outage,
  };
}

/** The line's type when seq, time, prev and type are sound; else what is wrong. */
function commonProblem(line: Record<string, unknown>): string {
  const { seq, prev, type, time } = line;
  if (!isCount(seq, 1)) return '"seq" is not a whole number of at least 1';
  if (typeof time !== 'string') return '"time" is not a string';
  if (typeof prev !== 'string' || !HEX_64.test(prev))
    return '"prev" is not 64 lower-case hex digits';
  const known = LINE_TYPES.find((t) => t === type);
  return known ?? `unknown line type ${JSON.stringify(type)}`;
}
