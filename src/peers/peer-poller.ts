/**
 * Polls every peer for every host: `A` and `AAAA localtargets-<host>.` (k8gb
 * asks only A; a k8gb peer answers AAAA with NODATA, which is harmless).
 *
 * Scheduling rule: a poll starts every `intervalMs`; polls never overlap. A
 * poll ends when every query has ended or at its deadline, `intervalMs`
 * after its start, whichever is first: at the deadline the queries still
 * running are abandoned and those not sent are skipped (both counted as
 * `skipped`, no verdict on the peer), so the next poll starts on time. Each
 * query is bounded by `timeoutMs` (< `intervalMs`), so only a poll with more
 * queries than fit the interval reaches the deadline; the next poll then
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
 * FORMERR, bad replies) is failed. A failed poll also moves to the peer's next
 * known address for the next poll. Per host and type, an answer replaces the
 * last one; `downAfter` failures in a row forget it.
 *
 * Served view: a down peer's targets are not served, and answers from before
 * it went down are never served again: only answers received since.
 */
import type { Logger } from '../telemetry/logger';
import { localTargetsName } from '../gslb/k8gb-naming';
import type { PeerMetrics, PeerQueryOutcome } from '../telemetry/peer-metrics';
import { ABORTED, type DnsServer, type QueryFn } from './dns-client';
import type { AddressType, QueryOutcome } from '../dns/client-message';
import { Limiter } from './limiter';
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
}

const TYPES: readonly AddressType[] = ['A', 'AAAA'];

interface Question {
  readonly host: string;
  readonly type: AddressType;
}

/** The last answer for one host and type. */
interface Answer {
  readonly addresses: readonly string[];
  readonly lastSuccessMs: number;
  /** The peer's epoch when received; answers from an older epoch are not served. */
  readonly epoch: number;
  failures: number;
}

interface PeerRecord {
  readonly geoTag: string;
  readonly health: PeerHealth;
  /** Bumped each time the peer goes down. */
  epoch: number;
  servers: readonly DnsServer[];
  serverIndex: number;
  /** Where the next poll starts in the question list. */
  cursor: number;
  lastSuccessMs: number | null;
  readonly answers: Map<string, Partial<Record<AddressType, Answer>>>;
}

interface Result {
  readonly question: Question;
  readonly outcome: QueryOutcome;
}

export class PeerPoller {
  private readonly peers = new Map<string, PeerRecord>();
  private readonly limiter: Limiter;
  private hosts: readonly string[] = [];
  private cachedView: PeerView | null = null;
  private poll: { readonly controller: AbortController; readonly done: Promise<void> } | null =
    null;
  private loop: Promise<void> | null = null;
  private stopped = false;
  private sleep: { timer: NodeJS.Timeout; wake: () => void } | null = null;

  constructor(private readonly options: PeerPollerOptions) {
    this.limiter = new Limiter(options.maxInFlight);
  }

  /** Starts polling now and every interval after. */
  start(): void {
    if (this.loop !== null || this.stopped) return;
    this.loop = this.run();
  }

