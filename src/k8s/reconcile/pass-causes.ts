/**
 * Why a reconcile pass served what it served, as causes for decision
 * records: each dependency a watch event touched (a Gslb, an Ingress, a
 * Service's readiness, an exposed host name…), with the object and version
 * that touched it and the Gslbs that read it; a full pass is a resync.
 * Pure.
 */
import type { CauseInput, CauseKind, CauseObject } from '../../serving/decisions';
import { legacyGslbId } from '../ingest/gslb-objects';
import type { Dependency } from '../ingest/object-index';

/** The object of a watch event that touched a dependency. */
export type Trigger = CauseObject;

/** Cause kinds by dependency prefix; dependencies of other kinds explain nothing by themselves. */
const KIND_OF: ReadonlyArray<readonly [string, CauseKind]> = [
  ['Gslb|', 'gslb-changed'],
  ['LegacyGslb|', 'gslb-changed'],
  ['Endpoints|', 'endpoints-ready-changed'],
  ['Ingress|', 'ingress-changed'],
  ['Service|', 'service-changed'],
  ['Gateway|', 'route-changed'],
  ['HTTPRoute|', 'route-changed'],
  ['GRPCRoute|', 'route-changed'],
  ['Hostname|', 'exposed-hostname-changed'],
];

/** What a pass needs to name its causes. */
export interface PassCauseContext {
  /** The objects that touched each dependency since the last pass. */
  readonly triggers: ReadonlyMap<Dependency, Trigger>;
  /** The Gslbs (record ids) that read `dependency`. */
  readonly readers: (dependency: Dependency) => Iterable<string>;
  /** True when the Gslb with id `id` exists now. */
  readonly gslbExists: (id: string) => boolean;
}

/** The causes of a pass over `changes` ('all' for a full pass). */
export function passCauses(
  changes: ReadonlySet<Dependency> | 'all',
  context: PassCauseContext,
): CauseInput[] {
  if (changes === 'all') return [{ kind: 'resync', detail: 'a full pass over every Gslb' }];
  const causes: CauseInput[] = [];
  for (const dependency of changes) {
    if (dependency.endsWith('/*')) continue;
    const kind = KIND_OF.find(([prefix]) => dependency.startsWith(prefix))?.[1];
    if (kind === undefined) continue;
    const gslbs = [...context.readers(dependency)];
    if (gslbs.length === 0) continue;
    const trigger = context.triggers.get(dependency);
    const gone = kind === 'gslb-changed' && !context.gslbExists(gslbIdOf(dependency));
    causes.push({
      kind: gone ? 'gslb-deleted' : kind,
      gslbs,
      ...(trigger === undefined ? {} : { object: trigger }),
      ...(kind === 'exposed-hostname-changed'
        ? { detail: dependency.slice('Hostname|'.length) }
        : {}),
    });
  }
  return causes;
}

/** The id of the Gslb a `Gslb|…` or `LegacyGslb|…` dependency names. */
function gslbIdOf(dependency: Dependency): string {
  const key = dependency.slice(dependency.indexOf('|') + 1);
  return dependency.startsWith('LegacyGslb|') ? legacyGslbId(key) : key;
}
