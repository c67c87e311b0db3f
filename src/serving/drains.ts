/**
 * Drains: taking this cluster out of a Gslb's answers on purpose, without
 * breaking anything. A drain is declared on an object (an annotation on the
 * Gslb, or on the cluster's DNS Service for every Gslb) and carries the time
 * it was asked for, so what is served is a function of that declaration and
 * the clock alone, and a restart in the middle resumes where it was:
 *
 * 1. `ttl-lowered`: from the time asked, the drain TTL is served (never more
 *    than the Gslb's own), and this cluster's targets are still served;
 * 2. `withdrawn`: once the Gslb's own TTL has passed since then (so caches
 *    hold only short-lived answers), this cluster's targets leave every
 *    answer and its `localtargets-` name answers NODATA, so every peer, k8gb
 *    peers included, fails over;
 * 3. undrained (the declaration removed): `returning`, the reverse order:
 *    the targets are served again at once, still with the drain TTL, which
 *    returns to the Gslb's own after one of its TTLs, so that a return gone
 *    wrong can be drained again quickly. The return is remembered only in
 *    memory: a restart during it serves the Gslb's own TTL at once, which
 *    changes no address.
 *
 * Each step of a Gslb is a cause of kind `drain`, with who asked. Pure apart
 * from what it remembers between builds; the pipeline gives it the clock and
 * wakes it at the next step.
 */
import {
  sealRecord,
  type ClusterTargets,
  type DrainRequest,
  type GslbRecord,
  type SealedRecord,
} from '../table/model';
import type { CauseInput } from './decisions';
import type { RecordStage, StageOutcome } from './record-stage';

/** Where a Gslb's drain stands. */
export type DrainPhase = 'ttl-lowered' | 'withdrawn' | 'returning';

/** Where the drain came from: the Gslb's own declaration, or the cluster's. */
export type DrainScope = 'gslb' | 'cluster';

/** One Gslb's drain as served, for explain and status. */
export interface DrainState {
  readonly phase: DrainPhase;
  readonly scope: DrainScope;
  /** The declaration being served; null while returning. */
  readonly request: DrainRequest | null;
  /** The object the drain is (or was, while returning) declared on. */
  readonly declaredOn: DrainRequest['declaredOn'];
  /** Who asked for this step. */
  readonly requestedBy: string;
  /** The TTL served now, and the Gslb's own. */
  readonly ttlSeconds: number;
  readonly normalTtlSeconds: number;
  /** Wall-clock ms the drain counts from (first sight for a declaration without a time). */
  readonly sinceMs: number;
  /** Wall-clock ms of the next step (withdrawal, or the TTL's return), or null. */
  readonly nextStepMs: number | null;
}

/** What one build serves after the drains. */
export type DrainOutcome = StageOutcome;

/** What {@link Drains} needs. */
export interface DrainsOptions {
  /** MERIDIAN_DRAIN_TTL_SECONDS: the TTL served while a drain is under way. */
  readonly drainTtlSeconds: number;
  /** This cluster's geotag: the cluster a drain withdraws. */
  readonly localGeoTag: string;
}

/** A returning Gslb: when its TTL goes back, and who undrained it. */
interface Returning {
  readonly untilMs: number;
  readonly scope: DrainScope;
  readonly declaredOn: DrainRequest['declaredOn'];
  readonly requestedBy: string;
  readonly sinceMs: number;
}

/** The drains of the served table, read-only. */
export interface DrainView {
  /** Where the drain of Gslb `id` stands, or undefined when it is not drained. */
  stateOf(id: string): DrainState | undefined;
  /** Every Gslb under a drain, by id. */
  all(): ReadonlyMap<string, DrainState>;
  /** The cluster-wide declaration being served, or null. */
  clusterRequest(): DrainRequest | null;
}

/** What one apply() gathers. */
interface Step {
  readonly nowMs: number;
  readonly states: Map<string, DrainState>;
  readonly returning: Map<string, Returning>;
  readonly causes: CauseInput[];
}

