/**
 * Standalone source: watches a directory of manifest files and reports the
 * Gslb records they hold. Each file is valid or invalid as a whole; an invalid
 * file is reported with its path and reasons and its last valid content keeps
 * being served. Directory events are debounced, and a periodic full re-read
 * covers events the platform drops (e.g. ConfigMap symlink swaps); both come
 * from files/watched-path.ts.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MeridianError, messageOf } from '../errors';
import { WatchedPath, type WatchDirectory } from '../files/watched-path';
import type { Logger } from '../telemetry/logger';
import type { GslbRecord } from '../table/model';
import { parseManifest, type ParseOptions } from './parse-manifest';

/** What the directory currently says. */
export interface ManifestState {
  readonly gslbs: readonly GslbRecord[];
  /** Invalid files, path → reasons. */
  readonly invalidFiles: ReadonlyMap<string, readonly string[]>;
  /** The file each Gslb was read from, by id: its provenance. */
  readonly files: ReadonlyMap<string, string>;
}

/** Settings of the directory source. */
export interface ManifestDirectoryOptions {
  readonly dir: string;
  readonly parse: ParseOptions;
  readonly debounceMs: number;
  readonly rescanIntervalMs: number;
  readonly logger: Logger;
  /** Called after a read that changed what is served or which files are invalid. */
  readonly onChange: (state: ManifestState) => void;
  /** Replaces node:fs watch (tests). */
  readonly watchDirectory?: WatchDirectory;
  /** Counts a failure no input should cause (a read that threw), caught so that watching goes on. */
  readonly onInternalError?: () => void;
}

/** Largest manifest file read; larger files are reported invalid. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Most files read from the directory; the rest are reported. */
export const MAX_MANIFEST_FILES = 10_000;
const MANIFEST_FILE = /^[^.].*\.(ya?ml|json)$/i;

interface FileRecord {
  readonly digest: string;
  readonly served: readonly GslbRecord[];
  readonly errors: readonly string[] | null;
}

/** The directory source; start() reads once before resolving. */
export class ManifestDirectory {
  private readonly options: ManifestDirectoryOptions;
  private readonly files = new Map<string, FileRecord>();
  /** Gslb id → when it was first seen, so that an edited file keeps its hosts. */
  private readonly firstSeen = new Map<string, number>();
  private readonly watched: WatchedPath;

  constructor(options: ManifestDirectoryOptions) {
    this.options = options;
    const log = options.logger;
    this.watched = new WatchedPath({
      directory: options.dir,
      debounceMs: options.debounceMs,
      checkIntervalMs: options.rescanIntervalMs,
      check: () => this.readAll(),
      onWatchError: (err) =>
        log.warn(
          { err: messageOf(err), dir: options.dir },
          'cannot watch manifest directory; relying on periodic re-reads',
        ),
      onCheckError: (err) => {
        options.onInternalError?.();
        log.error(
          { err: messageOf(err), dir: options.dir, code: 'MERIDIAN_ERR_INTERNAL' },
          'manifest directory read failed; serving the last good table',
        );
      },
      ...(options.watchDirectory === undefined ? {} : { watchDirectory: options.watchDirectory }),
    });
  }

  /** Reads the directory once and starts watching; rejects if it cannot be read at all. */
  async start(): Promise<void> {
    try {
      await readdir(this.options.dir);
    } catch (err) {
      throw new MeridianError(
        'MERIDIAN_ERR_SOURCE',
        `cannot read manifest directory ${this.options.dir}: ${messageOf(err)}`,
        { cause: err },
      );
    }
    await this.watched.check();
    await this.watched.start();
  }

  /** Stops watching; an in-flight read finishes but reports nothing. */
  stop(): Promise<void> {
    return this.watched.close();
  }

