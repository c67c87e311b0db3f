/**
 * The slim, source-independent description of what to serve. Sources
 * (standalone manifests now, Kubernetes and peers later) produce these; the
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
}

/** A Gslb reduced to what the record table needs. */
export interface GslbRecord {
  /** `namespace/name`: identifies the Gslb in problems and logs. */
  readonly id: string;
  /** Lower-case host names without trailing dot. */
  readonly hosts: readonly string[];
  readonly strategy: StrategyType;
  readonly ttlSeconds: number;
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
