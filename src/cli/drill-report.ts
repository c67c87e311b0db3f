/**
 * The drill's evidence as one JSON document (its schema is
 * docs/drill-report.schema.json): what was drilled and by whom, every
 * cluster's version, table and Gslb generation, each server's lane and
 * timings, each cluster's decision records, and the verdict against the
 * objective with every finding that made it fail. Times in the lanes are
 * seconds from the drain (negative before it), so that two drills read alike.
 */
import type { DrillLane, LaneSegment } from './drill-lanes';
import type { ClusterDecisions, DrillCluster, DrillDecision, DrillPlan } from './drill-plan';
import type { DrillMarks, DrillRun } from './drill-run';

/** The format's name and version, first in every report. */
export const DRILL_REPORT_FORMAT = 'meridian-drill-report/v1';

/** How long one direction took at one server, and how much of it Meridian waited on purpose. */
export interface DrillTiming {
  readonly seconds: number;
  /** From the drain (undrain) to the drained cluster's own table changing: the TTL wait; null unknown. */
  readonly meridianSeconds: number | null;
  /** The rest: peers polling, caches expiring. */
  readonly propagationSeconds: number | null;
  readonly withinObjective: boolean;
}

/** One server's part. */
export interface ServerReport {
  readonly server: string;
  /** The clusters it answered before the drain. */
  readonly before: readonly string[];
  /** Null when it never stopped naming the drained cluster (or never named it: see `before`). */
  readonly failover: DrillTiming | null;
  /** Null when it did not name the drained cluster again, or had not before. */
  readonly failback: DrillTiming | null;
  readonly queries: number;
  readonly failed: number;
  readonly empty: number;
  readonly drainedDuringHold: number;
  readonly lastFailure: string | null;
  readonly truncated: boolean;
  readonly segments: readonly {
    readonly fromSeconds: number;
    readonly toSeconds: number;
    readonly kind: LaneSegment['kind'];
    readonly clusters: readonly string[];
    readonly samples: number;
  }[];
}

/** The whole report. */
export interface DrillReport {
  readonly format: typeof DRILL_REPORT_FORMAT;
  readonly outcome: 'pass' | 'fail' | 'interrupted';
  readonly summary: string;
  readonly gslb: string;
  readonly host: string;
  readonly type: 'A' | 'AAAA';
  readonly strategy: string;
  readonly ttlSeconds: number;
  readonly failedCluster: string;
  readonly standingClusters: readonly string[];
  readonly drainedVia: string;
  readonly requestedBy: string;
  readonly objectiveSeconds: number;
  readonly holdSeconds: number;
  readonly pollIntervalMs: number;
  readonly times: Readonly<Record<DrillTimeName, string | null>>;
  readonly clusters: readonly DrillCluster[];
  readonly servers: readonly ServerReport[];
  readonly decisions: readonly ClusterDecisions[];
  readonly undrained: boolean;
  readonly interrupted: boolean;
  /** Every reason the drill did not pass, in sentences; empty on a pass. */
  readonly findings: readonly string[];
}

/** The drill's moments, as the report names them. */
export type DrillTimeName =
  | 'startedAt'
  | 'drainedAt'
  | 'ttlExpiresAt'
  | 'withdrawnAt'
  | 'switchedAt'
  | 'undrainedAt'
  | 'restoredAt'
  | 'returnedAt'
  | 'finishedAt';

/** What the report is made of. */
export interface ReportInputs {
  readonly plan: DrillPlan;
  readonly run: DrillRun;
  readonly decisions: readonly ClusterDecisions[];
  readonly drainedVia: string;
  readonly requestedBy: string;
  readonly objectiveMs: number;
  readonly holdMs: number;
  readonly pollMs: number;
}

