/**
 * Wires the planes together and owns their lifecycle. buildApp listens
 * nowhere; start() brings the parts up in the order that makes readiness
 * honest: HTTP first (probes answer "not ready"), then the source and the
 * first table, then the gRPC and DNS listeners, then ready.
 */
import type { Registry } from 'prom-client';
import { getServers } from 'node:dns';
import { usableDnsServers } from './config/host-port';
import type { Config } from './config/load-config';
import { findZone } from './dns/names';
import { MeridianError, messageOf } from './errors';
import { GeoDatabaseError, openMaxmindLocator, type MaxmindLocator } from './geo/maxmind-locator';
import { createQueryHandler } from './grpc/dns-service';
import type { KubeApi } from './k8s/client/kube-api';
import { KubernetesSource } from './k8s/kubernetes-source';
import { startGrpcServer, type GrpcEndpoint } from './grpc/grpc-server';
import { startDnsListener, type DnsListener } from './plain-dns/dns-listener';
import { createResponder } from './serving/responder';
import { configuredPeerGeoTags, createPeerSync, type PeerSync } from './peers/peer-sync';
import {
  EMPTY_PEER_VIEW as EMPTY_VIEW,
  withPeerTargets,
  type PeerMergeMemo,
} from './peers/peer-view';
import { ManifestDirectory, type ManifestState } from './standalone/manifest-directory';
import { buildSnapshot, BuildReuse, type BuildProblem } from './table/build-snapshot';
import type { GslbRecord } from './table/model';
import { TableHolder } from './table/table-holder';
import { startHttpServer, type HttpEndpoints } from './telemetry/http-server';
import { createKubeMetrics } from './telemetry/kube-metrics';
import type { Logger } from './telemetry/logger';
import { createMetrics } from './telemetry/metrics';
import { createPeerMetrics } from './telemetry/peer-metrics';

/** What buildApp needs besides configuration. */
export interface AppDeps {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly version: string;
  /** The Node.js version, for meridian_build_info. */
  readonly nodeVersion: string;
  /** Wall clock in milliseconds, for SOA serials. */
  readonly now: () => number;
  /** This process's default identity among replicas (host name and pid). */
  readonly instanceName: string;
  /**
   * Connects to the apiserver (kubeconfig file, or null for in-cluster), for
   * Kubernetes mode. Injected so that only main.ts loads the client library.
   */
  readonly connectKube?: (kubeconfigPath: string | null) => Promise<KubeApi>;
}

/** Where Gslbs come from: a manifest directory or the Kubernetes API. */
interface RunningSource {
  stop(): Promise<void>;
  notReadyReason(): string | null;
}

/**
 * How long a stream of changes may delay a Kubernetes reconcile (longer
 * when passes are slow; see KubernetesSource). Incremental passes are cheap,
 * so an EndpointSlice flip amid status echoes is not held back long.
 */
const KUBE_MAX_DELAY_MS = 200;

/** A running Meridian. */
export interface RunningApp {
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly dnsPorts: { readonly udp: number; readonly tcp: number } | null;
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
  let stopping = false;
  let listening = false;
  let source: RunningSource | null = null;
  const notReadyReason = (): string | null => {
    if (stopping) return 'shutting down';
    const sourceReason = source?.notReadyReason() ?? null;
    if (sourceReason !== null) return sourceReason;
    if (holder.current() === null) return 'record table not built yet';
    if (!listening) return 'listeners not started';
    return null;
  };
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
  const tableLog = logger.child({ component: 'table' });
  let reportedProblems = new Set<string>();

