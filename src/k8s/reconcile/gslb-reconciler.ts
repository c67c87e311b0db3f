/**
 * Reconcile passes: resolve Gslbs against the watched objects, decide what
 * to serve, and list the writes that bring the cluster in line (status,
 * Events, the Ingresses Meridian owns, Gslbs made from annotated Ingresses).
 *
 * A pass is incremental: it resolves only the Gslbs whose dependencies (the
 * objects and names their last resolution read) changed, rebuilds the table
 * only when some Gslb's records changed, and plans writes only for Gslbs
 * whose outcome may have changed. With 10,000 Gslbs a full pass costs the
 * better part of a second of the event loop that also answers DNS; a status
 * echo or an EndpointSlice flip now costs one Gslb's work plus, when records
 * changed, one table build. A full pass (everything dirty) remains for the
 * first pass, the periodic resync and a new writer.
 *
 * Gslbs of both API groups go through it alike, each under its own id
 * (GslbSource.id), so a legacy Gslb and a k8gb.io one of the same name are
 * two entries; only their writes differ (legacy-gslb.ts: never an Ingress).
 *
 * Pure apart from the memory it keeps between passes (per Gslb: the last
 * resolution, what it read, last good records, what was written), all
 * bounded by the number of watched objects. The source sends the writes.
 */
import type { BuildProblem } from '../../table/build-snapshot';
import type { GslbRecord } from '../../table/model';
import { ingressAnnotationGslb, ingressWrites, type IngressSyncState } from './ingress-sync';
import { OrphanWatch, type OrphanClock } from './orphans';
import { ServedTracker, withServed, type ServedLookup } from './table-served';
import { selfDependency, type Dependency, type ObjectIndex } from '../ingest/object-index';
import type { GslbSource } from '../ingest/gslb-objects';
import { groupProblems, problemText, withBuildProblems } from './build-problems';
import { Dependents, touchesKinds } from './dependents';
import { GslbWritePlan } from './gslb-writes';
import { eventWrite, type PlannedWrite } from './planned-write';
import { resolveGslb } from './resolve-gslb';
import { isServed, type Resolution, type ResolveContext } from './resolution';

/** The outcome of one pass. */
export interface PassResult {
  /** Every Gslb's served records. */
  readonly records: readonly GslbRecord[];
  readonly writes: readonly PlannedWrite[];
  /** Every Gslb's current resolution, by id (GslbSource.id), build problems included. */
  readonly resolutions: ReadonlyMap<string, Resolution>;
  /** Ids of the Gslbs whose resolution this pass (re)considered. */
  readonly considered: ReadonlySet<string>;
  /** Ids of the Gslbs gone since the previous pass. */
  readonly removed: ReadonlySet<string>;
  /** True when the table was rebuilt. */
  readonly served: boolean;
}

/** What changed since the previous pass: dependency keys, or everything. */
export type Changes = ReadonlySet<Dependency> | 'all';

/** What the reconciler keeps per Gslb between passes. */
interface GslbState {
  readonly uid: string;
  /** The resolution before build problems are applied. */
  resolution: Resolution;
  /** The records served for it (its own, or its last good ones). */
  served: readonly GslbRecord[];
  servedJson: string;
  reads: ReadonlySet<Dependency>;
  /**
   * The Gslb object and resolution for which no write was needed, or null.
   * While both stay the same, planning again (a status built and compared
   * as canonical JSON, 25 % of a full pass's CPU) would find nothing to do.
   */
  settled: { readonly gslb: GslbSource; readonly json: string } | null;
}

/** Options of {@link GslbReconciler}. */
export interface ReconcilerOptions {
  readonly context: ResolveContext;
  readonly geoTag: string;
  readonly now: () => Date;
  /** Builds the table from the records; returns the problems the build found. */
  readonly serve: (records: readonly GslbRecord[]) => readonly BuildProblem[];
  /**
   * Since when (ms) the Gslb collection has been listed and served, or null
   * while it is not (a 404): owned Ingresses are deleted only while it is.
   * Absent: never served, so nothing is ever deleted.
   */
  readonly gslbsServedSince?: () => number | null;
  /** What the table serves of a Gslb's hosts (its healthyRecords); absent: the local targets. */
  readonly served?: ServedLookup;
}

