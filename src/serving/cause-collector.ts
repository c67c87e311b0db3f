/**
 * The causes announced since the last table build, bounded: a burst of
 * thousands of changes keeps the first MAX_CAUSES_PER_BUILD and one
 * `many-changes` cause standing for the rest. Taken once per build, each
 * with a fresh id, its scope as sets for matching.
 */
import type { CauseInput, ScopedCause } from './decisions';

/** Causes kept for one build. */
export const MAX_CAUSES_PER_BUILD = 1_000;

export class CauseCollector {
  private causes: CauseInput[] = [];
  private leftOut = 0;

  constructor(private readonly newId: () => string) {}

  add(causes: readonly CauseInput[]): void {
    for (const cause of causes)
      if (this.causes.length < MAX_CAUSES_PER_BUILD) this.causes.push(cause);
      else this.leftOut++;
  }

  /** The causes since the last take, with ids; empties the collector. */
  take(): ScopedCause[] {
    const inputs = this.causes;
    if (this.leftOut > 0)
      inputs.push({ kind: 'many-changes', detail: `${this.leftOut} more causes` });
    this.causes = [];
    this.leftOut = 0;
    return inputs.map(({ gslbs, hosts, ...cause }) => ({
      cause: { id: this.newId(), ...cause },
      gslbs: gslbs === undefined ? null : new Set(gslbs),
      hosts: hosts === undefined ? null : new Set(hosts),
    }));
  }
}
