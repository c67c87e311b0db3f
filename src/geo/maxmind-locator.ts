/**
 * The geoip strategy's GeoLocator backed by a MaxMind DB file (k8gb's
 * `geodatafilepath`). The file is read into memory once and parsed by
 * maxmind's Reader; lookups walk that copy and never touch the disk (k8gb
 * opens the file on every query, and exits if it cannot).
 *
 * The file is kept current without a restart: any event in its directory
 * (debounced) and a periodic check compare the file's identity (device,
 * inode, size, change times) with the one loaded, and read it again when it
 * differs (files/watched-path.ts watches; database-file.ts reads). A copy
 * that parses replaces the serving one with a single reference assignment,
 * so a lookup sees the old or the new database, never a mix; a copy that
 * does not parse is reported once and the old one keeps serving.
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
import { dirname } from 'node:path';
import type { Response } from 'maxmind';
import type { ClientSubnet } from '../dns/query';
import { messageOf } from '../errors';
import { WatchedPath } from '../files/watched-path';
import type { GeoLocator, GeoMatch } from '../table/geo-locator';
import {
  GeoDatabaseError,
  readDatabase,
  type DatabaseFileSettings,
  type GeoDatabaseInfo,
  type LoadedDatabase,
} from './database-file';
import {
  DEFAULT_GEO_FIELDS,
  firstFieldValue,
  parseFieldPaths,
  type FieldPath,
} from './field-paths';
import { hostSubnet, lookupKey } from './lookup-address';

export { GeoDatabaseError, type GeoDatabaseInfo, type GeoDatabaseProblem } from './database-file';

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

interface Settings extends DatabaseFileSettings {
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

class WatchedMaxmindLocator implements MaxmindLocator {
  private readonly settings: Settings;
  private readonly watched: WatchedPath;
  private current: LoadedDatabase;
  /** Identity (or message) of the last failure reported, so that it is reported once. */
  private lastFailure: string | null = null;

  constructor(settings: Settings, database: LoadedDatabase) {
    this.settings = settings;
    this.current = database;
    const directory = dirname(settings.path);
    this.watched = new WatchedPath({
      directory,
      debounceMs: settings.debounceMs,
      checkIntervalMs: settings.pollIntervalMs,
      check: () => this.checkOnce(),
      onWatchError: (err) =>
        settings.onError(
          new GeoDatabaseError(
            'watch',
            settings.path,
            `cannot watch ${directory} for geo database changes (${messageOf(err)}); checking every ${settings.pollIntervalMs} ms instead`,
            { cause: err },
          ),
        ),
      onCheckError: (err) =>
        settings.onError(
          new GeoDatabaseError('read', settings.path, messageOf(err), { cause: err }),
        ),
    });
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

  refresh(): Promise<void> {
    return this.watched.refresh();
  }

  close(): Promise<void> {
    return this.watched.close();
  }

  /** Starts the directory watch and the periodic check. */
  start(): Promise<void> {
    return this.watched.start();
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

  private async checkOnce(): Promise<void> {
    const known = [this.current.identity];
    if (this.lastFailure !== null) known.push(this.lastFailure);
    const outcome = await readDatabase(this.settings, known);
    // A read that close() waited for changes nothing and reports nothing.
    if (outcome.kind === 'unchanged' || this.watched.isClosed) return;
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
