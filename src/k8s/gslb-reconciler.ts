/**
 * One reconcile pass over every Gslb: resolves each against the watched
 * objects, decides what to serve, and lists the writes that bring the cluster
 * in line (status, Events, the Ingresses Meridian owns, Gslbs made from
 * annotated Ingresses). Pure apart from the memory it keeps between passes
 * (last good records, what was written), all bounded by the number of
 * watched objects. The source sends the writes.
 */
import type { BuildProblem } from '../table/build-snapshot';
import type { GslbRecord } from '../table/model';
import { ingressAnnotationGslb, ingressWrites, type IngressSyncState } from './ingress-sync';
import type { ObjectIndex } from './object-index';
import type { GslbSource } from './objects';
import { desiredStatus, statusUpdate } from './gslb-status';
import { eventWrite, type PlannedEvent, type PlannedWrite } from './planned-write';
import {
  resolveGslb,
  type ReadyReason,
  type Resolution,
  type ResolveContext,
} from './resolve-gslb';

/** The outcome of one pass. */
export interface PassResult {
  readonly records: readonly GslbRecord[];
  readonly writes: readonly PlannedWrite[];
  readonly resolutions: ReadonlyMap<string, Resolution>;
}

/** Options of {@link GslbReconciler}. */
export interface ReconcilerOptions {
  readonly context: ResolveContext;
  readonly geoTag: string;
  readonly now: () => Date;
  /** Builds the table from the records; returns the problems the build found. */
  readonly serve: (records: readonly GslbRecord[]) => readonly BuildProblem[];
}

const GSLB_API = 'k8gb.io/v1beta1';

export class GslbReconciler {
  /** uid → records of the last pass in which the Gslb was valid. */
  private readonly lastGood = new Map<string, readonly GslbRecord[]>();
  /** uid → status JSON last written, so a status the apiserver normalises is not rewritten forever. */
  private readonly written = new Map<string, string>();
  /** uid → `reason message` of the last pass, to send an Event only on a change. */
  private readonly lastOutcome = new Map<string, string>();
  private readonly ingressState: IngressSyncState = {
    synced: new Map(),
    announced: new Set(),
  };

  constructor(private readonly options: ReconcilerOptions) {}

  /**
   * One pass over every Gslb: serves the records and returns the writes to
   * send. A replica that is not the writer plans none, and so remembers none
   * as sent: when it becomes the writer, its first pass plans them all.
   */
  pass(index: ObjectIndex, writer = true): PassResult {
    const { resolutions, records } = this.resolveAll(index);
    const problems = groupProblems(this.options.serve(records));
    for (const gslb of index.gslbs.values()) {
      const resolution = resolutions.get(gslb.key)!;
      resolutions.set(gslb.key, withBuildProblems(resolution, problems.get(gslb.key)));
    }
    return { records, writes: writer ? this.plan(index, resolutions) : [], resolutions };
  }

  private plan(index: ObjectIndex, resolutions: ReadonlyMap<string, Resolution>): PlannedWrite[] {
    const writes: PlannedWrite[] = [];
    for (const gslb of index.gslbs.values()) {
      const resolution = resolutions.get(gslb.key)!;
      // A first lookup in flight ends in a pass of its own moments later.
      if (resolution.pending === true) continue;
      writes.push(...this.statusWrites(gslb, resolution));
      const event = this.eventFor(gslb, resolution);
      if (event !== null) writes.push(eventWrite(event, this.options.now()));
    }
    writes.push(...ingressWrites(index, this.ingressState));
    for (const planned of ingressAnnotationGslb(index, this.ingressState, this.options.context))
      writes.push(
        planned.kind === 'event' ? eventWrite(planned.event, this.options.now()) : planned.write,
      );
    return writes;
  }

