/**
 * A step between the source's records and the table build that changes what
 * is served for reasons of its own (a drain, a failing probe). Each build
 * passes the records through every stage in order; a stage returns the
 * records as served, the causes of what it changed since its last call, and
 * when the clock alone will change its output (the pipeline wakes then). A
 * stage keeps an unchanged record's object, so the build reuses its work.
 */
import type { SealedRecord } from '../table/model';
import type { CauseInput } from './decisions';

/** What one stage serves in one build. */
export interface StageOutcome {
  readonly records: readonly SealedRecord[];
  /** What it changed since its last call, one cause each. */
  readonly causes: readonly CauseInput[];
  /** Wall-clock ms of its next change by the clock alone, or null. */
  readonly nextStepMs: number | null;
}

export interface RecordStage {
  /** The records as served at `nowMs`. Must not throw for one record's sake. */
  apply(records: readonly SealedRecord[], nowMs: number): StageOutcome;
  /**
   * Called once by the pipeline with what the stage calls when its output
   * changed without any input (a probe's verdict): a build follows.
   */
  attach?(wake: () => void): void;
}
