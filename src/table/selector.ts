/**
 * What a strategy hands the answer path: a selector that returns the prepared
 * answer section for one query. Selectors are built with the snapshot; a
 * selector may keep a cursor (round-robin position) but never changes which
 * records exist.
 */
import type { SectionBytes } from '../dns/response';
import type { ClientSubnet } from '../dns/query';

/** The records chosen for one query and the client-subnet scope they hold for. */
export interface Selection {
  readonly section: SectionBytes;
  /** RFC 7871 SCOPE PREFIX-LENGTH; 0 when the answer does not depend on the client. */
  readonly scope: number;
}

/** Picks the answer records of one RRset for one query; synchronous and allocation-free. */
export interface RRSetSelector {
  select(clientSubnet: ClientSubnet | null): Selection;
}

/** Records of one type for one name, each encoded with owner pointer 0xC00C. */
export interface PreparedRecords {
  /** Every record, in the order the source gave them. */
  readonly records: readonly Buffer[];
}

/** Builds the selector for one RRset from a Gslb's strategy. */
export interface AnswerStrategy {
  readonly name: string;
  createSelector(prepared: PreparedRecords): RRSetSelector;
}
