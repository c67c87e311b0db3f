/**
 * Decision records as Kubernetes Events on their Gslb, so that `kubectl
 * describe gslb` shows why its answers changed: one Normal `AnswerChanged`
 * Event per Gslb per table build, naming each changed host and type with
 * before and after, and the causes. Events go through the same correlator
 * as every other (aggregated, rate-bounded per object), and only the writer
 * replica sends them. Pure.
 */
import type { Cause, DecisionRecord, ServedTarget } from '../../serving/decisions';
import type { ObjectIndex } from '../ingest/object-index';
import type { PlannedEvent } from './planned-write';

/** The reason of a decision Event. */
export const ANSWER_CHANGED = 'AnswerChanged';

/** Longest Event message; the apiserver refuses more than 1 KiB in a note. */
const MAX_MESSAGE = 1_000;

/** One Event per Gslb that still exists, for the records of one build. */
export function decisionEvents(
  records: readonly DecisionRecord[],
  index: Pick<ObjectIndex, 'gslbById'>,
): PlannedEvent[] {
  const byGslb = new Map<string, DecisionRecord[]>();
  for (const record of records) {
    const list = byGslb.get(record.gslb);
    if (list === undefined) byGslb.set(record.gslb, [record]);
    else list.push(record);
  }
  const events: PlannedEvent[] = [];
  for (const [key, changes] of byGslb) {
    const gslb = index.gslbById(key);
    if (gslb === undefined) continue;
    events.push({
      involved: {
        apiVersion: `${gslb.group}/v1beta1`,
        kind: 'Gslb',
        namespace: gslb.namespace,
        name: gslb.name,
        uid: gslb.uid,
      },
      type: 'Normal',
      reason: ANSWER_CHANGED,
      message: truncate(changes.map(describe).join('; ')),
    });
  }
  return events;
}

function describe(record: DecisionRecord): string {
  const causes = [...new Set(record.causes.map(causeText))].join(', ');
  return `${record.host} ${record.type}: ${targets(record.before)} → ${targets(record.after)} (${causes})`;
}

function targets(list: readonly ServedTarget[]): string {
  if (list.length === 0) return 'nothing';
  return list.map((t) => `${t.address} [${t.clusters.join(',')}]`).join(' ');
}

function causeText(cause: Cause): string {
  const peer = cause.peer;
  if (peer !== undefined) {
    if (cause.kind !== 'peer-down') return `${cause.kind} ${peer.geoTag}`;
    const error = peer.lastError === null ? '' : `: ${peer.lastError}`;
    return `peer-down ${peer.geoTag} after ${peer.failedPolls} failed polls${error}`;
  }
  const object = cause.object;
  if (object === undefined) return cause.kind;
  const version = object.resourceVersion === undefined ? '' : `@${object.resourceVersion}`;
  const where = object.namespace === undefined ? object.name : `${object.namespace}/${object.name}`;
  return `${cause.kind} ${object.kind} ${where}${version}`;
}

function truncate(text: string): string {
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 1)}…`;
}
