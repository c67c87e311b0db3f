/**
 * A ZoneDelegation (k8gb.io/v1beta1, cluster-scoped) reduced at the edge to
 * what the delegation controller reads. Anyone who may write the CRD can
 * write anything the schema lets through (or, on an apiserver without the
 * schema, anything at all), so every field is checked here: an object that
 * fails gets its problem reported on itself and is never written for; the
 * others are unaffected. Pure.
 */
import { canonicalAddress, isServableAddress } from '../../dns/addresses';
import { canonicalName, checkName } from '../../dns/names';
import type { KubeObject } from '../client/kube-api';
import { at, list, text } from '../ingest/json-fields';

/** The finalizer k8gb puts on ZoneDelegations, kept so that the two can hand over. */
export const ZONE_DELEGATION_FINALIZER = 'k8gb.io/finalizer';

/** status.dnsServers is read up to this many entries; a peer list is a handful. */
export const MAX_STATUS_SERVERS = 256;

/** One entry of status.dnsServers: a name server's glue name and one of its addresses. */
export interface NameServerEntry {
  readonly name: string;
  readonly address: string;
}

/** A condition of status.conditions as last written, to keep its transition time. */
export interface WrittenCondition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration: number;
}

/** The fields of a ZoneDelegation the controller reads. */
export interface ZoneDelegation {
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly generation: number;
  /** The load-balanced zone, canonical (lower case, no trailing dot). */
  readonly zone: string;
  readonly parent: string;
  readonly negativeTtlSeconds: number;
  /** Withdraw the delegation when the object is deleted (k8gb's spec.doFinalize). */
  readonly doFinalize: boolean;
  readonly deleting: boolean;
  readonly finalizers: readonly string[];
  /** status.dnsServers as written, valid entries only. */
  readonly servers: readonly NameServerEntry[];
  /** status.conditions as written (at most 8, well-formed ones only). */
  readonly conditions: readonly WrittenCondition[];
}

/** A ZoneDelegation, or why it cannot be acted on (with enough to report it). */
export type ReadZoneDelegation =
  | { readonly ok: true; readonly delegation: ZoneDelegation }
  | {
      readonly ok: false;
      readonly name: string;
      readonly uid: string;
      readonly resourceVersion: string;
      readonly generation: number;
      readonly problem: string;
    };

/** Reduces `object`; never throws. */
export function readZoneDelegation(object: KubeObject): ReadZoneDelegation {
  const { metadata } = object;
  const identity = {
    name: text(metadata.name),
    uid: text(metadata.uid),
    resourceVersion: text(metadata.resourceVersion),
    generation: typeof metadata.generation === 'number' ? metadata.generation : 0,
  };
  const zone = canonicalName(text(at(object, 'spec', 'loadBalancedZone')));
  const parent = canonicalName(text(at(object, 'spec', 'parentZone')));
  const negTtl = at(object, 'spec', 'dnsZoneNegTTL');
  const problem =
    checkName(zone) ??
    checkName(parent) ??
    (zone.endsWith(`.${parent}`) ? null : `${zone} is not under its parent zone ${parent}`) ??
    (Number.isInteger(negTtl) && (negTtl as number) >= 0 && (negTtl as number) <= 2_147_483_647
      ? null
      : 'spec.dnsZoneNegTTL must be an integer from 0 to 2147483647');
  if (problem !== null) return { ok: false, ...identity, problem: `spec: ${problem}` };
  return {
    ok: true,
    delegation: {
      ...identity,
      zone,
      parent,
      negativeTtlSeconds: negTtl as number,
      doFinalize: at(object, 'spec', 'doFinalize') === true,
      deleting: typeof metadata['deletionTimestamp'] === 'string',
      finalizers: list(metadata['finalizers']).filter((f): f is string => typeof f === 'string'),
      servers: statusServers(at(object, 'status', 'dnsServers')),
      conditions: statusConditions(at(object, 'status', 'conditions')),
    },
  };
}

/** The valid entries of status.dnsServers (at most MAX_STATUS_SERVERS), canonical. */
function statusServers(value: unknown): NameServerEntry[] {
  return list(value)
    .slice(0, MAX_STATUS_SERVERS)
    .flatMap((entry) => {
      const name = canonicalName(text(at(entry, 'name')));
      const address = text(at(entry, 'address'));
      if (checkName(name) !== null || !isServableAddress(address)) return [];
      return [{ name, address: canonicalAddress(address) }];
    });
}

/** The well-formed entries of status.conditions, at most 8. */
function statusConditions(value: unknown): WrittenCondition[] {
  return list(value)
    .slice(0, 8)
    .map((entry) => ({
      type: text(at(entry, 'type')),
      status: text(at(entry, 'status')),
      reason: text(at(entry, 'reason')),
      message: text(at(entry, 'message')),
      lastTransitionTime: text(at(entry, 'lastTransitionTime')),
      observedGeneration: Number(at(entry, 'observedGeneration') ?? 0) || 0,
    }))
    .filter((condition) => condition.type !== '');
}
