/**
 * Finds the peers' DNS servers as k8gb does (docs/k8gb-compatibility.md#peer-discovery): for each
 * peer geotag (EXT_GSLB_CLUSTERS_GEO_TAGS without this cluster's) and each
 * load-balanced zone, the glue name `<GLUEA_PREFIX><geotag>-<zone minus
 * parent, dots as dashes>.<parent>` (the names of the zone's NS records, from
 * the same function) is looked up through the edge DNS servers.
 *
 * Better than k8gb: A and AAAA (k8gb asks A only); a server's SERVFAIL or
 * REFUSED moves on to the next server, like a timeout (k8gb takes any reply
 * as final); a refresh that cannot complete keeps the peer's last known
 * addresses instead of dropping the peer (counted as `failed` and logged),
 * while an answer that the name has no address (NXDOMAIN, NODATA) does
 * empty the list: the edge says the peer left. Refreshes run every
 * `refreshIntervalMs` (k8gb: 300 s), never overlapping, each bounded by the
 * query timeout times the number of edge servers.
 *
 * The glue names carry no port: each address is polled on `peerPorts`, in
 * that order (a failed poll moves to the next address or port): by default
 * k8gb's rule (peerPortsOf), so that a fleet whose edge DNS listens on another
 * port than 53 peers without extra settings.
 */
import type { Logger } from '../telemetry/logger';
import { nameServerName } from '../gslb/k8gb-naming';
import type { ZoneSpec } from '../table/model';
import type { DiscoveryResult, PeerMetrics } from '../telemetry/peer-metrics';
import type { DnsServer, QueryFn } from './dns-client';
import type { AddressType, QueryOutcome } from '../dns/client-message';
import type { PeerTarget } from './peer-poller';

