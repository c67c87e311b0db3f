/**
 * Polls every peer for every host: `A` and `AAAA localtargets-<host>.` (k8gb
 * asks only A; a k8gb peer answers AAAA with NODATA, which is harmless).
 *
 * Scheduling (cadence.ts): a poll starts every `intervalMs`; polls never
 * overlap. A poll ends when every query has ended or at its deadline,
 * `intervalMs` after its start: the queries still running are then abandoned
 * and those not sent skipped (counted as `skipped`, no verdict on the peer).
 * Each query is bounded by `timeoutMs` (< `intervalMs`), so only a poll with
 * more queries than fit the interval reaches the deadline; the next poll then
 * starts each peer where the last one stopped, so every host is asked in turn.
 *
 * Isolation: each peer gets an equal share of `maxInFlight` (the global cap),
 * its own workers and its own verdict, and its results are applied as soon as
 * its own queries end. A dead or silent peer only ever holds its own share,
 * and until a peer answers something in a poll it is sent at most `share`
 * queries (two at least) in that poll. So the answers of a healthy peer are
 * applied within its own round trips, whatever the others do.
 *
 * Verdict and hysteresis (see peer-health.ts): a poll in which a peer
 * answered anything (NOERROR with or without data, NXDOMAIN) is answered; one
 * in which it answered nothing (timeouts, network errors, SERVFAIL, REFUSED,
 * FORMERR, bad replies) is failed; it also moves to the peer's next known
 * address for the next poll. What is kept and served of the answers: peer-answers.ts.
 */
import type { QueryOutcome } from '../dns/client-message';
import { localTargetsName } from '../gslb/k8gb-naming';
import type { Logger } from '../telemetry/logger';
import type { PeerMetrics } from '../telemetry/peer-metrics';
import { ABORTED, sameServers, type DnsServer, type QueryFn } from './dns-client';
import { Cadence } from './cadence';
import { Limiter } from './limiter';
import { ADDRESS_TYPES, PeerAnswers, sameServed, type Served } from './peer-answers';
import { askRound, firstFailure, rotate, type Question, type Result } from './peer-round';
import { PeerHealth, type Hysteresis, type PollVerdict } from './peer-health';
import type { PeerHostEntry, PeerStatus, PeerView } from './peer-view';

/** A peer to poll: its geotag and its DNS servers, in order of preference. */
export interface PeerTarget {
  readonly geoTag: string;
  readonly servers: readonly DnsServer[];
}

/** What {@link PeerPoller} needs. */
export interface PeerPollerOptions {
  /** The peers and their current addresses; read at the start of every poll. */
  readonly peers: () => readonly PeerTarget[];
  /** The hosts to ask about (the table's hosts); read at the start of every poll. */
  readonly hosts: () => Iterable<string>;
  readonly query: QueryFn;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly maxInFlight: number;
  readonly hysteresis: Hysteresis;
  /** Wall clock in ms, for lastSuccess. */
  readonly now: () => number;
  readonly metrics: Pick<
    PeerMetrics,
    'recordQuery' | 'setPeerUp' | 'setLastSuccess' | 'recordPoll'
  >;
  readonly logger: Logger;
  /** Called with the new view whenever what is served changes. */
  readonly onChange: (view: PeerView) => void;
  /** Counts a failure no input should cause, caught so that polling goes on. */
  readonly onInternalError?: () => void;
}

interface PeerRecord {
  readonly geoTag: string;
  readonly health: PeerHealth;
  readonly answers: PeerAnswers;
  servers: readonly DnsServer[];
  serverIndex: number;
  /** Where the next poll starts in the question list. */
  cursor: number;
  lastSuccessMs: number | null;
  /** Why the last failed poll failed, or null when the last poll answered. */
  lastError: string | null;
}

export class PeerPoller {
  private readonly peers = new Map<string, PeerRecord>();
  private readonly limiter: Limiter;
  private hosts: readonly string[] = [];
  private cachedView: PeerView | null = null;
  private poll: { readonly controller: AbortController; readonly done: Promise<void> } | null =
    null;
  private readonly cadence: Cadence;
  private readonly firstPollEnded: Promise<void>;
  private endFirstPoll: () => void = () => undefined;

  constructor(private readonly options: PeerPollerOptions) {
    this.limiter = new Limiter(options.maxInFlight);
    this.firstPollEnded = new Promise((resolve) => {
      this.endFirstPoll = resolve;
    });
    this.cadence = new Cadence(
      options.intervalMs,
      () => this.pollOnce(),
      (err) => {
        options.onInternalError?.();
        options.logger.error(
          { err, code: 'MERIDIAN_ERR_INTERNAL' },
          'peer poll failed; polling again at the next interval',
        );
      },
    );
  }