  // The source's records as last handed over: peer answers and a reloaded
  // geo database rebuild the table from them.
  let sourceGslbs: readonly GslbRecord[] = [];
  let peers: PeerSync | null = null;
  let geoLocator: MaxmindLocator | null = null;
  const peerMemo: PeerMergeMemo = new WeakMap();
  const rebuild = (gslbs: readonly GslbRecord[]): readonly BuildProblem[] => {
    sourceGslbs = gslbs;
    try {
      return swapIn(withPeerTargets(gslbs, peers?.view() ?? EMPTY_VIEW, peerMemo));
    } catch (err) {
      // The last good table keeps serving; the next source change builds again.
      tableLog.error(
        { err, code: 'MERIDIAN_ERR_INTERNAL' },
        'table build failed; serving the last good table',
      );
      return [];
    }
  };
  const reuse = new BuildReuse();
  const swapIn = (gslbs: readonly GslbRecord[]): readonly BuildProblem[] => {
    const started = performance.now();
    const { snapshot, problems } = buildSnapshot({
      zones: config.zones,
      gslbs,
      localGeoTag: config.clusterGeoTag,
      geoLocator: geoLocator ?? undefined,
      reuse,
      serial: holder.nextSerial(deps.now()),
      generation: holder.nextGeneration(),
    });
    holder.swap(snapshot);
    const seconds = (performance.now() - started) / 1000;
    metrics.recordBuild(seconds, problems.length, deps.now());
    reportedProblems = reportNewProblems(tableLog, problems, reportedProblems);
    tableLog.info(
      {
        generation: snapshot.generation,
        serial: snapshot.serial,
        hosts: snapshot.hostCount,
        records: snapshot.recordCount,
        seconds,
      },
      'record table swapped',
    );
    return problems;
  };
  const startManifests = async (): Promise<RunningSource> => {
    const manifests = new ManifestDirectory({
      dir: config.manifestsDir,
      parse: { defaultTtlSeconds: config.defaultTtlSeconds, geoTag: config.clusterGeoTag },
      debounceMs: config.reloadDebounceMs,
      rescanIntervalMs: config.rescanIntervalMs,
      logger: logger.child({ component: 'manifests' }),
      onChange: (state: ManifestState) => {
        metrics.setManifestErrors(state.invalidFiles.size);
        rebuild(state.gslbs);
      },
    });
    await manifests.start();
    if (holder.current() === null) rebuild([]);
    return { stop: () => manifests.stop(), notReadyReason: () => null };
  };
  const zoneNames = new Map(config.zones.map((zone) => [zone.name, zone]));
  const startKubernetes = async (): Promise<RunningSource> => {
    if (deps.connectKube === undefined)
      throw new Error(
        'Kubernetes mode needs a Kubernetes client; set MERIDIAN_MANIFESTS_DIR for standalone mode',
      );
    const kube = new KubernetesSource({
      api: await deps.connectKube(config.kubeconfigPath),
      geoTag: config.clusterGeoTag,
      defaultTtlSeconds: config.defaultTtlSeconds,
      clusterExposedIps: config.clusterExposedIps,
      inZone: (host) => findZone(host, zoneNames) !== null,
      edgeDnsServers: config.edgeDnsServers,
      debounceMs: Math.min(config.reloadDebounceMs, KUBE_MAX_DELAY_MS),
      maxDelayMs: KUBE_MAX_DELAY_MS,
      resyncIntervalMs: config.reconcileIntervalMs,
      logger: logger.child({ component: 'kubernetes' }),
      metrics: createKubeMetrics(deps.registry),
      now: () => new Date(deps.now()),
      serve: rebuild,
      writerLease: {
        namespace: config.podNamespace,
        identity: config.podName === '' ? deps.instanceName : config.podName,
      },
    });
    kube.start();
    return kube;
  };

