/**
 * How often what is served changed, by cause: `meridian_answer_changes_total`.
 * One decision record counts once under each distinct cause kind it lists.
 */
import { Counter, type Registry } from 'prom-client';

export const DECISION_METRIC_NAMES = Object.freeze({
  answerChanges: 'meridian_answer_changes_total',
});

export interface DecisionMetrics {
  recordAnswerChange(cause: string): void;
}

/** Defines the metric on `registry`, with a zero series for each of `causeKinds`. */
export function createDecisionMetrics(
  registry: Registry,
  causeKinds: readonly string[],
): DecisionMetrics {
  const changes = new Counter({
    name: DECISION_METRIC_NAMES.answerChanges,
    help: 'Changes of the set of addresses served for a host and type, by cause kind.',
    labelNames: ['cause'] as const,
    registers: [registry],
  });
  for (const cause of causeKinds) changes.labels(cause).inc(0);
  return { recordAnswerChange: (cause) => changes.labels(cause).inc() };
}
