/**
 * The Ingress side of k8gb's contract (docs/k8gb-compatibility.md#ways-to-declare-a-gslb): the
 * Ingress a Gslb embeds is created and owned by Meridian and put back when it drifts, and is
 * deleted when its Gslb is seen to go (orphans.ts: never on missing data); an Ingress carrying the deprecated `k8gb.io/strategy` annotation
 * gets a Gslb made from it, with a deprecation Event. Pure: returns the writes to send.
 */
import type { Json } from '../../gslb/gslb-spec';
import {
  ANNOTATION_DNS_TTL_SECONDS,
  ANNOTATION_EXPOSED_IPS,
  ANNOTATION_PRIMARY_GEOTAG,
  ANNOTATION_STRATEGY,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  STRATEGY_TYPES,
} from '../../gslb/k8gb-naming';
import type { PlannedEvent, PlannedWrite } from './planned-write';
import type { ObjectIndex } from '../ingest/object-index';
import { canonicalJson } from '../ingest/json-fields';
import type { GslbSource } from '../ingest/gslb-objects';
import type { IngressSource } from '../ingest/objects';
import type { OrphanClock, OrphanWatch } from './orphans';
import type { ResolveContext } from './resolution';

/** What ingress syncing remembers between passes. */
export interface IngressSyncState {
  /** Ingress key → the desired spec last written and the spec the apiserver returned for it. */
  readonly synced: Map<string, { desired: string; observed: string }>;
  /** Ingress uids whose deprecation was announced. */
  readonly announced: Set<string>;
  /** Which owners were seen to go, for deleting their Ingresses. */
  readonly orphans: OrphanWatch;
}

function ingressPath(namespace: string, name?: string): string {
  const base = `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/ingresses`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

function gslbPath(namespace: string, name?: string): string {
  const base = `/apis/k8gb.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/gslbs`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

/** Creates, repairs and removes the Ingresses embedded Gslbs own. */
export function ingressWrites(
  index: ObjectIndex,
  state: IngressSyncState,
  clock: OrphanClock,
): PlannedWrite[] {
  const writes: PlannedWrite[] = [];
  const gslbUids = new Set<string>();
  for (const gslb of index.gslbs.values()) {
    gslbUids.add(gslb.uid);
    if (gslb.embeddedIngress === null || referencesSomething(gslb)) continue;
    const existing = index.ingresses.get(gslb.key);
    const write = embeddedIngressWrite(gslb, gslb.embeddedIngress, existing, state);
    if (write !== null) writes.push(write);
  }
  state.orphans.observe(gslbUids, clock);
  for (const ingress of index.ingresses.values())
    if (isOrphan(ingress, gslbUids, state.orphans, clock)) writes.push(deleteOrphan(ingress));
  for (const key of [...state.synced.keys()])
    if (index.ingresses.get(key) === undefined && index.gslbs.get(key) === undefined)
      state.synced.delete(key);
  return writes;
}

/** A resourceRef wins over an embedded spec, as in k8gb. */
function referencesSomething(gslb: GslbSource): boolean {
  return (
    gslb.resourceRef !== null &&
    (gslb.resourceRef.name !== '' || gslb.resourceRef.selector !== null)
  );
}

function isOrphan(
  ingress: IngressSource,
  gslbUids: ReadonlySet<string>,
  orphans: OrphanWatch,
  clock: OrphanClock,
): boolean {
  return (
    ingress.labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE &&
    ingress.ownerGslbUid !== null &&
    !gslbUids.has(ingress.ownerGslbUid) &&
    orphans.mayDelete(ingress.ownerGslbUid, clock)
  );
}

/**
 * The garbage collector does this in a full cluster; doing it here as well
 * keeps a cluster without one (or with it lagging) clean. The uid
 * precondition makes sure a new Ingress of the same name is never hit.
 */
function deleteOrphan(ingress: IngressSource): PlannedWrite {
  return {
    key: `ingress ${ingress.key}`,
    kind: 'ingress',
    method: 'DELETE',
    path: ingressPath(ingress.namespace, ingress.name),
    body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: ingress.uid } },
  };
}

function embeddedIngressWrite(
  gslb: GslbSource,
  spec: Json,
  existing: IngressSource | undefined,
  state: IngressSyncState,
): PlannedWrite | null {
  const desired = canonicalJson(spec);
  const remember = (body: unknown): void => {
    const observed = canonicalJson((body as { spec?: unknown } | undefined)?.spec ?? {});
    state.synced.set(gslb.key, { desired, observed });
  };
  if (existing === undefined) {
    return {
      key: `ingress ${gslb.key}`,
      kind: 'ingress',
      method: 'POST',
      path: ingressPath(gslb.namespace),
      body: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: {
          name: gslb.name,
          namespace: gslb.namespace,
          labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
          ownerReferences: [
            {
              apiVersion: 'k8gb.io/v1beta1',
              kind: 'Gslb',
              name: gslb.name,
              uid: gslb.uid,
              controller: true,
            },
          ],
        },
        spec,
      },
      onSuccess: remember,
    };
  }
  // Someone else's Ingress with the same name is left alone.
  if (existing.controllerUid !== gslb.uid) return null;
  const known = state.synced.get(gslb.key);
  // In sync when it is what was asked for, or what the apiserver made of it (defaults).
  if (existing.specJson === desired) return null;
  if (known !== undefined && known.desired === desired && known.observed === existing.specJson)
    return null;
  const previous = JSON.parse(existing.specJson) as Json;
  const patch: Json = { ...spec };
  for (const field of Object.keys(previous)) if (!(field in spec)) patch[field] = null;
  return {
    key: `ingress ${gslb.key}`,
    kind: 'ingress',
    method: 'PATCH',
    path: ingressPath(gslb.namespace, gslb.name),
    body: { spec: patch },
    bodyType: 'merge-patch',
    onSuccess: remember,
  };
}

