/**
 * One peer's questions of one poll, asked by a bounded number of workers:
 * how many run at once, when a silent peer stops being asked, where the next
 * poll resumes, and the poll's verdict on the peer. The queries themselves
 * (cap, timeout, transport) are the caller's.
 */
import type { AddressType, QueryOutcome } from '../dns/client-message';
import type { PeerQueryOutcome } from '../telemetry/peer-metrics';
import { ABORTED } from './dns-client';
import type { PollVerdict } from './peer-health';

/** One question to a peer: `type localtargets-<host>`. */
export interface Question {
  readonly host: string;
  readonly type: AddressType;
}

/** A question asked and how it ended (abandoned ones are not results). */
export interface Result {
  readonly question: Question;
  readonly outcome: QueryOutcome;
}

/** What one round gave. */
export interface Round {
  readonly results: readonly Result[];
  /** answered: some query answered; failed: queries ended and none answered; none: no verdict. */
  readonly verdict: PollVerdict;
  /** Index of the first question not finished (abandoned or not sent); the length when all were. */
  readonly resumeAt: number;
  /** Queries by outcome, skipped ones included, for meridian_peer_queries_total. */
  readonly counts: ReadonlyMap<PeerQueryOutcome, number>;
}

/**
 * Asks `questions` in order with `share` workers until all are asked or
 * `signal` aborts. Until the peer answers something, it gets one round of
 * `share` questions (two at least, so one lost reply cannot end the poll): a
 * dead peer costs one round per poll, not one query per host.
 */
export async function askRound(
  questions: readonly Question[],
  share: number,
  signal: AbortSignal,
  ask: (question: Question) => Promise<QueryOutcome>,
): Promise<Round> {
  const results: Result[] = [];
  const counts = new Map<PeerQueryOutcome, number>();
  const count = (outcome: PeerQueryOutcome, n = 1): void => {
    counts.set(outcome, (counts.get(outcome) ?? 0) + n);
  };
  let next = 0;
  let failed = 0;
  // The first question abandoned at the deadline, where the next poll resumes.
  let firstUnfinished = questions.length;
  const untilAnswered = Math.max(2, share);
  const mayAsk = (): boolean =>
    next < questions.length && !signal.aborted && (next < untilAnswered || results.length > failed);
  const worker = async (): Promise<void> => {
    while (mayAsk()) {
      const index = next++;
      const question = questions[index] as Question;
      const outcome = await ask(question);
      count(outcomeLabel(outcome));
      if (outcome === ABORTED) firstUnfinished = Math.min(firstUnfinished, index);
      else results.push({ question, outcome });
      if (!outcome.ok && outcome !== ABORTED) failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(share, questions.length) }, worker));
  if (next < questions.length) count('skipped', questions.length - next);
  const answered = results.length - failed;
  return {
    results,
    verdict: answered > 0 ? 'answered' : failed > 0 ? 'failed' : 'none',
    resumeAt: Math.min(firstUnfinished, next),
    counts,
  };
}

/** The metric label of one query's outcome. */
export function outcomeLabel(outcome: QueryOutcome): PeerQueryOutcome {
  if (outcome.ok) {
    if (outcome.rcode === 'NXDOMAIN') return 'nxdomain';
    return outcome.addresses.length > 0 ? 'answer' : 'nodata';
  }
  return outcome.failure === 'aborted' ? 'skipped' : outcome.failure;
}

/** The first failure among `results`, for logs. */
export function firstFailure(results: readonly Result[]): string {
  for (const { outcome } of results)
    if (!outcome.ok) return `${outcome.failure}: ${outcome.detail}`;
  return 'no address known';
}

/** `items` starting at index `start` (modulo its length), then the ones before. */
export function rotate<T>(items: readonly T[], start: number): readonly T[] {
  if (items.length === 0) return items;
  const at = start % items.length;
  return [...items.slice(at), ...items.slice(0, at)];
}
