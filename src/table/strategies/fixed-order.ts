/**
 * The answer for strategies whose multi-cluster choice is made when the table
 * is built (failover, and geoip without a database): every target, in the
 * order the builder put them, the same for every query.
 */
import type { AnswerStrategy, PreparedRecords, RRSetSelector, Selection } from '../selector';

/** Creates a strategy that always serves the records in their given order. */
export function fixedOrderStrategy(name: string): AnswerStrategy {
  return { name, createSelector: createFixedSelector };
}

function createFixedSelector(prepared: PreparedRecords): RRSetSelector {
  const selection: Selection = {
    section: { bytes: Buffer.concat([...prepared.records]), count: prepared.records.length },
    scope: 0,
  };
  return { select: () => selection };
}