/** A planned write, or an Event to plan (timestamps are the caller's). */
export type AnnotationOutcome =
  | { readonly kind: 'write'; readonly write: PlannedWrite }
  | { readonly kind: 'event'; readonly event: PlannedEvent };

/** Gslbs made from Ingresses annotated `k8gb.io/strategy`, as k8gb does for migrating users. */
export function ingressAnnotationGslb(
  index: ObjectIndex,
  state: IngressSyncState,
  ctx: ResolveContext,
): AnnotationOutcome[] {
  const out: AnnotationOutcome[] = [];
  const live = new Set<string>();
  for (const ingress of index.ingresses.values()) {
    const strategy = ingress.annotations[ANNOTATION_STRATEGY];
    if (strategy === undefined || ingress.labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE) continue;
    live.add(ingress.uid);
    const involved = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      namespace: ingress.namespace,
      name: ingress.name,
      uid: ingress.uid,
    };
    const desired = annotationStrategy(ingress, ctx);
    if (typeof desired === 'string') {
      if (!state.announced.has(`${ingress.uid} ${desired}`)) {
        state.announced.add(`${ingress.uid} ${desired}`);
        out.push({
          kind: 'event',
          event: { involved, type: 'Warning', reason: 'InvalidAnnotation', message: desired },
        });
      }
      continue;
    }
    const existing = index.gslbs.get(ingress.key);
    if (existing !== undefined && existing.ownerIngressUid !== ingress.uid) continue;
    if (!state.announced.has(ingress.uid)) {
      state.announced.add(ingress.uid);
      out.push({
        kind: 'event',
        event: {
          involved,
          type: 'Warning',
          reason: 'DeprecatedAnnotation',
          message: `${ANNOTATION_STRATEGY} on an Ingress is deprecated (as in k8gb); Meridian keeps Gslb ${ingress.key} in line with it. Declare a Gslb with spec.resourceRef to this Ingress instead.`,
        },
      });
    }
    const write = annotationGslbWrite(ingress, desired, existing);
    if (write !== null) out.push({ kind: 'write', write });
  }
  for (const entry of [...state.announced])
    if (!live.has(entry.split(' ')[0]!)) state.announced.delete(entry);
  return out;
}

/** The Gslb strategy the annotations ask for, or why they are invalid. */
function annotationStrategy(ingress: IngressSource, ctx: ResolveContext): Json | string {
  const type = ingress.annotations[ANNOTATION_STRATEGY]!;
  if (!STRATEGY_TYPES.some((t) => t === type))
    return `${ANNOTATION_STRATEGY} must be one of ${STRATEGY_TYPES.join(', ')}, found ${JSON.stringify(type)}`;
  const primary = ingress.annotations[ANNOTATION_PRIMARY_GEOTAG];
  if (type === 'failover' && (primary === undefined || primary === ''))
    return `${ANNOTATION_PRIMARY_GEOTAG} is required with ${ANNOTATION_STRATEGY}: failover`;
  const ttlText = ingress.annotations[ANNOTATION_DNS_TTL_SECONDS];
  // k8gb parses a strict decimal integer: no '', '0x10' or '1e2'.
  const ttl =
    ttlText === undefined
      ? ctx.defaultTtlSeconds
      : /^\d{1,10}$/.test(ttlText)
        ? Number(ttlText)
        : NaN;
  if (!Number.isInteger(ttl) || ttl > 2_147_483_647)
    return `${ANNOTATION_DNS_TTL_SECONDS} must be a whole number of seconds, found ${JSON.stringify(ttlText)}`;
  return { type, dnsTtlSeconds: ttl, ...(primary === undefined ? {} : { primaryGeoTag: primary }) };
}

function annotationGslbWrite(
  ingress: IngressSource,
  strategy: Json,
  existing: GslbSource | undefined,
): PlannedWrite | null {
  const exposed = ingress.annotations[ANNOTATION_EXPOSED_IPS];
  const annotations = exposed === undefined ? {} : { [ANNOTATION_EXPOSED_IPS]: exposed };
  const resourceRef = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: ingress.name };
  if (existing === undefined) {
    return {
      key: `gslb ${ingress.key}`,
      kind: 'gslb',
      method: 'POST',
      path: gslbPath(ingress.namespace),
      body: {
        apiVersion: 'k8gb.io/v1beta1',
        kind: 'Gslb',
        metadata: {
          name: ingress.name,
          namespace: ingress.namespace,
          annotations,
          ownerReferences: [
            {
              apiVersion: 'networking.k8s.io/v1',
              kind: 'Ingress',
              name: ingress.name,
              uid: ingress.uid,
              controller: true,
            },
          ],
        },
        spec: { resourceRef, strategy },
      },
    };
  }
  const current = (existing.strategy ?? {}) as Json;
  const same = Object.entries(strategy).every(([k, v]) => current[k] === v);
  const sameIps = existing.annotations[ANNOTATION_EXPOSED_IPS] === exposed;
  if (same && sameIps) return null;
  // Weights cannot be set by annotation; a merge patch keeps the ones the Gslb has.
  return {
    key: `gslb ${ingress.key}`,
    kind: 'gslb',
    method: 'PATCH',
    path: gslbPath(ingress.namespace, ingress.name),
    body: {
      metadata: { annotations: { [ANNOTATION_EXPOSED_IPS]: exposed ?? null } },
      spec: { strategy: { ...strategy, primaryGeoTag: strategy['primaryGeoTag'] ?? null } },
    },
    bodyType: 'merge-patch',
  };
}
