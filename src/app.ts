/**
 * Wires the planes together and owns their lifecycle; it decides nothing
 * itself. buildApp listens nowhere; start() brings the parts up in the order
 * that makes readiness honest: HTTP first (probes answer "not ready"), then
 * the geo database, the source, the gRPC and DNS listeners (answering "not
 * ready"), and once the source has been read and every peer polled once (the
 * warm-up, bounded by MERIDIAN_PEER_STARTUP_SECONDS) the table that holds
 * both, then ready: a restart never answers with this cluster alone.
 */
import type { Registry } from 'prom-client';
import type { Config } from './config/load-config';
import { messageOf } from './errors';
import { openGeoLocator } from './geo/open-geo-locator';
import { createQueryHandler } from './grpc/dns-service';
import { startGrpcServer } from './grpc/grpc-server';
import { startDnsListener } from './plain-dns/dns-listener';
import { createResponder } from './serving/responder';
import { startSource, type RunningSource, type SourceDeps } from './start-source';
import { TablePipeline } from './serving/table-pipeline';
import { TableHolder } from './table/table-holder';
import { startHttpServer } from './telemetry/http-server';
import { createMetrics } from './telemetry/metrics';
import { MetricsPage } from './telemetry/metrics-page';
import { CAUSE_KINDS } from './serving/decisions';
import { decisionLog } from './serving/decision-log';
import { createAudit } from './start-audit';
import { createPeers } from './start-peers';
import { createProbes } from './start-probes';
import { createAdmin } from './start-admin';
import { startDelegation, type RunningDelegation } from './start-delegation';
import { createDecisionMetrics } from './telemetry/decision-metrics';
import { warmUp } from './warm-up';

/** What buildApp needs besides configuration. */
export interface AppDeps extends Omit<SourceDeps, 'pipeline' | 'metrics' | 'metricsPage'> {
  readonly registry: Registry;
}

const TABLE_BATCH_MS = 20; // how long a peer or geo change waits for others to join its build

/** A running Meridian. */
export interface RunningApp {
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly dnsPorts: { readonly udp: number; readonly tcp: number } | null;
  /** The admin listener's port, or null when it is off. */
  readonly adminPort: number | null;
  /** The table currently served, for tests and diagnostics. */
  readonly table: TableHolder;
  /** Goes not-ready, keeps answering for the grace period, then closes everything. */
  stop(): Promise<void>;
}

/** A configured but not yet started Meridian. */
export interface App {
  start(): Promise<RunningApp>;
}

