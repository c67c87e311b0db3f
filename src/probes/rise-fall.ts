/**
 * One probe's verdict from its results, with hysteresis: a target is marked
 * down after `fall` consecutive failures and up again after `rise`
 * consecutive successes, so one lost packet never moves an answer. A prober
 * that has just started knows nothing (`unknown`, served as healthy: missing
 * data never withdraws a target) and marks nothing down before `fall`
 * results; a verdict whose last result is older than `staleAfterMs` is
 * `unknown` again (a stalled prober must not hold a target down, or up, on
 * old evidence). Pure; the clock is the caller's.
 */

/** What a probe says about its target. */
export type ProbeVerdict = 'unknown' | 'up' | 'down';

/** One probe result. */
export interface ProbeResult {
  readonly ok: boolean;
  /** Wall-clock milliseconds of the result. */
  readonly atMs: number;
  /** Why it failed (timeout, refused, TLS error, status 503, body mismatch), or null. */
  readonly error: string | null;
}

/** The thresholds of one probe. */
export interface RiseFallOptions {
  readonly rise: number;
  readonly fall: number;
  readonly staleAfterMs: number;
}

/** A verdict change, for the decision record. */
export interface VerdictChange {
  readonly from: ProbeVerdict;
  readonly to: ProbeVerdict;
  /** The result that made it (the last error when it went down). */
  readonly result: ProbeResult;
}

/** Results kept for explanations, newest last. */
export const HISTORY_LENGTH = 10;

export class RiseFall {
  private readonly recent: ProbeResult[] = [];
  private verdict: ProbeVerdict = 'unknown';
  private successes = 0;
  private failures = 0;
  private last: ProbeResult | null = null;

  constructor(private readonly options: RiseFallOptions) {
    if (!(options.rise >= 1 && options.fall >= 1)) throw new Error('rise and fall must be >= 1');
  }

  /** Takes one result; the change it made, or null. */
  record(result: ProbeResult): VerdictChange | null {
    // Results arrive in order; a late one from before the last is no news.
    if (this.last !== null && result.atMs < this.last.atMs) return null;
    this.last = result;
    this.recent.push(result);
    if (this.recent.length > HISTORY_LENGTH) this.recent.shift();
    if (result.ok) {
      this.successes += 1;
      this.failures = 0;
    } else {
      this.failures += 1;
      this.successes = 0;
    }
    const next = this.next();
    if (next === this.verdict) return null;
    const change = { from: this.verdict, to: next, result };
    this.verdict = next;
    return change;
  }

  /** The verdict at `nowMs`: `unknown` once the last result is older than the bound. */
  current(nowMs: number): ProbeVerdict {
    if (this.last === null || nowMs - this.last.atMs > this.options.staleAfterMs) return 'unknown';
    return this.verdict;
  }

  /** The last results, oldest first, at most HISTORY_LENGTH. */
  history(): readonly ProbeResult[] {
    return this.recent;
  }

  /** When the verdict turns unknown for want of a newer result, or null without any. */
  staleAtMs(): number | null {
    return this.last === null ? null : this.last.atMs + this.options.staleAfterMs + 1;
  }

  /** The last result, for explanations. */
  lastResult(): ProbeResult | null {
    return this.last;
  }

  private next(): ProbeVerdict {
    const { rise, fall } = this.options;
    if (this.failures >= fall) return 'down';
    if (this.verdict === 'down') return this.successes >= rise ? 'up' : 'down';
    // From unknown or up, a success is up at once: nothing was withdrawn to bring back.
    return this.successes > 0 ? 'up' : this.verdict;
  }
}
