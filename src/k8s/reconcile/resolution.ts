/**
 * The vocabulary of resolving a Gslb: what resolution reads (ResolveContext,
 * the hostname cache's answers), what it yields (a Resolution: records,
 * per-host health, the status fields, the Ready reason) and NotServed, how
 * any step of it refuses a Gslb. Types only, apart from that error and isServed.
 */
import type { GslbRecord } from '../../table/model';

/** Local health of a host, k8gb's three values. */
export type HostHealth = 'Healthy' | 'Unhealthy' | 'NotFound';

/** Why a Gslb is or is not served; the `reason` of its Ready condition. */
export type ReadyReason =
  | 'Serving'
  | 'NoHealthyHosts'
  | 'InvalidSpec'
  | 'UnsupportedResource'
  | 'ResourceNotFound'
  | 'AmbiguousResourceRef'
  | 'NoHostInZone'
  | 'ExposedAddressesUnresolved'
  | 'HostsNotServed'
  | 'HostConflict'
  | 'HostNotAllowed'
  | 'LegacyIgnored'
  | 'ResolutionFailed';

/**
 * Reasons of a Gslb that is served as resolved: Serving, and NoHealthyHosts,
 * which is not Ready (nothing of this cluster is healthy) yet keeps its
 * records, so that peers' targets are answered and this cluster's return as
 * soon as a host does.
 */
const SERVED_REASONS: ReadonlySet<ReadyReason> = new Set(['Serving', 'NoHealthyHosts']);

/** True when the Gslb's records are served as resolved (not a last-good version, not withheld). */
export function isServed(resolution: { readonly reason: ReadyReason }): boolean {
  return SERVED_REASONS.has(resolution.reason);
}

/** The answer of the hostname cache: addresses, not known yet, or a failure. */
export type HostnameLookup =
  | { readonly state: 'resolved'; readonly addresses: readonly string[] }
  | { readonly state: 'pending' }
  | { readonly state: 'failed'; readonly error: string };

/** Configuration and caches resolution reads. */
export interface ResolveContext {
  readonly geoTag: string;
  readonly defaultTtlSeconds: number;
  /** CLUSTER_EXPOSED_IPS, canonical. */
  readonly clusterExposedIps: readonly string[];
  /** True when `host` lies in a configured zone. */
  readonly inZone: (host: string) => boolean;
  readonly lookupHostname: (name: string) => HostnameLookup;
}

/** `status.servers[]` as k8gb writes it. */
export interface ServerStatus {
  readonly host: string;
  readonly services: readonly { readonly name: string; readonly namespace: string }[];
}

/** A resolved Gslb. */
export interface Resolution {
  readonly reason: ReadyReason;
  readonly message: string;
  /** What to serve; empty when not served. */
  readonly records: readonly GslbRecord[];
  readonly health: Readonly<Record<string, HostHealth>>;
  readonly healthyRecords: Readonly<Record<string, readonly string[]>>;
  /**
   * The clusters (geotags) whose targets the table answers for each host,
   * peers included; absent until the table has said (then only the local
   * targets are known).
   */
  readonly answeredFrom?: Readonly<Record<string, readonly string[]>>;
  /** This cluster's targets withdrawn by their probe, per host (`address:port error`). */
  readonly probeFailures?: Readonly<Record<string, readonly string[]>>;
  readonly exposedIps: readonly string[];
  readonly servers: readonly ServerStatus[];
  /** In-zone hosts. */
  readonly hosts: readonly string[];
  /**
   * True for a problem in the Gslb itself or in resolving its exposed host
   * names: whatever it served before keeps serving until it is fixed.
   */
  readonly keepLastGood: boolean;
  /**
   * True while an exposed host name is still being looked up for the first
   * time: not news, so no status or Event is written until it settles.
   */
  readonly pending?: boolean;
  /**
   * True when resolution failed in a way no input should cause (a defect):
   * reported on this Gslb only, counted as an internal error.
   */
  readonly failed?: boolean;
}

/** Thrown inside resolution; becomes a not-Ready Resolution. */
export class NotServed extends Error {
  constructor(
    readonly reason: Exclude<ReadyReason, 'Serving'>,
    message: string,
    readonly pending = false,
  ) {
    super(message);
  }
}
