/**
 * The one owner of the record table. It holds every input a table is built
 * from (the source's records, the peers' view, the geo locator, the drains),
 * and runs one build for everything that changed within `batchMs`, swaps the
 * table in, counts the build and hands its problems to the source: flush()
 * returns them to the source that asked for the build, and every scheduled
 * build tells the listener. A failed build keeps the last table and the last
 * problems: a Gslb that was reported stays reported. Record stages
 * (record-stage.ts: the probes, then the drains) are applied to the source's
 * records in each build and wake it at their steps.
 *
 * Each input comes with what caused it; after each build the answer differ
 * finds the hosts whose answer sets changed, and the decision listeners get
 * one record per change with the causes that explain it (decisions.ts).
 * Until the answers are opened (the warm start), changes are only remembered.
 * Records are sealed on the way in (model.ts), so that a record object seen
 * again is the same content and the build reuses what it prepared for it.
 */
import { randomUUID } from 'node:crypto';
import {
  EMPTY_PEER_VIEW,
  withPeerTargets,
  type PeerMergeMemo,
  type PeerView,
} from '../peers/peer-view';
import { BuildReuse } from '../table/build-reuse';
import {
  buildSnapshot,
  type BuildInput,
  type BuildProblem,
  type BuildResult,
} from '../table/build-snapshot';
import type { GeoLocator } from '../table/geo-locator';
import { sealRecord, type DrainRequest, type GslbRecord, type SealedRecord } from '../table/model';
import { AnswerDiffer } from './answer-differ';
import { CauseCollector } from './cause-collector';
import type { CauseInput, DecisionListener, DecisionRecord } from './decisions';
import { Drains, type DrainView } from './drains';
import { guarded } from './guarded';
import { StepAlarm } from './step-alarm';
import { peerCauses } from './peer-causes';
import {
  defaultTimers,
  type InputChange,
  type PipelineTimers,
  type ProblemsListener,
  type TablePipelineOptions,
} from './pipeline-options';
import { ProblemLog } from './problem-log';
import type { RecordStage } from './record-stage';
import { ServedHosts, type ServedHost } from './served-hosts';

export type { InputChange, PipelineTimers, ProblemsListener, TablePipelineOptions };

export class TablePipeline {
  private readonly timers: PipelineTimers;
  private readonly build: (input: BuildInput) => BuildResult;
  private readonly reuse = new BuildReuse();
  private readonly peerMemo: PeerMergeMemo = new WeakMap();
  private records: readonly SealedRecord[] = [];
  private peerView: PeerView = EMPTY_PEER_VIEW;
  private locator: GeoLocator | null = null;
  private locatorVersion = 0;
  /** The records the served table was built from, peers' targets merged in, by id. */
  private built: ReadonlyMap<string, GslbRecord> = new Map();
  private readonly servedHosts = new ServedHosts();
  private lastProblems: readonly BuildProblem[] = [];
  private readonly problemLog: ProblemLog;
  private readonly pending = new Set<InputChange>();
  private timer: unknown = null;
  private listener: ProblemsListener | null = null;
  private builds = 0;
  private stopped = false;
  private readonly differ: AnswerDiffer;
  private readonly newId: () => string;
  private readonly causes: CauseCollector;
  private geoReloaded = false;
  private answering = false;
  private readonly decisionListeners: DecisionListener[] = [];
  private readonly drains: Drains;
  private readonly stages: readonly RecordStage[];
  private readonly stepAlarm: StepAlarm;

  constructor(private readonly options: TablePipelineOptions) {
    this.timers = options.timers ?? defaultTimers;
    this.build = options.build ?? buildSnapshot;
    this.newId = options.newId ?? randomUUID;
    this.causes = new CauseCollector(this.newId);
    this.problemLog = new ProblemLog(options.logger);
    this.drains = new Drains({
      drainTtlSeconds: options.drainTtlSeconds ?? 5,
      localGeoTag: options.localGeoTag,
    });
    this.stages = [...(options.stages ?? []), this.drains];
    for (const stage of this.stages) stage.attach?.(() => this.changed('stage'));
    this.stepAlarm = new StepAlarm(this.timers, options.now, () => this.changed('stage'));
    this.differ = new AnswerDiffer({
      geoTag: options.localGeoTag,
      replica: options.replica ?? '',
      newId: this.newId,
    });
  }

  /** The source's records, replacing the previous ones, and what caused the change. */
  setRecords(records: readonly GslbRecord[], causes: readonly CauseInput[] = []): void {
    this.records = records.map(sealRecord);
    this.causes.add(causes);
    this.changed('source');
  }

  /** The peers' current view. */
  setPeerView(view: PeerView): void {
    if (view === this.peerView) return;
    this.causes.add(peerCauses(this.peerView, view));
    this.peerView = view;
    this.changed('peers');
  }

  /** The cluster-wide drain as declared now (null: none), and who last changed it. */
  setClusterDrain(request: DrainRequest | null, changedBy: string): void {
    const was = this.drains.clusterRequest();
    if (Object.is(was?.sinceMs, request?.sinceMs) && was?.requestedBy === request?.requestedBy)
      return;
    this.drains.setCluster(request, changedBy);
    this.changed('drain');
  }

  /** The drains of the served table, for explain and status. */
  get drainView(): DrainView {
    return this.drains;
  }

  /** Answers are served from now on: changes are recorded, not only remembered. */
  openAnswers(): void {
    this.answering = true;
  }

  /** Adds a listener of decision records (the log, the audit file, Kubernetes Events). */
  onDecisions(listener: DecisionListener): void {
    this.decisionListeners.push(listener);
  }

