/**
 * The vocabulary of decision records: why and how the answer set of a host
 * changed. Banks must keep records of what their systems did before and
 * during a disruption and show why a switchover happened; a record ties each
 * change of what is served to the inputs that caused it (a Kubernetes object
 * at a version, a peer's failed polls, a database reload). Types only.
 */

/** What changed an input of the table. */
export type CauseKind =
  | 'gslb-changed'
  | 'gslb-deleted'
  | 'endpoints-ready-changed'
  | 'ingress-changed'
  | 'service-changed'
  | 'route-changed'
  | 'exposed-hostname-changed'
  | 'manifests-changed'
  | 'resync'
  | 'peer-up'
  | 'peer-down'
  | 'peer-targets-changed'
  | 'geo-database-reloaded'
  | 'drain'
  | 'probe-failed'
  | 'probe-recovered'
  | 'many-changes'
  | 'unknown';

/** Every cause kind, for closed metric labels and docs. */
export const CAUSE_KINDS: readonly CauseKind[] = [
  'gslb-changed',
  'gslb-deleted',
  'endpoints-ready-changed',
  'ingress-changed',
  'service-changed',
  'route-changed',
  'exposed-hostname-changed',
  'manifests-changed',
  'resync',
  'peer-up',
  'peer-down',
  'peer-targets-changed',
  'geo-database-reloaded',
  'drain',
  'probe-failed',
  'probe-recovered',
  'many-changes',
  'unknown',
];

/** The object behind a cause, at the version that was read. */
export interface CauseObject {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  /** A manifest file, in standalone mode. */
  readonly file?: string;
}

/** The peer behind a cause, as the last poll saw it. */
export interface CausePeer {
  readonly geoTag: string;
  readonly state: 'up' | 'down';
  /** Consecutive polls that got no answer. */
  readonly failedPolls: number;
  readonly lastError: string | null;
  /** Wall-clock ms of the peer's last answer, or null. */
  readonly lastSuccessMs: number | null;
}

/** Why an input changed, as records carry it. One cause may explain many records: they share its id. */
export interface Cause {
  readonly id: string;
  readonly kind: CauseKind;
  readonly object?: CauseObject;
  readonly peer?: CausePeer;
  readonly detail?: string;
  /** Who asked for the change, where a person did (a drain). */
  readonly requestedBy?: string;
}

/** A cause as an input hands it in, with what it can change. */
export interface CauseInput {
  readonly kind: CauseKind;
  readonly object?: CauseObject;
  readonly peer?: CausePeer;
  readonly detail?: string;
  readonly requestedBy?: string;
  /**
   * The Gslbs (record ids) this cause can change; absent means any (a
   * database reload, a resync). Peer causes name none: they explain a
   * record whose clusters include the peer.
   */
  readonly gslbs?: readonly string[];
  /** For peer-targets-changed: the hosts whose answers from the peer changed. */
  readonly hosts?: readonly string[];
}

/** A cause with its id and its scope as sets, for matching records to causes. */
export interface ScopedCause {
  readonly cause: Cause;
  readonly gslbs: ReadonlySet<string> | null;
  readonly hosts: ReadonlySet<string> | null;
}

/** One address served for a host, with the clusters that serve it (and its datacenter, for geoip). */
export interface ServedTarget {
  readonly address: string;
  readonly clusters: readonly string[];
  /** For geoip: the datacenter the database places the address in, or null. */
  readonly datacenter?: string | null;
}

/** A change of the set of addresses served for one host and type. */
export interface DecisionRecord {
  /** ISO 8601 time of the table build that made the change. */
  readonly time: string;
  readonly host: string;
  readonly type: 'A' | 'AAAA';
  /** The Gslb (record id) serving the host after the change, or before it when none does now. */
  readonly gslb: string;
  readonly strategy: string;
  readonly before: readonly ServedTarget[];
  readonly after: readonly ServedTarget[];
  /** The TTL served before and after, when it changed (a drain lowers it). */
  readonly ttl?: { readonly before: number; readonly after: number };
  readonly causes: readonly Cause[];
  readonly generation: number;
  readonly serial: number;
  readonly geoTag: string;
  readonly replica: string;
}

/** Hears the records of each build that changed an answer set. */
export type DecisionListener = (records: readonly DecisionRecord[]) => void;