  /** Starts polling now and every interval after. */
  start(): void {
    this.cadence.start();
  }

  /** Abandons the running poll and stops; resolves when nothing is left running. */
  async stop(): Promise<void> {
    const stopping = this.cadence.stop();
    this.poll?.controller.abort();
    await stopping;
  }

  /** The current view (rebuilt only after a change of state). */
  view(): PeerView {
    this.cachedView ??= this.buildView();
    return this.cachedView;
  }

  /**
   * Resolves when the first poll has ended: every peer has been heard from
   * or has failed it (a peer starts down, so one that failed is declared
   * down), or the poll reached its deadline.
   */
  firstPoll(): Promise<void> {
    return this.firstPollEnded;
  }

  /** Queries in flight now, for tests and diagnostics. */
  get inFlight(): number {
    return this.limiter.inFlight;
  }

  /**
   * Runs one poll of every peer for every host; resolves by its deadline. A
   * call while a poll runs joins that poll: polls never overlap.
   */
  pollOnce(): Promise<void> {
    if (this.poll !== null) return this.poll.done;
    const controller = new AbortController();
    const done = this.runPoll(controller).finally(() => {
      this.poll = null;
      this.endFirstPoll();
    });
    this.poll = { controller, done };
    return done;
  }

  private async runPoll(controller: AbortController): Promise<void> {
    const started = performance.now();
    const deadline = setTimeout(() => controller.abort(), this.options.intervalMs);
    try {
      this.hosts = [...new Set(this.options.hosts())];
      this.cachedView = null;
      const peers = this.syncPeers(this.options.peers());
      const share = Math.max(1, Math.floor(this.options.maxInFlight / Math.max(1, peers.length)));
      await Promise.all(peers.map((peer) => this.pollPeer(peer, share, controller.signal)));
    } finally {
      clearTimeout(deadline);
      this.options.metrics.recordPoll((performance.now() - started) / 1000);
    }
  }

  /** Keeps one record per configured peer, taking up new addresses. */
  private syncPeers(targets: readonly PeerTarget[]): PeerRecord[] {
    const current = new Set(targets.map((t) => t.geoTag));
    for (const geoTag of this.peers.keys()) if (!current.has(geoTag)) this.peers.delete(geoTag);
    return targets.map((target) => {
      let peer = this.peers.get(target.geoTag);
      if (peer === undefined) {
        peer = {
          geoTag: target.geoTag,
          health: new PeerHealth(this.options.hysteresis),
          answers: new PeerAnswers(this.options.hysteresis.downAfter),
          servers: target.servers,
          serverIndex: 0,
          cursor: 0,
          lastSuccessMs: null,
          lastError: null,
        };
        this.peers.set(target.geoTag, peer);
        this.options.metrics.setPeerUp(target.geoTag, false, false);
      } else if (!sameServers(peer.servers, target.servers)) {
        peer.servers = target.servers;
        peer.serverIndex = 0;
        this.cachedView = null;
      }
      return peer;
    });
  }

  private async pollPeer(peer: PeerRecord, share: number, signal: AbortSignal): Promise<void> {
    const questions = rotate(
      this.hosts.flatMap((host) => ADDRESS_TYPES.map((type) => ({ host, type }))),
      peer.cursor,
    );
    const server = peer.servers[peer.serverIndex % Math.max(1, peer.servers.length)];
    if (server === undefined) {
      if (questions.length > 0)
        this.options.metrics.recordQuery(peer.geoTag, 'no_address', questions.length);
      this.apply(peer, [], questions.length > 0 ? 'failed' : 'none');
      return;
    }
    const round = await askRound(questions, share, signal, (question) =>
      this.ask(server, question, signal),
    );
    for (const [outcome, count] of round.counts)
      this.options.metrics.recordQuery(peer.geoTag, outcome, count);
    if (round.resumeAt < questions.length)
      peer.cursor = (peer.cursor + round.resumeAt) % questions.length;
    this.apply(peer, round.results, round.verdict);
  }

