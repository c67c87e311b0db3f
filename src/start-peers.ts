/**
 * The peers' wiring: which edge DNS servers to ask (EDGE_DNS_SERVERS, else
 * the system's resolvers that can be used), the peer metrics, and the peer
 * sync feeding the table pipeline.
 */
import { getServers } from 'node:dns';
import type { Registry } from 'prom-client';
import { usableDnsServers, type HostPort } from './config/host-port';
import type { Config } from './config/load-config';
import { configuredPeerGeoTags, createPeerSync, type PeerSync } from './peers/peer-sync';
import type { TablePipeline } from './serving/table-pipeline';
import type { Logger } from './telemetry/logger';
import type { Metrics } from './telemetry/metrics';
import { createPeerMetrics } from './telemetry/peer-metrics';

/** Creates the peer sync of `config`; nothing runs before its start(). */
export function createPeers(
  config: Config,
  deps: {
    readonly logger: Logger;
    readonly registry: Registry;
    readonly now: () => number;
    readonly pipeline: TablePipeline;
    readonly metrics: Pick<Metrics, 'recordInternalError'>;
  },
  /** A peer's addresses as the ZoneDelegations' status lists them (Kubernetes mode). */
  statusAddresses?: (geoTag: string) => readonly string[],
): PeerSync {
  const { logger, pipeline } = deps;
  return createPeerSync({
    config,
    edgeServers: edgeServersOf(config, logger),
    logger,
    metrics: createPeerMetrics(deps.registry, configuredPeerGeoTags(config)),
    now: deps.now,
    hosts: () => pipeline.hosts(),
    onChange: (view) => pipeline.setPeerView(view),
    onInternalError: () => deps.metrics.recordInternalError('peers'),
    ...(statusAddresses === undefined ? {} : { statusAddresses }),
  });
}

/** EDGE_DNS_SERVERS, else the system's resolvers that can be used (the others said once). */
export function edgeServersOf(config: Config, logger: Logger): readonly HostPort[] {
  if (config.edgeDnsServers.length > 0) return config.edgeDnsServers;
  return usableDnsServers(getServers(), (server, reason) =>
    logger.warn({ server, err: reason, code: 'MERIDIAN_ERR_PEER' }, 'edge DNS server skipped'),
  );
}
