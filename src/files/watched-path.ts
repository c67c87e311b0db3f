/**
 * Keeps a file or a directory of files current without a restart: any event
 * in the directory (debounced) and a periodic check call the owner's
 * `check`, one at a time (a request during a check runs one more after it).
 *
 * Directory events rather than file events, because the usual ways to replace
 * a file (rename over it, a Kubernetes volume's symlink swap) replace the
 * directory entry, which a watch on the old file never sees. A watch stays on
 * the directory it was made on, so before each check the watch is made again
 * when the directory was replaced (renamed away and made anew) or the watch
 * failed; a directory that cannot be watched is reported once, and the
 * periodic check still finds every change. Platforms drop events (a
 * ConfigMap's symlink swap, say), which the periodic check also covers.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';

/** Makes a watch of `directory` calling `listener` on every event. */
export type WatchDirectory = (directory: string, listener: () => void) => FSWatcher;

/** What {@link WatchedPath} needs. */
export interface WatchedPathOptions {
  /** The directory whose events mean "look again". */
  readonly directory: string;
  /** Quiet time after an event before the check. */
  readonly debounceMs: number;
  /** Time between checks when no event came. */
  readonly checkIntervalMs: number;
  /** Looks at the path; never runs twice at once. */
  readonly check: () => Promise<void>;
  /** The directory cannot be watched (reported once until a watch works again). */
  readonly onWatchError: (err: unknown) => void;
  /** A check rejected (it should not: checks report their own problems). */
  readonly onCheckError: (err: unknown) => void;
  /** Replaces node:fs watch (tests). */
  readonly watchDirectory?: WatchDirectory;
}

const nodeWatch: WatchDirectory = (directory, listener) =>
  watch(directory, { persistent: false }, listener);

export class WatchedPath {
  private readonly watchDirectory: WatchDirectory;
  private watcher: FSWatcher | null = null;
  /** Device and inode of the directory the watch was made on. */
  private watchedIdentity: string | null = null;
  private watchFailureReported = false;
  private debounceTimer: NodeJS.Timeout | null = null;
  private intervalTimer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private recheckRequested = false;
  private closed = false;

  constructor(private readonly options: WatchedPathOptions) {
    this.watchDirectory = options.watchDirectory ?? nodeWatch;
  }

  /** Starts watching and the periodic check; checks nothing yet (the owner's first read is its own). */
  async start(): Promise<void> {
    await this.ensureWatch();
    this.intervalTimer = setInterval(() => this.request(0), this.options.checkIntervalMs);
    this.intervalTimer.unref();
  }

  /** Checks after `delayMs` (default: the debounce); a newer request replaces a pending one. */
  request(delayMs = this.options.debounceMs): void {
    if (this.closed) return;
    if (this.debounceTimer !== null) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = null;
      this.check().catch((err: unknown) => this.options.onCheckError(err));
    }, delayMs);
    this.debounceTimer.unref();
  }

  /** Checks now, or joins the check under way (and asks for one more after it). */
  check(): Promise<void> {
    if (this.checking !== null) {
      this.recheckRequested = true;
      return this.checking;
    }
    this.checking = this.checkOnce().finally(() => {
      this.checking = null;
      if (this.recheckRequested && !this.closed) {
        this.recheckRequested = false;
        this.request(0);
      }
    });
    return this.checking;
  }

  /** Checks once more after any check under way, which may have looked before this call. */
  async refresh(): Promise<void> {
    await this.checking?.catch(() => undefined);
    return this.check();
  }

  /** Stops watching and checking, and waits for a check under way. */
  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    this.watcher = null;
    if (this.debounceTimer !== null) clearTimeout(this.debounceTimer);
    if (this.intervalTimer !== null) clearInterval(this.intervalTimer);
    this.debounceTimer = null;
    this.intervalTimer = null;
    await this.checking?.catch(() => undefined);
  }

  /** True once closed: a check that close() waited for should report nothing. */
  get isClosed(): boolean {
    return this.closed;
  }

  private async checkOnce(): Promise<void> {
    if (this.closed) return;
    await this.ensureWatch();
    await this.options.check();
  }

  // A missing directory is not reported here: the owner's read reports it.
  private async ensureWatch(): Promise<void> {
    const { directory } = this.options;
    const identity = await stat(directory).then(
      (stats) => `${stats.dev}:${stats.ino}`,
      () => null,
    );
    if (this.watcher !== null && identity === this.watchedIdentity) return;
    this.watcher?.close();
    this.watcher = null;
    if (identity === null || this.closed) return;
    try {
      const watcher = this.watchDirectory(directory, () => this.request());
      watcher.on('error', (err) => {
        watcher.close();
        if (this.watcher === watcher) this.watcher = null;
        this.reportWatchFailure(err);
      });
      this.watcher = watcher;
      this.watchedIdentity = identity;
      this.watchFailureReported = false;
    } catch (err) {
      this.reportWatchFailure(err);
    }
  }

  private reportWatchFailure(err: unknown): void {
    if (this.watchFailureReported || this.closed) return;
    this.watchFailureReported = true;
    this.options.onWatchError(err);
  }
}
