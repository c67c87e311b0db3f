/**
 * The geoip strategy's GeoLocator backed by a MaxMind DB file (k8gb's
 * `geodatafilepath`). The file is read into memory once and parsed by
 * maxmind's Reader; lookups walk that copy and never touch the disk (k8gb
 * opens the file on every query, and exits if it cannot).
 *
 * The file is kept current without a restart: any event in its directory
 * (debounced) and a periodic check compare the file's identity (device,
 * inode, size, change times) with the one loaded, and read it again when it
 * differs. Directory events rather than file events, because the usual ways
 * to replace a database (rename over it, a Kubernetes volume's symlink swap)
 * replace the directory entry, which a watch on the old file never sees. A
 * copy that parses replaces the serving one with a single reference
 * assignment, so a lookup sees the old or the new database, never a mix; a
 * copy that does not parse is reported once and the old one keeps serving.
 *
 * Fields: GeoLocator carries one datacenter per network, so a network's
 * datacenter is the first configured field that holds a non-empty string.
 * k8gb instead compares field by field and takes the first field on which
 * some target matches the client; the two agree with a single field (k8gb's
 * default, `datacenter`) and whenever every record has the first field.
 *
 * Scope: the SCOPE PREFIX-LENGTH given for a client is the prefix length of
 * the database network that holds the (zero-padded) client address, which may
 * exceed the query's SOURCE PREFIX-LENGTH. RFC 7871 §7.2.1 defines that as
 * "the source prefix was not specific enough" and asks resolvers to send the
 * longer prefix in future queries; §7.3.1 has them cache such an answer only
 * for the SOURCE network, so the longer value never widens what a resolver
 * caches, while a value capped at SOURCE would claim the answer holds for the
 * whole source network when the database splits it between datacenters.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Reader, type Response } from 'maxmind';
import type { ClientSubnet } from '../dns/query';
import { messageOf } from '../errors';
import type { GeoLocator, GeoMatch } from '../table/geo-locator';
import { boundedCache } from './bounded-cache';
import {
  DEFAULT_GEO_FIELDS,
  firstFieldValue,
  parseFieldPaths,
  type FieldPath,
} from './field-paths';
import { hostSubnet, lookupKey } from './lookup-address';

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

/** Settings of {@link openMaxmindLocator}. */
export interface MaxmindLocatorOptions {
  /** The MaxMind DB file. */
  readonly path: string;
  /**
   * Dotted record field paths in priority order; a network's datacenter is the
   * first of them that holds a non-empty string. Default `['datacenter']`.
   */
  readonly fields?: readonly string[];
  /** Milliseconds between checks of the file, in case an event was missed (100 ms to 1 h; default 30 s). */
  readonly pollIntervalMs?: number;
  /** Milliseconds of quiet after a directory event before the file is checked (0 to 10 s; default 100). */
  readonly debounceMs?: number;
  /** Largest file read, in bytes (default 512 MiB). */
  readonly maxBytes?: number;
  /** Decoded records kept in memory (default 10,000). */
  readonly cacheEntries?: number;
  /** Called after a changed file was loaded and is serving. Must not throw. */
  readonly onReload?: (info: GeoDatabaseInfo) => void;
  /**
   * Called once per distinct problem (a bad file is not reported again until
   * it changes). The previous database keeps serving. Must not throw.
   */
  readonly onError: (error: GeoDatabaseError) => void;
}

/** A GeoLocator over a watched MaxMind DB file. */
export interface MaxmindLocator extends GeoLocator {
  /** The database serving now. */
  database(): GeoDatabaseInfo;
  /** Checks the file now and loads it when it changed; resolves once done. */
  refresh(): Promise<void>;
  /**
   * Stops watching and checking, and waits for a read under way. Lookups keep
   * answering from the last database loaded.
   */
  close(): Promise<void>;
}

/** Default of {@link MaxmindLocatorOptions.pollIntervalMs}. */
export const DEFAULT_GEO_POLL_INTERVAL_MS = 30_000;
const POLL_INTERVAL_RANGE_MS = [100, 3_600_000] as const;
const DEBOUNCE_RANGE_MS = [0, 10_000] as const;
const DEFAULT_DEBOUNCE_MS = 100;
/** Default of {@link MaxmindLocatorOptions.maxBytes}; MaxMind's largest city database is a fifth of it. */
export const DEFAULT_GEO_MAX_BYTES = 512 * 1024 * 1024;
// Node's Buffer cannot hold a file read in one piece beyond this.
const MAX_BYTES_LIMIT = 2 ** 31 - 1;
const DEFAULT_CACHE_ENTRIES = 10_000;
const NOT_FOUND: readonly [null, number] = Object.freeze([null, 0] as const);
// MaxMind DB format: 16 zero bytes separate the search tree from the data section.
const DATA_SECTION_SEPARATOR_BYTES = 16;

