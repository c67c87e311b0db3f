/**
 * The slim, source-independent description of what to serve. Sources
 * (standalone manifests, Kubernetes, the peer poller) produce these; the
 * builder turns them into a snapshot. A field exists here only when the answer
 * needs it.
 */

import type { StrategyParameters } from '../gslb/gslb-spec';
import type { GslbProbe } from '../gslb/probe-spec';
import type { StrategyType } from '../gslb/k8gb-naming';

/** The targets one cluster contributes to a host. */
export interface ClusterTargets {
  readonly geoTag: string;
  /** Canonical IPv4 or IPv6 text. */
  readonly addresses: readonly string[];
  /**
   * Whether these targets may be served. Absent means healthy, so that a
   * source that lists only healthy clusters (k8gb's model: a cluster whose
   * application is down publishes nothing) needs no flag. An unhealthy
   * cluster is listed only to keep its last known addresses for a Gslb that
   * fails open.
   */
  readonly healthy?: boolean | undefined;
  /**
   * This cluster took its targets out on purpose (a drain): none are served,
   * even by a Gslb that fails open, and `localtargets-<host>` answers NODATA.
   */
  readonly withdrawn?: boolean | undefined;
  /**
   * This cluster's targets withdrawn by their probe, as `address:port error`
   * (probes/probe-stage.ts), for the status; not served either way.
   */
  readonly probeFailures?: readonly string[] | undefined;
}

/**
 * A drain as declared on an object (an annotation), which survives restarts:
 * the table serves the drain TTL from `sinceMs`, and withdraws this cluster's
 * targets once the Gslb's own TTL has passed since then (serving/drains.ts).
 */
export interface DrainRequest {
  /** Wall-clock ms the drain was asked for; the TTL wait counts from here. NaN: unknown, from first sight. */
  readonly sinceMs: number;
  /** Who asked: the requested-by annotation, the object's last manager, or the manifest file. */
  readonly requestedBy: string;
  /** The object carrying the declaration. */
  readonly declaredOn: {
    readonly kind: string;
    readonly namespace?: string;
    readonly name: string;
    readonly resourceVersion?: string;
    readonly file?: string;
  };
}

/** When a Gslb first claimed its hosts; the earlier claim keeps a contested host. */
export interface Claim {
  /** Milliseconds since the epoch: creation time (Kubernetes) or first sighting (manifests). */
  readonly since: number;
  /** Orders claims made at the same time (a uid, say); the Gslb id decides last. */
  readonly tiebreak: string;
}

/** A Gslb reduced to what the record table needs. */
export interface GslbRecord extends StrategyParameters {
  /** `namespace/name`: identifies the Gslb in problems and logs. */
  readonly id: string;
  /** Lower-case host names without trailing dot. */
  readonly hosts: readonly string[];
  readonly strategy: StrategyType;
  readonly ttlSeconds: number;
  /**
   * Every cluster known to serve the hosts, this one included, in a stable
   * order: where a strategy serves several clusters' targets in a fixed
   * order, it is this order.
   */
  readonly clusters: readonly ClusterTargets[];
  /** When the Gslb claimed its hosts; absent sorts after every claim (host-claims.ts). */
  readonly claim?: Claim | undefined;
  /** This cluster is drained for the Gslb; absent: not drained (a cluster-wide drain comes apart). */
  readonly drain?: DrainRequest | undefined;
  /** Who last changed the Gslb's drain declaration, set or removed (for the undrain's records). */
  readonly drainChangedBy?: string | undefined;
  /** `spec.probe`: this cluster's targets are served only while their probe passes. */
  readonly probe?: GslbProbe | undefined;
}

/** A load-balanced zone, as configured by DNS_ZONES. */
export interface ZoneSpec {
  /** Lower-case zone name without trailing dot, e.g. `cloud.example.org`. */
  readonly name: string;
  /** Parent (edge) zone holding the delegation, e.g. `example.org`. */
  readonly parent: string;
  /** Negative-caching TTL: SOA TTL and MINIMUM. */
  readonly negativeTtlSeconds: number;
  /** Names of this zone's name servers, as delegated from the parent. */
  readonly nameServers: readonly string[];
  readonly nameServerTtlSeconds: number;
}

declare const SEALED: unique symbol;

/**
 * A GslbRecord that can no longer change: it and everything it holds are
 * frozen, so the same object always means the same content. That is the
 * contract table builds rely on to reuse what they prepared for a record
 * (BuildReuse) and peer merges rely on to hand back the same merged record
 * (PeerMergeMemo): a source that keeps an unchanged record's object pays only
 * for what changed, and one that makes new objects pays a full preparation,
 * never a wrong answer. Only {@link sealRecord} makes one.
 */
export type SealedRecord = GslbRecord & { readonly [SEALED]: true };

/** Freezes `record` and what it holds, and returns it as a SealedRecord. */
export function sealRecord(record: GslbRecord): SealedRecord {
  if (isSealed(record)) return record;
  for (const cluster of record.clusters) {
    Object.freeze(cluster.addresses);
    if (cluster.probeFailures !== undefined) Object.freeze(cluster.probeFailures);
    Object.freeze(cluster);
  }
  Object.freeze(record.clusters);
  Object.freeze(record.hosts);
  if (record.drain !== undefined) Object.freeze(record.drain);
  if (record.probe !== undefined) Object.freeze(record.probe);
  if (record.weights !== undefined) Object.freeze(record.weights);
  if (record.fallbackGeoTags !== undefined) Object.freeze(record.fallbackGeoTags);
  return Object.freeze(record) as SealedRecord;
}

/** True when `record` was sealed (its object and its lists are frozen). */
export function isSealed(record: GslbRecord): record is SealedRecord {
  return (
    Object.isFrozen(record) && Object.isFrozen(record.clusters) && Object.isFrozen(record.hosts)
  );
}
