/**
 * Gslbs reduced, at the edge, to the fields Meridian reads, from either API
 * group: k8gb.io, and k8gb's older k8gb.absa.oss, whose schema is the same
 * minus spec.serviceHealthPolicy (docs/k8gb-compatibility.md#api-groups). Both
 * become the same GslbSource, so that one resolution serves both; what tells
 * them apart is the group and the id, which keeps the two Gslbs of one
 * namespace/name apart in the reconciler and the table. Pure, like objects.ts.
 */
import { isObject, type Json } from '../../gslb/gslb-spec';
import {
  GSLB_API_GROUP,
  LABEL_MIGRATED,
  LABEL_MIGRATION_REQUESTED,
  LEGACY_GSLB_API_GROUP,
} from '../../gslb/k8gb-naming';
import type { KubeObject } from '../client/kube-api';
import { drainDeclarationOf, type DrainDeclaration } from './drain-declaration';
import { at, canonicalJson, list, strings, text } from './json-fields';
import { controllerUid, keyOf, namespaceOf, type ObjectKey } from './objects';

/** A label selector (`matchLabels` and `matchExpressions`). */
export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly {
    readonly key: string;
    readonly operator: string;
    readonly values: readonly string[];
  }[];
}

/** `spec.resourceRef` of a Gslb. */
export interface ResourceRef {
  readonly apiVersion: string;
  readonly kind: string;
  /** Empty when the reference is a label selector. */
  readonly name: string;
  readonly namespace: string;
  readonly selector: LabelSelector | null;
}

/** The API group a Gslb was read from. */
export type GslbGroup = typeof GSLB_API_GROUP | typeof LEGACY_GSLB_API_GROUP;

/** The k8gb migration label a legacy Gslb carries (value "true"), which stops it being served. */
export type MigrationMark = 'migrated' | 'migration-requested';

/** What Meridian reads from a Gslb. */
export interface GslbSource {
  readonly key: ObjectKey;
  /**
   * What names it in the reconciler, the table (GslbRecord.id), build problems and
   * status lookups: the key for a k8gb.io Gslb, {@link legacyGslbId} for a legacy one,
   * so that a legacy and a k8gb.io Gslb of the same namespace/name never share one.
   */
  readonly id: string;
  readonly group: GslbGroup;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly generation: number;
  /** metadata.creationTimestamp in ms since the epoch; NaN when absent or unreadable. */
  readonly createdMs: number;
  readonly annotations: Readonly<Record<string, string>>;
  /** Raw `spec.strategy`; validated when the Gslb is resolved, so problems reach its status. */
  readonly strategy: unknown;
  /** Raw `spec.ingress`, or null. */
  readonly embeddedIngress: Json | null;
  readonly resourceRef: ResourceRef | null;
  /** Always undefined (k8gb's Any) for a legacy Gslb, whose group has no such field. */
  readonly serviceHealthPolicy: unknown;
  /** Raw `spec.probe` (Meridian's; undefined for a legacy Gslb), validated when resolved. */
  readonly probe: unknown;
  /** Legacy only: the migration label it carries, or null (always null for k8gb.io). */
  readonly migrationMark: MigrationMark | null;
  /** The status as last written, as canonical JSON, to write only what changed. */
  readonly statusJson: string;
  /** Keys of `status.serviceHealth` and `status.healthyRecords`, which a merge patch must null. */
  readonly statusHosts: readonly string[];
  /** The Ready condition as last written, to keep its lastTransitionTime. */
  readonly readyCondition: { readonly status: string; readonly lastTransitionTime: string } | null;
  /** The Answering condition as last written, likewise. */
  readonly answeringCondition: GslbSource['readyCondition'];
  /** Owner Ingress uid when the Gslb was made from an annotated Ingress. */
  readonly ownerIngressUid: string | null;
  /** What it declares about draining this cluster for it (meridian.dev/drain). */
  readonly drain: DrainDeclaration;
}

/**
 * The id of the legacy Gslb `key`: `namespace/name@k8gb.absa.oss`. A name
 * cannot hold `@`, so no k8gb.io Gslb has it; it still starts with the
 * namespace, which the host policy reads (src/table/host-claims.ts).
 */
export function legacyGslbId(key: ObjectKey): string {
  return `${key}@${LEGACY_GSLB_API_GROUP}`;
}