  /** One query under the global cap and the per-query timeout. */
  private async ask(
    server: DnsServer,
    question: Question,
    poll: AbortSignal,
  ): Promise<QueryOutcome> {
    if (!(await this.limiter.acquire(poll))) return ABORTED;
    const timeout = new AbortController();
    // The poller bounds the query itself rather than trusting the QueryFn to.
    const timer = setTimeout(() => timeout.abort(), this.options.timeoutMs);
    try {
      const name = `${localTargetsName(question.host)}.`;
      const outcome = await this.options.query(
        server,
        name,
        question.type,
        AbortSignal.any([poll, timeout.signal]),
      );
      if (!outcome.ok && outcome.failure === 'aborted' && !poll.aborted)
        return {
          ok: false,
          failure: 'timeout',
          detail: `no reply within ${this.options.timeoutMs} ms`,
        };
      return outcome.ok || outcome.failure !== 'aborted' ? outcome : ABORTED;
    } finally {
      clearTimeout(timer);
      this.limiter.release();
    }
  }

  /** Applies one peer's poll and tells the listener when what is served changed. */
  private apply(peer: PeerRecord, results: readonly Result[], verdict: PollVerdict): void {
    const before = this.served(peer);
    const now = this.options.now();
    peer.answers.keepOnly(new Set(this.hosts));
    for (const { question, outcome } of results)
      peer.answers.record(question.host, question.type, outcome, now);
    if (verdict === 'answered') {
      peer.lastSuccessMs = now;
      peer.lastError = null;
      this.options.metrics.setLastSuccess(peer.geoTag, now);
    }
    if (verdict === 'failed') this.pollFailed(peer, results);
    if (peer.health.record(verdict)) this.stateChanged(peer, results);
    this.cachedView = null;
    if (sameServed(before, this.served(peer))) return;
    try {
      this.options.onChange(this.view());
    } catch (err) {
      // The listener's failure is its own: polling of this and other peers goes on.
      this.options.onInternalError?.();
      this.options.logger.error(
        { err, code: 'MERIDIAN_ERR_INTERNAL' },
        'peer view listener failed',
      );
    }
  }

  /** Logs why, and moves to the peer's next address for the next poll. */
  private pollFailed(peer: PeerRecord, results: readonly Result[]): void {
    const server = peer.servers[peer.serverIndex % Math.max(1, peer.servers.length)] ?? null;
    if (peer.servers.length > 1) peer.serverIndex++;
    peer.lastError = firstFailure(results);
    this.options.logger.debug(
      { peer: peer.geoTag, server, failure: firstFailure(results) },
      `peer ${peer.geoTag} answered nothing in this poll`,
    );
  }

  private stateChanged(peer: PeerRecord, results: readonly Result[]): void {
    const up = peer.health.state === 'up';
    // Answers received before going down are never served again.
    if (!up) peer.answers.wentDown();
    this.options.metrics.setPeerUp(peer.geoTag, up, true);
    const fields = { peer: peer.geoTag, lastSuccessMs: peer.lastSuccessMs };
    if (up) this.options.logger.info(fields, `peer ${peer.geoTag} is up; serving its targets`);
    else
      this.options.logger.warn(
        {
          ...fields,
          downAfter: this.options.hysteresis.downAfter,
          failure: firstFailure(results),
          code: 'MERIDIAN_ERR_PEER',
        },
        `peer ${peer.geoTag} is down after failed polls; its targets are no longer served`,
      );
  }

  /** What is served for `peer`. */
  private served(peer: PeerRecord): Served {
    return peer.answers.served(peer.health.state === 'up');
  }

  private buildView(): PeerView {
    const peers = new Map<string, PeerStatus>();
    for (const peer of this.peers.values()) {
      peers.set(
        peer.geoTag,
        Object.freeze({
          state: peer.health.state,
          lastSuccessMs: peer.lastSuccessMs,
          failedPolls: peer.health.failedPolls,
          lastError: peer.lastError,
          server: peer.servers[peer.serverIndex % Math.max(1, peer.servers.length)] ?? null,
        }),
      );
    }
    const hosts = new Map<string, ReadonlyMap<string, PeerHostEntry>>();
    for (const host of this.hosts) {
      const entries = new Map<string, PeerHostEntry>();
      for (const peer of this.peers.values()) entries.set(peer.geoTag, this.entryOf(peer, host));
      hosts.set(host, entries);
    }
    return Object.freeze({ peers, hosts });
  }

  private entryOf(peer: PeerRecord, host: string): PeerHostEntry {
    return Object.freeze({
      addresses: peer.answers.servedAddresses(host, peer.health.state === 'up'),
      state: peer.health.state,
      lastSuccessMs: peer.answers.lastSuccessMs(host),
      ...(peer.answers.withdrawn(host) ? { withdrawn: true } : {}),
    });
  }
}