/** Builds the report and its verdict. */
export function buildReport(inputs: ReportInputs): DrillReport {
  const { plan, run } = inputs;
  const { marks } = run;
  const own = inputs.decisions.find((d) => d.geoTag === plan.fail)?.records ?? [];
  const withdrawnAt = ownChange(own, plan.drainedTargets, marks.drainedAt, 'withdrawn');
  const restoredAt = ownChange(own, plan.drainedTargets, marks.undrainedAt, 'restored');
  const zero = marks.drainedAt ?? marks.startedAt;
  const servers = run.lanes.map((lane) =>
    serverReport(lane, { marks, zero, withdrawnAt, restoredAt, objectiveMs: inputs.objectiveMs }),
  );
  const findings = findingsOf(run, servers, inputs.objectiveMs);
  const outcome = run.interrupted ? 'interrupted' : findings.length === 0 ? 'pass' : 'fail';
  const iso = (ms: number | null): string | null =>
    ms === null ? null : new Date(ms).toISOString();
  const times: Record<DrillTimeName, string | null> = {
    startedAt: iso(marks.startedAt),
    drainedAt: iso(marks.drainedAt),
    ttlExpiresAt: iso(marks.drainedAt === null ? null : marks.drainedAt + plan.ttlSeconds * 1000),
    withdrawnAt: iso(withdrawnAt),
    switchedAt: iso(marks.switchedAt),
    undrainedAt: iso(marks.undrainedAt),
    restoredAt: iso(restoredAt),
    returnedAt: iso(marks.returnedAt),
    finishedAt: iso(marks.finishedAt),
  };
  return {
    format: DRILL_REPORT_FORMAT,
    outcome,
    summary: summaryOf(outcome, plan, servers, run),
    gslb: plan.gslb,
    host: plan.host,
    type: plan.type,
    strategy: plan.strategy,
    ttlSeconds: plan.ttlSeconds,
    failedCluster: plan.fail,
    standingClusters: plan.standing,
    drainedVia: inputs.drainedVia,
    requestedBy: inputs.requestedBy,
    objectiveSeconds: inputs.objectiveMs / 1000,
    holdSeconds: inputs.holdMs / 1000,
    pollIntervalMs: inputs.pollMs,
    times,
    clusters: plan.clusters,
    servers,
    decisions: inputs.decisions,
    undrained: run.undrained,
    interrupted: run.interrupted,
    findings: outcome === 'interrupted' ? ['interrupted before the end', ...findings] : findings,
  };
}

/** When the drained cluster's own table dropped (or took back) its targets, from its records. */
function ownChange(
  records: readonly DrillDecision[],
  targets: readonly string[],
  fromMs: number | null,
  change: 'withdrawn' | 'restored',
): number | null {
  if (fromMs === null) return null;
  const has = (addresses: readonly string[]): boolean => addresses.some((a) => targets.includes(a));
  const record = records.find(
    (r) =>
      Date.parse(r.time) >= fromMs - CLOCK_SLACK_MS &&
      (change === 'withdrawn' ? has(r.before) && !has(r.after) : !has(r.before) && has(r.after)),
  );
  return record === undefined ? null : Math.max(fromMs, Date.parse(record.time));
}

/** Records are stamped by the clusters' clocks: a record this much before the drain still counts. */
const CLOCK_SLACK_MS = 1_000;

interface LaneContext {
  readonly marks: DrillMarks;
  readonly zero: number;
  readonly withdrawnAt: number | null;
  readonly restoredAt: number | null;
  readonly objectiveMs: number;
}

function serverReport(lane: DrillLane, context: LaneContext): ServerReport {
  const { zero } = context;
  const firstAnswer = lane.segments.find((s) => s.kind === 'answer');
  return {
    server: lane.server,
    before: firstAnswer?.clusters ?? [],
    failover: failoverOf(lane, context),
    failback: failbackOf(lane, context),
    queries: lane.queries,
    failed: lane.failed,
    empty: lane.empty,
    drainedDuringHold: lane.drainedDuringHold,
    lastFailure: lane.lastFailureDetail,
    truncated: lane.truncated,
    segments: lane.segments.map((s) => ({
      fromSeconds: round((s.fromMs - zero) / 1000),
      toSeconds: round((Math.max(s.toMs, s.fromMs) - zero) / 1000),
      kind: s.kind,
      clusters: s.clusters,
      samples: s.samples,
    })),
  };
}