export class Drains implements DrainView, RecordStage {
  private cluster: DrainRequest | null = null;
  private clusterChangedBy = '';
  private states = new Map<string, DrainState>();
  private returning = new Map<string, Returning>();
  /** Drained records by source record and phase, so an unchanged one keeps its identity. */
  private readonly memo = new WeakMap<SealedRecord, { phase: DrainPhase; out: SealedRecord }>();

  constructor(private readonly options: DrainsOptions) {}

  /**
   * The cluster-wide declaration (null: none), which applies to every Gslb,
   * and who last changed it (for the undrain's records).
   */
  setCluster(request: DrainRequest | null, changedBy: string): void {
    this.cluster = request;
    this.clusterChangedBy = changedBy;
  }

  /** The cluster-wide declaration being served, or null. */
  clusterRequest(): DrainRequest | null {
    return this.cluster;
  }

  /** Where the drain of Gslb `id` stands, or undefined when it is not drained. */
  stateOf(id: string): DrainState | undefined {
    return this.states.get(id);
  }

  /** Every Gslb under a drain, by id. */
  all(): ReadonlyMap<string, DrainState> {
    return this.states;
  }

  /** The records as served at `nowMs`, the steps taken since the last call and the next one due. */
  apply(records: readonly SealedRecord[], nowMs: number): DrainOutcome {
    const step: Step = { nowMs, states: new Map(), returning: new Map(), causes: [] };
    // One Gslb may come as several records (hosts split by health or peers): one state each.
    const seen = new Map<string, DrainState | null>();
    const out = records.map((record) => {
      let state = seen.get(record.id);
      if (state === undefined) {
        state = this.stepOf(record, step);
        seen.set(record.id, state);
      }
      return state === null ? record : this.served(record, state);
    });
    // A Gslb deleted while drained has its own cause; one still here is back to normal.
    for (const [id, was] of this.states)
      if (!step.states.has(id) && seen.has(id)) step.causes.push(restoredCause(id, was));
    this.states = step.states;
    this.returning = step.returning;
    const due = [...step.states.values()].flatMap((s) =>
      s.nextStepMs === null ? [] : [s.nextStepMs],
    );
    return {
      records: out,
      causes: step.causes,
      nextStepMs: due.length === 0 ? null : Math.min(...due),
    };
  }

  /** The state of `record`'s Gslb now, noted in `step` with the cause of any step it took. */
  private stepOf(record: SealedRecord, step: Step): DrainState | null {
    const request = earlier(record.drain ?? null, this.cluster);
    const state =
      request !== null
        ? this.drainedAt(record, request, step.nowMs)
        : this.returningAt(record, step);
    if (state === null) return null;
    step.states.set(record.id, state);
    const cause = stepCause(record, this.states.get(record.id), state);
    if (cause !== null) step.causes.push(cause);
    return state;
  }

  private drainedAt(record: SealedRecord, request: DrainRequest, nowMs: number): DrainState {
    const normal = record.ttlSeconds;
    const before = this.states.get(record.id);
    // A declaration without a time counts from when this Meridian first saw it.
    const sinceMs = Number.isFinite(request.sinceMs)
      ? request.sinceMs
      : before !== undefined && before.request !== null
        ? before.sinceMs
        : nowMs;
    const withdrawAtMs = sinceMs + normal * 1000;
    // Never back while still drained (one of two declarations removed, say).
    const withdrawn = nowMs >= withdrawAtMs || before?.phase === 'withdrawn';
    return {
      phase: withdrawn ? 'withdrawn' : 'ttl-lowered',
      scope: request === record.drain ? 'gslb' : 'cluster',
      request,
      declaredOn: request.declaredOn,
      requestedBy: request.requestedBy,
      ttlSeconds: Math.min(normal, this.options.drainTtlSeconds),
      normalTtlSeconds: normal,
      sinceMs,
      nextStepMs: withdrawn ? null : withdrawAtMs,
    };
  }

