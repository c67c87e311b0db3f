/**
 * k8gb's metrics, with k8gb's names, labels and meaning
 * (docs/k8gb-compatibility.md#metrics), so that dashboards and alerts built
 * for k8gb keep working: the per-Gslb series and k8gb_runtime_info. Two
 * deliberate differences: a deleted Gslb's series are removed (k8gb keeps
 * them until it restarts), and with several hosts in one health state the
 * status_count_for_* slot holds the sum over those hosts (k8gb's holds the
 * last host it happened to handle). The Infoblox series are left out: no
 * Infoblox provider here, and k8gb never increments most of them.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { localTargetsName, type StrategyType } from '../gslb/k8gb-naming';

/** Metric names, for tests and docs. */
export const K8GB_METRIC_NAMES = Object.freeze({
  gslbErrors: 'k8gb_gslb_errors_total',
  gslbReconciles: 'k8gb_gslb_reconciliation_loops_total',
  gslbHealthyRecords: 'k8gb_gslb_healthy_records',
  gslbHealthyLocalRecords: 'k8gb_gslb_healthy_local_records',
  gslbServiceStatus: 'k8gb_gslb_service_status_num',
  statusForFailover: 'k8gb_gslb_status_count_for_failover',
  statusForRoundRobin: 'k8gb_gslb_status_count_for_roundrobin',
  statusForGeoip: 'k8gb_gslb_status_count_for_geoip',
  endpointStatus: 'k8gb_endpoint_status_num',
  runtimeInfo: 'k8gb_runtime_info',
});

const HEALTH_STATES = ['Healthy', 'Unhealthy', 'NotFound'] as const;

/** One Gslb's outcome in a reconcile pass. */
export interface GslbOutcome {
  readonly namespace: string;
  readonly name: string;
  readonly ok: boolean;
  readonly strategy: StrategyType | null;
  /** failover: whether this cluster is the primary (`primaryGeoTag` is its geotag). */
  readonly primary: boolean;
  /** This cluster's geotag (status.geoTag). */
  readonly geoTag: string;
  /** Host → its local health. */
  readonly health: Readonly<Record<string, string>>;
  /** Host → the addresses finally served (status.healthyRecords). */
  readonly healthyRecords: Readonly<Record<string, readonly string[]>>;
  /** This cluster's exposed addresses (status.loadBalancer.exposedIps). */
  readonly exposedIps: readonly string[];
}

/** What k8gb_runtime_info reports. */
export interface RuntimeInfo {
  readonly namespace: string;
  readonly version: string;
  /** The runtime's version (k8gb reports Go's; here Node.js's). */
  readonly runtimeVersion: string;
  readonly arch: string;
  readonly os: string;
  readonly gitSha: string;
}

/** Updates of k8gb's metrics. */
export interface K8gbMetrics {
  recordGslb(outcome: GslbOutcome): void;
  /** Drops the series of a deleted Gslb. */
  forgetGslb(namespace: string, name: string): void;
}

