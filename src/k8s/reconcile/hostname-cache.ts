/**
 * Addresses of the host names k8gb resolves for exposed targets (the
 * `k8gb.io/exposed-hostnames` annotation, load-balancer and Gateway host
 * names), looked up through the edge DNS servers. Resolution reads the cache
 * synchronously; a miss starts one lookup in the background and the caller is
 * told when it finishes. Entries are refreshed by `refresh()` (the periodic
 * reconcile) and the cache is bounded.
 *
 * The edge DNS is spared bursts: at most `maxConcurrent` lookups run at once,
 * the rest wait in a queue (misses first, then refreshes), bounded like the
 * cache. And a failing edge DNS does not flap Gslbs: a name that resolved
 * keeps its last addresses while its lookups fail (no answer, SERVFAIL,
 * REFUSED) for up to `failureGraceMs`; the first lookup that fails after the
 * grace reports the failure. An answer that the name has no address
 * (NXDOMAIN, NODATA) is an answer, not a failure: it is reported at once.
 */
import { Resolver } from 'node:dns/promises';
import type { HostPort } from '../../config/host-port';
import { canonicalAddress } from '../../dns/addresses';
import type { HostnameLookup } from './resolution';

/** Options of {@link HostnameCache}. */
export interface HostnameCacheOptions {
  /** The edge DNS servers; empty means the system's resolvers. */
  readonly servers: readonly HostPort[];
  /** Most names kept; the least recently used are dropped beyond it. Also bounds the queue. */
  readonly maxNames: number;
  /** Per-query timeout. */
  readonly timeoutMs: number;
  /** Called with the name when what the cache answers for it changed. */
  readonly onChange: (name: string) => void;
  /** Most lookups at once (default {@link DEFAULT_MAX_CONCURRENT}). */
  readonly maxConcurrent?: number;
  /**
   * How long a name that resolved keeps its last addresses while its lookups
   * fail (default {@link DEFAULT_FAILURE_GRACE_MS}); 0 reports every failure at once.
   */
  readonly failureGraceMs?: number;
  /** The clock of the grace, in ms (default: monotonic). */
  readonly now?: () => number;
}

/** Lookups at once: a refresh of 10,000 names is no burst at the edge DNS. */
export const DEFAULT_MAX_CONCURRENT = 32;
/** Five minutes: several RECONCILE_REQUEUE_SECONDS periods, and short of a stale answer for long. */
export const DEFAULT_FAILURE_GRACE_MS = 5 * 60_000;

const NOT_FOUND_CODES = new Set(['ENOTFOUND', 'ENODATA']);
const NO_ADDRESS = 'no A or AAAA record';

/** What the cache holds for a name. */
interface Entry {
  /** What lookup() answers. */
  readonly answer: HostnameLookup;
  /** Since when lookups of a name still answered with its last addresses have failed. */
  readonly failingSince?: number;
}