  /** Abandons the running poll and stops; resolves when nothing is left running. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.poll?.controller.abort();
    if (this.sleep !== null) {
      clearTimeout(this.sleep.timer);
      this.sleep.wake();
    }
    await this.loop;
  }

  /** The current view (rebuilt only after a change of state). */
  view(): PeerView {
    this.cachedView ??= this.buildView();
    return this.cachedView;
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

  private async run(): Promise<void> {
    // Polls start at planned times, start + k × interval, so the cadence does
    // not drift; after a stall (event loop blocked) it restarts from now
    // rather than running the missed polls in a burst.
    let planned = performance.now();
    while (!this.stopped) {
      try {
        await this.pollOnce();
      } catch (err) {
        this.options.logger.error(
          { err, code: 'MERIDIAN_ERR_INTERNAL' },
          'peer poll failed; polling again at the next interval',
        );
      }
      planned += this.options.intervalMs;
      const wait = planned - performance.now();
      if (wait < 0) planned = performance.now();
      if (wait > 0 && !this.stopped) await this.sleepFor(wait);
    }
  }

  private sleepFor(ms: number): Promise<void> {
    return new Promise<void>((wake) => {
      this.sleep = {
        timer: setTimeout(() => {
          this.sleep = null;
          wake();
        }, ms),
        wake,
      };
    });
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
          epoch: 0,
          servers: target.servers,
          serverIndex: 0,
          cursor: 0,
          lastSuccessMs: null,
          answers: new Map(),
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
      this.hosts.flatMap((host) => TYPES.map((type) => ({ host, type }))),
      peer.cursor,
    );
    const server = peer.servers[peer.serverIndex % Math.max(1, peer.servers.length)];
    if (server === undefined) {
      if (questions.length > 0)
        this.options.metrics.recordQuery(peer.geoTag, 'no_address', questions.length);
      this.apply(peer, [], questions.length > 0 ? 'failed' : 'none');
      return;
    }
    const results: Result[] = [];
    let next = 0;
    let failed = 0;
    // The first question abandoned at the deadline, where the next poll resumes.
    let firstUnfinished = questions.length;
    // Until the peer answers something, it gets one round of `share`
    // questions (two at least, so one lost reply cannot end the poll): a dead
    // peer costs one round per poll, not one query per host.
    const untilAnswered = Math.max(2, share);
    const mayAsk = (): boolean =>
      next < questions.length &&
      !signal.aborted &&
      (next < untilAnswered || results.length > failed);
    const worker = async (): Promise<void> => {
      while (mayAsk()) {
        const index = next++;
        const question = questions[index] as Question;
        const outcome = await this.ask(server, question, signal);
        this.options.metrics.recordQuery(peer.geoTag, outcomeLabel(outcome));
        if (outcome === ABORTED) firstUnfinished = Math.min(firstUnfinished, index);
        else results.push({ question, outcome });
        if (!outcome.ok && outcome !== ABORTED) failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(share, questions.length) }, worker));
    if (next < questions.length)
      this.options.metrics.recordQuery(peer.geoTag, 'skipped', questions.length - next);
    firstUnfinished = Math.min(firstUnfinished, next);
    if (firstUnfinished < questions.length)
      peer.cursor = (peer.cursor + firstUnfinished) % questions.length;
    const answered = results.length - failed;
    this.apply(peer, results, answered > 0 ? 'answered' : failed > 0 ? 'failed' : 'none');
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
    const hosts = new Set(this.hosts);
    for (const host of peer.answers.keys()) if (!hosts.has(host)) peer.answers.delete(host);
    for (const { question, outcome } of results) this.record(peer, question, outcome, now);
    if (verdict === 'answered') {
      peer.lastSuccessMs = now;
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
      this.options.logger.error(
        { err, code: 'MERIDIAN_ERR_INTERNAL' },
        'peer view listener failed',
      );
    }
  }

  private record(peer: PeerRecord, question: Question, outcome: QueryOutcome, now: number): void {
    const answers = peer.answers.get(question.host) ?? {};
    peer.answers.set(question.host, answers);
    if (outcome.ok) {
      const addresses = [...outcome.addresses].sort();
      answers[question.type] = { addresses, lastSuccessMs: now, epoch: peer.epoch, failures: 0 };
      return;
    }
    const last = answers[question.type];
    if (last !== undefined && ++last.failures >= this.options.hysteresis.downAfter)
      delete answers[question.type];
  }

  /** Logs why, and moves to the peer's next address for the next poll. */
  private pollFailed(peer: PeerRecord, results: readonly Result[]): void {
    const server = peer.servers[peer.serverIndex % Math.max(1, peer.servers.length)] ?? null;
    if (peer.servers.length > 1) peer.serverIndex++;
    this.options.logger.debug(
      { peer: peer.geoTag, server, failure: firstFailure(results) },
      `peer ${peer.geoTag} answered nothing in this poll`,
    );
  }

  private stateChanged(peer: PeerRecord, results: readonly Result[]): void {
    const up = peer.health.state === 'up';
    // Answers received before going down are never served again.
    if (!up) peer.epoch++;
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

  /** The addresses served for `peer` and `host`: none unless up; current epoch only. */
  private servedAddresses(peer: PeerRecord, host: string): readonly string[] {
    if (peer.health.state !== 'up') return [];
    const answers = peer.answers.get(host);
    if (answers === undefined) return [];
    return TYPES.flatMap((type) => {
      const answer = answers[type];
      return answer !== undefined && answer.epoch === peer.epoch ? answer.addresses : [];
    });
  }

  /** What is served for `peer`: its state and its non-empty host addresses. */
  private served(peer: PeerRecord): Served {
    const hosts = new Map<string, string>();
    for (const host of peer.answers.keys()) {
      const addresses = this.servedAddresses(peer, host);
      if (addresses.length > 0) hosts.set(host, addresses.join(','));
    }
    return { state: peer.health.state, hosts };
  }

  private buildView(): PeerView {
    const peers = new Map<string, PeerStatus>();
    for (const peer of this.peers.values()) {
      peers.set(
        peer.geoTag,
        Object.freeze({
          state: peer.health.state,
          lastSuccessMs: peer.lastSuccessMs,
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
    const answers = peer.answers.get(host);
    const times = TYPES.map((t) => answers?.[t]?.lastSuccessMs ?? -1);
    const last = Math.max(...times);
    return Object.freeze({
      addresses: this.servedAddresses(peer, host),
      state: peer.health.state,
      lastSuccessMs: last < 0 ? null : last,
    });
  }
}

interface Served {
  readonly state: string;
  readonly hosts: ReadonlyMap<string, string>;
}

function sameServed(a: Served, b: Served): boolean {
  if (a.state !== b.state || a.hosts.size !== b.hosts.size) return false;
  for (const [host, addresses] of a.hosts) if (b.hosts.get(host) !== addresses) return false;
  return true;
}

function sameServers(a: readonly DnsServer[], b: readonly DnsServer[]): boolean {
  return a.length === b.length && a.every((s, i) => s.host === b[i]?.host && s.port === b[i]?.port);
}

function firstFailure(results: readonly Result[]): string {
  for (const { outcome } of results)
    if (!outcome.ok) return `${outcome.failure}: ${outcome.detail}`;
  return 'no address known';
}

function rotate<T>(items: readonly T[], start: number): readonly T[] {
  if (items.length === 0) return items;
  const at = start % items.length;
  return [...items.slice(at), ...items.slice(0, at)];
}

function outcomeLabel(outcome: QueryOutcome): PeerQueryOutcome {
  if (outcome.ok) {
    if (outcome.rcode === 'NXDOMAIN') return 'nxdomain';
    return outcome.addresses.length > 0 ? 'answer' : 'nodata';
  }
  return outcome.failure === 'aborted' ? 'skipped' : outcome.failure;
}
