/**
 * Opens the audit file where its chain ends, at start-up and after every
 * failure (what is on disk then decides, not what the writer believed):
 *
 * - whole lines at the end: the next line follows the last one; a line cut
 *   short after it is ended with a newline and pinned by a torn line, so
 *   that nothing is glued to it and verify can tell it from tampering;
 * - no whole line (empty, or one cut-short line): the chain goes on from the
 *   newest rotated file, with a continue line (a crash between a rotation's
 *   rename and the new file's first line leaves this), else a new chain starts;
 * - an end that no single cut-short write explains: the file is moved aside
 *   as the next rotated file, kept as it is, and a new chain starts, its
 *   start line saying why.
 *
 * A file that cannot grow (EFBIG) or is full is rotated first.
 */
import { basename, dirname } from 'node:path';
import {
  io,
  numberInFirstLine,
  rotatedPath,
  rotateFile,
  rotationNumber,
  tailOf,
  tailOfFile,
  type AuditFileHandle,
  type AuditFs,
  type OpenedChain,
  type OpenOptions,
} from './chain-files';
import type { LineBody } from './line-format';
import type { Tail, TornTail } from './tail';

type Lines = Extract<Tail, { kind: 'lines' }>;

/** `torn` without its `terminated` flag, for a line's `torn` field. */
function pin(torn: TornTail | null): { torn?: { bytes: number; sha256: string } } {
  return torn === null ? {} : { torn: { bytes: torn.bytes, sha256: torn.sha256 } };
}

/** Opens `path` with 'a+' and reads its size. */
async function openForAppend(
  fs: AuditFs,
  path: string,
): Promise<{ handle: AuditFileHandle; size: number }> {
  const handle = await io('open', path, () => fs.open(path, 'a+'));
  try {
    const { size } = await io('read', path, () => handle.stat());
    return { handle, size };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/** Closes `handle`, renames `path` to the next rotated name and opens a new `path`. */
async function rotateOpen(
  fs: AuditFs,
  path: string,
  handle: AuditFileHandle,
  next: number,
): Promise<{ handle: AuditFileHandle; size: number; name: string; next: number }> {
  await io('close', path, () => handle.close());
  const rotated = await rotateFile(fs, path, next);
  return { ...(await openForAppend(fs, path)), name: rotated.name, next: rotated.next };
}

/** The file holds no whole line: go on from the newest rotated file, or start a chain. */
async function fromPredecessor(
  fs: AuditFs,
  path: string,
  opened: { handle: AuditFileHandle; size: number },
  tail: Lines,
  numbers: { highest: number; next: number },
): Promise<OpenedChain> {
  const newline = tail.torn?.terminated === false;
  const common = { ...opened, nextNumber: numbers.next, rotatedTo: null };
  if (numbers.highest === 0)
    return {
      ...common,
      head: null,
      damaged: null,
      opening: { newline, body: { type: 'start', ...pin(tail.torn) } },
    };
  const previousPath = rotatedPath(path, numbers.highest);
  const previous = basename(previousPath);
  const before = await tailOfFile(fs, previousPath);
  if (
    before.kind === 'lines' &&
    before.head !== null &&
    (before.torn === null || tail.torn === null)
  ) {
    const body: LineBody = { type: 'continue', previous, ...pin(tail.torn ?? before.torn) };
    return { ...common, head: before.head, damaged: null, opening: { newline, body } };
  }
  const problem =
    before.kind === 'unreadable'
      ? `${previous}: ${before.problem}`
      : `${previous} and ${basename(path)} both end with a cut-short line`;
  const note = `a new chain: the chain of ${previous} could not be continued (${problem})`;
  return {
    ...common,
    head: null,
    damaged: problem,
    opening: { newline, body: { type: 'start', note, ...pin(tail.torn) } },
  };
}

/** Opens the audit file at `path` where its chain ends; see the module comment. */
export async function openChain(
  fs: AuditFs,
  path: string,
  options: OpenOptions,
): Promise<OpenedChain> {
  const dir = dirname(path);
  const names = await io('list', dir, () => fs.readdir(dir));
  const highest = names.reduce(
    (max, name) => Math.max(max, rotationNumber(basename(path), name)),
    0,
  );
  const opened = await openForAppend(fs, path);
  try {
    const tail = await tailOf(opened.handle, path, opened.size);
    const named = opened.size > 0 ? await numberInFirstLine(opened.handle, path, opened.size) : 0;
    const next = Math.max(highest, named) + 1;
    if (tail.kind === 'unreadable') {
      const moved = await rotateOpen(fs, path, opened.handle, next);
      const note = `a new chain: ${moved.name} could not be continued (${tail.problem})`;
      return {
        handle: moved.handle,
        size: moved.size,
        head: null,
        opening: { newline: false, body: { type: 'start', note } },
        nextNumber: moved.next,
        rotatedTo: moved.name,
        damaged: `${moved.name}: ${tail.problem}`,
      };
    }
    if (tail.head === null) return await fromPredecessor(fs, path, opened, tail, { highest, next });
    if (options.rotateFirst || opened.size >= options.maxBytes) {
      const moved = await rotateOpen(fs, path, opened.handle, next);
      return {
        handle: moved.handle,
        size: moved.size,
        head: tail.head,
        opening: {
          newline: false,
          body: { type: 'continue', previous: moved.name, ...pin(tail.torn) },
        },
        nextNumber: moved.next,
        rotatedTo: moved.name,
        damaged: null,
      };
    }
    const { torn } = tail;
    const opening =
      torn === null
        ? null
        : {
            newline: !torn.terminated,
            body: { type: 'torn', torn: { bytes: torn.bytes, sha256: torn.sha256 } } as const,
          };
    return {
      ...opened,
      head: tail.head,
      opening,
      nextNumber: next,
      rotatedTo: null,
      damaged: null,
    };
  } catch (err) {
    await opened.handle.close().catch(() => undefined);
    throw err;
  }
}
