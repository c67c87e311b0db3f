/**
 * The data every system serves and the queries sent to them: N host names in
 * cloud.example.org, each with addresses of its own, as Gslb manifests for
 * Meridian, as an RFC 1035 zone file for CoreDNS's file plugin, and as a
 * dnsperf query file (k8gb's DNSEndpoints are in k8gb.ts).
 *
 * Per strategy (BENCH_STRATEGIES):
 *   roundRobin  one cluster (eu) with two targets per name;
 *   weighted    two clusters, eu and us, two targets each, weighted
 *               WEIGHTS; every system serves all four targets.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gslbYaml } from '../harness/gslb-yaml';
import { seededRandom } from '../harness/random';

/** The load-balanced zone, its parent, and the TTL every system gives answers. */
export const ZONE = 'cloud.example.org';
export const PARENT_ZONE = 'example.org';
export const GEO_TAG = 'eu';
/** The peer cluster of the weighted workload. */
export const PEER_GEO_TAG = 'us';
export const TTL_SECONDS = 30;
/** spec.strategy.weight of the weighted workload. */
export const WEIGHTS: Readonly<Record<string, number>> = { [GEO_TAG]: 80, [PEER_GEO_TAG]: 20 };

/** The strategies the bench knows; see options.ts for which can be measured. */
export const STRATEGIES = ['roundRobin', 'weighted', 'geoip'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/**
 * Strategies the bench cannot yet measure like for like, and why; the report
 * states the reason instead of numbers.
 */
export const UNCOMPARABLE: Readonly<Partial<Record<Strategy, string>>> = {
  geoip:
    'geoip chooses targets only with a GeoIP database that both systems load, holding the ' +
    "clients' and the targets' networks; the bench sets none up, so both would answer every " +
    'target unfiltered and no location lookup would be measured',
};

/** One cluster's share of a name. */
export interface ClusterTargets {
  readonly geoTag: string;
  readonly addresses: readonly string[];
}

/** One load-balanced name and the addresses it must resolve to. */
export interface Host {
  /** The first label, also the Gslb's (and DNSEndpoint's) metadata.name. */
  readonly label: string;
  readonly name: string;
  /** The targets, cluster by cluster; this cluster (GEO_TAG) first. */
  readonly clusters: readonly ClusterTargets[];
  /** Every target of every cluster: the set each system must answer. */
  readonly addresses: readonly string[];
}

/** The hosts of one strategy. */
export interface Workload {
  readonly strategy: Strategy;
  readonly hosts: readonly Host[];
}

/** Meridian reads at most 4 MiB per manifest file; 1,000 Gslbs take about 0.35 MiB. */
const GSLBS_PER_FILE = 1_000;

/** At most this many hosts: addresses are 198.18.x.y and 198.19.x.y, x < 128 for this cluster. */
export const MAX_HOSTS = 32_768;

/**
 * `count` hosts for `strategy`. Each gets its own addresses, from
 * 198.18.0.0/15 (reserved for benchmarks, RFC 2544), so that a spot check
 * proves the answer belongs to the name asked rather than to any name: this
 * cluster's in 198.18-19.0-127.*, the peer's in 198.18-19.128-255.*.
 */
export function makeWorkload(count: number, strategy: Strategy): Workload {
  if (count > MAX_HOSTS) throw new Error(`at most ${MAX_HOSTS.toLocaleString('en-US')} hosts`);
  const hosts = Array.from({ length: count }, (_, i): Host => {
    const pair = (offset: number): string[] => {
      const low = `${(i >> 8) + offset}.${i & 255}`;
      return [`198.18.${low}`, `198.19.${low}`];
    };
    const label = `host-${i}`;
    const clusters: ClusterTargets[] = [{ geoTag: GEO_TAG, addresses: pair(0) }];
    if (strategy === 'weighted') clusters.push({ geoTag: PEER_GEO_TAG, addresses: pair(128) });
    return {
      label,
      name: `${label}.${ZONE}`,
      clusters,
      addresses: clusters.flatMap((cluster) => cluster.addresses),
    };
  });
  return { strategy, hosts };
}

/**
 * Writes the hosts as Gslb manifests into `dir`, several YAML documents per
 * file. Standalone mode knows no peer clusters: its targets are the
 * exposed-ip-addresses annotation, all of them this cluster's. So the
 * weighted workload lists all four addresses there (the same answer as the
 * other systems give) and sets spec.strategy.weight as k8gb users would.
 */
export function writeManifests(dir: string, workload: Workload): void {
  mkdirSync(dir, { recursive: true });
  const extra =
    workload.strategy === 'weighted'
      ? ['    weight:', ...Object.entries(WEIGHTS).map(([tag, w]) => `      ${tag}: ${w}`)].join(
          '\n',
        )
      : '';
  const { hosts } = workload;
  for (let start = 0; start < hosts.length; start += GSLBS_PER_FILE) {
    const documents = hosts
      .slice(start, start + GSLBS_PER_FILE)
      .map((host) => gslbYaml(host.label, host.name, [...host.addresses], extra));
    writeFileSync(join(dir, `gslbs-${start}.yaml`), documents.join('\n---\n'));
  }
}

/**
 * Writes the hosts as a zone file for the file plugin, with the SOA and the
 * NS that Meridian would give the zone (gslb-ns-<geotag>-<zone dashed>.<parent>).
 */
export function writeZoneFile(path: string, hosts: readonly Host[]): void {
  const nameServer = `gslb-ns-${GEO_TAG}-${ZONE.replaceAll('.', '-')}.${PARENT_ZONE}.`;
  const lines = [
    `$ORIGIN ${ZONE}.`,
    `$TTL ${TTL_SECONDS}`,
    `@ IN SOA ${nameServer} hostmaster.${ZONE}. 1 7200 1800 1209600 ${TTL_SECONDS}`,
    `@ IN NS ${nameServer}`,
    ...hosts.flatMap((host) => host.addresses.map((address) => `${host.name}. IN A ${address}`)),
  ];
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/**
 * Writes every host once, type A, in an order shuffled with a fixed seed, so
 * that the order is random to the servers yet the same for every system and
 * every run. dnsperf loops over the file for as long as a run lasts.
 */
export function writeQueryFile(path: string, hosts: readonly Host[]): void {
  const names = shuffled(
    hosts.map((host) => host.name),
    seededRandom(0x6d657269),
  );
  writeFileSync(path, names.map((name) => `${name} A\n`).join(''));
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [result[i], result[j]] = [result[j] as T, result[i] as T];
  }
  return result;
}
