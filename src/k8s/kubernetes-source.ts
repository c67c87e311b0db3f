/**
 * The Kubernetes source: watches Gslbs and the objects they reference,
 * reconciles after every change (coalesced), hands the records to the table
 * and sends the writes the reconcile plans. It is ready once every watcher has
 * listed once; before that nothing is served, so a half-listed cluster never
 * answers NXDOMAIN for a name that exists.
 *
 * It composes client/ (the apiserver: requests, list-then-watch), ingest/
 * (objects reduced, indexed) and reconcile/ (resolution, writes, the lease).
 */
import type { HostPort } from '../config/host-port';
import { messageOf } from '../errors';
import type { CauseInput, DecisionRecord } from '../serving/decisions';
import type { BuildProblem } from '../table/build-snapshot';
import type { GslbRecord } from '../table/model';
import type { Logger } from '../telemetry/logger';
import type { KubeMetrics } from '../telemetry/kube-metrics';
import type { KubeApi, Watcher } from './client/kube-api';
import {
  ObjectIndex,
  RESOURCES,
  WATCHED_KINDS,
  type Dependency,
  type WatchedKind,
} from './ingest/object-index';
import { decisionEvents } from './reconcile/decision-events';
import { GslbReconciler, type Changes } from './reconcile/gslb-reconciler';
import { HostnameCache } from './reconcile/hostname-cache';
import type { ResolveContext } from './reconcile/resolution';
import type { ServedLookup } from './reconcile/table-served';
import { recordGslbMetrics } from './reconcile/gslb-metrics';
import { Outbox } from './reconcile/outbox';
import { PassTriggers } from './reconcile/pass-triggers';
import { eventWrite } from './reconcile/planned-write';
import { WriteQueue } from './reconcile/write-queue';
import { WriterLease } from './reconcile/writer-lease';
import { InternalErrors } from './internal-errors';
import { WatchErrors } from './watch-errors';
import { KubeProvenance } from './kube-provenance';
import type { Resolution } from './reconcile/resolution';

/** Options of {@link KubernetesSource}. */
export interface KubernetesSourceOptions {
  readonly api: KubeApi;
  readonly geoTag: string;
  readonly defaultTtlSeconds: number;
  readonly clusterExposedIps: readonly string[];
  readonly inZone: (host: string) => boolean;
  /** Where exposed host names are resolved; empty means the system's resolvers. */
  readonly edgeDnsServers: readonly HostPort[];
  /** Quiet time after a change before reconciling. */
  readonly debounceMs: number;
  /** A reconcile runs at the latest this long after the first pending change. */
  readonly maxDelayMs: number;
  /** Periodic reconcile and re-resolution of exposed host names (RECONCILE_REQUEUE_SECONDS). */
  readonly resyncIntervalMs: number;
  readonly logger: Logger;
  readonly metrics: KubeMetrics;
  readonly now: () => Date;
  /** Serves `records`, built for `causes`; returns the problems the table build found. */
  readonly serve: (
    records: readonly GslbRecord[],
    causes: readonly CauseInput[],
  ) => readonly BuildProblem[];
  /** The Lease that elects the one replica that writes; null: this replica always writes. */
  readonly writerLease: { readonly namespace: string; readonly identity: string } | null;
  /** What the table serves of a Gslb's hosts, for status.healthyRecords. */
  readonly served?: ServedLookup;
  /** Counts a failure no input should cause, caught so that the source goes on. */
  readonly onInternalError?: () => void;
  /** Reads the cluster-wide drain from the objects before each pass (MERIDIAN_DNS_SERVICE). */
  readonly readClusterDrain?: (index: ObjectIndex) => void;
}

/** Most concurrent writes: enough for 10,000 status writes in seconds, gentle on the apiserver. */
const WRITE_CONCURRENCY = 8;
/** Bound of the write queue; every write is planned again by the next pass. */
const MAX_PENDING_WRITES = 100_000;
const MAX_WRITE_ATTEMPTS = 5;
const MAX_HOSTNAMES = 10_000;
const DNS_TIMEOUT_MS = 2_000;
/** client-go's defaults: another replica takes over writing within 15 s of a crash. */
const LEASE_NAME = 'meridian-writer';
/** Longest a stream of changes may delay a pass, however long passes take. */
const MAX_ADAPTIVE_DELAY_MS = 1_000;
const LEASE_DURATION_MS = 15_000;
const LEASE_RENEW_MS = 2_000;