/** Wires Meridian from `config`; nothing listens until start(). */
export function buildApp(config: Config, deps: AppDeps): App {
  const { logger } = deps;
  const holder = new TableHolder();
  const state = { stopping: false, listening: false, source: null as RunningSource | null };
  let delegation: RunningDelegation | null = null;
  const gate = { open: false };
  const notReadyReason = (): string | null => {
    if (state.stopping) return 'shutting down';
    const sourceReason = state.source?.notReadyReason() ?? null;
    if (sourceReason !== null) return sourceReason;
    if (holder.current() === null) return 'record table not built yet';
    if (!state.listening) return 'listeners not started';
    return gate.open ? null : 'waiting for the first poll of the peers';
  };
  const metricsPage = new MetricsPage(deps.registry);
  const probes = createProbes(config.clusterGeoTag, deps);
  const metrics = createMetrics(
    deps.registry,
    {
      hosts: () => holder.current()?.hostCount ?? 0,
      records: () => holder.current()?.recordCount ?? 0,
      generation: () => holder.current()?.generation ?? 0,
      serial: () => holder.current()?.serial ?? 0,
      ready: () => notReadyReason() === null,
    },
    { version: deps.version, nodeVersion: deps.nodeVersion },
  );
  const pipeline = new TablePipeline({
    zones: config.zones,
    localGeoTag: config.clusterGeoTag,
    hostPolicy: config.hostPolicy,
    holder,
    metrics,
    logger: logger.child({ component: 'table' }),
    now: deps.now,
    batchMs: TABLE_BATCH_MS,
    drainTtlSeconds: config.drainTtlSeconds,
    replica: config.podName === '' ? deps.instanceName : config.podName,
    stages: [probes.stage],
  });

  const peerLog = logger.child({ component: 'peers' });
  const listed = (tag: string): readonly string[] => delegation?.peerAddresses?.(tag) ?? [];
  const peers = createPeers(config, { ...deps, logger: peerLog, pipeline, metrics }, listed);
  const decisionMetrics = createDecisionMetrics(deps.registry, CAUSE_KINDS);
  pipeline.onDecisions(decisionLog(logger.child({ component: 'decisions' }), decisionMetrics));
  const audit = createAudit(config.audit, { ...deps, pipeline });
  const admin = createAdmin(config, {
    pipeline,
    holder,
    logger: logger.child({ component: 'admin' }),
    version: deps.version,
    delegation: () => delegation?.status() ?? [],
    probes: probes.stage,
  });

  return {
    async start() {
      const http = await startHttpServer(config.metricsAddress, metricsPage, notReadyReason, () =>
        audit.readinessNotes(),
      );
      const closeAll: (() => Promise<void>)[] = [() => http.close()];
      audit.start();
      closeAll.push(() => audit.close());
      try {
        const geo = await openGeoLocator(config, logger.child({ component: 'geoip' }), () =>
          pipeline.geoLocatorChanged(),
        );
        pipeline.setGeoLocator(geo);
        if (geo !== null) closeAll.push(() => geo.close());
        const source = await startSource(config, { ...deps, pipeline, metrics, metricsPage });
        state.source = source;
        closeAll.push(() => source.stop());
        closeAll.push(() => peers.stop());
        const adminServer = await admin.start(source.provenance);
        if (adminServer !== null) closeAll.push(() => adminServer.close());
        const respond = createResponder(holder, metrics, gate);
        const handler = createQueryHandler(respond, metrics, logger.child({ component: 'grpc' }));
        const grpc = await startGrpcServer(config.grpcListen, config.grpcTls, handler);
        closeAll.push(() => grpc.shutdown(0));
        const dns =
          config.dnsListen === null ? null : await startDnsListener(config.dnsListen, respond);
        if (dns !== null) closeAll.push(() => dns.close());
        state.listening = true;
        const parts = {
          source,
          peers,
          pipeline,
          logger,
          peerLogger: peerLog,
          deadlineMs: config.peers.startupDeadlineMs,
          stopping: () => state.stopping,
        };
        const warming = warmUp(parts, () => {
          gate.open = true;
          if (state.stopping) return;
          grpc.setServing(true);
          logger.info(
            { grpc: config.grpcListen, dns: config.dnsListen, metrics: config.metricsAddress },
            'meridian ready',
          );
        });
        // A source read at once (standalone) is warm within a poll: start() waits for it.
        if (source.notReadyReason() === null) await warming;
        // Delegated only once answering: the edge then sends resolvers to a ready server.
        delegation = await startDelegation(config, { ...deps, logger }, closeAll);
        return {
          grpcPort: grpc.port,
          httpPort: http.port,
          dnsPorts: dns === null ? null : { udp: dns.udpPort, tcp: dns.tcpPort },
          adminPort: adminServer?.port ?? null,
          table: holder,
          stop: async () => {
            if (state.stopping) return;
            state.stopping = true;
            grpc.setServing(false);
            logger.info({ graceMs: config.shutdownGraceMs }, 'stopping: not ready, answering');
            await new Promise((resolve) => setTimeout(resolve, config.shutdownGraceMs));
            await delegation?.stop();
            await grpc.shutdown(2_000);
            await dns?.close();
            await peers.stop();
            await source.stop();
            pipeline.stop();
            await probes.stop();
            await audit.close();
            await geo?.close();
            await adminServer?.close();
            await http.close();
            logger.info('stopped');
          },
        };
      } catch (err) {
        logger.debug({ err: messageOf(err) }, 'start failed; closing what was opened');
        for (const close of closeAll.reverse()) await close().catch(() => undefined);
        pipeline.stop();
        throw err;
      }
    },
  };
}
