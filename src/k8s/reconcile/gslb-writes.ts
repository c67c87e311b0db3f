/**
 * The writes a Gslb's outcome calls for: its status (k8gb's fields and the
 * Ready condition) through the status subresource of its own API group,
 * written only when it differs from what the object holds and from what was
 * last written, and Events on each change of outcome.
 * Pure apart from what it remembers per Gslb uid.
 */
import type { GslbSource } from '../ingest/gslb-objects';
import { desiredStatus, statusUpdate } from './gslb-status';
import { deprecationEvent } from './legacy-gslb';
import type { PlannedEvent, PlannedWrite } from './planned-write';
import type { Resolution } from './resolution';

export class GslbWritePlan {
  /** uid → status JSON last written, so a status the apiserver normalises is not rewritten forever. */
  private readonly written = new Map<string, string>();
  /** uid → `reason message` of the last pass, to send an Event only on a change. */
  private readonly lastOutcome = new Map<string, string>();
  /** uid → the drain annotation's problem last announced, so that it is told once per value. */
  private readonly drainProblems = new Map<string, string>();

  constructor(
    private readonly geoTag: string,
    private readonly now: () => Date,
  ) {}

  /** Forgets a Gslb that is gone or was recreated. */
  forget(uid: string): void {
    this.written.delete(uid);
    this.lastOutcome.delete(uid);
    this.drainProblems.delete(uid);
  }

  /** The status write `resolution` calls for, if any. */
  statusWrites(gslb: GslbSource, resolution: Resolution): PlannedWrite[] {
    const status = desiredStatus(gslb, resolution, this.geoTag, this.now);
    const update = statusUpdate(gslb, status);
    if (update === null) {
      this.written.delete(gslb.uid);
      return [];
    }
    if (this.written.get(gslb.uid) === withoutTimes(update.json)) return [];
    const written = this.written;
    return [
      {
        // By id: the status of a legacy Gslb and of a k8gb.io one of the same name are two writes.
        key: `status ${gslb.id}`,
        kind: 'status',
        method: 'PATCH',
        path: `/apis/${gslb.group}/v1beta1/namespaces/${encodeURIComponent(gslb.namespace)}/gslbs/${encodeURIComponent(gslb.name)}/status`,
        body: update.patch,
        bodyType: 'merge-patch',
        onSuccess: () => written.set(gslb.uid, withoutTimes(update.json)),
      },
    ];
  }

  /**
   * The Events when the outcome changed: a warning for a problem, a notice on
   * recovery, and for a legacy Gslb that is served, the warning that says how to migrate.
   */
  eventsFor(gslb: GslbSource, resolution: Resolution): PlannedEvent[] {
    const outcome =
      resolution.reason === 'Serving' ? 'Serving' : `${resolution.reason} ${resolution.message}`;
    const previous = this.lastOutcome.get(gslb.uid);
    this.lastOutcome.set(gslb.uid, outcome);
    const involved = {
      apiVersion: `${gslb.group}/v1beta1`,
      kind: 'Gslb',
      namespace: gslb.namespace,
      name: gslb.name,
      uid: gslb.uid,
    };
    const drain = this.drainEvent(gslb, involved);
    if (previous === outcome) return drain === null ? [] : [drain];
    const events: PlannedEvent[] = [];
    if (resolution.reason !== 'Serving')
      events.push({
        involved,
        type: 'Warning',
        reason: resolution.reason,
        message: resolution.message,
      });
    // The first pass of a healthy Gslb is not news; a recovery is.
    else if (previous !== undefined)
      events.push({ involved, type: 'Normal', reason: 'Serving', message: resolution.message });
    const deprecated = deprecationEvent(gslb, resolution, involved);
    if (deprecated !== null) events.push(deprecated);
    if (drain !== null) events.push(drain);
    return events;
  }

  /**
   * A drain annotation Meridian could not read is no drain (a typo must not
   * take a cluster out), but the one who wrote it must hear so: a Warning,
   * once per value written.
   */
  private drainEvent(gslb: GslbSource, involved: PlannedEvent['involved']): PlannedEvent | null {
    const problem = gslb.drain.problem;
    if (problem === null) {
      this.drainProblems.delete(gslb.uid);
      return null;
    }
    if (this.drainProblems.get(gslb.uid) === problem) return null;
    this.drainProblems.set(gslb.uid, problem);
    return { involved, type: 'Warning', reason: 'InvalidAnnotation', message: problem };
  }
}

/** Status JSON without lastTransitionTime, which differs between passes until the write lands. */
function withoutTimes(json: string): string {
  return json.replace(/"lastTransitionTime":"[^"]*"/g, '');
}
