/**
 * The ZoneDelegation controller of Kubernetes mode: watches every
 * ZoneDelegation, creates the ones k8gb bootstraps from DNS_ZONES that are
 * missing (once per leadership, after the first list), and on
 * every change and every interval reconciles each (reconcile-zone-delegation.ts).
 * Only the holder of its Lease writes (one writer among replicas, as for the
 * Gslb source); a pass that failed somewhere comes back sooner, 1 s doubling
 * up to the interval. Passes never overlap, and every request in them is
 * bounded, so a stuck parent server delays the next pass, never stacks them.
 * An object that cannot be read is reported once per version (log and
 * Warning Event) and skipped; the others go on.
 */
import { doublingDelayMs } from '../../backoff';
import type { ZoneWriteState } from '../../delegation/delegation-writer';
import { nameServerName } from '../../gslb/k8gb-naming';
import type { ZoneSpec } from '../../table/model';
import type { Logger } from '../../telemetry/logger';
import type { KubeApi, KubeObject, Watcher } from '../client/kube-api';
import { WriterLease } from '../reconcile/writer-lease';
import {
  reconcileZoneDelegation,
  type GlueReading,
  type ReconcileDeps,
} from './reconcile-zone-delegation';
import { readZoneDelegation, type ZoneDelegation } from './zone-delegation-object';
import { DELEGATED } from './delegation-status';
import { bootstrapCreate, delegationEvent, type DelegationRequest } from './zone-delegation-writes';

const LEASE_NAME = 'meridian-delegation';
const LEASE_DURATION_MS = 15_000;
const LEASE_RENEW_MS = 2_000;
/** Changes closer together than this share a pass. */
const DEBOUNCE_MS = 200;
const FIRST_RETRY_MS = 1_000;
/** ZoneDelegations acted on per pass; a fleet has a handful. */
const MAX_OBJECTS = 500;
const RESOURCE = { group: 'k8gb.io', version: 'v1beta1', plural: 'zonedelegations' };

/** What the controller needs besides the reconcile's own dependencies. */
export interface ZoneDelegationControllerOptions extends Omit<
  ReconcileDeps,
  'send' | 'signal' | 'now'
> {
  readonly api: KubeApi;
  /** POD_NAMESPACE: where the Lease lives. */
  readonly namespace: string;
  readonly identity: string;
  /** DNS_ZONES, bootstrapped as ZoneDelegations. */
  readonly bootstrap: readonly ZoneSpec[];
  readonly readGlue: () => Promise<GlueReading>;
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly now: () => number;
}

export class ZoneDelegationController {
  private readonly objects = new Map<string, KubeObject>();
  private readonly states = new Map<string, ZoneWriteState>();
  private readonly toldProblems = new Set<string>();
  private readonly stopping = new AbortController();
  private readonly lease: WriterLease;
  private watcher: Watcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private failures = 0;
  /** Whether this leadership has created the DNS_ZONES ZoneDelegations that were missing. */
  private bootstrapped = false;
  /** The ZoneDelegations have been listed once: before that, every one looks missing. */
  private synced = false;

  constructor(private readonly options: ZoneDelegationControllerOptions) {
    this.lease = new WriterLease({
      api: options.api,
      namespace: options.namespace,
      name: LEASE_NAME,
      identity: options.identity,
      leaseDurationMs: LEASE_DURATION_MS,
      renewIntervalMs: LEASE_RENEW_MS,
      onChange: (leading) => {
        options.logger.info({ leading }, leading ? 'writing delegations' : 'not the writer');
        this.bootstrapped = false;
        if (leading) this.soon();
      },
    });
  }

  start(): void {
    this.lease.start();
    this.watcher = this.options.api.watch(RESOURCE, {
      onEvent: ({ type, object }) => {
        if (type === 'delete') this.objects.delete(object.metadata.name);
        else this.objects.set(object.metadata.name, object);
        this.soon();
      },
      onSynced: () => {
        this.synced = true;
        this.soon();
      },
      onError: (error) =>
        this.options.logger.warn(
          { err: error.message, code: 'MERIDIAN_ERR_KUBE' },
          'ZoneDelegation watch failed; retrying',
        ),
    });
  }

  /** Every ZoneDelegation's delegation as last written by this replica. */
  status(): ZoneWriteState[] {
    return [...this.states.values()];
  }

  /** The ZoneDelegations as last seen, valid ones only (for peer discovery). */
  delegations(): ZoneDelegation[] {
    return [...this.objects.values()].flatMap((object) => {
      const read = readZoneDelegation(object);
      return read.ok ? [read.delegation] : [];
    });
  }

  /** Peer `geoTag`'s name-server addresses in every ZoneDelegation's status (k8gb's peer source). */
  peerAddresses(geoTag: string): string[] {
    const { gluePrefix } = this.options;
    return [
      ...new Set(
        this.delegations().flatMap((zd) => {
          const name = nameServerName(gluePrefix, geoTag, zd.zone, zd.parent);
          return zd.servers.filter((e) => e.name === name).map((e) => e.address);
        }),
      ),
    ];
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    if (this.timer !== null) clearTimeout(this.timer);
    this.watcher?.stop();
    await this.running;
    await this.lease.stop();
  }