  /** The geo locator; set once at start, before the first build. */
  setGeoLocator(locator: GeoLocator | null): void {
    this.locator = locator;
    this.locatorVersion++;
  }

  /** The locator's database was replaced: targets must be located again. */
  geoLocatorChanged(): void {
    this.locatorVersion++;
    this.geoReloaded = true;
    this.causes.add([{ kind: 'geo-database-reloaded' }]);
    this.changed('geo');
  }

  /**
   * The source that hears the problems of scheduled builds (one: a pipeline
   * serves one source); the problems of a flush are flush()'s result.
   */
  onProblems(listener: ProblemsListener): void {
    this.listener = listener;
  }

  /**
   * Builds now when something changed or no table exists yet, instead of
   * waiting for the batch; returns the problems of the table served after.
   */
  flush(): readonly BuildProblem[] {
    if (this.pending.size > 0 || this.options.holder.current() === null) this.run(false);
    return this.lastProblems;
  }

  /** The problems of the table being served. */
  problems(): readonly BuildProblem[] {
    return this.lastProblems;
  }

  /**
   * The addresses the served table answers for `host` when Gslb `gslbId`
   * holds it, and the clusters they come from. The same object while the
   * table's address list is the same one (builds reuse unchanged lists), so
   * that callers can tell a change by identity.
   */
  served(host: string, gslbId: string): ServedHost | undefined {
    const entry = this.options.holder.current()?.names.get(host);
    if (entry?.owner !== gslbId) return undefined;
    return this.servedHosts.of(entry.served, this.built.get(gslbId));
  }

  /**
   * What the served table was built from, for explaining an answer: the
   * records with the peers' targets merged in (by id), the peers' view and
   * the geo locator. Read-only views; they change with the next build.
   */
  builtFrom(): {
    readonly records: ReadonlyMap<string, GslbRecord>;
    readonly peers: PeerView;
    readonly locator: GeoLocator | null;
  } {
    return { records: this.built, peers: this.peerView, locator: this.locator };
  }

  /** The hosts of the source's records (what peers are asked about). */
  hosts(): string[] {
    return this.records.flatMap((record) => record.hosts);
  }

  /** Served hosts and types the answer differ remembers (one entry each). */
  get decisionStateSize(): number {
    return this.differ.size;
  }

  /** Build attempts so far, failed ones included. */
  get buildCount(): number {
    return this.builds;
  }

  /** Cancels a scheduled build; the table keeps serving. */
  stop(): void {
    this.stopped = true;
    this.cancelTimer();
    this.stepAlarm.stop();
  }

  private changed(change: InputChange): void {
    this.pending.add(change);
    if (this.timer !== null || this.stopped) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.run(true);
    }, this.options.batchMs);
  }

  private cancelTimer(): void {
    if (this.timer === null) return;
    this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  /** One build of every input as it is now; never throws. */
  private run(notify: boolean): void {
    this.cancelTimer();
    const changes = [...this.pending];
    this.pending.clear();
    this.builds++;
    // The last good table keeps serving, and with it the last problems.
    const failed = 'table build failed; serving the last good table';
    guarded(this.options, failed, () => this.swapIn(changes), { changes });
    if (notify) this.notify();
  }

  private swapIn(changes: readonly InputChange[]): void {
    const { holder, logger } = this.options;
    const started = performance.now();
    const gslbs = withPeerTargets(this.applyStages(), this.peerView, this.peerMemo);
    const { snapshot, problems } = this.build({
      zones: this.options.zones,
      gslbs,
      localGeoTag: this.options.localGeoTag,
      hostPolicy: this.options.hostPolicy ?? null,
      geoLocator: this.locator ?? undefined,
      geoLocatorVersion: this.locatorVersion,
      reuse: this.reuse,
      serial: holder.nextSerial(this.options.now()),
      generation: holder.nextGeneration(),
    });
    holder.swap(snapshot);
    this.built = new Map(gslbs.map((record) => [record.id, record]));
    this.lastProblems = problems;
    const seconds = (performance.now() - started) / 1000;
    this.options.metrics.recordBuild(seconds, problems.length, this.options.now());
    this.problemLog.report(problems);
    logger.info(
      {
        generation: snapshot.generation,
        serial: snapshot.serial,
        hosts: snapshot.hostCount,
        records: snapshot.recordCount,
        changes,
        seconds,
      },
      'record table swapped',
    );
    const records = this.differ.observe(
      {
        snapshot,
        records: this.built,
        locator: this.locator,
        geoReloaded: this.geoReloaded,
        causes: this.causes.take(),
        time: new Date(this.options.now()).toISOString(),
      },
      this.answering,
    );
    this.geoReloaded = false;
    if (records.length > 0) this.tellDecisions(records);
  }

  /** The source's records through every stage, their causes noted, the alarm at the next step. */
  private applyStages(): readonly SealedRecord[] {
    const now = this.options.now();
    let records = this.records;
    let next = Infinity;
    for (const stage of this.stages) {
      const outcome = stage.apply(records, now);
      this.causes.add(outcome.causes);
      records = outcome.records;
      next = Math.min(next, outcome.nextStepMs ?? Infinity);
    }
    this.stepAlarm.set(next === Infinity ? null : next);
    return records;
  }

  // A listener's failure is its own: the table is built and served.
  private tellDecisions(records: readonly DecisionRecord[]): void {
    for (const listener of this.decisionListeners)
      guarded(this.options, 'decision listener failed', () => listener(records));
  }

  private notify(): void {
    guarded(this.options, 'table problems listener failed', () =>
      this.listener?.(this.lastProblems),
    );
  }
}
