/**
 * What writes one zone's delegation into its parent for the ZoneDelegation
 * controller of Kubernetes mode: RFC 2136 updates (rfc2136-provider.ts) or
 * a DNSEndpoint for external-dns (src/k8s/delegation/external-dns-provider.ts).
 * Each call is bounded and never rejects; the outcome becomes the object's
 * `Delegated` condition and, when it changes, an Event.
 */

/** One zone's delegation as this cluster writes it. */
export interface DelegationTarget {
  readonly zone: string;
  readonly parent: string;
  /** This cluster's name server for the zone, and its glue. */
  readonly nameServer: string;
  readonly glue: readonly string[];
  /** Every cluster's name server the status lists (this one's included). */
  readonly nameServers: readonly string[];
  readonly ttlSeconds: number;
}

/** What became of a write or a withdrawal. */
export type ProviderOutcome =
  | { readonly ok: true; readonly detail: string }
  | {
      readonly ok: false;
      /** CamelCase, for the condition's reason: `UpdateRefused`, `ParentUnreachable`, … */
      readonly reason: string;
      readonly detail: string;
    };

/** A way of writing delegations. */
export interface DelegationProvider {
  /** `rfc2136` or `external-dns`, for logs and status. */
  readonly name: string;
  /** Puts this cluster's NS record and glue in place (repairing drift). */
  write(target: DelegationTarget, signal: AbortSignal): Promise<ProviderOutcome>;
  /**
   * Withdraws this cluster's part; `last` when no other cluster's name server
   * is left (k8gb's rule), so the provider may remove the whole delegation.
   * `delay`: done for now, call again later (external-dns, not last).
   */
  withdraw(
    target: DelegationTarget,
    last: boolean,
    signal: AbortSignal,
  ): Promise<ProviderOutcome | { readonly ok: 'delay'; readonly detail: string }>;
}
