/**
 * GeoIP databases for tests, written by MaxMind's own mmdbwriter (tools/mmdb,
 * built from the Go module proxy by scripts/build-mmdb-writer.sh), so that no
 * binary fixture is committed and the reader is tested against the writer.
 */
import { execFileSync } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { builtByScript } from '../../harness/processes';

/**
 * Path of mmdb-writer, building it through scripts/build-mmdb-writer.sh when
 * needed (about 2 min with empty Go caches).
 */
export function mmdbWriterBinary(): string {
  return builtByScript('MERIDIAN_MMDB_WRITER_BIN', 'build-mmdb-writer.sh');
}

/**
 * One network of a test database: `network` in CIDR notation; every other
 * key becomes a field of its record (strings, numbers, booleans, nested
 * objects and arrays).
 */
export interface GeoNetwork {
  readonly network: string;
  readonly [field: string]: unknown;
}

/** How the database is written. */
export interface GeoDatabaseOptions {
  /** 6 (default): an IPv6 tree with IPv4 aliased into it; 4: an IPv4-only tree. */
  readonly ipVersion?: 4 | 6;
}

/** The bytes of a MaxMind DB holding `networks` (later entries win where they overlap). */
export function geoDatabaseBytes(
  networks: readonly GeoNetwork[],
  options: GeoDatabaseOptions = {},
): Buffer {
  return execFileSync(mmdbWriterBinary(), ['-ip-version', String(options.ipVersion ?? 6)], {
    input: JSON.stringify(networks),
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    timeout: 30_000,
  });
}

/**
 * Writes a database holding `networks` to `path` the way operators should
 * replace one: into a sibling file first, then renamed over `path`, so that a
 * reader never sees a half-written file.
 */
export function writeGeoDatabase(
  path: string,
  networks: readonly GeoNetwork[],
  options: GeoDatabaseOptions = {},
): void {
  replaceFile(path, geoDatabaseBytes(networks, options));
}

/** Puts `bytes` at `path` by writing a sibling file and renaming it over `path`. */
export function replaceFile(path: string, bytes: Uint8Array): void {
  const sibling = `${path}.${process.pid}.tmp`;
  writeFileSync(sibling, bytes);
  renameSync(sibling, path);
}