  /** Resolves every Gslb; a Gslb with a problem serves its last good records when it has any. */
  private resolveAll(index: ObjectIndex): {
    resolutions: Map<string, Resolution>;
    records: GslbRecord[];
  } {
    const resolutions = new Map<string, Resolution>();
    const records: GslbRecord[] = [];
    const uids = new Set<string>();
    for (const gslb of index.gslbs.values()) {
      uids.add(gslb.uid);
      const resolution = resolveGslb(gslb, index, this.options.context);
      resolutions.set(gslb.key, resolution);
      if (resolution.reason === 'Serving') this.lastGood.set(gslb.uid, resolution.records);
      else if (!resolution.keepLastGood) this.lastGood.delete(gslb.uid);
      records.push(
        ...(resolution.reason === 'Serving'
          ? resolution.records
          : (this.lastGood.get(gslb.uid) ?? [])),
      );
    }
    forget(this.lastGood, uids);
    forget(this.lastOutcome, uids);
    forget(this.written, uids);
    return { resolutions, records };
  }

  private statusWrites(gslb: GslbSource, resolution: Resolution): PlannedWrite[] {
    const status = desiredStatus(gslb, resolution, this.options.geoTag, this.options.now);
    const update = statusUpdate(gslb, status);
    if (update === null) {
      this.written.delete(gslb.uid);
      return [];
    }
    if (this.written.get(gslb.uid) === withoutTimes(update.json)) return [];
    const written = this.written;
    return [
      {
        key: `status ${gslb.key}`,
        kind: 'status',
        method: 'PATCH',
        path: `/apis/k8gb.io/v1beta1/namespaces/${encodeURIComponent(gslb.namespace)}/gslbs/${encodeURIComponent(gslb.name)}/status`,
        body: update.patch,
        bodyType: 'merge-patch',
        onSuccess: () => written.set(gslb.uid, withoutTimes(update.json)),
      },
    ];
  }

  /** An Event when the outcome changed: a warning for a problem, a notice on recovery. */
  private eventFor(gslb: GslbSource, resolution: Resolution): PlannedEvent | null {
    const outcome =
      resolution.reason === 'Serving' ? 'Serving' : `${resolution.reason} ${resolution.message}`;
    const previous = this.lastOutcome.get(gslb.uid);
    this.lastOutcome.set(gslb.uid, outcome);
    if (previous === outcome) return null;
    const involved = {
      apiVersion: GSLB_API,
      kind: 'Gslb',
      namespace: gslb.namespace,
      name: gslb.name,
      uid: gslb.uid,
    };
    if (resolution.reason !== 'Serving')
      return { involved, type: 'Warning', reason: resolution.reason, message: resolution.message };
    // The first pass of a healthy Gslb is not news; a recovery is.
    if (previous === undefined) return null;
    return { involved, type: 'Normal', reason: 'Serving', message: resolution.message };
  }
}

/** Status JSON without lastTransitionTime, which differs between passes until the write lands. */
function withoutTimes(json: string): string {
  return json.replace(/"lastTransitionTime":"[^"]*"/g, '');
}

function forget<V>(map: Map<string, V>, keep: ReadonlySet<string>): void {
  for (const key of [...map.keys()]) if (!keep.has(key)) map.delete(key);
}

function groupProblems(problems: readonly BuildProblem[]): Map<string, BuildProblem[]> {
  const grouped = new Map<string, BuildProblem[]>();
  for (const problem of problems) {
    const list = grouped.get(problem.gslb) ?? [];
    list.push(problem);
    grouped.set(problem.gslb, list);
  }
  return grouped;
}

/** A Gslb whose hosts the table could not serve (taken by another Gslb, say) is not Ready. */
function withBuildProblems(
  resolution: Resolution,
  problems: BuildProblem[] | undefined,
): Resolution {
  if (problems === undefined || resolution.reason !== 'Serving') return resolution;
  const reason: ReadyReason = 'HostsNotServed';
  return {
    ...resolution,
    reason,
    message: problems.map((p) => `${p.host}: ${p.reason}`).join('; '),
  };
}