export class KubernetesSource {
  private readonly index = new ObjectIndex();
  private readonly synced = new Set<WatchedKind>();
  private readonly watchers: Watcher[] = [];
  private readonly reconciler: GslbReconciler;
  private readonly hostnames: HostnameCache;
  private readonly writes: WriteQueue;
  /** Where the passes' writes go: Events correlated, then the write queue. */
  private readonly outbox: Outbox;
  private readonly lease: WriterLease | null;
  private readonly log: Logger;
  private readonly watchErrors: WatchErrors;
  /** What changed since the last pass; everything until the first pass ran. */
  private changes: Set<Dependency> | 'all' = 'all';
  /** The objects behind those changes, for the causes of decision records. */
  private readonly triggers = new PassTriggers();
  private debounceTimer: NodeJS.Timeout | undefined;
  private firstPendingAt = 0;
  private lastPassMs = 0;
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private reconciledOnce = false;
  private readonly internalErrors: InternalErrors;
  /** Since when the Gslb collection has been served (ms), or null while a list answers 404. */
  private gslbsServedSince: number | null = null;
  private orphanTimer: NodeJS.Timeout | undefined;
  private resolutions: ReadonlyMap<string, Resolution> | null = null;
  /** Where each Gslb's part here came from, for explanations. */
  readonly provenance: KubeProvenance;

  constructor(private readonly options: KubernetesSourceOptions) {
    this.log = options.logger;
    this.internalErrors = new InternalErrors(options.logger, options.onInternalError);
    this.provenance = new KubeProvenance(
      this.index,
      () => this.resolutions,
      options.clusterExposedIps,
    );
    this.watchErrors = new WatchErrors(options.logger, options.metrics);
    this.hostnames = new HostnameCache({
      servers: options.edgeDnsServers,
      maxNames: MAX_HOSTNAMES,
      timeoutMs: DNS_TIMEOUT_MS,
      onChange: (name) => this.schedule([`Hostname|${name}`]),
    });
    const context: ResolveContext = {
      geoTag: options.geoTag,
      defaultTtlSeconds: options.defaultTtlSeconds,
      clusterExposedIps: options.clusterExposedIps,
      inZone: options.inZone,
      lookupHostname: (name) => this.hostnames.lookup(name),
    };
    this.reconciler = new GslbReconciler({
      context,
      geoTag: options.geoTag,
      now: options.now,
      serve: options.serve,
      gslbsServedSince: () => this.gslbsServedSince,
      ...(options.served === undefined ? {} : { served: options.served }),
    });
    this.lease =
      options.writerLease === null
        ? null
        : new WriterLease({
            api: options.api,
            namespace: options.writerLease.namespace,
            name: LEASE_NAME,
            identity: options.writerLease.identity,
            leaseDurationMs: LEASE_DURATION_MS,
            renewIntervalMs: LEASE_RENEW_MS,
            onChange: (leading) => {
              this.log.info(
                { lease: `${options.writerLease?.namespace}/${LEASE_NAME}`, leading },
                leading ? 'this replica now writes status and Events' : 'another replica writes',
              );
              options.metrics.setWriter(leading);
              // The new writer plans every write afresh.
              this.schedule('all');
            },
          });
    this.writes = new WriteQueue({
      concurrency: WRITE_CONCURRENCY,
      maxPending: MAX_PENDING_WRITES,
      maxAttempts: MAX_WRITE_ATTEMPTS,
      onResult: (kind, result) => options.metrics.recordWrite(kind, result),
    });
    this.outbox = new Outbox({
      api: options.api,
      log: this.log,
      queue: this.writes,
      now: options.now,
      onEventDropped: (type) => options.metrics.recordEventDropped(type),
    });
  }

  /** Starts every watcher; returns at once (see notReadyReason). */
  start(): void {
    this.log.info({ apiserver: this.options.api.describe() }, 'watching Kubernetes');
    for (const kind of WATCHED_KINDS) {
      this.options.metrics.setSynced(kind, false);
      this.watchers.push(this.watchKind(kind));
    }
    this.lease?.start();
    this.resyncTimer = setInterval(
      () =>
        this.guard('the periodic resync', () => {
          this.hostnames.refresh();
          // Catches what no event announces: a write that gave up, a status changed back by hand.
          this.schedule('all');
        }),
      this.options.resyncIntervalMs,
    );
    this.resyncTimer.unref();
  }

  /** Null when ready; otherwise what is still missing. */
  notReadyReason(): string | null {
    const waiting = WATCHED_KINDS.filter((k) => !this.synced.has(k));
    if (waiting.length > 0) return `waiting for the first list of ${waiting.join(', ')}`;
    return this.reconciledOnce ? null : 'first reconcile pending';
  }

  /** Stops watching; waits up to `graceMs` for writes in flight. */
  async stop(graceMs = 2_000): Promise<void> {
    this.stopped = true;
    for (const watcher of this.watchers) watcher.stop();
    clearTimeout(this.debounceTimer);
    clearInterval(this.resyncTimer);
    clearTimeout(this.orphanTimer);
    this.hostnames.stop();
    await this.writes.idle(graceMs);
    this.writes.stop();
    await this.lease?.stop();
  }

  /**
   * The problems of a table build triggered by something else than this
   * source (the peers, the geo database): the Gslbs whose problems changed
   * get a pass, so that their status says what is served.
   */
  problemsChanged(problems: readonly BuildProblem[]): void {
    if (this.stopped) return;
    const keys = this.reconciler.acceptProblems(problems);
    if (keys.length > 0) this.schedule(keys.map((key) => `Table|${key}`));
  }

