/**
 * roundRobin: every healthy target, the order rotating by one on each query.
 * All rotations are views into one buffer holding the records twice, so a
 * query costs an index increment and no allocation.
 */
import type { AnswerStrategy, PreparedRecords, RRSetSelector, Selection } from '../selector';

class RotatingSelector implements RRSetSelector {
  private readonly rotations: readonly Selection[];
  private cursor = 0;

  constructor(rotations: readonly Selection[]) {
    this.rotations = rotations;
  }

  select(): Selection {
    const selection = this.rotations[this.cursor] as Selection;
    this.cursor = this.cursor + 1 === this.rotations.length ? 0 : this.cursor + 1;
    return selection;
  }
}

/** Creates the roundRobin strategy. */
export function roundRobinStrategy(): AnswerStrategy {
  return { name: 'roundRobin', createSelector: createRotatingSelector };
}

/**
 * Returns a selector rotating through `prepared.records`. Records of one RRset
 * share one type and so one length, which makes every rotation a contiguous
 * window of the doubled buffer.
 */
export function createRotatingSelector(prepared: PreparedRecords): RRSetSelector {
  const records = prepared.records;
  const recordLength = records[0]?.length ?? 0;
  if (records.some((record) => record.length !== recordLength)) {
    throw new Error('round-robin needs records of equal length');
  }
  const doubled = Buffer.concat([...records, ...records]);
  const rotations: Selection[] = records.map((_, start) => ({
    section: {
      bytes: doubled.subarray(start * recordLength, (start + records.length) * recordLength),
      count: records.length,
    },
    scope: 0,
  }));
  return new RotatingSelector(rotations);
}
