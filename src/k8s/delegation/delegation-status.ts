/**
 * What a ZoneDelegation's status says, computed as k8gb computes it: one
 * `{name, address}` per name-server address of every cluster, this cluster's
 * from its own glue and the peers' as the edge DNS resolves their glue
 * names, sorted by name then address. Plus Meridian's `Delegated` condition
 * (k8gb writes none) and k8gb's last-cluster rule. Pure.
 */
import type { NameServerEntry, WrittenCondition, ZoneDelegation } from './zone-delegation-object';

/** The condition type Meridian writes on every ZoneDelegation. */
export const DELEGATED = 'Delegated';

/** The state of the `Delegated` condition. */
export interface DelegatedState {
  readonly ok: boolean;
  /** CamelCase, as condition reasons are. */
  readonly reason: string;
  readonly message: string;
}

/** A condition as written into status.conditions. */
export type StatusCondition = WrittenCondition;

/** The entries of status.dnsServers, in k8gb's order (name, then address, as strings). */
export function statusEntries(byName: ReadonlyMap<string, readonly string[]>): NameServerEntry[] {
  const entries = [...byName].flatMap(([name, addresses]) =>
    [...new Set(addresses)].map((address) => ({ name, address })),
  );
  return entries.sort((a, b) => compare(a.name, b.name) || compare(a.address, b.address));
}

/** True when two status lists hold the same entries (k8gb compares them as multisets). */
export function sameEntries(a: readonly NameServerEntry[], b: readonly NameServerEntry[]): boolean {
  const key = (list: readonly NameServerEntry[]): string =>
    list
      .map((e) => `${e.name} ${e.address}`)
      .sort()
      .join('\n');
  return key(a) === key(b);
}

/**
 * k8gb's last-cluster rule: the status lists someone and only this
 * cluster's name server, so no peer's glue is left in the edge DNS and
 * withdrawing removes the whole delegation.
 */
export function isLastCluster(servers: readonly NameServerEntry[], ownName: string): boolean {
  return servers.length > 0 && servers.every((entry) => entry.name === ownName);
}

/** The `Delegated` condition, keeping its transition time while its status holds. */
export function delegatedCondition(
  delegation: ZoneDelegation,
  state: DelegatedState,
  now: Date,
): StatusCondition {
  const status = state.ok ? 'True' : 'False';
  const before = delegation.conditions.find((c) => c.type === DELEGATED);
  const since =
    before !== undefined && before.status === status && before.lastTransitionTime !== ''
      ? before.lastTransitionTime
      : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    type: DELEGATED,
    status,
    reason: state.reason,
    message: state.message.slice(0, 1024),
    lastTransitionTime: since,
    observedGeneration: delegation.generation,
  };
}

/** True when `condition` is what the object already says (its generation included). */
export function sameCondition(delegation: ZoneDelegation, condition: StatusCondition): boolean {
  const before = delegation.conditions.find((c) => c.type === DELEGATED);
  return (
    before !== undefined &&
    before.status === condition.status &&
    before.reason === condition.reason &&
    before.message === condition.message &&
    before.lastTransitionTime === condition.lastTransitionTime &&
    before.observedGeneration === condition.observedGeneration &&
    delegation.conditions.length === 1
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