  /** A pass after the debounce (or, while one runs, right after it). */
  private soon(delayMs = DEBOUNCE_MS): void {
    if (this.stopping.signal.aborted) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), delayMs);
    this.timer.unref();
  }

  private run(): void {
    this.timer = null;
    this.running = this.pass()
      .catch((err: unknown) => {
        this.failures += 1;
        this.options.logger.error(
          { err: (err as Error).message, code: 'MERIDIAN_ERR_DELEGATION' },
          'delegation pass failed',
        );
      })
      .finally(() => {
        this.running = null;
        const { intervalMs } = this.options;
        const retry = doublingDelayMs(this.failures, FIRST_RETRY_MS, intervalMs);
        const next = this.again ? DEBOUNCE_MS : this.failures > 0 ? retry : intervalMs;
        this.again = false;
        this.soon(next);
      });
  }

  private async pass(): Promise<void> {
    if (!this.lease.isLeading()) {
      this.failures = 0;
      return;
    }
    const glue = await this.options.readGlue();
    const read = [...this.objects.values()].slice(0, MAX_OBJECTS).map(readZoneDelegation);
    const present = new Set(read.flatMap((r) => (r.ok ? [r.delegation.zone] : [])));
    // Once per leadership, as k8gb's bootstrap runs at start: a ZoneDelegation a
    // user deleted stays deleted until the next start.
    if (!this.bootstrapped && this.synced)
      for (const zone of this.options.bootstrap)
        if (!present.has(zone.name)) await this.send(bootstrapCreate(zone));
    this.bootstrapped ||= this.synced;
    let failed = 0;
    for (const entry of read) {
      if (this.stopping.signal.aborted) return;
      if (!entry.ok) {
        this.tellProblem(entry);
        continue;
      }
      if (!(await this.reconcile(entry.delegation, glue))) failed += 1;
    }
    this.failures = failed > 0 ? this.failures + 1 : 0;
  }

  /** Reconciles one object; false when it should be retried soon. */
  private async reconcile(delegation: ZoneDelegation, glue: GlueReading): Promise<boolean> {
    const { options } = this;
    const result = await reconcileZoneDelegation(delegation, glue, {
      ...options,
      send: (request) => this.send(request),
      now: () => new Date(options.now()),
      signal: this.stopping.signal,
    });
    const { state } = result;
    const before = delegation.conditions.find((c) => c.type === DELEGATED);
    const changed =
      before?.status !== (state.ok ? 'True' : 'False') || before.reason !== state.reason;
    const facts = { zoneDelegation: delegation.name, zone: delegation.zone, reason: state.reason };
    if (changed) {
      if (state.ok)
        options.logger.info(facts, `ZoneDelegation ${delegation.name}: ${state.message}`);
      else
        options.logger.error(
          { ...facts, err: state.message, code: 'MERIDIAN_ERR_DELEGATION' },
          `ZoneDelegation ${delegation.name}: cannot delegate ${delegation.zone}`,
        );
      const type = state.ok ? 'Normal' : 'Warning';
      const reason = state.ok ? `Delegation${state.reason}` : state.reason;
      await this.send(
        delegationEvent(delegation, type, reason, state.message, new Date(options.now())),
      );
    }
    this.record(delegation, state, result.retry);
    return !result.retry;
  }

  private record(
    delegation: ZoneDelegation,
    state: { ok: boolean; message: string },
    retry: boolean,
  ): void {
    const before = this.states.get(delegation.name);
    const written = state.ok && !retry;
    this.states.set(delegation.name, {
      zone: delegation.zone,
      parent: delegation.parent,
      nameServer: nameServerName(
        this.options.gluePrefix,
        this.options.geoTag,
        delegation.zone,
        delegation.parent,
      ),
      state: written ? 'written' : 'failing',
      lastWritten: written
        ? new Date(this.options.now()).toISOString()
        : (before?.lastWritten ?? null),
      lastError: written ? null : state.message,
      failures: written ? 0 : (before?.failures ?? 0) + 1,
    });
  }

  private tellProblem(entry: {
    name: string;
    uid: string;
    resourceVersion: string;
    problem: string;
  }): void {
    const key = `${entry.uid} ${entry.resourceVersion}`;
    if (this.toldProblems.has(key)) return;
    if (this.toldProblems.size >= 1_000) this.toldProblems.clear();
    this.toldProblems.add(key);
    this.options.logger.warn(
      { zoneDelegation: entry.name, err: entry.problem, code: 'MERIDIAN_ERR_DELEGATION' },
      `ZoneDelegation ${entry.name} skipped: ${entry.problem}`,
    );
    void this.send(
      delegationEvent(
        entry,
        'Warning',
        'InvalidZoneDelegation',
        entry.problem,
        new Date(this.options.now()),
      ),
    );
  }

  /** One request; its HTTP status, 0 when no answer came (logged, never thrown). */
  private async send(request: DelegationRequest): Promise<number> {
    try {
      const reply = await this.options.api.request(
        request.method,
        request.path,
        request.body,
        request.bodyType,
      );
      if (reply.status >= 400 && reply.status !== 404 && reply.status !== 409)
        this.options.logger.warn(
          {
            method: request.method,
            path: request.path,
            status: reply.status,
            code: 'MERIDIAN_ERR_KUBE',
          },
          'ZoneDelegation write refused',
        );
      return reply.status;
    } catch (err) {
      this.options.logger.warn(
        {
          method: request.method,
          path: request.path,
          err: (err as Error).message,
          code: 'MERIDIAN_ERR_KUBE',
        },
        'ZoneDelegation write got no answer',
      );
      return 0;
    }
  }
}
