/**
 * The decision records as log lines, one per record with its own message and
 * code so that log pipelines can route them, and as the per-cause counter.
 */
import type { DecisionMetrics } from '../telemetry/decision-metrics';
import type { Logger } from '../telemetry/logger';
import type { DecisionListener } from './decisions';

/** The code of a decision log line; not an error (docs/decisions.md). */
export const DECISION_CODE = 'MERIDIAN_ANSWER_CHANGED';

export function decisionLog(logger: Logger, metrics: DecisionMetrics): DecisionListener {
  return (records) => {
    for (const record of records) {
      for (const kind of new Set(record.causes.map((c) => c.kind)))
        metrics.recordAnswerChange(kind);
      logger.info(
        { ...record, code: DECISION_CODE },
        `answer changed: ${record.host} ${record.type} ${addresses(record.before)} → ${addresses(record.after)}`,
      );
    }
  };
}

function addresses(targets: readonly { readonly address: string }[]): string {
  return targets.length === 0 ? '(none)' : targets.map((t) => t.address).join(',');
}