  private returningAt(record: SealedRecord, step: Step): DrainState | null {
    const before = this.states.get(record.id);
    let back = this.returning.get(record.id);
    if (before !== undefined && before.phase !== 'returning')
      back = {
        untilMs: step.nowMs + before.normalTtlSeconds * 1000,
        scope: before.scope,
        sinceMs: before.sinceMs,
        declaredOn: before.declaredOn,
        requestedBy:
          before.scope === 'cluster' ? this.clusterChangedBy : (record.drainChangedBy ?? ''),
      };
    if (back === undefined || step.nowMs >= back.untilMs) return null;
    step.returning.set(record.id, back);
    return {
      phase: 'returning',
      scope: back.scope,
      request: null,
      declaredOn: back.declaredOn,
      requestedBy: back.requestedBy,
      ttlSeconds: Math.min(record.ttlSeconds, this.options.drainTtlSeconds),
      normalTtlSeconds: record.ttlSeconds,
      sinceMs: back.sinceMs,
      nextStepMs: back.untilMs,
    };
  }

  private served(record: SealedRecord, state: DrainState): SealedRecord {
    const known = this.memo.get(record);
    if (known !== undefined && known.phase === state.phase) return known.out;
    const local = this.options.localGeoTag;
    const clusters: readonly ClusterTargets[] =
      state.phase !== 'withdrawn'
        ? record.clusters
        : [
            ...record.clusters.filter((c) => c.geoTag !== local),
            { geoTag: local, addresses: [], healthy: false, withdrawn: true },
          ];
    const out = sealRecord({ ...record, ttlSeconds: state.ttlSeconds, clusters });
    this.memo.set(record, { phase: state.phase, out });
    return out;
  }
}

/** The declaration asked for first, of two (a Gslb's own and the cluster's). */
function earlier(a: DrainRequest | null, b: DrainRequest | null): DrainRequest | null {
  if (a === null) return b;
  if (b === null) return a;
  return b.sinceMs < a.sinceMs ? b : a;
}

const seconds = (n: number): string => `${n} s`;
const iso = (ms: number): string => new Date(ms).toISOString();

/** The cause of the step from `before` to `now` of one Gslb, or null when it took none. */
function stepCause(
  record: GslbRecord,
  before: DrainState | undefined,
  now: DrainState,
): CauseInput | null {
  if (before?.phase === now.phase) return null;
  const base = {
    kind: 'drain' as const,
    gslbs: [record.id],
    object: now.declaredOn,
    ...(now.requestedBy === '' ? {} : { requestedBy: now.requestedBy }),
  };
  const scope = now.scope === 'cluster' ? 'cluster drain' : 'drain';
  switch (now.phase) {
    case 'ttl-lowered':
      return {
        ...base,
        detail: `${scope} asked at ${iso(now.sinceMs)}: TTL lowered from ${seconds(now.normalTtlSeconds)} to ${seconds(now.ttlSeconds)}; targets withdrawn at ${iso(now.nextStepMs!)}`,
      };
    case 'withdrawn':
      return {
        ...base,
        detail: `${scope}: this cluster's targets withdrawn, ${seconds(now.normalTtlSeconds)} (the old TTL) after it was asked at ${iso(now.sinceMs)}`,
      };
    case 'returning':
      return {
        ...base,
        detail: `undrained: this cluster's targets served again; TTL stays ${seconds(now.ttlSeconds)} until ${iso(now.nextStepMs!)}`,
      };
  }
}

/** The cause of a Gslb leaving the drain altogether (its TTL back to its own). */
function restoredCause(id: string, was: DrainState): CauseInput {
  return {
    kind: 'drain',
    gslbs: [id],
    object: was.declaredOn,
    ...(was.requestedBy === '' ? {} : { requestedBy: was.requestedBy }),
    detail:
      was.phase === 'returning'
        ? `drain over: TTL back to ${seconds(was.normalTtlSeconds)}`
        : `drain over: the Gslb is served as before`,
  };
}
