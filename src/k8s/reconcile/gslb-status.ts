/**
 * The status Meridian writes on a Gslb: k8gb's fields
 * (docs/k8gb-compatibility.md#gslb-status-fields) plus observedGeneration and a Ready condition.
 * Pure: builds the merge patch and says whether it differs from what the object already carries.
 */
import type { Json } from '../../gslb/gslb-spec';
import { canonicalJson } from '../ingest/json-fields';
import type { GslbSource } from '../ingest/gslb-objects';
import type { Resolution } from './resolution';

/** A status to write, or null when the object already has it. */
export interface StatusUpdate {
  /** The full status, as canonical JSON; equal text means equal status. */
  readonly json: string;
  /** The body of a JSON merge patch of the status subresource. */
  readonly patch: Json;
}

/** The status `resolution` calls for. `now` is used only for a new condition transition. */
export function desiredStatus(
  gslb: GslbSource,
  resolution: Resolution,
  geoTag: string,
  now: () => Date,
): Json {
  const ready = resolution.reason === 'Serving' ? 'True' : 'False';
  const previous = gslb.readyCondition;
  const lastTransitionTime =
    previous !== null && previous.status === ready && previous.lastTransitionTime !== ''
      ? previous.lastTransitionTime
      : // metav1.Time has second precision; a finer value would never compare equal.
        now()
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z');
  return {
    serviceHealth: resolution.health,
    healthyRecords: resolution.healthyRecords,
    geoTag,
    hosts: resolution.hosts.join(', '),
    loadBalancer: { exposedIps: resolution.exposedIps },
    servers: resolution.servers,
    observedGeneration: gslb.generation,
    conditions: [
      {
        type: 'Ready',
        status: ready,
        reason: resolution.reason,
        message: resolution.message,
        observedGeneration: gslb.generation,
        lastTransitionTime,
      },
    ],
  };
}

/**
 * The update that turns the object's status into `status`, or null when
 * nothing would change. A merge patch merges maps key by key, so hosts that
 * are gone are removed explicitly with null.
 */
export function statusUpdate(gslb: GslbSource, status: Json): StatusUpdate | null {
  const json = canonicalJson(status);
  if (json === gslb.statusJson) return null;
  const patch: Json = { ...status };
  for (const field of ['serviceHealth', 'healthyRecords'] as const) {
    const next = { ...(status[field] as Json) };
    for (const host of gslb.statusHosts) if (!(host in next)) next[host] = null;
    patch[field] = next;
  }
  return { json, patch: { status: patch } };
}