/**
 * Reads and parses the database, then starts watching it. Rejects with a
 * GeoDatabaseError when the file cannot be loaded, and with a RangeError or
 * Error for invalid options.
 */
export async function openMaxmindLocator(options: MaxmindLocatorOptions): Promise<MaxmindLocator> {
  const settings = checkedSettings(options);
  const outcome = await readDatabase(settings, []);
  if (outcome.kind === 'failed') throw outcome.error;
  if (outcome.kind === 'unchanged') throw new Error('unreachable: nothing was loaded before');
  const locator = new WatchedMaxmindLocator(settings, outcome.database);
  await locator.start();
  return locator;
}

interface Settings {
  readonly path: string;
  readonly paths: readonly FieldPath[];
  readonly pollIntervalMs: number;
  readonly debounceMs: number;
  readonly maxBytes: number;
  readonly cacheEntries: number;
  readonly onReload: (info: GeoDatabaseInfo) => void;
  readonly onError: (error: GeoDatabaseError) => void;
}

function checkedSettings(options: MaxmindLocatorOptions): Settings {
  return {
    path: options.path,
    paths: parseFieldPaths(options.fields ?? DEFAULT_GEO_FIELDS),
    pollIntervalMs: inRange(
      'pollIntervalMs',
      options.pollIntervalMs ?? DEFAULT_GEO_POLL_INTERVAL_MS,
      POLL_INTERVAL_RANGE_MS,
    ),
    debounceMs: inRange('debounceMs', options.debounceMs ?? DEFAULT_DEBOUNCE_MS, DEBOUNCE_RANGE_MS),
    maxBytes: inRange('maxBytes', options.maxBytes ?? DEFAULT_GEO_MAX_BYTES, [1, MAX_BYTES_LIMIT]),
    cacheEntries: inRange(
      'cacheEntries',
      options.cacheEntries ?? DEFAULT_CACHE_ENTRIES,
      [1, 10_000_000],
    ),
    onReload: options.onReload ?? (() => undefined),
    onError: options.onError,
  };
}

function inRange(name: string, value: number, [min, max]: readonly [number, number]): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

interface LoadedDatabase {
  readonly reader: Reader<Response>;
  readonly info: GeoDatabaseInfo;
  readonly identity: string;
  /** Set by the first lookup that threw, so that a damaged file is reported once. */
  lookupFailed: boolean;
}

type ReadOutcome =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'loaded'; readonly database: LoadedDatabase }
  | { readonly kind: 'failed'; readonly error: GeoDatabaseError; readonly key: string };