/** From the drain to the first sample after which no sample named the drained cluster. */
function failoverOf(lane: DrillLane, context: LaneContext): DrillTiming | null {
  const { drainedAt, undrainedAt } = context.marks;
  if (drainedAt === null) return null;
  const end = undrainedAt ?? Infinity;
  const named = (s: LaneSegment): boolean => s.clusters.includes(lane.drainedCluster);
  const during = lane.segments.filter((s) => s.toMs >= drainedAt && s.fromMs < end);
  const lastNamed = during.findLastIndex(named);
  if (lastNamed === -1) return timing(0, context.withdrawnAt, drainedAt, context.objectiveMs);
  const after = during.slice(lastNamed + 1).find((s) => s.kind === 'answer');
  if (after === undefined) return null;
  return timing(after.fromMs - drainedAt, context.withdrawnAt, drainedAt, context.objectiveMs);
}

/** From the undrain to the first sample naming the drained cluster again. */
function failbackOf(lane: DrillLane, context: LaneContext): DrillTiming | null {
  const { undrainedAt } = context.marks;
  if (undrainedAt === null || !lane.sawDrained('baseline')) return null;
  const back = lane.segments.find(
    (s) => s.fromMs >= undrainedAt && s.clusters.includes(lane.drainedCluster),
  );
  if (back === undefined) return null;
  return timing(back.fromMs - undrainedAt, context.restoredAt, undrainedAt, context.objectiveMs);
}

function timing(
  ms: number,
  ownChangeAt: number | null,
  fromMs: number,
  objectiveMs: number,
): DrillTiming {
  const meridian = ownChangeAt === null ? null : Math.min(ms, ownChangeAt - fromMs);
  return {
    seconds: round(ms / 1000),
    meridianSeconds: meridian === null ? null : round(meridian / 1000),
    propagationSeconds: meridian === null ? null : round((ms - meridian) / 1000),
    withinObjective: ms <= objectiveMs,
  };
}

function findingsOf(
  run: DrillRun,
  servers: readonly ServerReport[],
  objectiveMs: number,
): string[] {
  const findings = [...run.problems];
  const objective = `${objectiveMs / 1000} s`;
  for (const s of servers) {
    if (run.marks.drainedAt !== null && s.failover === null)
      findings.push(`${s.server} never stopped naming the drained cluster`);
    if (s.failover !== null && !s.failover.withinObjective)
      findings.push(
        `${s.server} failed over in ${s.failover.seconds} s, over the objective of ${objective}`,
      );
    if (s.failback !== null && !s.failback.withinObjective)
      findings.push(
        `${s.server} failed back in ${s.failback.seconds} s, over the objective of ${objective}`,
      );
    if (s.failed > 0)
      findings.push(
        `${s.server} left ${s.failed} of ${s.queries} queries unanswered (last: ${s.lastFailure ?? 'unknown'})`,
      );
    if (s.empty > 0)
      findings.push(`${s.server} answered ${s.empty} of ${s.queries} queries with no address`);
    if (s.drainedDuringHold > 0)
      findings.push(
        `${s.server} named the drained cluster again ${s.drainedDuringHold} times during the hold`,
      );
  }
  return [...new Set(findings)];
}

function summaryOf(
  outcome: DrillReport['outcome'],
  plan: DrillPlan,
  servers: readonly ServerReport[],
  run: DrillRun,
): string {
  const worst = (pick: (s: ServerReport) => DrillTiming | null): string => {
    const values = servers.flatMap((s) => {
      const t = pick(s);
      return t === null ? [] : [t.seconds];
    });
    return values.length === 0 ? 'n/a' : `${Math.max(...values)} s`;
  };
  const verdict = { pass: 'PASS', fail: 'FAIL', interrupted: 'INTERRUPTED' }[outcome];
  const still = run.undrained ? '' : ` ${plan.fail} IS STILL DRAINED.`;
  const undrainedAt = run.marks.undrainedAt ?? Infinity;
  const zero = run.marks.drainedAt ?? run.marks.startedAt;
  const to = [
    ...new Set(
      servers.flatMap((s) =>
        s.segments
          .filter((g) => g.kind === 'answer' && g.fromSeconds > 0)
          .filter((g) => zero + g.fromSeconds * 1000 < undrainedAt)
          .flatMap((g) => g.clusters.filter((c) => c !== plan.fail)),
      ),
    ),
  ].sort();
  return (
    `${verdict}: ${plan.fail} drained for ${plan.host}; ${servers.length} servers failed over to ` +
    `${to.join(', ') || 'nothing'} in at most ${worst((s) => s.failover)} and back in at most ${worst((s) => s.failback)}.${still}`
  );
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
