/**
 * What a strategy hands the answer path: a selector that returns the prepared
 * answer section for one query. Selectors are built with the snapshot; a
 * selector may keep a cursor (round-robin position) or memoise (geoip's
 * per-scope selections) but never changes which records exist.
 */
import type { SectionBytes } from '../dns/response';
import type { ClientSubnet } from '../dns/query';
import type { GeoLocator } from './geo-locator';

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

/** One cluster's records of one type (A or AAAA), encoded once per Gslb. */
export interface ClusterRecords {
  readonly geoTag: string;
  readonly healthy: boolean;
  /** Canonical addresses, each once, in the order the source gave them. */
  readonly addresses: readonly string[];
  /** `records[i]` answers `addresses[i]`, with owner pointer 0xC00C. */
  readonly records: readonly Buffer[];
}

/** What a strategy may consult besides the records. */
export interface SelectorContext {
  /** Uniform numbers in [0, 1), drawn per query by weighted roundRobin. */
  readonly random: () => number;
  /** Datacenters for geoip; null when no database is configured. */
  readonly locator: GeoLocator | null;
}

/**
 * A selector prepared once per RRset of a Gslb, buffers included; `create`
 * gives each host its own selector, so that cursors are per name.
 */
export interface SelectorPlan {
  /** Distinct records that some query can be answered with. */
  readonly recordCount: number;
  /** Their addresses, in the plan's order: what a status reports as served. */
  readonly addresses: readonly string[];
  create(): RRSetSelector;
}
