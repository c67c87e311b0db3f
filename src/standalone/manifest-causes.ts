/**
 * Why a re-read of the manifest directory changed what is served, as causes:
 * each Gslb added or changed, each one gone. Records are compared by content,
 * since a re-read parses every file afresh. Pure.
 */
import type { CauseInput } from '../serving/decisions';
import type { GslbRecord } from '../table/model';

/** The causes that lead from the Gslbs `before` to those `after`. */
export function manifestCauses(
  before: readonly GslbRecord[],
  after: readonly GslbRecord[],
): CauseInput[] {
  const previous = new Map(before.map((record) => [record.id, JSON.stringify(record)]));
  const causes: CauseInput[] = [];
  for (const record of after) {
    const was = previous.get(record.id);
    previous.delete(record.id);
    if (was === JSON.stringify(record)) continue;
    causes.push({
      kind: 'gslb-changed',
      gslbs: [record.id],
      object: { kind: 'Gslb', name: record.id },
      detail: was === undefined ? 'added' : 'changed',
    });
  }
  for (const id of previous.keys())
    causes.push({ kind: 'gslb-deleted', gslbs: [id], object: { kind: 'Gslb', name: id } });
  return causes;
}
