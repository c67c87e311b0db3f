/**
 * The data both systems serve and the queries sent to them: N host names in
 * cloud.example.org, each with two IPv4 addresses, as Gslb manifests for
 * Meridian, as an RFC 1035 zone file for CoreDNS's file plugin, and as a
 * dnsperf query file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gslbYaml } from '../test/helpers/app-harness';

/** The load-balanced zone, its parent, and the TTL both systems give answers. */
export const ZONE = 'cloud.example.org';
export const PARENT_ZONE = 'example.org';
export const GEO_TAG = 'eu';
export const TTL_SECONDS = 30;

/** One load-balanced name and the addresses it must resolve to. */
export interface Host {
  /** The first label, also the Gslb's metadata.name. */
  readonly label: string;
  readonly name: string;
  readonly addresses: readonly [string, string];
}

/** Meridian reads at most 4 MiB per manifest file; 1,000 Gslbs take about 0.35 MiB. */
const GSLBS_PER_FILE = 1_000;

/**
 * `count` hosts. Each gets its own addresses, from 198.18.0.0/15 (reserved
 * for benchmarks, RFC 2544), so that a spot check proves the answer belongs
 * to the name asked rather than to any name.
 */
export function makeHosts(count: number): Host[] {
  if (count > 65_536)
    throw new Error('at most 65,536 hosts: addresses are 198.18.x.y and 198.19.x.y');
  return Array.from({ length: count }, (_, i) => {
    const low = `${i >> 8}.${i & 255}`;
    const label = `host-${i}`;
    return { label, name: `${label}.${ZONE}`, addresses: [`198.18.${low}`, `198.19.${low}`] };
  });
}

/** Writes the hosts as roundRobin Gslb manifests into `dir`, several YAML documents per file. */
export function writeManifests(dir: string, hosts: readonly Host[]): void {
  mkdirSync(dir, { recursive: true });
  for (let start = 0; start < hosts.length; start += GSLBS_PER_FILE) {
    const documents = hosts
      .slice(start, start + GSLBS_PER_FILE)
      .map((host) => gslbYaml(host.label, host.name, [...host.addresses]));
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
 * that the order is random to the servers yet the same for both systems and
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

// mulberry32: a tiny PRNG; Math.random cannot be seeded.
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
