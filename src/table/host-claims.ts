/**
 * Who serves a host that several Gslbs name, and who may name it at all.
 * The first claim keeps the host: a Gslb created later for a host another
 * team already serves gets a problem, never the host (a newer object taking
 * over an older one's answers would be a hijack in a shared cluster). And
 * where a platform segregates tenants, a host policy says which namespaces
 * may claim which name suffixes. Pure.
 */
import type { GslbRecord } from './model';

export type { Claim } from './model';

/** Namespace → the name suffixes its Gslbs may claim (a host is the suffix or below it). */
export type HostPolicy = ReadonlyMap<string, readonly string[]>;

/** Why a contested host stays with its first claim, or a host is refused by the policy. */
export type ClaimProblemKind = 'host-conflict' | 'host-not-allowed';

/** Orders Gslbs by claim, earliest first: claimed before unclaimed, then tiebreak, then id. */
export function byClaim(x: GslbRecord, y: GslbRecord): number {
  const xSince = x.claim?.since ?? Infinity;
  const ySince = y.claim?.since ?? Infinity;
  if (xSince !== ySince) return xSince < ySince ? -1 : 1;
  return compare(x.claim?.tiebreak ?? '', y.claim?.tiebreak ?? '') || compare(x.id, y.id);
}

/** Why `policy` refuses `host` to Gslb `gslbId` (`namespace/name`), or null when it may claim it. */
export function refusedByPolicy(
  policy: HostPolicy | null | undefined,
  gslbId: string,
  host: string,
): string | null {
  if (policy === null || policy === undefined) return null;
  const namespace = gslbId.slice(0, gslbId.indexOf('/'));
  const suffixes = policy.get(namespace) ?? [];
  if (suffixes.some((suffix) => host === suffix || host.endsWith(`.${suffix}`))) return null;
  return suffixes.length === 0
    ? `namespace ${namespace} may claim no host (MERIDIAN_HOST_POLICY)`
    : `namespace ${namespace} may claim only hosts under ${suffixes.join(', ')} (MERIDIAN_HOST_POLICY)`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
