/**
 * The requests the ZoneDelegation controller sends, as data: the objects
 * bootstrapped from DNS_ZONES (named and filled as k8gb's bootstrap does),
 * the finalizer patches (with the resourceVersion read, so a concurrent
 * change is a 409 and the next pass reads again), the status patch, and
 * Events about a cluster-scoped object (which live in `default`, the
 * namespace the apiserver accepts for them). Pure.
 */
import type { ZoneSpec } from '../../table/model';
import type { StatusCondition } from './delegation-status';
import type { NameServerEntry, ZoneDelegation } from './zone-delegation-object';

export const ZONE_DELEGATIONS_PATH = '/apis/k8gb.io/v1beta1/zonedelegations';
const EVENT_NAMESPACE = 'default';
const MAX_EVENT_MESSAGE = 1024;

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

/** An Event about ZoneDelegation `name`. */
export function delegationEvent(
  involved: { readonly name: string; readonly uid: string },
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  now: Date,
): DelegationRequest {
  const time = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    method: 'POST',
    path: `/api/v1/namespaces/${EVENT_NAMESPACE}/events`,
    bodyType: 'json',
    body: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${involved.name}.`, namespace: EVENT_NAMESPACE },
      involvedObject: {
        apiVersion: 'k8gb.io/v1beta1',
        kind: 'ZoneDelegation',
        name: involved.name,
        uid: involved.uid,
      },
      type,
      reason,
      message: message.slice(0, MAX_EVENT_MESSAGE),
      source: { component: 'meridian' },
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
    },
  };
}
