/**
 * A drain as a Kubernetes object declares it: the annotation (gslb/drain-annotation.ts)
 * with who asked and when, from the object itself. Who: the `drain-by`
 * annotation the CLI writes, else the field manager that owns the drain
 * annotation (`metadata.managedFields`), else the object's last manager. When,
 * for a drain written as `true`: the time of that managed-fields entry, so
 * that a restart resumes the same drain. Pure.
 */
import { ANNOTATION_DRAIN, drainRequestedBy, parseDrain } from '../../gslb/drain-annotation';
import { isObject } from '../../gslb/gslb-spec';
import type { DrainRequest } from '../../table/model';
import type { KubeObject } from '../client/kube-api';
import { at, list, strings, text } from './json-fields';

/** What an object declares about draining. */
export interface DrainDeclaration {
  /** The drain asked for, or null when the object is not drained. */
  readonly request: DrainRequest | null;
  /** Who last changed the declaration, for the undrain's records; '' when unknown. */
  readonly changedBy: string;
  /** Why an annotation present was not read as a drain, or null. */
  readonly problem: string | null;
}

/** Not drained, nothing to say: what nearly every object declares. */
export const NOT_DRAINED: DrainDeclaration = Object.freeze({
  request: null,
  changedBy: '',
  problem: null,
});

/** One `metadata.managedFields` entry, as far as a drain needs it. */
interface ManagerEntry {
  readonly manager: string;
  readonly timeMs: number;
  readonly ownsDrain: boolean;
}

/**
 * The drain `object` (of `kind`) declares. A `true` drain whose managed
 * fields say nothing has an unknown time (NaN): the table counts it from
 * when it first saw it.
 */
export function drainDeclarationOf(object: KubeObject, kind: string): DrainDeclaration {
  const annotations = strings(object.metadata.annotations);
  const by = drainRequestedBy(annotations);
  const parsed = parseDrain(annotations);
  const invalid = 'invalid' in parsed ? parsed.invalid : null;
  if (!parsed.drained && by === null && invalid === null) return NOT_DRAINED;
  const managers = managersOf(object);
  const changedBy = by ?? managers.latest?.manager ?? '';
  if (!parsed.drained) return { request: null, changedBy, problem: invalid };
  return {
    request: requestOf(object, kind, parsed.sinceMs, by, managers),
    changedBy,
    problem: null,
  };
}

function requestOf(
  object: KubeObject,
  kind: string,
  sinceMs: number | null,
  by: string | null,
  { latest, owner }: Managers,
): DrainRequest {
  return {
    sinceMs: sinceMs ?? owner?.timeMs ?? NaN,
    requestedBy: by ?? owner?.manager ?? latest?.manager ?? 'unknown',
    declaredOn: declaredOn(object, kind),
  };
}

function declaredOn(object: KubeObject, kind: string): DrainRequest['declaredOn'] {
  const { namespace, name, resourceVersion } = object.metadata;
  return {
    kind,
    namespace: namespace ?? '',
    name,
    ...(resourceVersion === undefined ? {} : { resourceVersion }),
  };
}

/** The object's last manager, and the last one to write the drain annotation. */
/** The object's last manager, and the last one to write the drain annotation. */
interface Managers {
  readonly latest: ManagerEntry | undefined;
  readonly owner: ManagerEntry | undefined;
}

function managersOf(object: KubeObject): Managers {
  const managers = list(object.metadata['managedFields'])
    .filter(isObject)
    .map((entry): ManagerEntry => {
      const annotations = at(entry['fieldsV1'], 'f:metadata', 'f:annotations');
      return {
        manager: text(entry['manager']).slice(0, 128),
        timeMs: Date.parse(text(entry['time'])) || 0,
        ownsDrain: isObject(annotations) && `f:${ANNOTATION_DRAIN}` in annotations,
      };
    })
    .filter((entry) => entry.manager !== '')
    .sort((x, y) => y.timeMs - x.timeMs);
  return { latest: managers[0], owner: managers.find((m) => m.ownsDrain) };
}
