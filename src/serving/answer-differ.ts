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
 * look-up and one insertion; memory is one small entry per served host.
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

/** What one type of a host served, as the decision records show it. */
interface TypeView {
  readonly view: readonly ServedTarget[];
  /** The view sorted, as text: equal text, same set of addresses and clusters. */
  readonly key: string;
}

/** What the previous build served for a host; its types null when they served nothing. */
interface Known {
  readonly owner: string;
  readonly strategy: string;
  readonly served: readonly string[];
  /** The TTL served; a change of it alone (a drain's first step) is a change too. */
  readonly ttl: number;
  readonly A: TypeView | null;
  readonly AAAA: TypeView | null;
}

const TYPES = ['A', 'AAAA'] as const;

/** One type's change of a host, served by `subject`'s Gslb. */
interface TypeChange {
  readonly type: 'A' | 'AAAA';
  readonly subject: Known;
  readonly before: TypeView | null;
  readonly now: TypeView | null;
  readonly ttl: DecisionRecord['ttl'];
}

/** How `type` of a host changed from `before` to `now`, or null when it did not. */
function typeChange(
  type: 'A' | 'AAAA',
  before: Known | undefined,
  now: Known | undefined,
): TypeChange | null {
  const was = before?.[type] ?? null;
  const is = now?.[type] ?? null;
  const ttl = was !== null && is !== null ? ttlChange(before!, now!) : undefined;
  if (was?.key === is?.key && ttl === undefined) return null;
  // A type that is gone belonged to the Gslb that served it.
  const subject = (is !== null ? now : before)!;
  return { type, subject, before: was, now: is, ttl };
}

/** The TTL's change between two served states of a host, or undefined when none. */
function ttlChange(before: Known, now: Known): DecisionRecord['ttl'] {
  if (before.ttl === now.ttl) return undefined;
  return { before: before.ttl, after: now.ttl };
}

export class AnswerDiffer {
  private known = new Map<string, Known>();
  private readonly clustersOf = new WeakMap<GslbRecord, Map<string, string[]>>();

  constructor(private readonly identity: DifferIdentity) {}

  /** Served hosts remembered. */
  get size(): number {
    return this.known.size;
  }

  /**
   * Compares `outcome` with the previous build. Returns the records of what
   * changed; with `record` false it only remembers (answers not open yet).
   * An unchanged host (the same address list, which builds reuse) costs one
   * look-up and one insertion.
   */
  observe(outcome: BuildOutcome, record: boolean): DecisionRecord[] {
    const changes: DecisionRecord[] = [];
    const next = new Map<string, Known>();
    for (const [host, entry] of outcome.snapshot.names) {
      // Only a Gslb's own hosts: not empty names, nor the localtargets- copies peers read.
      if (!outcome.records.has(entry.owner)) continue;
      const before = this.known.get(host);
      if (before !== undefined && this.unchanged(before, entry, outcome)) {
        next.set(host, before);
        continue;
      }
      const now = this.current(entry, outcome);
      next.set(host, now);
      if (record) changes.push(...this.compare(host, before, now, outcome));
    }
    if (record)
      for (const [host, before] of this.known)
        if (!next.has(host)) changes.push(...this.compare(host, before, undefined, outcome));
    this.known = next;
    return changes;
  }

  private unchanged(before: Known, entry: NameEntry, outcome: BuildOutcome): boolean {
    return (
      before.served === entry.served &&
      before.owner === entry.owner &&
      before.ttl === outcome.records.get(entry.owner)?.ttlSeconds &&
      !(outcome.geoReloaded && before.strategy === 'geoip')
    );
  }

  /** The records of the types whose view differs between `before` and `now`. */
  private compare(
    host: string,
    before: Known | undefined,
    now: Known | undefined,
    outcome: BuildOutcome,
  ): DecisionRecord[] {
    const records: DecisionRecord[] = [];
    for (const type of TYPES) {
      const change = typeChange(type, before, now);
      if (change !== null) records.push(this.decision(host, change, outcome));
    }
    return records;
  }

  /** What is served for the host of `entry` now, per type. */
  private current(entry: NameEntry, outcome: BuildOutcome): Known {
    const record = outcome.records.get(entry.owner)!;
    const strategy = record.strategy;
    const clusters = this.clusterMap(record);
    const locator = strategy === 'geoip' ? outcome.locator : null;
    const viewOf = (ipv6: boolean): TypeView | null => {
      const addresses = entry.served.filter((a) => a.includes(':') === ipv6);
      if (addresses.length === 0) return null;
      const view = addresses.map((address) => targetOf(address, clusters, locator));
      const sorted = [...view].sort((x, y) => (x.address < y.address ? -1 : 1));
      return { view, key: JSON.stringify(sorted) };
    };
    return {
      owner: entry.owner,
      strategy,
      served: entry.served,
      ttl: record.ttlSeconds,
      A: viewOf(false),
      AAAA: viewOf(true),
    };
  }

  /** The record of a change of `type` of `host`, served by `subject`'s Gslb. */
  private decision(host: string, change: TypeChange, outcome: BuildOutcome): DecisionRecord {
    const { type, subject, before, now, ttl } = change;
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
      ...(ttl === undefined ? {} : { ttl }),
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
