/**
 * Supervision of one list-watch, independent of any Kubernetes client.
 *
 * client-node's informer stops for good on any error other than 410 Gone, has
 * no periodic resync and was seen restarting in storms (kubernetes-client/javascript
 * #1933). This module owns the lifecycle instead: it starts one session (list,
 * then watch) at a time, restarts it with capped, fully jittered exponential
 * backoff when it fails or ends, restarts a watch that went silent, relists
 * periodically, and ignores whatever a superseded session still delivers.
 * The session itself (HTTP, decoding, caching) is supplied by the caller, so
 * every path here runs under fake timers.
 */
import { backoffDelayMs } from '../../backoff';

/** The timer functions the supervisor uses; injected so tests drive time. */
export interface SupervisorTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * What a running session reports back. Calls made after the session was
 * superseded or the supervisor stopped are ignored, so a late callback of a
 * stale watch can never touch the caller's state.
 */
export interface WatchSessionSink<E> {
  /** The list succeeded; the caller's view is complete from here on. */
  listed(): void;
  /** The watch request was accepted (HTTP 200); counts as progress. */
  connected(): void;
  /** One data event; forwarded to `onEvent` only while this session is current. */
  event(event: E): void;
  /** A bookmark (or any other sign of life without data) arrived. */
  bookmark(): void;
  /** The session ended: `error` undefined for a clean end. Either way it is restarted. */
  ended(error?: unknown): void;
  /** True while this session is the current one. */
  readonly current: boolean;
}

/** A session's handle, to cancel it. `cancel` must not call back into the sink. */
export interface WatchSessionHandle {
  cancel(): void;
}

/** Why a session is being started; `relist` asks for a full list before the watch. */
export interface WatchSessionStart {
  readonly relist: boolean;
  /** Strictly increasing per session; useful in logs to tell sessions apart. */
  readonly generation: number;
}

/** Starts one list-watch session; must not throw (report failures through `sink.ended`). */
export type StartWatchSession<E> = (
  sink: WatchSessionSink<E>,
  start: WatchSessionStart,
) => WatchSessionHandle;

/** Options of {@link createWatchSupervisor}. */
export interface WatchSupervisorOptions<E> {
  readonly startSession: StartWatchSession<E>;
  readonly onEvent: (event: E) => void;
  /** Called once, after the first successful list. */
  readonly onSynced?: () => void;
  /** Called for every failed session, with the error; soft, the supervisor retries. */
  readonly onError?: (error: unknown) => void;
  readonly timers?: SupervisorTimers;
  /** Uniform in [0, 1); drives the jitter. */
  readonly random?: () => number;
  /** First backoff ceiling; default 200 ms. */
  readonly initialBackoffMs?: number;
  /** Cap of the backoff ceiling; default 30 s. */
  readonly maxBackoffMs?: number;
  /** Restart (with a relist) when nothing arrived for this long; default 5 min, 0 disables. */
  readonly watchdogMs?: number;
  /** Full relist every so often, as informers' resync does; default 30 min, 0 disables. */
  readonly relistIntervalMs?: number;
}

/** Where the supervisor is in its cycle. */
export type WatchState = 'idle' | 'running' | 'backoff' | 'stopped';

/** A snapshot of the supervisor's state and counters, for metrics and readiness. */
export interface WatchSupervisorStatus {
  readonly state: WatchState;
  readonly synced: boolean;
  /** Sessions started, the first one included. */
  readonly sessionsStarted: number;
  /** Sessions started after the first (error, end, watchdog or relist). */
  readonly restarts: number;
  /** Sessions that ended with an error. */
  readonly errors: number;
  readonly watchdogRestarts: number;
  readonly periodicRelists: number;
  /** Failures since the last progress; sets the next backoff ceiling. */
  readonly consecutiveFailures: number;
  readonly lastError: unknown;
  /** The delay chosen for the pending restart, when in backoff. */
  readonly lastBackoffMs: number;
}

/** The supervisor of one list-watch. */
export interface WatchSupervisor {
  /** Starts the first session; a second call while running does nothing. */
  start(): void;
  /** Cancels the session and every timer; final. */
  stop(): void;
  /** True once a list has succeeded (and stays true: the last good view keeps serving). */
  synced(): boolean;
  status(): WatchSupervisorStatus;
}

const defaultTimers: SupervisorTimers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    // A supervisor's timers must never keep the process alive on their own.
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Creates a supervisor; nothing runs until `start()`. */
export function createWatchSupervisor<E>(options: WatchSupervisorOptions<E>): WatchSupervisor {
  return new Supervisor(options);
}

class Supervisor<E> implements WatchSupervisor {
  private readonly timers: SupervisorTimers;
  private readonly random: () => number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly watchdogMs: number;
  private readonly relistIntervalMs: number;
  private state: WatchState = 'idle';
  private isSynced = false;
  private generation = 0;
  private handle: WatchSessionHandle | undefined = undefined;
  private restartTimer: unknown = undefined;
  private watchdogTimer: unknown = undefined;
  private relistTimer: unknown = undefined;
  private sessionsStarted = 0;
  private errors = 0;
  private watchdogRestarts = 0;
  private periodicRelists = 0;
  private consecutiveFailures = 0;
  private lastError: unknown = undefined;
  private lastBackoffMs = 0;
  // A relist is owed after a watchdog restart or a periodic relist; a plain
  // reconnect resumes from the session's last resourceVersion.
  private relistNext = true;

