/**
 * Addresses of the host names k8gb resolves for exposed targets (the
 * `k8gb.io/exposed-hostnames` annotation, load-balancer and Gateway host
 * names), looked up through the edge DNS servers. Resolution reads the cache
 * synchronously; a miss starts one lookup in the background and the caller is
 * told when it finishes. Entries are refreshed by `refresh()` (the periodic
 * reconcile) and the cache is bounded.
 */
import { Resolver } from 'node:dns/promises';
import type { HostPort } from '../../config/host-port';
import { canonicalAddress } from '../../dns/addresses';
import type { HostnameLookup } from './resolution';

/** Options of {@link HostnameCache}. */
export interface HostnameCacheOptions {
  /** The edge DNS servers; empty means the system's resolvers. */
  readonly servers: readonly HostPort[];
  /** Most names kept; the least recently used are dropped beyond it. */
  readonly maxNames: number;
  /** Per-query timeout. */
  readonly timeoutMs: number;
  /** Called with the name when its lookup finished with a different result than before. */
  readonly onChange: (name: string) => void;
}

const NOT_FOUND_CODES = new Set(['ENOTFOUND', 'ENODATA']);

export class HostnameCache {
  private readonly resolver: Resolver;
  private readonly entries = new Map<string, HostnameLookup>();
  private readonly inFlight = new Set<string>();
  private stopped = false;

  constructor(private readonly options: HostnameCacheOptions) {
    // tries: 2 so that one lost UDP packet does not fail a lookup.
    this.resolver = new Resolver({ timeout: options.timeoutMs, tries: 2 });
    if (options.servers.length > 0) this.resolver.setServers(options.servers.map(serverText));
  }

  lookup(name: string): HostnameLookup {
    const known = this.entries.get(name);
    if (known !== undefined) {
      // Map order is insertion order: re-inserting marks it recently used.
      this.entries.delete(name);
      this.entries.set(name, known);
      return known;
    }
    this.start(name);
    return { state: 'pending' };
  }

  /** Looks every cached name up again (they may have changed). */
  refresh(): void {
    for (const name of this.entries.keys()) this.start(name);
  }

  stop(): void {
    this.stopped = true;
    this.resolver.cancel();
  }

  private start(name: string): void {
    if (this.inFlight.has(name) || this.stopped) return;
    this.inFlight.add(name);
    void this.resolve(name).then((result) => {
      this.inFlight.delete(name);
      if (this.stopped) return;
      const before = this.entries.get(name);
      this.entries.delete(name);
      this.entries.set(name, result);
      while (this.entries.size > this.options.maxNames) {
        const oldest = this.entries.keys().next().value as string;
        this.entries.delete(oldest);
      }
      if (JSON.stringify(before) !== JSON.stringify(result)) this.options.onChange(name);
    });
  }

  /** A and AAAA (CNAMEs are followed by the resolver); IPv6 is kept. */
  private async resolve(name: string): Promise<HostnameLookup> {
    const [v4, v6] = await Promise.allSettled([
      this.resolver.resolve4(name),
      this.resolver.resolve6(name),
    ]);
    const addresses = [v4, v6].flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    if (addresses.length > 0)
      return { state: 'resolved', addresses: [...new Set(addresses.map(canonicalAddress))] };
    const failure = [v4, v6].find(
      (r): r is PromiseRejectedResult =>
        r.status === 'rejected' && !NOT_FOUND_CODES.has((r.reason as { code?: string }).code ?? ''),
    );
    const error =
      failure === undefined
        ? 'no A or AAAA record'
        : ((failure.reason as Error).message ?? String(failure.reason));
    return { state: 'failed', error };
  }
}

/** `IP:PORT` or `[IPV6]:PORT`, as node:dns takes a server. */
function serverText(server: HostPort): string {
  return server.host.includes(':')
    ? `[${server.host}]:${server.port}`
    : `${server.host}:${server.port}`;
}
