/**
 * Failures no input should cause (a defect), caught where the source runs a
 * callback: each is counted and logged once per distinct message, so that a
 * defect a tenant can trigger again and again neither stops the source nor
 * floods the log. Bounded.
 */
import type { Logger } from '../telemetry/logger';

/** Distinct internal failures remembered, so that each is logged once. */
const MAX_LOGGED_INTERNAL_ERRORS = 100;

export class InternalErrors {
  private readonly logged = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly onInternalError: (() => void) | undefined,
  ) {}

  /** Counts the failure of `what` and logs it unless it was logged before. */
  report(what: string, message: string | undefined): void {
    this.onInternalError?.();
    const key = `${what}: ${message ?? ''}`;
    if (this.logged.has(key)) return;
    if (this.logged.size < MAX_LOGGED_INTERNAL_ERRORS) this.logged.add(key);
    this.log.error(
      { err: message, code: 'MERIDIAN_ERR_INTERNAL' },
      `${what} failed; the last table keeps serving`,
    );
  }
}
