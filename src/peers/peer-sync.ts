/**
 * Peers composed from the configuration: the directory (MERIDIAN_PEERS, or
 * discovery through EDGE_DNS_SERVERS, else the system's resolvers), the real
 * DNS client and the poller. The composition root hands in the table's hosts
 * and a callback; it feeds `view()` into each table build through
 * `withPeerTargets` (peer-view.ts).
 */
import type { Config } from '../config/load-config';
import type { Logger } from '../telemetry/logger';
import type { PeerMetrics } from '../telemetry/peer-metrics';
import { createDnsClient, type DnsServer, type QueryFn } from './dns-client';
import {
  PeerDiscovery,
  StaticPeers,
  peerGeoTagsOf,
  peerPortsOf,
  type PeerDirectory,
} from './peer-discovery';
import { PeerPoller } from './peer-poller';
import { EMPTY_PEER_VIEW, type PeerView } from './peer-view';

/** What {@link createPeerSync} needs. */
export interface PeerSyncOptions {
  readonly config: Pick<Config, 'zones' | 'clusterGeoTag' | 'peerGeoTags' | 'gluePrefix' | 'peers'>;
  /** The edge DNS servers discovery asks, in order: EDGE_DNS_SERVERS, or the system's resolvers. */
  readonly edgeServers: readonly DnsServer[];
  readonly logger: Logger;
  readonly metrics: PeerMetrics;
  /** Wall clock in ms. */
  readonly now: () => number;
  /** The hosts the table serves (read at every poll). */
  readonly hosts: () => Iterable<string>;
  /** Called when what the peers serve changed; rebuild the table then. */
  readonly onChange: (view: PeerView) => void;
  /** Counts a failure no input should cause (a poll that threw), caught so that polling goes on. */
  readonly onInternalError?: () => void;
  /** Replaces the DNS client (tests). */
  readonly query?: QueryFn;
  /** A peer's addresses as the ZoneDelegations' status lists them (PeerDiscoveryOptions). */
  readonly statusAddresses?: (geoTag: string) => readonly string[];
}

/** Running peer discovery and polling. */
export interface PeerSync {
  /** The geotags polled, in order. */
  readonly peerGeoTags: readonly string[];
  /** First discovery (bounded), then polling; the first poll starts at once. */
  start(): Promise<void>;
  /**
   * start(), then waits for the first poll to end (every peer heard from or
   * declared down), at most `deadlineMs` in all: a cluster that answered
   * before knowing its peers would serve only itself, and resolvers would
   * cache that. Says how it ended.
   */
  warmUp(deadlineMs: number): Promise<WarmUp>;
  /** The current view: feed it to the table build. */
  view(): PeerView;
  stop(): Promise<void>;
}

/** How a warm-up ended: every peer polled once, no peer to poll, or the deadline first. */
export type WarmUp = 'polled' | 'no-peers' | 'deadline';

/**
 * The geotags that will be polled, for createPeerMetrics before the sync
 * exists: MERIDIAN_PEERS's, else the configured peers other than this cluster.
 */
export function configuredPeerGeoTags(config: PeerSyncOptions['config']): string[] {
  return config.peers.staticPeers !== null
    ? config.peers.staticPeers.map((p) => p.geoTag)
    : peerGeoTagsOf(config.clusterGeoTag, config.peerGeoTags);
}

/** Wires directory, client and poller; nothing runs before start(). */
export function createPeerSync(options: PeerSyncOptions): PeerSync {
  const { config, logger } = options;
  const settings = config.peers;
  const query = options.query ?? createDnsClient(settings.queryTimeoutMs);
  const directory: PeerDirectory =
    settings.staticPeers !== null
      ? new StaticPeers(settings.staticPeers.map((p) => ({ geoTag: p.geoTag, servers: p.servers })))
      : new PeerDiscovery({
          zones: config.zones,
          gluePrefix: config.gluePrefix,
          localGeoTag: config.clusterGeoTag,
          peerGeoTags: config.peerGeoTags,
          edgeServers: options.edgeServers,
          peerPorts: settings.port === null ? peerPortsOf(options.edgeServers) : [settings.port],
          refreshIntervalMs: settings.discoveryIntervalMs,
          query,
          metrics: options.metrics,
          logger: logger.child({ part: 'discovery' }),
          ...(options.statusAddresses === undefined
            ? {}
            : { statusAddresses: options.statusAddresses }),
        });
  const peerGeoTags = directory.peers().map((p) => p.geoTag);
  const poller = new PeerPoller({
    peers: () => directory.peers(),
    hosts: options.hosts,
    query,
    intervalMs: settings.pollIntervalMs,
    timeoutMs: settings.queryTimeoutMs,
    maxInFlight: settings.maxInFlight,
    hysteresis: { downAfter: settings.downAfter, upAfter: settings.upAfter },
    now: options.now,
    metrics: options.metrics,
    logger: logger.child({ part: 'poller' }),
    onChange: options.onChange,
    ...(options.onInternalError === undefined ? {} : { onInternalError: options.onInternalError }),
  });
  let started = false;
  const start = async (): Promise<void> => {
    if (peerGeoTags.length === 0) {
      logger.info('no peer clusters configured; serving this cluster only');
      return;
    }
    started = true;
    await directory.start();
    poller.start();
    logger.info({ peers: directory.peers() }, 'polling peers');
  };
  return {
    peerGeoTags,
    start,
    async warmUp(deadlineMs) {
      if (peerGeoTags.length === 0) {
        await start();
        return 'no-peers';
      }
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<WarmUp>((resolve) => {
        timer = setTimeout(() => resolve('deadline'), deadlineMs);
      });
      const polled = start().then(async (): Promise<WarmUp> => {
        await poller.firstPoll();
        return 'polled';
      });
      try {
        return await Promise.race([polled, deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
    view: () => (started ? poller.view() : EMPTY_PEER_VIEW),
    async stop() {
      await Promise.all([directory.stop(), poller.stop()]);
    },
  };
}