// Opens the file once and takes its identity and content from that one open
// file, so that a replacement between the two cannot pair one file's identity
// with another's bytes. Returns 'unchanged' when the identity is in `known`.
async function readDatabase(settings: Settings, known: readonly string[]): Promise<ReadOutcome> {
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

function tooLarge(settings: Settings, size: number): string {
  return `geo database ${settings.path} has ${size} bytes, more than the limit of ${settings.maxBytes}`;
}

function parseDatabase(settings: Settings, bytes: Buffer, identity: string): ReadOutcome {
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

class WatchedMaxmindLocator implements MaxmindLocator {
  private readonly settings: Settings;
  private current: LoadedDatabase;
  /** Identity (or message) of the last failure reported, so that it is reported once. */
  private lastFailure: string | null = null;
  private watcher: FSWatcher | null = null;
  /** Device and inode of the directory the watch was made on. */
  private watchedDirectory: string | null = null;
  private watchFailureReported = false;
  private debounceTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private recheckRequested = false;
  private closed = false;

  constructor(settings: Settings, database: LoadedDatabase) {
    this.settings = settings;
    this.current = database;
  }

  locate(subnet: ClientSubnet): GeoMatch | null {
    const database = this.current;
    const key = lookupKey(subnet, database.info.ipVersion);
    if (key === null) return null;
    const [record, prefixLength] = this.lookup(database, key.address);
    if (record === null) return null;
    const datacenter = firstFieldValue(record, this.settings.paths);
    if (datacenter === null) return null;
    return { datacenter, scopePrefixLength: prefixLength + key.prefixOffset };
  }

  locateTarget(address: string): string | null {
    const subnet = hostSubnet(address);
    if (subnet === null) return null;
    const database = this.current;
    const key = lookupKey(subnet, database.info.ipVersion);
    if (key === null) return null;
    const [record] = this.lookup(database, key.address);
    return record === null ? null : firstFieldValue(record, this.settings.paths);
  }

  database(): GeoDatabaseInfo {
    return this.current.info;
  }

  async refresh(): Promise<void> {
    // A check under way may have looked at the file before this call.
    await this.checking?.catch(() => undefined);
    return this.check();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    this.watcher = null;
    if (this.debounceTimer !== null) clearTimeout(this.debounceTimer);
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    this.debounceTimer = null;
    this.pollTimer = null;
    await this.checking?.catch(() => undefined);
  }

  /** Starts the directory watch and the periodic check. */
  async start(): Promise<void> {
    await this.ensureWatch();
    this.pollTimer = setInterval(() => this.requestCheck(0), this.settings.pollIntervalMs);
    this.pollTimer.unref();
  }

  // Never throws: a failing lookup means the file is damaged in a part the
  // load did not walk; the client is then unknown, and the damage is reported
  // once, after the query is answered.
  private lookup(database: LoadedDatabase, address: string): readonly [Response | null, number] {
    try {
      return database.reader.getWithPrefixLength(address);
    } catch (err) {
      if (!database.lookupFailed) {
        database.lookupFailed = true;
        const error = new GeoDatabaseError(
          'lookup',
          database.info.path,
          `lookup of ${address} in geo database ${database.info.path} failed: ${messageOf(err)}`,
          { cause: err },
        );
        setImmediate(() => this.settings.onError(error));
      }
      return NOT_FOUND;
    }
  }

  // (Re)makes the directory watch when there is none or the directory was
  // replaced: a watch stays on the directory it was made on, so one renamed
  // away and made anew would send no further events. A missing directory is
  // not reported here; reading the file reports it.
  private async ensureWatch(): Promise<void> {
    const directory = dirname(this.settings.path);
    const identity = await stat(directory).then(
      (stats) => `${stats.dev}:${stats.ino}`,
      () => null,
    );
    if (this.watcher !== null && identity === this.watchedDirectory) return;
    this.watcher?.close();
    this.watcher = null;
    if (identity === null || this.closed) return;
    try {
      const watcher = watch(directory, { persistent: false }, () =>
        this.requestCheck(this.settings.debounceMs),
      );
      watcher.on('error', (err) => {
        watcher.close();
        if (this.watcher === watcher) this.watcher = null;
        this.reportWatchFailure(directory, err);
      });
      this.watcher = watcher;
      this.watchedDirectory = identity;
      this.watchFailureReported = false;
    } catch (err) {
      this.reportWatchFailure(directory, err);
    }
  }

  private reportWatchFailure(directory: string, err: unknown): void {
    if (this.watchFailureReported || this.closed) return;
    this.watchFailureReported = true;
    this.settings.onError(
      new GeoDatabaseError(
        'watch',
        this.settings.path,
        `cannot watch ${directory} for geo database changes (${messageOf(err)}); checking every ${this.settings.pollIntervalMs} ms instead`,
        { cause: err },
      ),
    );
  }

  private requestCheck(delayMs: number): void {
    if (this.closed) return;
    if (this.debounceTimer !== null) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = null;
      this.check().catch((err: unknown) =>
        this.settings.onError(
          new GeoDatabaseError('read', this.settings.path, messageOf(err), { cause: err }),
        ),
      );
    }, delayMs);
    this.debounceTimer.unref();
  }

  // Checks are serialized: a request during a check runs one more after it.
  private check(): Promise<void> {
    if (this.checking !== null) {
      this.recheckRequested = true;
      return this.checking;
    }
    this.checking = this.checkOnce().finally(() => {
      this.checking = null;
      if (this.recheckRequested) {
        this.recheckRequested = false;
        this.requestCheck(0);
      }
    });
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    if (this.closed) return;
    await this.ensureWatch();
    const known = [this.current.identity];
    if (this.lastFailure !== null) known.push(this.lastFailure);
    const outcome = await readDatabase(this.settings, known);
    // A read that close() waited for changes nothing and reports nothing.
    if (outcome.kind === 'unchanged' || this.closed) return;
    if (outcome.kind === 'loaded') {
      this.current = outcome.database;
      this.lastFailure = null;
      this.settings.onReload(outcome.database.info);
      return;
    }
    if (outcome.key === this.lastFailure) return;
    this.lastFailure = outcome.key;
    this.settings.onError(outcome.error);
  }
}
