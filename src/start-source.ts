/**
 * Starts the configured source of Gslbs, a manifest directory (standalone
 * mode) or the Kubernetes API, and connects it to the table pipeline: the
 * source hands over records, the pipeline builds and says what it could not
 * serve.
 */
import type { Config } from './config/load-config';
import { findZone } from './dns/names';
import type { KubeApi } from './k8s/client/kube-api';
import { NOT_DRAINED } from './k8s/ingest/drain-declaration';
import { KubernetesSource } from './k8s/kubernetes-source';
import type { ProvenanceSource } from './serving/provenance';
import type { TablePipeline } from './serving/table-pipeline';
import type { GslbRecord } from './table/model';
import { manifestCauses } from './standalone/manifest-causes';
import { ManifestDirectory } from './standalone/manifest-directory';
import { ManifestProvenance } from './standalone/manifest-provenance';
import { createKubeMetrics } from './telemetry/kube-metrics';
import type { Logger } from './telemetry/logger';
import type { Metrics } from './telemetry/metrics';
import type { MetricsPage } from './telemetry/metrics-page';

/** A running source. */
export interface RunningSource {
  stop(): Promise<void>;
  /** Null when the source has read everything once; otherwise what is missing. */
  notReadyReason(): string | null;
  /** Where this cluster's part of each Gslb came from, for explanations. */
  readonly provenance: ProvenanceSource;
}

/** What a source needs besides configuration. */
export interface SourceDeps {
  readonly logger: Logger;
  /** The /metrics page; its registry takes ordinary metrics, its sources the large families. */
  readonly metricsPage: MetricsPage;
  readonly metrics: Pick<Metrics, 'setManifestErrors' | 'recordInternalError'>;
  readonly pipeline: TablePipeline;
  /** Wall clock in milliseconds. */
  readonly now: () => number;
  /** This process's default identity among replicas (host name and pid). */
  readonly instanceName: string;
  readonly version: string;
  /** The Node.js version, the platform and the architecture, for k8gb_runtime_info. */
  readonly nodeVersion: string;
  readonly platform: { readonly os: string; readonly arch: string };
  /**
   * Connects to the apiserver (kubeconfig file, or null for in-cluster), for
   * Kubernetes mode. Injected so that only main.ts loads the client library.
   */
  readonly connectKube?: (kubeconfigPath: string | null) => Promise<KubeApi>;
}

/**
 * How long a stream of changes may delay a Kubernetes reconcile (longer
 * when passes are slow; see KubernetesSource). Incremental passes are cheap,
 * so an EndpointSlice flip amid status echoes is not held back long.
 */
const KUBE_MAX_DELAY_MS = 200;

/** Starts the manifest directory when one is configured, else the Kubernetes source. */
export function startSource(config: Config, deps: SourceDeps): Promise<RunningSource> {
  return config.manifestsDir === '' ? startKubernetes(config, deps) : startManifests(config, deps);
}

async function startManifests(config: Config, deps: SourceDeps): Promise<RunningSource> {
  const { logger, metrics, pipeline } = deps;
  let served: readonly GslbRecord[] = [];
  const provenance = new ManifestProvenance(config.clusterGeoTag);
  const manifests = new ManifestDirectory({
    dir: config.manifestsDir,
    parse: { defaultTtlSeconds: config.defaultTtlSeconds, geoTag: config.clusterGeoTag },
    debounceMs: config.reloadDebounceMs,
    rescanIntervalMs: config.rescanIntervalMs,
    logger: logger.child({ component: 'manifests' }),
    onChange: (manifestState) => {
      metrics.setManifestErrors(manifestState.invalidFiles.size);
      provenance.update(manifestState);
      pipeline.setRecords(manifestState.gslbs, manifestCauses(served, manifestState.gslbs));
      served = manifestState.gslbs;
    },
    onInternalError: () => metrics.recordInternalError('manifests'),
  });
  await manifests.start();
  pipeline.flush();
  return { stop: () => manifests.stop(), notReadyReason: () => null, provenance };
}
async function startKubernetes(config: Config, deps: SourceDeps): Promise<RunningSource> {
  const { logger, pipeline } = deps;
  if (deps.connectKube === undefined)
    throw new Error(
      'Kubernetes mode needs a Kubernetes client; set MERIDIAN_MANIFESTS_DIR for standalone mode',
    );
  const zonesByName = new Map(config.zones.map((zone) => [zone.name, zone]));
  let toldDrainProblem: string | null = null;
  const kubeMetrics = createKubeMetrics(deps.metricsPage.registry, {
    namespace: config.podNamespace,
    version: deps.version,
    runtimeVersion: deps.nodeVersion,
    arch: deps.platform.arch,
    os: deps.platform.os,
    gitSha: 'none',
  });
  deps.metricsPage.add(kubeMetrics.perGslb);
  const kube = new KubernetesSource({
    api: await deps.connectKube(config.kubeconfigPath),
    geoTag: config.clusterGeoTag,
    defaultTtlSeconds: config.defaultTtlSeconds,
    clusterExposedIps: config.clusterExposedIps,
    inZone: (host) => findZone(host, zonesByName) !== null,
    edgeDnsServers: config.edgeDnsServers,
    debounceMs: Math.min(config.reloadDebounceMs, KUBE_MAX_DELAY_MS),
    maxDelayMs: KUBE_MAX_DELAY_MS,
    resyncIntervalMs: config.reconcileIntervalMs,
    logger: logger.child({ component: 'kubernetes' }),
    metrics: kubeMetrics,
    now: () => new Date(deps.now()),
    // A pass is the source's batch, and its writes need the problems of the
    // table it served: it builds at its end (peer and geo changes join).
    serve: (records, causes) => {
      pipeline.setRecords(records, causes);
      return pipeline.flush();
    },
    onInternalError: () => deps.metrics.recordInternalError('kubernetes'),
    served: (host, gslbId) => pipeline.served(host, gslbId),
    readClusterDrain: (index) => {
      if (config.dnsServiceName === null) return;
      const key = `${config.podNamespace}/${config.dnsServiceName}`;
      const { request, changedBy, problem } = index.services.get(key)?.drain ?? NOT_DRAINED;
      // A value that is no drain is served as none; said once per value, not on every pass.
      if (problem !== null && problem !== toldDrainProblem)
        logger.warn({ code: 'MERIDIAN_ERR_GSLB', service: key }, `Service ${key}: ${problem}`);
      toldDrainProblem = problem;
      pipeline.setClusterDrain(request, changedBy);
    },
    writerLease: {
      namespace: config.podNamespace,
      identity: config.podName === '' ? deps.instanceName : config.podName,
    },
  });
  pipeline.onProblems((problems) => kube.problemsChanged(problems));
  pipeline.onDecisions((records) => kube.decisionsMade(records));
  kube.start();
  return kube;
}