/** The namespace/name of the Gslb with id `id`, whichever its group. */
export function gslbKeyOfId(id: string): ObjectKey {
  const suffix = `@${LEGACY_GSLB_API_GROUP}`;
  return id.endsWith(suffix) ? id.slice(0, -suffix.length) : id;
}

/** True when `id` names a legacy Gslb. */
export function isLegacyGslbId(id: string): boolean {
  return id !== gslbKeyOfId(id);
}

function selectorOf(value: Json): LabelSelector | null {
  const matchLabels = strings(value['matchLabels']);
  const matchExpressions = list(value['matchExpressions'])
    .filter(isObject)
    .map((e) => ({
      key: text(e['key']),
      operator: text(e['operator']),
      values: list(e['values']).map(text),
    }));
  if (Object.keys(matchLabels).length === 0 && matchExpressions.length === 0) return null;
  return { matchLabels, matchExpressions };
}

function resourceRefOf(value: unknown, namespace: string): ResourceRef | null {
  if (!isObject(value)) return null;
  const name = text(value['name']);
  return {
    apiVersion: text(value['apiVersion']),
    kind: text(value['kind']),
    name,
    // A name may point into another namespace; a selector lists in the
    // Gslb's own namespace only (docs/k8gb-compatibility.md#gslb-spec-fields-and-validation).
    namespace: name === '' ? namespace : text(value['namespace']) || namespace,
    selector: selectorOf(value),
  };
}

/** A k8gb.io Gslb. */
export function toGslb(object: KubeObject): GslbSource {
  const namespace = namespaceOf(object);
  const key = keyOf(namespace, object.metadata.name);
  const spec = isObject(object['spec']) ? object['spec'] : {};
  return {
    key,
    id: key,
    group: GSLB_API_GROUP,
    namespace,
    name: object.metadata.name,
    uid: object.metadata.uid ?? '',
    generation: object.metadata.generation ?? 0,
    createdMs: Date.parse(text(object.metadata['creationTimestamp'])),
    annotations: strings(object.metadata.annotations),
    strategy: spec['strategy'],
    embeddedIngress: isObject(spec['ingress']) ? spec['ingress'] : null,
    resourceRef: resourceRefOf(spec['resourceRef'], namespace),
    serviceHealthPolicy: spec['serviceHealthPolicy'],
    probe: spec['probe'],
    migrationMark: null,
    statusJson: canonicalJson(object['status'] ?? {}),
    statusHosts: [
      ...new Set([
        ...Object.keys(strings(at(object, 'status', 'serviceHealth'))),
        ...Object.keys(
          isObject(at(object, 'status', 'healthyRecords'))
            ? (at(object, 'status', 'healthyRecords') as Json)
            : {},
        ),
      ]),
    ],
    readyCondition: conditionOf(at(object, 'status', 'conditions'), 'Ready'),
    answeringCondition: conditionOf(at(object, 'status', 'conditions'), 'Answering'),
    ownerIngressUid: controllerUid(object, 'Ingress', 'networking.k8s.io'),
    drain: drainDeclarationOf(object, 'Gslb'),
  };
}

/**
 * A k8gb.absa.oss Gslb: read as k8gb's legacy runtime reads it. A
 * serviceHealthPolicy found there anyway (the CRD prunes it; a hand-made
 * CRD might not) is not read: the group has no such field, so it is Any.
 */
export function toLegacyGslb(object: KubeObject): GslbSource {
  const gslb = toGslb(object);
  const labels = strings(object.metadata.labels);
  return {
    ...gslb,
    id: legacyGslbId(gslb.key),
    group: LEGACY_GSLB_API_GROUP,
    serviceHealthPolicy: undefined,
    probe: undefined,
    migrationMark:
      labels[LABEL_MIGRATED] === 'true'
        ? 'migrated'
        : labels[LABEL_MIGRATION_REQUESTED] === 'true'
          ? 'migration-requested'
          : null,
  };
}

function conditionOf(conditions: unknown, type: string): GslbSource['readyCondition'] {
  const ready = list(conditions)
    .filter(isObject)
    .find((c) => c['type'] === type);
  if (ready === undefined) return null;
  return { status: text(ready['status']), lastTransitionTime: text(ready['lastTransitionTime']) };
}