  /** The geoip database, read once here; a failure stops the start. */
  const openGeoLocator = async (): Promise<MaxmindLocator | null> => {
    const { databasePath, fields, checkIntervalMs } = config.geoIp;
    if (databasePath === null) return null;
    const geoLog = logger.child({ component: 'geoip', path: databasePath });
    try {
      const locator = await openMaxmindLocator({
        path: databasePath,
        fields,
        pollIntervalMs: checkIntervalMs,
        debounceMs: config.reloadDebounceMs,
        // Targets are located when the table is built: a new database needs a new table.
        onReload: (info) => {
          geoLog.info({ database: info }, 'geoip database reloaded');
          rebuild(sourceGslbs);
        },
        onError: (error) =>
          geoLog.warn(
            { problem: error.problem, err: error.message, code: 'MERIDIAN_ERR_GEOIP' },
            'geoip database not reloaded; the last good one keeps serving',
          ),
      });
      geoLog.info({ database: locator.database() }, 'geoip database loaded');
      return locator;
    } catch (err) {
      const message = err instanceof GeoDatabaseError ? err.message : messageOf(err);
      throw new MeridianError('MERIDIAN_ERR_GEOIP', `cannot load ${databasePath}: ${message}`, {
        cause: err,
      });
    }
  };
  /** Peer discovery and polling; each change of what peers serve rebuilds the table. */
  const startPeers = (): PeerSync => {
    const sync = createPeerSync({
      config,
      logger: logger.child({ component: 'peers' }),
      metrics: createPeerMetrics(deps.registry, configuredPeerGeoTags(config)),
      now: deps.now,
      edgeServers:
        config.edgeDnsServers.length > 0
          ? config.edgeDnsServers
          : usableDnsServers(getServers(), (server, reason) =>
              logger.warn(
                { server, err: reason, code: 'MERIDIAN_ERR_PEER', component: 'peers' },
                'edge DNS server skipped',
              ),
            ),
      hosts: () => sourceGslbs.flatMap((g) => g.hosts),
      onChange: () => rebuild(sourceGslbs),
    });
    peers = sync;
    return sync;
  };

  return {
    async start() {
      const http: HttpEndpoints = await startHttpServer(
        config.metricsAddress,
        deps.registry,
        notReadyReason,
      );
      const closeAll: (() => Promise<void>)[] = [() => http.close()];
      const unwind = async (): Promise<void> => {
        for (const close of closeAll.reverse()) await close().catch(() => undefined);
      };
      try {
        geoLocator = await openGeoLocator();
        if (geoLocator !== null) {
          const opened = geoLocator;
          closeAll.push(() => opened.close());
        }
        const started =
          config.manifestsDir === '' ? await startKubernetes() : await startManifests();
        source = started;
        closeAll.push(() => started.stop());
        const peerSync = startPeers();
        await peerSync.start();
        closeAll.push(() => peerSync.stop());
        const respond = createResponder(holder, metrics);
        const handler = createQueryHandler(respond, metrics, logger.child({ component: 'grpc' }));
        const grpc: GrpcEndpoint = await startGrpcServer(
          config.grpcListen,
          config.grpcTls,
          handler,
        );
        closeAll.push(() => grpc.shutdown(0));
        const dns: DnsListener | null =
          config.dnsListen === null ? null : await startDnsListener(config.dnsListen, respond);
        if (dns !== null) closeAll.push(() => dns.close());
        listening = true;
        grpc.setServing(true);
        logger.info(
          { grpc: config.grpcListen, dns: config.dnsListen, metrics: config.metricsAddress },
          'meridian ready',
        );
        return {
          grpcPort: grpc.port,
          httpPort: http.port,
          dnsPorts: dns === null ? null : { udp: dns.udpPort, tcp: dns.tcpPort },
          table: holder,
          stop: async () => {
            if (stopping) return;
            stopping = true;
            grpc.setServing(false);
            logger.info(
              { graceMs: config.shutdownGraceMs },
              'stopping: not ready, still answering',
            );
            await new Promise((resolve) => setTimeout(resolve, config.shutdownGraceMs));
            await grpc.shutdown(2_000);
            await dns?.close();
            await peerSync.stop();
            await started.stop();
            await geoLocator?.close();
            await http.close();
            logger.info('stopped');
          },
        };
      } catch (err) {
        logger.debug({ err: messageOf(err) }, 'start failed; closing what was opened');
        await unwind();
        throw err;
      }
    },
  };
}

// Each problem is logged once, when it appears, not on every rebuild.
function reportNewProblems(
  logger: Logger,
  problems: readonly BuildProblem[],
  previous: Set<string>,
): Set<string> {
  const current = new Set<string>();
  for (const problem of problems) {
    const key = `${problem.gslb} ${problem.host} ${problem.reason}`;
    current.add(key);
    if (!previous.has(key))
      logger.warn(
        { ...problem, code: 'MERIDIAN_ERR_GSLB' },
        `Gslb ${problem.gslb}: ${problem.host}: ${problem.reason}`,
      );
  }
  return current;
}
