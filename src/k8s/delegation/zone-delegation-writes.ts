/**
 * The requests the ZoneDelegation controller sends, as data: the objects
 * bootstrapped from DNS_ZONES (named and filled as k8gb's bootstrap does),
 * the finalizer patches (with the resourceVersion read, so a concurrent
 * change is a 409 and the next pass reads again), the status patch, and
 * Events, built as every Meridian Event is (planned-write.ts). Pure.
 */
import type { ZoneSpec } from '../../table/model';
import { eventBody, eventPath, type PlannedEvent } from '../reconcile/planned-write';
import type { StatusCondition } from './delegation-status';
import type { NameServerEntry, ZoneDelegation } from './zone-delegation-object';

export const ZONE_DELEGATIONS_PATH = '/apis/k8gb.io/v1beta1/zonedelegations';

/** One request. */
export interface DelegationRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly bodyType: 'json' | 'merge-patch';
}

/** k8gb's name of the ZoneDelegation bootstrapped for `zone`: dots as dashes. */
export function bootstrapName(zone: string): string {
  return zone.replaceAll('.', '-');
}

/** The ZoneDelegation k8gb bootstraps for a DNS_ZONES entry (doFinalize left to the default). */
export function bootstrapCreate(zone: ZoneSpec): DelegationRequest {
  return {
    method: 'POST',
    path: ZONE_DELEGATIONS_PATH,
    bodyType: 'json',
    body: {
      apiVersion: 'k8gb.io/v1beta1',
      kind: 'ZoneDelegation',
      metadata: { name: bootstrapName(zone.name) },
      spec: {
        loadBalancedZone: zone.name,
        parentZone: zone.parent,
        dnsZoneNegTTL: zone.negativeTtlSeconds,
      },
    },
  };
}

/** The object's finalizers set to `finalizers`, if it is still at the version read. */
export function finalizersPatch(
  delegation: ZoneDelegation,
  finalizers: readonly string[],
): DelegationRequest {
  return {
    method: 'PATCH',
    path: `${ZONE_DELEGATIONS_PATH}/${encodeURIComponent(delegation.name)}`,
    bodyType: 'merge-patch',
    body: { metadata: { finalizers, resourceVersion: delegation.resourceVersion } },
  };
}

/** status.dnsServers and status.conditions replaced. */
export function statusPatch(
  delegation: ZoneDelegation,
  servers: readonly NameServerEntry[],
  condition: StatusCondition,
): DelegationRequest {
  return {
    method: 'PATCH',
    path: `${ZONE_DELEGATIONS_PATH}/${encodeURIComponent(delegation.name)}/status`,
    bodyType: 'merge-patch',
    body: { status: { dnsServers: servers, conditions: [condition] } },
  };
}

/** An Event about ZoneDelegation `name` (cluster-scoped: the Event lives in `default`). */
export function delegationEvent(
  involved: { readonly name: string; readonly uid: string },
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  now: Date,
): DelegationRequest {
  const event: PlannedEvent = {
    involved: { apiVersion: 'k8gb.io/v1beta1', kind: 'ZoneDelegation', namespace: '', ...involved },
    type,
    reason,
    message,
  };
  return {
    method: 'POST',
    path: eventPath(event),
    bodyType: 'json',
    body: eventBody(event, 1, now.getTime(), now.getTime()),
  };
}
