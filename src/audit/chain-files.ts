/**
 * The audit file on disk: opening it where its chain ends, and rotating it.
 * Opening reads only the first line and the last bytes of the file, and of the
 * newest rotated file when the current one holds no whole line (a crash
 * between a rotation's rename and the new file's first line). Every call
 * through `AuditFs` is asynchronous, and every failure is an AuditIoError
 * naming the operation. Rotated files are `PATH.NNNNNN`, numbered from one
 * more than the highest number found beside it or named by the current
 * file's first line, so a number is never used twice even after old files
 * were deleted.
 */
import * as fsp from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { MAX_LINE_BYTES, parseLine, type LineBody } from './line-format';
import { EMPTY_TAIL, readTail, TAIL_WINDOW_BYTES, type ChainPoint, type Tail } from './tail';

/** What the writer needs of an open file (a subset of node:fs/promises' FileHandle). */
export interface AuditFileHandle {
  read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number }>;
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

/** The file-system calls of the audit file; tests hand in their own to count or fail them. */
export interface AuditFs {
  /** 'a+': read and append, created if missing; 'r': read only. */
  open(path: string, flags: 'a+' | 'r'): Promise<AuditFileHandle>;
  rename(from: string, to: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  /** Resolves when `path` exists, rejects with ENOENT when not. */
  lstat(path: string): Promise<unknown>;
}

/** node:fs/promises. */
export const NODE_AUDIT_FS: AuditFs = {
  open: (path, flags) => fsp.open(path, flags),
  rename: (from, to) => fsp.rename(from, to),
  readdir: (dir) => fsp.readdir(dir),
  lstat: (path) => fsp.lstat(path),
};

/** What the writer was doing when a call failed. */
export type AuditOperation = 'list' | 'open' | 'read' | 'write' | 'fsync' | 'rename' | 'close';

/** A failed file-system call of the audit file. */
export class AuditIoError extends Error {
  /** The errno code (ENOSPC, EFBIG, …), or 'unknown'. */
  readonly code: string;

  constructor(
    readonly operation: AuditOperation,
    readonly path: string,
    cause: unknown,
  ) {
    const code = (cause as { code?: unknown } | null)?.code;
    super(`${operation} ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'AuditIoError';
    this.code = typeof code === 'string' ? code : 'unknown';
  }
}

/** Runs one file-system call, naming its operation in a failure. */
export async function io<T>(
  operation: AuditOperation,
  path: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw err instanceof AuditIoError ? err : new AuditIoError(operation, path, err);
  }
}

/** The rotated file numbered `n`: `PATH.000001` (more digits past 999999). */
export function rotatedPath(path: string, n: number): string {
  return `${path}.${String(n).padStart(6, '0')}`;
}

/** The number of a rotated file name of `base`, or 0 when `name` is not one. */
export function rotationNumber(base: string, name: string): number {
  if (!name.startsWith(`${base}.`)) return 0;
  const suffix = name.slice(base.length + 1);
  return /^\d{6,}$/.test(suffix) ? Number(suffix) : 0;
}

/** Reads up to `length` bytes at `position`. */
async function readAt(
  handle: AuditFileHandle,
  path: string,
  position: number,
  length: number,
): Promise<Uint8Array> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await io('read', path, () =>
      handle.read(buffer, filled, length - filled, position + filled),
    );
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** How the file open in `handle`, of `size` bytes, ends. */
export async function tailOf(handle: AuditFileHandle, path: string, size: number): Promise<Tail> {
  if (size === 0) return EMPTY_TAIL;
  const length = Math.min(size, TAIL_WINDOW_BYTES);
  return readTail(await readAt(handle, path, size - length, length), length === size);
}

/** The rotation number named by the file's first line (a continue line's `previous`), or 0. */
export async function numberInFirstLine(
  handle: AuditFileHandle,
  path: string,
  size: number,
): Promise<number> {
  const head = await readAt(handle, path, 0, Math.min(size, MAX_LINE_BYTES + 1));
  const end = head.indexOf(0x0a);
  const first = end === -1 ? null : parseLine(head.subarray(0, end));
  if (first === null || typeof first === 'string' || first.previous === null) return 0;
  return rotationNumber(basename(path), first.previous);
}

/** The chain head at the end of the rotated file `path`, or why it cannot be continued. */
export async function tailOfFile(fs: AuditFs, path: string): Promise<Tail> {
  const handle = await io('open', path, () => fs.open(path, 'r'));
  try {
    const { size } = await io('read', path, () => handle.stat());
    return await tailOf(handle, path, size);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Flushes a directory's entries (a rename) to disk; best effort, as not every platform can. */
async function syncDirectory(fs: AuditFs, dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, 'r');
    await handle.sync().finally(() => handle.close());
  } catch {
    // The rename itself succeeded; only its durability at a power loss is less sure.
  }
}

/**
 * Renames `path` to the first free rotated name from `from`; returns that
 * name (without the directory) and the next number to use.
 */
export async function rotateFile(
  fs: AuditFs,
  path: string,
  from: number,
): Promise<{ name: string; next: number }> {
  for (let n = from; ; n++) {
    const target = rotatedPath(path, n);
    const taken = await fs.lstat(target).then(
      () => true,
      (err: unknown) => {
        if ((err as { code?: unknown }).code === 'ENOENT') return false;
        throw new AuditIoError('rename', target, err);
      },
    );
    if (taken) continue;
    await io('rename', path, () => fs.rename(path, target));
    await syncDirectory(fs, dirname(path));
    return { name: basename(target), next: n + 1 };
  }
}

/** An open audit file where its chain goes on. */
export interface OpenedChain {
  readonly handle: AuditFileHandle;
  readonly size: number;
  /** What the next line follows; null: it starts a new chain. */
  readonly head: ChainPoint | null;
  /** The line to write before any record (and whether a newline must end a cut-short line first). */
  readonly opening: { readonly newline: boolean; readonly body: LineBody } | null;
  /** The number the next rotation uses. */
  readonly nextNumber: number;
  /** The file was rotated while opening (it was full, or the last write failed with EFBIG). */
  readonly rotatedTo: string | null;
  /** Why the existing chain could not be continued (the file was moved aside): a new chain starts. */
  readonly damaged: string | null;
}

/** How to open. */
export interface OpenOptions {
  /** Rotate a file that holds whole lines before writing (it cannot grow: EFBIG, or it is full). */
  readonly rotateFirst: boolean;
  readonly maxBytes: number;
}
