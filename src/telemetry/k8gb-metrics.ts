/**
 * k8gb's metrics, with k8gb's names, labels and meaning
 * (docs/k8gb-compatibility.md#metrics), so that dashboards and alerts built
 * for k8gb keep working: the per-Gslb series and k8gb_runtime_info. Two
 * deliberate differences: a deleted Gslb's series are removed (k8gb keeps
 * them until it restarts), and with several hosts in one health state the
 * status_count_for_* slot holds the sum over those hosts (k8gb's holds the
 * last host it happened to handle). The Infoblox series are left out: no
 * Infoblox provider here, and k8gb never increments most of them.
 *
 * The per-Gslb series are kept as one compact entry per Gslb and written
 * straight to the page (metrics-page.ts explains why not as prom-client
 * series); k8gb_runtime_info is an ordinary prom-client gauge.
 */
import { Gauge, type Registry } from 'prom-client';
import { localTargetsName, type StrategyType } from '../gslb/k8gb-naming';
import { escapeLabelValue, familyHeader, type FamilyInfo, type SeriesSource } from './metrics-page';

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

/** Updates of k8gb's metrics, and the source that renders the per-Gslb series. */
export interface K8gbMetrics {
  recordGslb(outcome: GslbOutcome): void;
  /** Drops the series of a deleted Gslb. */
  forgetGslb(namespace: string, name: string): void;
  readonly perGslb: SeriesSource;
}

