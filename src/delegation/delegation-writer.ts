/**
 * Keeps this cluster's delegation written: every zone's update sent at
 * start and then every interval (an update that changes nothing changes no
 * serial, so the repeat is free, and it puts back a record someone deleted).
 * A failed update is retried with backoff (1 s, doubling, at most the
 * interval), each zone on its own, and said once when it starts failing and
 * once when it recovers. Never withdraws: missing data is no reason to
 * remove a delegation (docs/delegation.md).
 */
import { doublingDelayMs } from '../backoff';
import type { TsigKey } from '../dns/tsig';
import type { Logger } from '../telemetry/logger';
import type { ZoneDelegationUpdate } from './delegation-plan';
import type { sendUpdate, UpdateOutcome, UpdateServer } from './dns-update-client';

/** One update's time limit. */
const UPDATE_TIMEOUT_MS = 5_000;
const FIRST_RETRY_MS = 1_000;

/** One zone's delegation as last written. */
export interface ZoneWriteState {
  readonly zone: string;
  readonly parent: string;
  readonly nameServer: string;
  /** `pending` before the first answer. */
  readonly state: 'pending' | 'written' | 'failing';
  /** ISO time of the last update the server applied, or null. */
  readonly lastWritten: string | null;
  readonly lastError: string | null;
  readonly failures: number;
}

export interface DelegationWriterOptions {
  readonly updates: readonly ZoneDelegationUpdate[];
  readonly server: UpdateServer;
  readonly key: TsigKey | null;
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly send: typeof sendUpdate;
  readonly now: () => number;
}

/** Writes every zone's delegation until stopped. */
export class DelegationWriter {
  private readonly states = new Map<string, ZoneWriteState>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: DelegationWriterOptions) {
    for (const update of options.updates)
      this.states.set(update.zone, {
        zone: update.zone,
        parent: update.parent,
        nameServer: update.nameServer,
        state: 'pending',
        lastWritten: null,
        lastError: null,
        failures: 0,
      });
  }

  /** Sends every zone's update now, then on schedule. */
  start(): void {
    for (const update of this.options.updates) this.write(update);
  }

  /** Every zone's state, for the status. */
  status(): ZoneWriteState[] {
    return [...this.states.values()];
  }

  /** Stops the schedule and abandons updates in flight (each is bounded anyway). */
  async stop(): Promise<void> {
    this.stopping.abort();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.all(this.inFlight);
  }

  private write(update: ZoneDelegationUpdate): void {
    if (this.stopping.signal.aborted) return;
    const running = this.options
      .send(this.options.server, update.parent, update.changes, {
        key: this.options.key,
        timeoutMs: UPDATE_TIMEOUT_MS,
        signal: this.stopping.signal,
        nowSeconds: () => Math.floor(this.options.now() / 1000),
      })
      .then((outcome) => this.settle(update, outcome));
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running));
  }

  private settle(update: ZoneDelegationUpdate, outcome: UpdateOutcome): void {
    if (this.stopping.signal.aborted) return;
    const before = this.states.get(update.zone)!;
    const { logger, intervalMs } = this.options;
    const facts = { zone: update.zone, parent: update.parent, nameServer: update.nameServer };
    if (outcome.ok) {
      if (before.state !== 'written')
        logger.info(facts, `delegation of ${update.zone} written into ${update.parent}`);
      this.states.set(update.zone, {
        ...before,
        state: 'written',
        lastWritten: new Date(this.options.now()).toISOString(),
        lastError: null,
        failures: 0,
      });
      this.schedule(update, intervalMs);
      return;
    }
    const failures = before.failures + 1;
    const error = `${outcome.failure}: ${outcome.detail}`;
    if (before.state !== 'failing' || before.lastError !== error)
      logger.error(
        { ...facts, err: error, code: 'MERIDIAN_ERR_DELEGATION' },
        `cannot write the delegation of ${update.zone} into ${update.parent}; retrying`,
      );
    this.states.set(update.zone, { ...before, state: 'failing', lastError: error, failures });
    this.schedule(update, doublingDelayMs(failures, FIRST_RETRY_MS, intervalMs));
  }

  private schedule(update: ZoneDelegationUpdate, delayMs: number): void {
    if (this.stopping.signal.aborted) return;
    const timer = setTimeout(() => this.write(update), delayMs);
    timer.unref();
    this.timers.set(update.zone, timer);
  }
}