  constructor(private readonly options: WatchSupervisorOptions<E>) {
    this.timers = options.timers ?? defaultTimers;
    this.random = options.random ?? Math.random;
    this.initialBackoffMs = options.initialBackoffMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.watchdogMs = options.watchdogMs ?? 300_000;
    this.relistIntervalMs = options.relistIntervalMs ?? 1_800_000;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.launch();
  }

  stop(): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.cancelSession();
    this.clearTimer('restartTimer');
    this.clearTimer('watchdogTimer');
    this.clearTimer('relistTimer');
  }

  synced(): boolean {
    return this.isSynced;
  }

  status(): WatchSupervisorStatus {
    return {
      state: this.state,
      synced: this.isSynced,
      sessionsStarted: this.sessionsStarted,
      restarts: Math.max(0, this.sessionsStarted - 1),
      errors: this.errors,
      watchdogRestarts: this.watchdogRestarts,
      periodicRelists: this.periodicRelists,
      consecutiveFailures: this.consecutiveFailures,
      lastError: this.lastError,
      lastBackoffMs: this.lastBackoffMs,
    };
  }

  /** Starts a new session, superseding any current one. */
  private launch(): void {
    this.cancelSession();
    this.clearTimer('restartTimer');
    this.state = 'running';
    const generation = ++this.generation;
    this.sessionsStarted++;
    const relist = this.relistNext || !this.isSynced;
    this.relistNext = false;
    this.armWatchdog();
    if (relist) this.armRelist();
    const handle = this.options.startSession(this.sinkFor(generation), { relist, generation });
    // A session that ended synchronously has already been superseded.
    if (this.generation === generation) this.handle = handle;
  }

  private sinkFor(generation: number): WatchSessionSink<E> {
    const isCurrent = (): boolean => this.state === 'running' && this.generation === generation;
    return {
      listed: () => {
        if (!isCurrent()) return;
        this.progress();
        if (!this.isSynced) {
          this.isSynced = true;
          this.options.onSynced?.();
        }
      },
      connected: () => {
        if (isCurrent()) this.progress();
      },
      event: (event) => {
        if (!isCurrent()) return;
        this.progress();
        this.options.onEvent(event);
      },
      bookmark: () => {
        if (isCurrent()) this.progress();
      },
      ended: (error) => {
        if (!isCurrent()) return;
        this.handle = undefined;
        this.fail(error);
      },
      get current() {
        return isCurrent();
      },
    };
  }

  /** Any sign of life: the backoff starts over and the watchdog is re-armed. */
  private progress(): void {
    this.consecutiveFailures = 0;
    this.armWatchdog();
  }

  /** The current session is over (already cancelled or ended): schedule the next one. */
  private fail(error: unknown): void {
    if (error !== undefined) {
      this.errors++;
      this.lastError = error;
      this.options.onError?.(error);
    }
    // onError may have stopped the supervisor.
    if (this.state !== 'running') return;
    this.clearTimer('watchdogTimer');
    const delay = backoffDelayMs(
      this.consecutiveFailures,
      this.random,
      this.initialBackoffMs,
      this.maxBackoffMs,
    );
    this.consecutiveFailures++;
    this.lastBackoffMs = delay;
    this.state = 'backoff';
    // Supersede the ended session right away, so nothing it still delivers counts.
    this.generation++;
    this.restartTimer = this.timers.setTimeout(() => {
      this.restartTimer = undefined;
      if (this.state === 'backoff') this.launch();
    }, delay);
  }

  private armWatchdog(): void {
    this.clearTimer('watchdogTimer');
    if (this.watchdogMs <= 0) return;
    this.watchdogTimer = this.timers.setTimeout(() => {
      this.watchdogTimer = undefined;
      if (this.state !== 'running') return;
      this.watchdogRestarts++;
      this.relistNext = true;
      this.cancelSession();
      this.fail(new Error(`watch silent for ${this.watchdogMs} ms`));
    }, this.watchdogMs);
  }

  /** The periodic relist is measured from the last list, so it is re-armed by every relist. */
  private armRelist(): void {
    this.clearTimer('relistTimer');
    if (this.relistIntervalMs <= 0) return;
    this.relistTimer = this.timers.setTimeout(() => {
      this.relistTimer = undefined;
      if (this.state === 'stopped') return;
      this.periodicRelists++;
      this.relistNext = true;
      // In backoff the pending restart will relist anyway.
      if (this.state === 'running') this.launch();
      else this.armRelist();
    }, this.relistIntervalMs);
  }

  private cancelSession(): void {
    const handle = this.handle;
    this.handle = undefined;
    // Bump first, so anything the cancelled session reports is already stale.
    this.generation++;
    handle?.cancel();
  }

  private clearTimer(name: 'restartTimer' | 'watchdogTimer' | 'relistTimer'): void {
    if (this[name] === undefined) return;
    this.timers.clearTimeout(this[name]);
    this[name] = undefined;
  }
}
