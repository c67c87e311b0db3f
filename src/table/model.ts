/**
 * The slim, source-independent description of what to serve. Sources
 * (standalone manifests, Kubernetes, the peer poller) produce these; the
 * builder turns them into a snapshot. A field exists here only when the answer
 * needs it.
 */

/** Strategy types of the k8gb Gslb CRD. */
export const STRATEGY_TYPES = ['roundRobin', 'failover', 'geoip'] as const;

/** One of STRATEGY_TYPES. */
export type StrategyType = (typeof STRATEGY_TYPES)[number];

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
}

/**
 * The strategy's parameters from `spec.strategy`. All optional, so that a
 * record without them behaves as before they existed.
 */
export interface StrategyParameters {
  /** failover: the geotag that serves alone while healthy (k8gb). */
  readonly primaryGeoTag?: string | undefined;
  /** failover: where to go, in this order, while the primary is down (Meridian). */
  readonly fallbackGeoTags?: readonly string[] | undefined;
  /**
   * roundRobin: geotag → weight 0..1000 (k8gb's `spec.strategy.weight`).
   * With at least one entry each answer holds the targets of one cluster,
   * drawn in proportion to these weights; a geotag without an entry weighs 0.
   */
  readonly weights?: Readonly<Record<string, number>> | undefined;
  /** Serve every known target, though unhealthy, when none is healthy (Meridian). */
  readonly failOpen?: boolean | undefined;
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

/** Default TTL when a Gslb sets none or 0 (k8gb writes 30 back). */
export const DEFAULT_TTL_SECONDS = 30;
