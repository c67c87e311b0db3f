/**
 * `meridian audit verify FILE…`: checks that the audit files given, in chain
 * order, hold one intact chain (docs/audit.md), and says what it found: where
 * the chain starts or what it is anchored on, every gap, outage and torn write, each
 * file's last seq, and the head to compare with a copy kept elsewhere. The
 * first break goes to `err` with its file, line and why. Returns the exit
 * status: 0 intact, 1 broken, 2 not checked (no file given, a file that
 * cannot be read). Touches no `process`: src/main.ts hands in the writers.
 */
import { createReadStream } from 'node:fs';
import type { ChainEvent, LineLocation } from '../audit/chain-verifier';
import { verifyFiles, type VerifyOutcome } from '../audit/verify-files';
import { messageOf } from '../errors';

/** Where the command writes. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

export const EXIT_INTACT = 0;
export const EXIT_BROKEN = 1;
export const EXIT_NOT_CHECKED = 2;

export const AUDIT_USAGE = `Usage: meridian audit verify FILE…
  Checks that the audit files, given in chain order (the rotated PATH.000001,
  PATH.000002, … by number, then PATH), hold one intact chain. Exit status 0:
  intact; 1: broken (the first broken line is named); 2: not checked.
  In order: meridian audit verify $(ls PATH.* | sort -V) PATH
`;

/** Chunks read at a time: a file of any size is checked in bounded memory. */
const READ_CHUNK_BYTES = 1024 * 1024;

const where = (at: LineLocation): string => `${at.file}:${at.line}`;

/** Tallies of what an intact chain holds, for the summary. */
interface Tally {
  gaps: number;
  lost: number;
  torn: number;
  outages: number;
}

/** One line of output for `event`. */
function describe(event: ChainEvent, tally: Tally): string {
  switch (event.kind) {
    case 'start':
      return `${where(event.at)}: a chain starts`;
    case 'anchor':
      return `${where(event.at)}: anchored on an earlier file not given: seq ${event.seq} follows a line whose SHA-256 is ${event.prev}; check it against the last line of that file, or a head recorded from it`;
    case 'gap': {
      tally.gaps += 1;
      tally.lost += event.gap.lost;
      const reasons = Object.entries(event.gap.reasons)
        .map(([reason, count]) => `${reason} ${count}`)
        .join(', ');
      return `${where(event.at)}: gap, ${event.gap.lost} record(s) lost (${reasons}) between ${event.gap.from} and ${event.gap.to}`;
    }
    case 'outage': {
      tally.outages += 1;
      const { since, operation, errno, failures } = event.outage;
      return `${where(event.at)}: outage, the file could not be written since ${since} (${operation} ${errno}, ${failures} failed tries); lines after it were written late`;
    }
    case 'torn':
      tally.torn += 1;
      return `${where(event.at)}: torn write, ${event.bytes} byte(s) cut short by a crash or a failed write, pinned by ${where(event.pinnedAt)}`;
  }
}

/** The per-file lines and the closing summary of an intact chain. */
function summary(outcome: VerifyOutcome, tally: Tally): string {
  const lines = outcome.files.map((file) =>
    file.lines === 0
      ? `${file.name}: empty`
      : `${file.name}: ${file.lines} line(s), up to seq ${file.head?.seq ?? '-'}`,
  );
  const { head } = outcome;
  lines.push(
    `intact: ${outcome.lines} line(s) in ${outcome.files.length} file(s); ${tally.gaps} gap(s), ${tally.lost} record(s) lost; ${tally.torn} torn write(s); ${tally.outages} outage(s)`,
  );
  if (head !== null) lines.push(`head: seq ${head.seq}, sha256 ${head.hash} (${where(head.at)})`);
  return `${lines.join('\n')}\n`;
}

/** Runs `meridian audit verify` on `paths`; returns the exit status. */
export async function auditVerify(paths: readonly string[], output: CliOutput): Promise<number> {
  if (paths.length === 0) {
    output.err(AUDIT_USAGE);
    return EXIT_NOT_CHECKED;
  }
  const tally: Tally = { gaps: 0, lost: 0, torn: 0, outages: 0 };
  let outcome: VerifyOutcome;
  try {
    outcome = await verifyFiles(
      paths.map((path) => ({
        name: path,
        chunks: createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }),
      })),
      (event) => output.out(`${describe(event, tally)}\n`),
    );
  } catch (err) {
    output.err(`meridian audit verify: cannot read: ${messageOf(err)}\n`);
    return EXIT_NOT_CHECKED;
  }
  if (outcome.broken !== null) {
    const { at, reason } = outcome.broken;
    output.err(`BROKEN at ${where(at)}: ${reason}\n`);
    output.out(`checked ${outcome.lines} line(s) of the chain before the break\n`);
    return EXIT_BROKEN;
  }
  output.out(summary(outcome, tally));
  return EXIT_INTACT;
}