/** Defines k8gb's metrics: k8gb_runtime_info on `registry`, the per-Gslb series in `perGslb`. */
export function createK8gbMetrics(registry: Registry, runtime: RuntimeInfo): K8gbMetrics {
  new Gauge({
    name: K8GB_METRIC_NAMES.runtimeInfo,
    help: 'k8gb: always 1; labels carry the namespace, version, runtime and platform.',
    labelNames: ['namespace', 'k8gb_version', 'go_version', 'arch', 'os', 'git_sha'] as const,
    registers: [registry],
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
  const series = new PerGslbSeries();
  return {
    recordGslb: (outcome) => series.record(outcome),
    forgetGslb: (namespace, name) => series.forget(namespace, name),
    perGslb: series,
  };
}

const PER_GSLB = ['namespace', 'name'] as const;
const PER_STATUS = ['namespace', 'name', 'status'] as const;

/** The per-Gslb families, in the order they are written. */
export const PER_GSLB_FAMILIES: readonly FamilyInfo[] = [
  {
    name: K8GB_METRIC_NAMES.gslbErrors,
    type: 'counter',
    help: 'k8gb: reconciles of a Gslb that found a problem (see its Ready condition).',
    labelNames: PER_GSLB,
  },
  {
    name: K8GB_METRIC_NAMES.gslbReconciles,
    type: 'counter',
    help: 'k8gb: reconciles of a Gslb that served it.',
    labelNames: PER_GSLB,
  },
  {
    name: K8GB_METRIC_NAMES.gslbHealthyRecords,
    type: 'gauge',
    help: 'k8gb: addresses across the Gslb status.healthyRecords (peers included).',
    labelNames: PER_GSLB,
  },
  {
    name: K8GB_METRIC_NAMES.gslbHealthyLocalRecords,
    type: 'gauge',
    help: "k8gb: this cluster's exposed addresses that are among the Gslb healthyRecords.",
    labelNames: ['namespace', 'name', 'geotag'],
  },
  {
    name: K8GB_METRIC_NAMES.gslbServiceStatus,
    type: 'gauge',
    help: 'k8gb: hosts of the Gslb in each local health state.',
    labelNames: PER_STATUS,
  },
  {
    name: K8GB_METRIC_NAMES.statusForFailover,
    type: 'gauge',
    help: 'k8gb: addresses served for the hosts of a failover Gslb in each local health state, primary or secondary.',
    labelNames: PER_STATUS,
  },
  {
    name: K8GB_METRIC_NAMES.statusForRoundRobin,
    type: 'gauge',
    help: 'k8gb: addresses served for the hosts of a roundRobin Gslb in each local health state.',
    labelNames: PER_STATUS,
  },
  {
    name: K8GB_METRIC_NAMES.statusForGeoip,
    type: 'gauge',
    help: 'k8gb: addresses served for the hosts of a geoip Gslb in each local health state.',
    labelNames: PER_STATUS,
  },
  {
    name: K8GB_METRIC_NAMES.endpointStatus,
    type: 'gauge',
    help: 'k8gb: targets of each DNS name of the Gslb (its hosts and their localtargets- names).',
    labelNames: ['namespace', 'name', 'dns_name'],
  },
];

/** The status_count_for_* family of each strategy, by its index in PER_GSLB_FAMILIES. */
const STRATEGY_FAMILY: Readonly<Record<StrategyType, number>> = {
  failover: 5,
  roundRobin: 6,
  geoip: 7,
};

/** What one Gslb's series say; label text is escaped once, when the entry is made. */
interface Entry {
  /** `namespace="…",name="…"`. */
  readonly labels: string;
  errors: number;
  reconciles: number;
  healthyRecords: number;
  geoTag: string;
  healthyLocal: number;
  /** Hosts per state of HEALTH_STATES. */
  hosts: number[];
  /** Index of the status_count_for_* family, or -1 without a strategy. */
  strategyFamily: number;
  /** `_primary`, `_secondary` or empty. */
  suffix: string;
  /** Served addresses per state of HEALTH_STATES. */
  targets: number[];
  /** Escaped DNS name and its number of targets, for k8gb_endpoint_status_num. */
  endpoints: [string, number][];
}

/** Text per chunk: a fraction of a millisecond of work between two turns of the event loop. */
export const CHUNK_CHARS = 64 * 1024;

/** k8gb's per-Gslb series: one entry per Gslb, rendered on demand. */
class PerGslbSeries implements SeriesSource {
  readonly families = PER_GSLB_FAMILIES;
  private readonly entries = new Map<string, Entry>();

  record(outcome: GslbOutcome): void {
    const key = `${outcome.namespace}/${outcome.name}`;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = {
        labels: `namespace="${escapeLabelValue(outcome.namespace)}",name="${escapeLabelValue(outcome.name)}"`,
        errors: 0,
        reconciles: 0,
        healthyRecords: 0,
        geoTag: '',
        healthyLocal: 0,
        hosts: [0, 0, 0],
        strategyFamily: -1,
        suffix: '',
        targets: [0, 0, 0],
        endpoints: [],
      };
      this.entries.set(key, entry);
    }
    if (outcome.ok) entry.reconciles++;
    else entry.errors++;
    const served = Object.values(outcome.healthyRecords).flat();
    const servedSet = new Set(served);
    entry.healthyRecords = served.length;
    entry.geoTag = escapeLabelValue(outcome.geoTag);
    // Per exposed address, as k8gb counts: a duplicate counts twice.
    entry.healthyLocal = outcome.exposedIps.filter((ip) => servedSet.has(ip)).length;
    entry.strategyFamily = outcome.strategy === null ? -1 : STRATEGY_FAMILY[outcome.strategy];
    entry.suffix =
      outcome.strategy !== 'failover' ? '' : outcome.primary ? '_primary' : '_secondary';
    entry.hosts = [0, 0, 0];
    entry.targets = [0, 0, 0];
    entry.endpoints = [];
    for (const [host, health] of Object.entries(outcome.health)) {
      const state = HEALTH_STATES.indexOf(health as (typeof HEALTH_STATES)[number]);
      const targets = outcome.healthyRecords[host]?.length ?? 0;
      if (state !== -1) {
        entry.hosts[state]!++;
        entry.targets[state]! += targets;
      }
      const published = health === 'Healthy' ? outcome.exposedIps.length : 0;
      entry.endpoints.push([escapeLabelValue(host), targets]);
      entry.endpoints.push([escapeLabelValue(localTargetsName(host)), published]);
    }
  }

  forget(namespace: string, name: string): void {
    this.entries.delete(`${namespace}/${name}`);
  }

  *chunks(): Generator<string> {
    let text = '';
    for (const [index, family] of PER_GSLB_FAMILIES.entries()) {
      text += familyHeader(family);
      for (const entry of this.entries.values()) {
        text += lines(index, family.name, entry);
        if (text.length < CHUNK_CHARS) continue;
        yield text;
        text = '';
      }
    }
    if (text !== '') yield text;
  }
}

/** The lines of family `index` for one Gslb (empty when it has none in that family). */
function lines(index: number, name: string, entry: Entry): string {
  const { labels } = entry;
  switch (index) {
    case 0:
      return entry.errors === 0 ? '' : `${name}{${labels}} ${entry.errors}\n`;
    case 1:
      return entry.reconciles === 0 ? '' : `${name}{${labels}} ${entry.reconciles}\n`;
    case 2:
      return `${name}{${labels}} ${entry.healthyRecords}\n`;
    case 3:
      return `${name}{${labels},geotag="${entry.geoTag}"} ${entry.healthyLocal}\n`;
    case 4:
      return byState(name, labels, '', entry.hosts);
    case 8:
      return entry.endpoints
        .map(([dnsName, count]) => `${name}{${labels},dns_name="${dnsName}"} ${count}\n`)
        .join('');
    default:
      return entry.strategyFamily === index
        ? byState(name, labels, entry.suffix, entry.targets)
        : '';
  }
}

function byState(name: string, labels: string, suffix: string, counts: number[]): string {
  let text = '';
  for (const [i, state] of HEALTH_STATES.entries())
    text += `${name}{${labels},status="${state}${suffix}"} ${counts[i]}\n`;
  return text;
}