  private async readAll(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.options.dir)).filter((n) => MANIFEST_FILE.test(n)).sort();
    } catch (err) {
      this.options.logger.error(
        { err, dir: this.options.dir, code: 'MERIDIAN_ERR_SOURCE' },
        'cannot read manifest directory; serving the last good table',
      );
      return;
    }
    const updated = await this.readFiles(names);
    const removed = this.forgetMissing(new Set(names.map((n) => join(this.options.dir, n))));
    const changed = updated || removed;
    if (changed && !this.watched.isClosed) this.options.onChange(this.state());
  }

  // Returns true when any file's record changed.
  private async readFiles(names: readonly string[]): Promise<boolean> {
    let changed = false;
    for (const [index, name] of names.entries()) {
      const path = join(this.options.dir, name);
      const next =
        index < MAX_MANIFEST_FILES
          ? await this.readFile(path)
          : failed(this.files.get(path), [
              `more than ${MAX_MANIFEST_FILES} manifest files; this one is not read`,
            ]);
      if (next === null || this.files.get(path)?.digest === next.digest) continue;
      this.files.set(path, next);
      changed = true;
      this.logFile(path, next);
    }
    return changed;
  }

  // Drops files that disappeared; returns true when there were any.
  private forgetMissing(present: ReadonlySet<string>): boolean {
    let changed = false;
    for (const path of [...this.files.keys()]) {
      if (present.has(path)) continue;
      this.files.delete(path);
      changed = true;
      this.options.logger.info({ path }, 'manifest file removed');
    }
    return changed;
  }

  private async readFile(path: string): Promise<FileRecord | null> {
    const previous = this.files.get(path);
    try {
      const info = await stat(path);
      if (!info.isFile()) return null;
      if (info.size > MAX_MANIFEST_BYTES) {
        return failed(
          previous,
          [`file of ${info.size} bytes exceeds ${MAX_MANIFEST_BYTES}`],
          `size:${info.size}`,
        );
      }
      const text = await readFile(path, 'utf8');
      const digest = createHash('sha256').update(text).digest('hex');
      if (previous?.digest === digest) return previous;
      // The file's birth time survives edits and restarts; where the
      // platform has none, the first modification time seen.
      const fileSince = info.birthtimeMs > 0 ? info.birthtimeMs : info.mtimeMs;
      const parsed = parseManifest(text, {
        ...this.options.parse,
        claimSince: (id) => this.claimSince(id, fileSince),
      });
      if (parsed.ok) return { digest, served: parsed.gslbs, errors: null };
      return failed(previous, parsed.errors, digest);
    } catch (err) {
      return failed(previous, [`cannot read: ${messageOf(err)}`]);
    }
  }

  /** The earliest time the Gslb `id` was seen, in this process or by the file's own time. */
  private claimSince(id: string, fileSince: number): number {
    const since = Math.min(this.firstSeen.get(id) ?? Infinity, fileSince);
    this.firstSeen.set(id, since);
    return since;
  }

  private logFile(path: string, record: FileRecord): void {
    if (record.errors === null) {
      this.options.logger.info({ path, gslbs: record.served.length }, 'manifest file loaded');
    } else {
      this.options.logger.error(
        {
          path,
          reasons: record.errors,
          code: 'MERIDIAN_ERR_MANIFEST',
          servingLastGood: record.served.length > 0,
        },
        `invalid manifest ${path}: ${record.errors.join('; ')}`,
      );
    }
  }

  private state(): ManifestState {
    const gslbs: GslbRecord[] = [];
    const invalidFiles = new Map<string, readonly string[]>();
    const files = new Map<string, string>();
    for (const [path, record] of this.files) {
      gslbs.push(...record.served);
      for (const gslb of record.served) files.set(gslb.id, path);
      if (record.errors !== null) invalidFiles.set(path, record.errors);
    }
    // A Gslb that is gone loses its claim: added again later, it claims anew.
    const present = new Set(gslbs.map((gslb) => gslb.id));
    for (const id of this.firstSeen.keys()) if (!present.has(id)) this.firstSeen.delete(id);
    return { gslbs, invalidFiles, files };
  }
}

// An invalid file keeps serving what its last valid version served.
function failed(
  previous: FileRecord | undefined,
  errors: readonly string[],
  digest = `error:${errors.join()}`,
): FileRecord {
  return { digest, served: previous?.served ?? [], errors };
}