  /**
   * Decision records of a table build, as AnswerChanged Events on their
   * Gslbs; only the writer sends them, so two replicas never double them.
   */
  decisionsMade(records: readonly DecisionRecord[]): void {
    if (this.stopped || !(this.lease?.isLeading() ?? true)) return;
    const now = this.options.now();
    for (const event of decisionEvents(records, this.index))
      this.outbox.send(eventWrite(event, now));
  }

  /** Watcher restarts so far, for tests and diagnostics. */
  watchRestarts(): number {
    return this.watchers.reduce((sum, w) => sum + w.restarts(), 0);
  }

  private watchKind(kind: WatchedKind): Watcher {
    const resource = RESOURCES[kind];
    return this.options.api.watch(resource, {
      onEvent: (event) =>
        this.guard(`a ${kind} event`, () => {
          this.watchErrors.progress(kind);
          this.options.metrics.recordWatchEvent(kind);
          const touched = new Set<Dependency>();
          this.index.apply(kind, event, touched);
          this.triggers.record(kind === 'LegacyGslb' ? 'Gslb' : kind, event.object, touched);
          this.schedule(touched);
        }),
      onListed: () => {
        if (kind === 'Gslb') this.gslbsServedSince ??= this.options.now().getTime();
      },
      onSynced: () => {
        this.synced.add(kind);
        this.options.metrics.setSynced(kind, true);
        this.log.info({ resource: kind }, 'listed');
        // A (re)list may have replaced anything of this kind.
        this.schedule('all');
      },
      onError: (error) => {
        if (kind === 'Gslb' && error.statusCode === 404) this.gslbsServedSince = null;
        this.watchErrors.report(kind, error);
      },
    });
  }

  /**
   * Coalesces changes: reconciles after `debounceMs` of quiet, at most
   * `maxDelayMs` after the first, or twice the last pass's time when that is
   * longer (up to 1 s): under a steady stream of changes (10,000 Gslbs being
   * created, their status echoes) passes that rebuild a large table then take
   * at most a third of the event loop that also answers DNS.
   */
  private schedule(changed: Iterable<Dependency> | 'all'): void {
    if (this.stopped) return;
    if (changed === 'all') this.changes = 'all';
    else if (this.changes !== 'all') for (const dependency of changed) this.changes.add(dependency);
    const now = performance.now();
    if (this.debounceTimer === undefined) this.firstPendingAt = now;
    clearTimeout(this.debounceTimer);
    const waited = now - this.firstPendingAt;
    const longest = Math.max(
      this.options.maxDelayMs,
      Math.min(2 * this.lastPassMs, MAX_ADAPTIVE_DELAY_MS),
    );
    const delay = Math.max(0, Math.min(this.options.debounceMs, longest - waited));
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      this.guard('a reconcile pass', () => this.reconcile());
    }, delay);
  }

  private reconcile(): void {
    if (this.stopped || this.notReadyReason()?.startsWith('waiting') === true) return;
    const started = performance.now();
    const changes: Changes = this.changes;
    this.changes = new Set();
    const writer = this.lease?.isLeading() ?? true;
    this.options.readClusterDrain?.(this.index);
    const result = this.reconciler.pass(this.index, writer, changes, this.triggers.take());
    this.reconciledOnce = true;
    this.resolutions = result.resolutions;
    for (const key of result.considered)
      if (result.resolutions.get(key)?.failed === true)
        this.internalErrors.report(`resolving Gslb ${key}`, result.resolutions.get(key)?.message);
    for (const write of result.writes) this.outbox.send(write);
    this.armOrphanCheck();
    recordGslbMetrics(this.options.metrics, this.index, result, this.options.geoTag);
    this.lastPassMs = performance.now() - started;
    this.options.metrics.recordReconcile(this.lastPassMs / 1000);
  }

  /** A pass when an owned Ingress whose Gslb went may be deleted (orphans.ts). */
  private armOrphanCheck(): void {
    const due = this.reconciler.orphanDueInMs();
    if (due === null || this.orphanTimer !== undefined) return;
    this.orphanTimer = setTimeout(() => {
      this.orphanTimer = undefined;
      // Any Gslb| change makes the pass look at the owned Ingresses; this one names no Gslb.
      this.guard('the orphan check', () => this.schedule(['Gslb|*/*']));
    }, due + 1);
    this.orphanTimer.unref();
  }

  /**
   * Runs a callback of a timer or a watcher: whatever escapes it is caught,
   * counted and logged (once per distinct failure), and the source goes on
   * serving its last table; nothing a tenant writes can stop the process.
   */
  private guard(what: string, run: () => void): void {
    try {
      run();
    } catch (err) {
      this.internalErrors.report(what, messageOf(err));
    }
  }
}