/** A source of the peers to poll. */
export interface PeerDirectory {
  /** Every peer with its current servers (empty while none is known). */
  peers(): readonly PeerTarget[];
  /** Finds the peers' servers once, then keeps them fresh. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What {@link PeerDiscovery} needs. */
export interface PeerDiscoveryOptions {
  readonly zones: readonly ZoneSpec[];
  readonly gluePrefix: string;
  readonly localGeoTag: string;
  readonly peerGeoTags: readonly string[];
  /** Asked in this order; the first that answers wins. */
  readonly edgeServers: readonly DnsServer[];
  /** The ports every peer address is polled on, in order. */
  readonly peerPorts: readonly number[];
  readonly refreshIntervalMs: number;
  /** Bounded by its own timeout. */
  readonly query: QueryFn;
  readonly metrics: Pick<PeerMetrics, 'recordDiscovery'>;
  readonly logger: Logger;
  /** Called after a refresh changed some peer's servers. */
  readonly onChange?: () => void;
  /**
   * A peer's name-server addresses as the ZoneDelegations' status lists them
   * (Kubernetes mode, as k8gb reads them); when there are some, the edge DNS
   * is not asked for that peer.
   */
  readonly statusAddresses?: (geoTag: string) => readonly string[];
}

const TYPES: readonly AddressType[] = ['A', 'AAAA'];

/**
 * The ports k8gb polls a discovered peer on (k8gb-io/k8gb:controllers/providers/
 * k8gbendpoint/helper.go, getNSCombinations): the port of the first edge
 * server, then the ports of the others that are not 53, in order, then 53
 * unless some edge server uses 53. k8gb tries repeated ports again; here each
 * is tried once. With no edge server configured (the system's resolvers), 53.
 */
export function peerPortsOf(edgeServers: readonly { readonly port: number }[]): number[] {
  const first = edgeServers[0];
  if (first === undefined) return [53];
  const ports = [first.port, ...edgeServers.filter((s) => s.port !== 53).map((s) => s.port)];
  if (!edgeServers.some((s) => s.port === 53)) ports.push(53);
  return [...new Set(ports)];
}

/** The peer geotags to discover: configured ones other than this cluster's, once each. */
export function peerGeoTagsOf(localGeoTag: string, geoTags: readonly string[]): string[] {
  const seen = new Set([localGeoTag.toLowerCase()]);
  return geoTags.filter((tag) => {
    const key = tag.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The glue names of `geoTag`'s name servers, one per zone. */
export function glueNamesOf(
  geoTag: string,
  zones: readonly ZoneSpec[],
  gluePrefix: string,
): string[] {
  return [
    ...new Set(zones.map((zone) => nameServerName(gluePrefix, geoTag, zone.name, zone.parent))),
  ];
}

export class PeerDiscovery implements PeerDirectory {
  private readonly geoTags: readonly string[];
  private readonly known = new Map<string, readonly DnsServer[]>();
  private readonly stopController = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly options: PeerDiscoveryOptions) {
    this.geoTags = peerGeoTagsOf(options.localGeoTag, options.peerGeoTags);
    for (const tag of this.geoTags) this.known.set(tag, []);
  }

  peers(): readonly PeerTarget[] {
    return this.geoTags.map((geoTag) => ({ geoTag, servers: this.known.get(geoTag) ?? [] }));
  }

  /** Runs the first refresh (bounded), then refreshes every interval. */
  async start(): Promise<void> {
    await this.refresh();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Looks every peer up once; resolves when done. */
  async refresh(): Promise<void> {
    if (this.running !== null) return this.running;
    this.running = (async () => {
      const changed = await Promise.all(this.geoTags.map((tag) => this.refreshPeer(tag)));
      if (changed.includes(true)) this.options.onChange?.();
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopController.signal.aborted) return;
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => this.schedule());
    }, this.options.refreshIntervalMs);
  }

  /** Refreshes one peer; true when its servers changed. */
  private async refreshPeer(geoTag: string): Promise<boolean> {
    if (this.stopController.signal.aborted) return false;
    const names = glueNamesOf(geoTag, this.options.zones, this.options.gluePrefix);
    const listed = this.options.statusAddresses?.(geoTag) ?? [];
    if (listed.length > 0) return this.found(geoTag, names, [...new Set(listed)]);
    const lookups = await Promise.all(
      names.flatMap((name) =>
        TYPES.map(async (type) => ({ name, type, ...(await this.resolve(name, type)) })),
      ),
    );
    const before = this.known.get(geoTag) ?? [];
    const failures = lookups.filter((l) => !l.outcome.ok);
    if (failures.length > 0) {
      this.report(geoTag, 'failed', before.length);
      this.options.logger.warn(
        {
          peer: geoTag,
          failures: failures.map((f) => `${f.type} ${f.name}: ${f.detail}`),
          kept: before.map(serverText),
          code: 'MERIDIAN_ERR_PEER',
        },
        `cannot look up peer ${geoTag}'s name servers; keeping its last known addresses`,
      );
      return false;
    }
    const addresses = [
      ...new Set(lookups.flatMap((l) => (l.outcome.ok ? l.outcome.addresses : []))),
    ];
    return this.found(geoTag, names, addresses);
  }

  /** Records the peer's addresses; true when its servers changed. */
  private found(geoTag: string, names: readonly string[], addresses: readonly string[]): boolean {
    const before = this.known.get(geoTag) ?? [];
    const servers = addresses.flatMap((host) =>
      this.options.peerPorts.map((port) => ({ host, port })),
    );
    this.known.set(geoTag, servers);
    this.report(geoTag, servers.length > 0 ? 'resolved' : 'empty', addresses.length);
    const changed = servers.map(serverText).join() !== before.map(serverText).join();
    if (changed)
      this.options.logger.info(
        { peer: geoTag, names, servers: servers.map(serverText), before: before.map(serverText) },
        servers.length > 0
          ? `peer ${geoTag}'s name servers changed`
          : `peer ${geoTag} has no name-server address in the edge DNS`,
      );
    return changed;
  }

  /** Asks the edge servers in order; the first answer (incl. NXDOMAIN and NODATA) wins. */
  private resolve(
    name: string,
    type: AddressType,
  ): Promise<{ outcome: QueryOutcome; detail: string }> {
    const { query, edgeServers } = this.options;
    return askInOrder(query, edgeServers, name, type, this.stopController.signal);
  }

  private report(geoTag: string, result: DiscoveryResult, addresses: number): void {
    this.options.metrics.recordDiscovery(geoTag, result, addresses);
  }
}

/**
 * `type name` asked of `servers` in order: the first answer (NXDOMAIN and
 * NODATA included) wins; a failure moves on to the next server. With no
 * answer at all, a `network` failure naming each server's.
 */
export async function askInOrder(
  query: QueryFn,
  servers: readonly DnsServer[],
  name: string,
  type: AddressType,
  signal: AbortSignal,
): Promise<{ outcome: QueryOutcome; detail: string }> {
  const details: string[] = [];
  for (const server of servers) {
    const outcome = await query(server, `${name}.`, type, signal);
    if (outcome.ok) return { outcome, detail: '' };
    details.push(`${serverText(server)} ${outcome.failure} (${outcome.detail})`);
    if (signal.aborted) break;
  }
  const detail = details.length > 0 ? details.join('; ') : 'no edge DNS server';
  return { outcome: { ok: false, failure: 'network', detail }, detail };
}

/** A fixed list of peers (MERIDIAN_PEERS): no discovery. */
export class StaticPeers implements PeerDirectory {
  constructor(private readonly list: readonly PeerTarget[]) {}

  peers(): readonly PeerTarget[] {
    return this.list;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

function serverText(server: DnsServer): string {
  return server.host.includes(':')
    ? `[${server.host}]:${server.port}`
    : `${server.host}:${server.port}`;
}
