/**
 * Finds, after each table build, the hosts whose set of served addresses
 * changed, per type, and makes one decision record for each with the causes
 * that can explain it. The set is what some query can be answered with (the
 * chosen clusters for failover, every healthy target for round robin and
 * geoip), so a rotation or a weighted draw is never a change; for geoip each
 * address carries its datacenter, so a database reload that moves a target
 * is one.
 *
 * Cost: the previous build's address lists are kept by identity, and a build
 * reuses an unchanged Gslb's lists, so an unchanged host costs one map
 * look-up and one comparison; memory is one small entry per served host and
 * type.
 */
import type { GeoLocator } from '../table/geo-locator';
import type { GslbRecord } from '../table/model';
import type { NameEntry, RecordSnapshot } from '../table/snapshot';
import type { DecisionRecord, ScopedCause, ServedTarget } from './decisions';

/** What one build hands the differ. */
export interface BuildOutcome {
  readonly snapshot: RecordSnapshot;
  /** The records the table was built from (peers' targets merged in), by id. */
  readonly records: ReadonlyMap<string, GslbRecord>;
  readonly locator: GeoLocator | null;
  /** True when the geo database changed since the previous build. */
  readonly geoReloaded: boolean;
  readonly causes: readonly ScopedCause[];
  readonly time: string;
}

/** Who this Meridian is, for the records. */
export interface DifferIdentity {
  readonly geoTag: string;
  readonly replica: string;
  /** A fresh id for a cause made up by the differ (a change nothing announced). */
  readonly newId: () => string;
}

interface Known {
  readonly owner: string;
  readonly strategy: string;
  readonly served: readonly string[];
  readonly view: readonly ServedTarget[];
  readonly viewKey: string;
}

const TYPES = ['A', 'AAAA'] as const;

export class AnswerDiffer {
  private known = new Map<string, Known>();
  private readonly clustersOf = new WeakMap<GslbRecord, Map<string, string[]>>();

  constructor(private readonly identity: DifferIdentity) {}

  /** Served hosts and types remembered. */
  get size(): number {
    return this.known.size;
  }

  /**
   * Compares `outcome` with the previous build. Returns the records of what
   * changed; with `record` false it only remembers (answers not open yet).
   */
  observe(outcome: BuildOutcome, record: boolean): DecisionRecord[] {
    const changes: DecisionRecord[] = [];
    const next = new Map<string, Known>();
    const looked = new Set<string>();
    for (const [host, entry] of outcome.snapshot.names) {
      // Only a Gslb's own hosts: not empty names, nor the localtargets- copies peers read.
      if (!outcome.records.has(entry.owner)) continue;
      for (const type of TYPES) {
        const key = `${host} ${type}`;
        looked.add(key);
        const before = this.known.get(key);
        const now = this.current(entry, type, before, outcome);
        if (now !== null) next.set(key, now);
        const changed = record && before?.viewKey !== now?.viewKey;
        if (changed) changes.push(this.decision(host, type, before, now, outcome));
      }
    }
    if (record) changes.push(...this.gone(looked, outcome));
    this.known = next;
    return changes;
  }

  /** Records for what was served and is not any more, its host gone from the table. */
  private gone(looked: ReadonlySet<string>, outcome: BuildOutcome): DecisionRecord[] {
    const records: DecisionRecord[] = [];
    for (const [key, before] of this.known) {
      if (looked.has(key)) continue;
      const [host = '', type = 'A'] = key.split(' ');
      records.push(this.decision(host, type as 'A' | 'AAAA', before, null, outcome));
    }
    return records;
  }

  /** What is served for `host` and `type` now; null when nothing is. */
  private current(
    entry: NameEntry,
    type: 'A' | 'AAAA',
    before: Known | undefined,
    outcome: BuildOutcome,
  ): Known | null {
    const unchanged =
      before !== undefined &&
      before.served === entry.served &&
      before.owner === entry.owner &&
      !(outcome.geoReloaded && before.strategy === 'geoip');
    if (unchanged) return before;
    const addresses = entry.served.filter((a) => a.includes(':') === (type === 'AAAA'));
    if (addresses.length === 0) return null;
    const record = outcome.records.get(entry.owner)!;
    const strategy = record.strategy;
    const clusters = this.clusterMap(record);
    const locator = strategy === 'geoip' ? outcome.locator : null;
    const view = addresses.map((address) => targetOf(address, clusters, locator));
    return {
      owner: entry.owner,
      strategy,
      served: entry.served,
      view,
      viewKey: JSON.stringify([...view].sort((x, y) => (x.address < y.address ? -1 : 1))),
    };
  }

  /** The record of a change; `before` and `now` are never both missing. */
  private decision(
    host: string,
    type: 'A' | 'AAAA',
    before: Known | undefined,
    now: Known | null,
    outcome: BuildOutcome,
  ): DecisionRecord {
    const subject = (now ?? before)!;
    const { owner: gslb, strategy } = subject;
    const beforeView = before?.view ?? [];
    const afterView = now?.view ?? [];
    const peersInvolved = new Set([...beforeView, ...afterView].flatMap((t) => t.clusters));
    const causes = outcome.causes
      .filter((scoped) => explains(scoped, { host, gslb, strategy, peersInvolved }))
      .map((scoped) => scoped.cause);
    return {
      time: outcome.time,
      host,
      type,
      gslb,
      strategy,
      before: beforeView,
      after: afterView,
      causes: causes.length > 0 ? causes : [{ id: this.identity.newId(), kind: 'unknown' }],
      generation: outcome.snapshot.generation,
      serial: outcome.snapshot.serial,
      geoTag: this.identity.geoTag,
      replica: this.identity.replica,
    };
  }

  private clusterMap(record: GslbRecord): Map<string, string[]> {
    let map = this.clustersOf.get(record);
    if (map !== undefined) return map;
    map = new Map();
    for (const cluster of record.clusters)
      for (const address of cluster.addresses) {
        const tags = map.get(address);
        if (tags === undefined) map.set(address, [cluster.geoTag]);
        else if (!tags.includes(cluster.geoTag)) tags.push(cluster.geoTag);
      }
    this.clustersOf.set(record, map);
    return map;
  }
}

function targetOf(
  address: string,
  clusters: ReadonlyMap<string, readonly string[]>,
  locator: GeoLocator | null,
): ServedTarget {
  const served = { address, clusters: clusters.get(address) ?? [] };
  return locator === null ? served : { ...served, datacenter: locator.locateTarget(address) };
}

/** Whether `cause` can explain a change of `host` served by `gslb`. */
function explains(
  { cause, gslbs, hosts }: ScopedCause,
  change: {
    readonly host: string;
    readonly gslb: string;
    readonly strategy: string;
    readonly peersInvolved: ReadonlySet<string>;
  },
): boolean {
  if (cause.peer !== undefined)
    return (
      change.peersInvolved.has(cause.peer.geoTag) && (hosts === null || hosts.has(change.host))
    );
  if (cause.kind === 'geo-database-reloaded') return change.strategy === 'geoip';
  return gslbs === null || gslbs.has(change.gslb);
}
