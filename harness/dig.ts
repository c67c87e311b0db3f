/**
 * Runs the real DNS clients (kdig from Knot, dig from BIND) and reads their
 * text output, which both print in the same presentation format.
 */
import { execFile } from 'node:child_process';

/** One resource record as printed: owner, TTL, type and data. */
export interface PrintedRecord {
  readonly name: string;
  readonly ttl: number;
  readonly type: string;
  readonly data: string;
}

/** What a client printed about one reply. */
export interface DigReply {
  readonly status: string;
  readonly flags: readonly string[];
  readonly question: string;
  readonly answer: readonly PrintedRecord[];
  readonly authority: readonly PrintedRecord[];
  /** The EDNS lines (OPT pseudosection), empty without EDNS. */
  readonly edns: string;
  readonly raw: string;
}

/** Runs `tool` with `args` (server and port included) and parses its output; 10 s timeout. */
export function dig(tool: 'kdig' | 'dig', args: string[]): Promise<DigReply> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err !== null)
        reject(new Error(`${tool} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(parse(stdout));
    });
  });
}

/**
 * Every reply of one dig process that asked several questions, in order
 * (each begins at its `->>HEADER<<-` line, which `+comments` prints). A
 * question that got no reply (dig's "no servers could be reached") has no
 * entry: fewer replies than questions says how many went unanswered.
 */
export function parseReplies(text: string): DigReply[] {
  const lines = text.split('\n');
  const starts = lines.flatMap((line, i) => (line.startsWith(';; ->>HEADER<<-') ? [i] : []));
  return starts.map((start, i) => parse(lines.slice(start, starts[i + 1]).join('\n')));
}

function parse(text: string): DigReply {
  const status = /status: ([A-Z]+)/.exec(text)?.[1] ?? '';
  const flags = (/;; [Ff]lags: ([a-z ]*)[;,]/.exec(text)?.[1] ?? '')
    .trim()
    .split(/\s+/)
    .filter((f) => f !== '');
  return {
    status,
    flags,
    question: section(text, 'QUESTION')[0]?.replace(/^;+\s*/, '') ?? '',
    answer: section(text, 'ANSWER').map(record),
    authority: section(text, 'AUTHORITY').map(record),
    edns: section(text, 'OPT PSEUDOSECTION').concat(section(text, 'EDNS PSEUDOSECTION')).join('\n'),
    raw: text,
  };
}

function section(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex(
    (l) => l.startsWith(`;; ${title} SECTION:`) || l.startsWith(`;; ${title}:`),
  );
  if (start === -1) return [];
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break;
    body.push(line);
  }
  return body;
}

function record(line: string): PrintedRecord {
  const [name = '', ttl = '0', , type = '', ...data] = line.trim().split(/\s+/);
  return { name, ttl: Number(ttl), type, data: data.join(' ') };
}
