/**
 * The immutable record table one query is answered from. Built off the query
 * path by build-snapshot.ts and swapped in whole by TableHolder; nothing in it
 * changes after the build except state inside selectors (round-robin cursors,
 * and geoip's per-scope selections, each made once on first use).
 */
import type { SectionBytes } from '../dns/response';
import type { RRSetSelector } from './selector';

/** A zone with its prepared apex records. */
export interface ZoneEntry {
  readonly name: string;
  readonly labelCount: number;
  /** SOA record without owner (TYPE onwards); the owner pointer is per query. */
  readonly soaTail: Buffer;
  /** The apex NS RRset with owner pointer 0xC00C. */
  readonly nameServers: SectionBytes;
}

/** A name that exists in the table. */
export interface NameEntry {
  readonly zone: ZoneEntry;
  readonly apex: boolean;
  readonly a: RRSetSelector | null;
  readonly aaaa: RRSetSelector | null;
  /** Gslb that owns the name ('' for the apex and empty non-terminals). */
  readonly owner: string;
  /**
   * The addresses some query of the name can be answered with, A first: the
   * strategy's choice of clusters (all of them for round robin and geoip,
   * the chosen ones for failover). What a Gslb's status reports as served.
   */
  readonly served: readonly string[];
}

/** One generation of the record table. */
export interface RecordSnapshot {
  /** SOA serial; increases with every snapshot (RFC 1982 arithmetic not needed before 2106). */
  readonly serial: number;
  /** Count of snapshots built since start. */
  readonly generation: number;
  /** Lower-case names (no trailing dot) → entry; includes every apex. */
  readonly names: ReadonlyMap<string, NameEntry>;
  readonly zones: ReadonlyMap<string, ZoneEntry>;
  /** Host names served by Gslbs (with or without usable targets), for metrics. */
  readonly hostCount: number;
  /** Address records in the table, for metrics. */
  readonly recordCount: number;
}
