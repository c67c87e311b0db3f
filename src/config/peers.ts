/**
 * The MERIDIAN_PEER_* settings: how peers are found and polled. Pure.
 */
import { isGeoTag } from '../gslb/k8gb-naming';
import { parseDnsServer, type HostPort } from './host-port';
import { integerIn, InvalidValue, seconds } from './value-parsers';

/** A peer cluster given explicitly (MERIDIAN_PEERS) instead of discovered. */
export interface StaticPeer {
  readonly geoTag: string;
  /** Its DNS servers, tried in this order. */
  readonly servers: readonly HostPort[];
}

/** How peers are found and polled. */
export interface PeerSettings {
  /** MERIDIAN_PEERS; null means the peers are discovered through the edge DNS. */
  readonly staticPeers: readonly StaticPeer[] | null;
  /** Port of discovered peers' DNS servers; null: k8gb's rule from EDGE_DNS_SERVERS. */
  readonly port: number | null;
  readonly discoveryIntervalMs: number;
  readonly pollIntervalMs: number;
  readonly queryTimeoutMs: number;
  readonly maxInFlight: number;
  /** Consecutive failed polls that make a peer down. */
  readonly downAfter: number;
  /** Consecutive answered polls that make a down peer up. */
  readonly upAfter: number;
  /** Longest wait at start-up for the first poll of every peer. */
  readonly startupDeadlineMs: number;
}

/** The start-up wait for the peers' first poll when none is set, in poll intervals. */
const STARTUP_POLL_INTERVALS = 3;

/** A parser for which '' means "not set" (null). */
function optional<T>(parser: (value: string) => T): (value: string) => T | null {
  return (value) => (value === '' ? null : parser(value));
}

/** Reads one setting with its parser; see load-config.ts. */
export type ParseSetting = <T>(name: string, parser: (value: string) => T) => T;

/** Reads the peer settings; cross-setting problems go to `problems`. */
export function readPeerSettings(
  parse: ParseSetting,
  clusterGeoTag: string,
  problems: string[],
): PeerSettings {
  const staticPeers = parse('MERIDIAN_PEERS', parseStaticPeers);
  const pollIntervalMs = parse('MERIDIAN_PEER_POLL_INTERVAL_SECONDS', seconds(0.5, 3_600));
  const queryTimeoutMs = parse('MERIDIAN_PEER_QUERY_TIMEOUT_MS', integerIn(10, 60_000));
  // A query that may outlive the poll would be cut by the next poll's start,
  // so a slow but healthy peer would look dead: refuse the combination.
  if (queryTimeoutMs >= pollIntervalMs)
    problems.push(
      `MERIDIAN_PEER_QUERY_TIMEOUT_MS (${queryTimeoutMs}) must be below MERIDIAN_PEER_POLL_INTERVAL_SECONDS (${pollIntervalMs} ms)`,
    );
  const local = staticPeers?.find((p) => p.geoTag.toLowerCase() === clusterGeoTag.toLowerCase());
  if (local !== undefined)
    problems.push(`MERIDIAN_PEERS lists ${local.geoTag}, which is CLUSTER_GEO_TAG (this cluster)`);
  return {
    staticPeers,
    port: parse('MERIDIAN_PEER_PORT', optional(integerIn(1, 65_535))),
    discoveryIntervalMs: parse('MERIDIAN_PEER_DISCOVERY_SECONDS', seconds(1, 86_400)),
    pollIntervalMs,
    queryTimeoutMs,
    maxInFlight: parse('MERIDIAN_PEER_MAX_IN_FLIGHT', integerIn(1, 65_536)),
    downAfter: parse('MERIDIAN_PEER_DOWN_AFTER', integerIn(1, 100)),
    upAfter: parse('MERIDIAN_PEER_UP_AFTER', integerIn(1, 100)),
    startupDeadlineMs:
      parse('MERIDIAN_PEER_STARTUP_SECONDS', optional(seconds(0.1, 3_600))) ??
      STARTUP_POLL_INTERVALS * pollIntervalMs,
  };
}

/** Parses MERIDIAN_PEERS, `GEOTAG=IP[:PORT],…`; '' means discovery (null). */
function parseStaticPeers(value: string): StaticPeer[] | null {
  if (value === '') return null;
  const byTag = new Map<string, HostPort[]>();
  const errors: string[] = [];
  for (const entry of value.split(',').map((e) => e.trim())) {
    const eq = entry.indexOf('=');
    const geoTag = entry.slice(0, eq).trim();
    const address = entry.slice(eq + 1).trim();
    if (eq === -1 || !isGeoTag(geoTag)) {
      errors.push(`${JSON.stringify(entry)} is not GEOTAG=IP[:PORT]`);
      continue;
    }
    try {
      const server = parseDnsServer(address);
      const servers = byTag.get(geoTag) ?? [];
      if (servers.some((s) => s.host === server.host && s.port === server.port))
        throw new InvalidValue(`${geoTag}=${address} is listed twice`);
      byTag.set(geoTag, [...servers, server]);
    } catch (err) {
      if (!(err instanceof InvalidValue)) throw err;
      errors.push(err.message);
    }
  }
  if (errors.length > 0) throw new InvalidValue(errors.join('; '));
  return [...byTag].map(([geoTag, servers]) => ({ geoTag, servers }));
}
