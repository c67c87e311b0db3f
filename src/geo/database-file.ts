/**
 * Reading a MaxMind DB file: opened once per read, its identity (device,
 * inode, size, change times) and bytes taken from that one open file, size
 * bounded, then parsed by maxmind's Reader and walked to both ends of the
 * address space, so that a damaged tree fails here rather than on the query
 * path. The reading is watched-path's owner's job (maxmind-locator.ts).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Reader, type Response } from 'maxmind';
import { messageOf } from '../errors';
import { boundedCache } from './bounded-cache';

/** What went wrong with the database file. */
export type GeoDatabaseProblem =
  /** The file could not be opened, inspected or read (missing, not a file, no permission). */
  | 'read'
  /** The file is larger than the configured limit. */
  | 'too-large'
  /** The file is not a MaxMind DB that maxmind's Reader accepts. */
  | 'invalid'
  /** A lookup in a loaded database threw: the file is damaged where the load did not look. */
  | 'lookup'
  /** The directory cannot be watched; changes are found by the periodic check only. */
  | 'watch';

/** A problem with the database file; `problem` says which. */
export class GeoDatabaseError extends Error {
  readonly problem: GeoDatabaseProblem;
  readonly path: string;

  constructor(
    problem: GeoDatabaseProblem,
    path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GeoDatabaseError';
    this.problem = problem;
    this.path = path;
  }
}

/** Facts about the database being served, from its metadata. */
export interface GeoDatabaseInfo {
  readonly path: string;
  readonly databaseType: string;
  /** 4 for an IPv4-only tree, 6 for an IPv6 tree (which holds IPv4 too). */
  readonly ipVersion: number;
  readonly buildEpoch: Date;
  readonly nodeCount: number;
  readonly bytes: number;
}

/** What a read needs. */
export interface DatabaseFileSettings {
  readonly path: string;
  /** Largest file read, in bytes. */
  readonly maxBytes: number;
  /** Decoded records kept in memory. */
  readonly cacheEntries: number;
}

// MaxMind DB format: 16 zero bytes separate the search tree from the data section.
const DATA_SECTION_SEPARATOR_BYTES = 16;

/** A database read into memory and parsed. */
export interface LoadedDatabase {
  readonly reader: Reader<Response>;
  readonly info: GeoDatabaseInfo;
  readonly identity: string;
  /** Set by the first lookup that threw, so that a damaged file is reported once. */
  lookupFailed: boolean;
}

/** What one read of the file found. */
export type ReadOutcome =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'loaded'; readonly database: LoadedDatabase }
  | { readonly kind: 'failed'; readonly error: GeoDatabaseError; readonly key: string };

// Opens the file once and takes its identity and content from that one open
// file, so that a replacement between the two cannot pair one file's identity
// with another's bytes. Returns 'unchanged' when the identity is in `known`.
export async function readDatabase(
  settings: DatabaseFileSettings,
  known: readonly string[],
): Promise<ReadOutcome> {
  const { path } = settings;
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    return failed('read', path, `cannot open geo database ${path}: ${messageOf(err)}`, err);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return failed('read', path, `geo database ${path} is not a regular file`);
    const identity = `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
    if (known.includes(identity)) return { kind: 'unchanged' };
    if (stats.size > settings.maxBytes) {
      return { ...failed('too-large', path, tooLarge(settings, stats.size)), key: identity };
    }
    const bytes = await handle.readFile();
    // The file may have grown between the stat and the read.
    if (bytes.length > settings.maxBytes)
      return failed('too-large', path, tooLarge(settings, bytes.length));
    return parseDatabase(settings, bytes, identity);
  } catch (err) {
    return failed('read', path, `cannot read geo database ${path}: ${messageOf(err)}`, err);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function tooLarge(settings: DatabaseFileSettings, size: number): string {
  return `geo database ${settings.path} has ${size} bytes, more than the limit of ${settings.maxBytes}`;
}

function parseDatabase(
  settings: DatabaseFileSettings,
  bytes: Buffer,
  identity: string,
): ReadOutcome {
  const { path } = settings;
  const invalid = (reason: string, cause?: unknown): ReadOutcome => ({
    ...failed('invalid', path, `geo database ${path} is not a usable MaxMind DB: ${reason}`, cause),
    key: identity,
  });
  // gzip magic: databases are often downloaded compressed.
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return invalid('it is gzip-compressed');
  let reader: Reader<Response>;
  try {
    reader = new Reader<Response>(bytes, { cache: boundedCache(settings.cacheEntries) });
    const { metadata } = reader;
    if (metadata.ipVersion !== 4 && metadata.ipVersion !== 6) {
      return invalid(`ip_version is ${metadata.ipVersion}`);
    }
    if (metadata.searchTreeSize + DATA_SECTION_SEPARATOR_BYTES > bytes.length) {
      return invalid('the search tree runs past the end of the file');
    }
    // Walks the tree to both ends of the address space, so that a damaged
    // tree fails here rather than on the query path.
    reader.getWithPrefixLength('0.0.0.0');
    reader.getWithPrefixLength('255.255.255.255');
    if (metadata.ipVersion === 6)
      reader.getWithPrefixLength('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  } catch (err) {
    return invalid(messageOf(err), err);
  }
  const { metadata } = reader;
  return {
    kind: 'loaded',
    database: {
      reader,
      identity,
      lookupFailed: false,
      info: {
        path,
        databaseType: metadata.databaseType,
        ipVersion: metadata.ipVersion,
        buildEpoch: metadata.buildEpoch,
        nodeCount: metadata.nodeCount,
        bytes: bytes.length,
      },
    },
  };
}

function failed(
  problem: GeoDatabaseProblem,
  path: string,
  message: string,
  cause?: unknown,
): { readonly kind: 'failed'; readonly error: GeoDatabaseError; readonly key: string } {
  const error = new GeoDatabaseError(
    problem,
    path,
    message,
    cause === undefined ? undefined : { cause },
  );
  return { kind: 'failed', error, key: `${problem}:${message}` };
}
