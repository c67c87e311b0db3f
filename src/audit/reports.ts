/**
 * What the outside learns of the audit writer. Its failures: each counted by
 * its errno code, logged once per distinct operation and code while the
 * failure lasts (a writer retrying every few seconds must not flood the log),
 * described by a readiness note, with the backoff before the next try; the
 * first write that works again ends the failure and says so. And the chain's
 * head (seq and hash of the last line), logged at most once a minute while
 * lines are written and at each rotation and close, so that a copy of it
 * lives outside the file: a cut or rewritten end of the file shows against it.
 */
import { messageOf } from '../errors';
import { auditErrorReason, type AuditMetrics } from '../telemetry/audit-metrics';
import type { Logger } from '../telemetry/logger';
import type { AuditIoError } from './chain-files';
import type { LineBody } from './line-format';
import type { ChainPoint } from './tail';

/** Backoff after a failure: doubling from the first delay up to the cap. */
export const RETRY_FIRST_MS = 100;
export const RETRY_MAX_MS = 5_000;

/** How often, at most, the chain's head is logged while lines are written. */
export const HEAD_LOG_INTERVAL_MS = 60_000;

/** The failure being retried. */
interface Failure {
  readonly sinceMs: number;
  error: AuditIoError;
  /** operation:code pairs logged during this failure. */
  readonly logged: Set<string>;
  /** Records dropped before it began. */
  readonly droppedBefore: number;
  /** Tries that failed during it. */
  failures: number;
}

/** What the reports need. */
export interface ReportDeps {
  readonly path: string;
  readonly metrics: AuditMetrics;
  readonly logger: Logger;
  readonly now: () => number;
  readonly retryMs?: { readonly first: number; readonly max: number };
}

export class AuditReports {
  private current: Failure | null = null;
  private consecutive = 0;
  private headTimer: NodeJS.Timeout | null = null;
  private loggedHead: ChainPoint | null = null;

  constructor(private readonly deps: ReportDeps) {}

  /** Lines were written up to `head`: logs the head within a minute unless it is logged by then. */
  written(head: () => ChainPoint | null): void {
    if (this.headTimer !== null) return;
    this.headTimer = setTimeout(() => {
      this.headTimer = null;
      const current = head();
      if (current !== this.loggedHead) this.head(current, 'audit chain head');
    }, HEAD_LOG_INTERVAL_MS);
    this.headTimer.unref();
  }

  /** Logs the chain's head with `message`. */
  head(head: ChainPoint | null, message: string): void {
    if (head === null) return;
    this.loggedHead = head;
    this.deps.logger.info({ path: this.deps.path, seq: head.seq, sha256: head.hash }, message);
  }

  /** The existing file's end could not be continued: it was moved aside and a new chain starts. */
  damaged(problem: string): void {
    this.deps.metrics.writeError('damaged_file');
    this.deps.logger.error(
      { code: 'MERIDIAN_ERR_AUDIT', path: this.deps.path, problem },
      'audit file could not be continued: moved aside, a new chain starts',
    );
  }

  /** No more reports: the timer goes. */
  stop(): void {
    if (this.headTimer !== null) clearTimeout(this.headTimer);
    this.headTimer = null;
  }

  /** Records a failure; returns how long to wait before the next try. */
  failed(error: AuditIoError, droppedSoFar: number): number {
    const { metrics, logger, path } = this.deps;
    metrics.writeError(auditErrorReason(error.code));
    metrics.setFailing(true);
    this.current ??= {
      sinceMs: this.deps.now(),
      error,
      logged: new Set(),
      droppedBefore: droppedSoFar,
      failures: 0,
    };
    this.current.error = error;
    this.current.failures += 1;
    const key = `${error.operation}:${error.code}`;
    if (!this.current.logged.has(key)) {
      this.current.logged.add(key);
      logger.error(
        {
          code: 'MERIDIAN_ERR_AUDIT',
          path,
          operation: error.operation,
          errno: error.code,
          err: messageOf(error),
        },
        'audit file cannot be written; retrying, answers go on',
      );
    }
    this.consecutive += 1;
    const { first, max } = this.deps.retryMs ?? { first: RETRY_FIRST_MS, max: RETRY_MAX_MS };
    return Math.min(max, first * 2 ** Math.min(this.consecutive - 1, 30));
  }

  /**
   * The outage line that the first write after a failure starts with, so
   * that the file itself says when it could not be written; null when none
   * is being retried.
   */
  outage(): Extract<LineBody, { type: 'outage' }> | null {
    const failure = this.current;
    if (failure === null) return null;
    const { operation, code } = failure.error;
    return {
      type: 'outage',
      outage: { sinceMs: failure.sinceMs, operation, errno: code, failures: failure.failures },
    };
  }

  /** A write worked: ends the failure, if any. */
  succeeded(droppedSoFar: number): void {
    this.consecutive = 0;
    const failure = this.current;
    if (failure === null) return;
    this.current = null;
    this.deps.metrics.setFailing(false);
    this.deps.logger.warn(
      {
        code: 'MERIDIAN_ERR_AUDIT',
        path: this.deps.path,
        since: new Date(failure.sinceMs).toISOString(),
        dropped: droppedSoFar - failure.droppedBefore,
      },
      'audit file written again; an outage line marks where, a gap line what was dropped meanwhile',
    );
  }

  /** The readiness note while failing; none otherwise. */
  notes(waiting: number, droppedSoFar: number): string[] {
    const failure = this.current;
    if (failure === null) return [];
    const { error } = failure;
    const since = new Date(failure.sinceMs).toISOString();
    const dropped = droppedSoFar - failure.droppedBefore;
    return [
      `audit file ${this.deps.path}: ${error.operation} failed (${error.code}) since ${since}; retrying; ${waiting} records waiting, ${dropped} dropped`,
    ];
  }
}