export class GslbReconciler {
  /** Gslb id → what the previous passes learnt about it. */
  private readonly states = new Map<string, GslbState>();
  /** Which Gslbs read what, in their last resolution. */
  private readonly dependents = new Dependents();
  /** Gslb id → the table's problems with its hosts, as text, from the last build. */
  private problems = new Map<string, BuildProblem[]>();
  /** Gslb id → resolution with build problems applied. */
  private readonly effective = new Map<string, Resolution>();
  /** uid → records of the last pass in which the Gslb was valid. */
  private readonly lastGood = new Map<string, readonly GslbRecord[]>();
  private readonly ingressState: IngressSyncState = {
    synced: new Map(),
    announced: new Set(),
    orphans: new OrphanWatch(),
  };
  private builtOnce = false;
  private readonly writePlan: GslbWritePlan;
  private readonly servedTracker = new ServedTracker();

  constructor(private readonly options: ReconcilerOptions) {
    this.writePlan = new GslbWritePlan(options.geoTag, options.now);
  }

  /**
   * One pass over the Gslbs `changes` can affect (all by default): serves
   * the records and returns the writes to send. A replica that is not the
   * writer plans none, and so remembers none as sent: when it becomes the
   * writer, its first pass (a full one) plans them all.
   */
  pass(index: ObjectIndex, writer = true, changes: Changes = 'all'): PassResult {
    const { considered, removed, recordsChanged } = this.resolveDirty(index, changes);
    const served = recordsChanged || !this.builtOnce;
    // A build decides conflicts and what peers add: other Gslbs' outcomes may change too.
    if (served) for (const key of this.serve()) considered.add(key);
    for (const key of considered) this.applyTable(key);
    const writes: PlannedWrite[] = [];
    if (writer) {
      for (const key of considered) writes.push(...this.planFor(index.gslbById(key)!));
      if (changes === 'all' || touchesKinds(changes, ['Gslb|', 'Ingress|']))
        writes.push(...this.ingressPlan(index));
    }
    return {
      records: this.allRecords(),
      writes,
      resolutions: this.effective,
      considered,
      removed,
      served,
    };
  }

  /** Milliseconds until an owned Ingress may be deleted, for a pass then; null when none waits. */
  orphanDueInMs(): number | null {
    return this.ingressState.orphans.nextDueInMs(this.options.now().getTime());
  }

  private orphanClock(): OrphanClock {
    return {
      nowMs: this.options.now().getTime(),
      gslbsServedSince: this.options.gslbsServedSince?.() ?? null,
    };
  }

  /** Resolves the Gslbs `changes` can affect and forgets those that are gone. */
  private resolveDirty(
    index: ObjectIndex,
    changes: Changes,
  ): { considered: Set<string>; removed: Set<string>; recordsChanged: boolean } {
    const considered = new Set<string>();
    const removed = new Set<string>();
    let recordsChanged = false;
    for (const key of this.dirtyKeys(index, changes)) {
      const gslb = index.gslbById(key);
      const state = this.states.get(key);
      if (state !== undefined && state.uid !== gslb?.uid) {
        this.drop(key, state);
        recordsChanged = true;
        if (gslb === undefined) removed.add(key);
      }
      if (gslb === undefined) continue;
      considered.add(key);
      if (this.resolve(index, gslb)) recordsChanged = true;
    }
    return { considered, removed, recordsChanged };
  }

  /**
   * Takes the problems of a table build this reconciler did not ask for (the
   * peers' answers or the geo database changed); returns the keys of the
   * Gslbs whose problems changed, whose status a pass should then plan.
   */
  acceptProblems(problems: readonly BuildProblem[]): string[] {
    return [...new Set([...this.takeProblems(problems), ...this.servedChanged()])];
  }

  /** The Gslbs whose hosts the table now answers differently. */
  private servedChanged(): string[] {
    const lookup = this.options.served;
    if (lookup === undefined) return [];
    const changed: string[] = [];
    for (const [key, state] of this.states)
      if (this.servedTracker.update(key, state.resolution.hosts, lookup)) changed.push(key);
    return changed;
  }

  /** The resolution as the table serves it: its problems, and healthyRecords from the table. */
  private applyTable(key: string): void {
    const state = this.states.get(key)!;
    const resolution = withServed(state.resolution, key, this.options.served);
    this.effective.set(key, withBuildProblems(resolution, this.problems.get(key)));
  }

