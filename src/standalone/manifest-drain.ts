/**
 * `meridian drain` in standalone mode: the drain annotation set in, or
 * removed from, one Gslb of a manifest file, leaving every other byte (comments,
 * other documents, key order) as it was, so that the change is a one-line
 * `git diff`. Pure: text in, text out.
 */
import { parseAllDocuments } from 'yaml';
import { ANNOTATION_DRAIN, ANNOTATION_DRAIN_BY } from '../gslb/drain-annotation';

/** What to declare: drained since `drainedAt` (RFC 3339), or not drained; and by whom. */
export interface DrainEdit {
  readonly namespace: string;
  readonly name: string;
  readonly drainedAt: string | null;
  readonly by: string;
}

/** `text` with the edit applied; throws an Error naming what is wrong when the Gslb is not there. */
export function editManifestDrain(text: string, edit: DrainEdit): string {
  const documents = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [documents];
  const broken = list.find((d) => d.errors.length > 0);
  if (broken !== undefined) throw new Error(`not valid YAML: ${broken.errors[0]?.message ?? ''}`);
  const target = list.find(
    (d) =>
      d.get('kind') === 'Gslb' &&
      d.getIn(['metadata', 'name']) === edit.name &&
      (d.getIn(['metadata', 'namespace']) ?? 'default') === edit.namespace,
  );
  if (target === undefined)
    throw new Error(`no Gslb ${edit.namespace}/${edit.name} in the manifest`);
  const at = (key: string): string[] => ['metadata', 'annotations', key];
  if (edit.drainedAt === null) target.deleteIn(at(ANNOTATION_DRAIN));
  else target.setIn(at(ANNOTATION_DRAIN), edit.drainedAt);
  target.setIn(at(ANNOTATION_DRAIN_BY), edit.by);
  return list.map((d) => d.toString()).join('');
}