/** Defines k8gb's metrics on `registry`. */
export function createK8gbMetrics(registry: Registry, runtime: RuntimeInfo): K8gbMetrics {
  const registers = [registry];
  const perGslb = ['namespace', 'name'] as const;
  const perStatus = ['namespace', 'name', 'status'] as const;
  const counter = (name: string, help: string): Counter<'namespace' | 'name'> =>
    new Counter({ name, help, labelNames: perGslb, registers });
  const byStatus = (name: string, help: string): Gauge<'namespace' | 'name' | 'status'> =>
    new Gauge({ name, help, labelNames: perStatus, registers });
  const errors = counter(
    K8GB_METRIC_NAMES.gslbErrors,
    'k8gb: reconciles of a Gslb that found a problem (see its Ready condition).',
  );
  const reconciles = counter(
    K8GB_METRIC_NAMES.gslbReconciles,
    'k8gb: reconciles of a Gslb that served it.',
  );
  const healthyRecords = new Gauge({
    name: K8GB_METRIC_NAMES.gslbHealthyRecords,
    help: 'k8gb: addresses across the Gslb status.healthyRecords (peers included).',
    labelNames: perGslb,
    registers,
  });
  const healthyLocal = new Gauge({
    name: K8GB_METRIC_NAMES.gslbHealthyLocalRecords,
    help: "k8gb: this cluster's exposed addresses that are among the Gslb healthyRecords.",
    labelNames: ['namespace', 'name', 'geotag'] as const,
    registers,
  });
  const serviceStatus = byStatus(
    K8GB_METRIC_NAMES.gslbServiceStatus,
    'k8gb: hosts of the Gslb in each local health state.',
  );
  const forStrategy: Record<StrategyType, Gauge<'namespace' | 'name' | 'status'>> = {
    failover: byStatus(
      K8GB_METRIC_NAMES.statusForFailover,
      'k8gb: addresses served for the hosts of a failover Gslb in each local health state, primary or secondary.',
    ),
    roundRobin: byStatus(
      K8GB_METRIC_NAMES.statusForRoundRobin,
      'k8gb: addresses served for the hosts of a roundRobin Gslb in each local health state.',
    ),
    geoip: byStatus(
      K8GB_METRIC_NAMES.statusForGeoip,
      'k8gb: addresses served for the hosts of a geoip Gslb in each local health state.',
    ),
  };
  const endpoints = new Gauge({
    name: K8GB_METRIC_NAMES.endpointStatus,
    help: 'k8gb: targets of each DNS name of the Gslb (its hosts and their localtargets- names).',
    labelNames: ['namespace', 'name', 'dns_name'] as const,
    registers,
  });
  new Gauge({
    name: K8GB_METRIC_NAMES.runtimeInfo,
    help: 'k8gb: always 1; labels carry the namespace, version, runtime and platform.',
    labelNames: ['namespace', 'k8gb_version', 'go_version', 'arch', 'os', 'git_sha'] as const,
    registers,
  }).set(
    {
      namespace: runtime.namespace,
      k8gb_version: runtime.version,
      go_version: runtime.runtimeVersion,
      arch: runtime.arch,
      os: runtime.os,
      git_sha: runtime.gitSha,
    },
    1,
  );
  // What was last set per Gslb, so that a changed strategy, geotag or host leaves nothing stale.
  type Detail = { statusSeries: string; geoTag: string; dnsNames: string[] };
  const last = new Map<string, Detail>();
  const dropDetail = (labels: { namespace: string; name: string }, known: Detail): void => {
    healthyLocal.remove({ ...labels, geotag: known.geoTag });
    if (known.statusSeries !== '') {
      const [strategy = '', suffix = ''] = known.statusSeries.split(' ');
      for (const status of HEALTH_STATES)
        forStrategy[strategy as StrategyType].remove({ ...labels, status: `${status}${suffix}` });
    }
    for (const dnsName of known.dnsNames) endpoints.remove({ ...labels, dns_name: dnsName });
  };
  const forget = (namespace: string, name: string): void => {
    const labels = { namespace, name };
    for (const metric of [errors, reconciles, healthyRecords]) metric.remove(labels);
    for (const status of HEALTH_STATES) serviceStatus.remove({ ...labels, status });
    const known = last.get(`${namespace}/${name}`);
    last.delete(`${namespace}/${name}`);
    if (known !== undefined) dropDetail(labels, known);
  };
  const setDetail = (
    labels: { namespace: string; name: string },
    outcome: GslbOutcome,
    suffix: string,
  ): void => {
    const served = new Set(Object.values(outcome.healthyRecords).flat());
    healthyLocal.set(
      { ...labels, geotag: outcome.geoTag },
      outcome.exposedIps.filter((ip) => served.has(ip)).length,
    );
    for (const status of HEALTH_STATES) {
      const hosts = Object.keys(outcome.health).filter((host) => outcome.health[host] === status);
      serviceStatus.set({ ...labels, status }, hosts.length);
      if (outcome.strategy === null) continue;
      const targets = hosts.reduce((n, h) => n + (outcome.healthyRecords[h]?.length ?? 0), 0);
      forStrategy[outcome.strategy].set({ ...labels, status: `${status}${suffix}` }, targets);
    }
    for (const host of Object.keys(outcome.health)) {
      endpoints.set({ ...labels, dns_name: host }, outcome.healthyRecords[host]?.length ?? 0);
      const published = outcome.health[host] === 'Healthy' ? outcome.exposedIps.length : 0;
      endpoints.set({ ...labels, dns_name: localTargetsName(host) }, published);
    }
  };
  return {
    recordGslb(outcome) {
      const labels = { namespace: outcome.namespace, name: outcome.name };
      const key = `${outcome.namespace}/${outcome.name}`;
      const suffix =
        outcome.strategy !== 'failover' ? '' : outcome.primary ? '_primary' : '_secondary';
      const detail: Detail = {
        statusSeries: outcome.strategy === null ? '' : `${outcome.strategy} ${suffix}`,
        geoTag: outcome.geoTag,
        dnsNames: Object.keys(outcome.health).flatMap((host) => [host, localTargetsName(host)]),
      };
      const known = last.get(key);
      if (known !== undefined && JSON.stringify(known) !== JSON.stringify(detail))
        dropDetail(labels, known);
      last.set(key, detail);
      (outcome.ok ? reconciles : errors).inc(labels);
      healthyRecords.set(labels, Object.values(outcome.healthyRecords).flat().length);
      setDetail(labels, outcome, suffix);
    },
    forgetGslb: forget,
  };
}