  /**
   * Builds the table from every Gslb's records; returns the keys of the Gslbs
   * whose build problems or served addresses changed. A build decides conflicts between Gslbs, so
   * one Gslb's change can change another's outcome.
   */
  private serve(): string[] {
    const changed = this.takeProblems(this.options.serve(this.allRecords()));
    this.builtOnce = true;
    return [...new Set([...changed, ...this.servedChanged()])];
  }

  private takeProblems(problems: readonly BuildProblem[]): string[] {
    const previous = this.problems;
    this.problems = groupProblems(problems);
    const changed: string[] = [];
    for (const key of new Set([...previous.keys(), ...this.problems.keys()]))
      if (
        this.states.has(key) &&
        problemText(previous.get(key)) !== problemText(this.problems.get(key))
      )
        changed.push(key);
    return changed;
  }

  /** The keys to look at: every Gslb, or those depending on what changed. */
  private dirtyKeys(index: ObjectIndex, changes: Changes): Set<string> {
    if (changes === 'all') {
      const keys = new Set<string>();
      for (const gslb of index.allGslbs()) keys.add(gslb.id);
      for (const key of this.states.keys()) keys.add(key);
      return keys;
    }
    return this.dependents.affected(changes);
  }

  /** Resolves one Gslb and remembers what it read; true when its served records changed. */
  private resolve(index: ObjectIndex, gslb: GslbSource): boolean {
    const context = this.options.context;
    const { result: resolution, reads } = index.recordingReads(() =>
      resolveGslb(gslb, index, {
        ...context,
        lookupHostname: (name) => {
          index.noteRead(`Hostname|${name}`);
          return context.lookupHostname(name);
        },
      }),
    );
    reads.add(selfDependency(gslb));
    if (isServed(resolution)) this.lastGood.set(gslb.uid, resolution.records);
    else if (!resolution.keepLastGood) this.lastGood.delete(gslb.uid);
    const served = isServed(resolution) ? resolution.records : (this.lastGood.get(gslb.uid) ?? []);
    const servedJson = JSON.stringify(served);

    const state = this.states.get(gslb.id);
    if (state === undefined) {
      this.states.set(gslb.id, {
        uid: gslb.uid,
        resolution,
        served,
        servedJson,
        reads,
        settled: null,
      });
      this.dependents.link(gslb.id, reads);
      return true;
    }
    this.dependents.unlink(gslb.id, state.reads);
    this.dependents.link(gslb.id, reads);
    const changed = state.servedJson !== servedJson;
    state.resolution = resolution;
    state.reads = reads;
    // Unchanged records keep their identity, so the table build can reuse what it prepared for them.
    if (changed) {
      state.served = served;
      state.servedJson = servedJson;
    }
    return changed;
  }

  /** Forgets a Gslb that is gone or was recreated under the same name. */
  private drop(key: string, state: GslbState): void {
    this.servedTracker.forget(key);
    this.dependents.unlink(key, state.reads);
    this.states.delete(key);
    this.effective.delete(key);
    this.lastGood.delete(state.uid);
    this.writePlan.forget(state.uid);
  }

  private allRecords(): GslbRecord[] {
    const records: GslbRecord[] = [];
    for (const state of this.states.values()) records.push(...state.served);
    return records;
  }

  private planFor(gslb: GslbSource): PlannedWrite[] {
    const resolution = this.effective.get(gslb.id)!;
    // A first lookup in flight ends in a pass of its own moments later.
    if (resolution.pending === true) return [];
    const state = this.states.get(gslb.id)!;
    const json = JSON.stringify(resolution);
    if (state.settled !== null && state.settled.gslb === gslb && state.settled.json === json)
      return [];
    const writes = this.writePlan.statusWrites(gslb, resolution);
    for (const event of this.writePlan.eventsFor(gslb, resolution))
      writes.push(eventWrite(event, this.options.now()));
    state.settled = writes.length === 0 ? { gslb, json } : null;
    return writes;
  }

  private ingressPlan(index: ObjectIndex): PlannedWrite[] {
    const writes = ingressWrites(index, this.ingressState, this.orphanClock());
    for (const planned of ingressAnnotationGslb(index, this.ingressState, this.options.context))
      writes.push(
        planned.kind === 'event' ? eventWrite(planned.event, this.options.now()) : planned.write,
      );
    return writes;
  }
}