export class HostnameCache {
  private readonly resolver: Resolver;
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Set<string>();
  /** Names waiting for a lookup slot: misses, looked up before refreshes. */
  private readonly misses = new Set<string>();
  private readonly refreshes = new Set<string>();
  private readonly maxConcurrent: number;
  private readonly graceMs: number;
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly options: HostnameCacheOptions) {
    // tries: 2 so that one lost UDP packet does not fail a lookup.
    this.resolver = new Resolver({ timeout: options.timeoutMs, tries: 2 });
    if (options.servers.length > 0) this.resolver.setServers(options.servers.map(serverText));
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT);
    this.graceMs = options.failureGraceMs ?? DEFAULT_FAILURE_GRACE_MS;
    this.now = options.now ?? (() => performance.now());
  }

  lookup(name: string): HostnameLookup {
    const known = this.entries.get(name);
    if (known !== undefined) {
      // Map order is insertion order: re-inserting marks it recently used.
      this.entries.delete(name);
      this.entries.set(name, known);
      return known.answer;
    }
    this.enqueue(name, this.misses);
    return { state: 'pending' };
  }

  /** Looks every cached name up again (they may have changed), at most `maxConcurrent` at once. */
  refresh(): void {
    for (const name of this.entries.keys()) this.enqueue(name, this.refreshes);
  }

  /** Lookups running now, for tests and diagnostics. */
  get running(): number {
    return this.inFlight.size;
  }

  stop(): void {
    this.stopped = true;
    this.misses.clear();
    this.refreshes.clear();
    this.resolver.cancel();
  }

  private enqueue(name: string, queue: Set<string>): void {
    if (this.stopped || this.inFlight.has(name) || this.misses.has(name)) return;
    if (queue === this.misses) this.refreshes.delete(name);
    else if (this.refreshes.has(name)) return;
    if (this.misses.size + this.refreshes.size >= this.options.maxNames) {
      // Full: a miss takes the place of a refresh; otherwise the next refresh or pass asks again.
      const spare = first(this.refreshes);
      if (queue !== this.misses || spare === undefined) return;
      this.refreshes.delete(spare);
    }
    queue.add(name);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.inFlight.size < this.maxConcurrent) {
      const name = first(this.misses) ?? first(this.refreshes);
      if (name === undefined) return;
      const miss = this.misses.delete(name);
      this.refreshes.delete(name);
      // A name dropped from the cache while its refresh waited is no longer needed.
      if (!miss && !this.entries.has(name)) continue;
      this.inFlight.add(name);
      void this.resolve(name).then((result) => {
        this.inFlight.delete(name);
        if (this.stopped) return;
        this.settle(name, result);
        this.pump();
      });
    }
  }

  private settle(name: string, result: Lookup): void {
    const before = this.entries.get(name);
    const next = this.next(before, result);
    // A refreshed name keeps its place in the LRU order; a new one is the most recent.
    this.entries.set(name, next);
    while (this.entries.size > this.options.maxNames) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    if (before === undefined || JSON.stringify(before.answer) !== JSON.stringify(next.answer))
      this.options.onChange(name);
  }

  /** The entry after a lookup: a failure within the grace keeps the last addresses. */
  private next(before: Entry | undefined, result: Lookup): Entry {
    if (!result.transient || before?.answer.state !== 'resolved') return { answer: result.answer };
    const since = before.failingSince ?? this.now();
    if (this.now() - since >= this.graceMs) return { answer: result.answer };
    return { answer: before.answer, failingSince: since };
  }

  /** A and AAAA (CNAMEs are followed by the resolver); IPv6 is kept. */
  private async resolve(name: string): Promise<Lookup> {
    const [v4, v6] = await Promise.allSettled([
      this.resolver.resolve4(name),
      this.resolver.resolve6(name),
    ]);
    const addresses = [v4, v6].flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    if (addresses.length > 0) {
      const canonical = [...new Set(addresses.map(canonicalAddress))];
      return { answer: { state: 'resolved', addresses: canonical }, transient: false };
    }
    const failure = [v4, v6].find(
      (r): r is PromiseRejectedResult =>
        r.status === 'rejected' && !NOT_FOUND_CODES.has((r.reason as { code?: string }).code ?? ''),
    );
    if (failure === undefined)
      return { answer: { state: 'failed', error: NO_ADDRESS }, transient: false };
    const error = (failure.reason as Error).message ?? String(failure.reason);
    return { answer: { state: 'failed', error }, transient: true };
  }
}

/** One lookup's outcome; `transient` when the edge DNS gave no answer (timeout, SERVFAIL…). */
interface Lookup {
  readonly answer: HostnameLookup;
  readonly transient: boolean;
}

function first(set: Set<string>): string | undefined {
  return set.values().next().value;
}

/** `IP:PORT` or `[IPV6]:PORT`, as node:dns takes a server. */
function serverText(server: HostPort): string {
  return server.host.includes(':')
    ? `[${server.host}]:${server.port}`
    : `${server.host}:${server.port}`;
}
