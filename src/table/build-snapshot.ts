/**
 * Turns zones and Gslb records into a RecordSnapshot: validates what the
 * sources could not, resolves conflicts deterministically, and prepares every
 * answer's bytes. Pure: the same input gives the same table.
 */
import { isIP } from 'node:net';
import { MAX_MESSAGE_BYTES } from '../dns/constants';
import { encodeRecordTail } from '../dns/wire';
import type { GslbRecord, ZoneSpec } from './model';
import type { NameEntry, RecordSnapshot, ZoneEntry } from './snapshot';
import type { AnswerStrategy, RRSetSelector } from './selector';
import { strategyFor } from './strategies';

/** Largest number of records of one type served for a name, so a reply always fits 64 KiB. */
export const MAX_RECORDS_PER_RRSET = Math.floor((MAX_MESSAGE_BYTES - 600) / 28);

/** SOA timers as k8gb's CoreDNS plugin serves them. */
const SOA_TIMERS = Object.freeze({ refresh: 7200, retry: 1800, expire: 86400 });

/** Something in the input that the table could not serve as asked. */
export interface BuildProblem {
  readonly gslb: string;
  readonly host: string;
  readonly reason: string;
}

/** Input of one build. */
export interface BuildInput {
  readonly zones: readonly ZoneSpec[];
  readonly gslbs: readonly GslbRecord[];
  /**
   * This cluster's geotag: its targets of each host are also published as
   * `localtargets-<host>`, the name k8gb peers poll. None when absent.
   */
  readonly localGeoTag?: string;
  readonly serial: number;
  readonly generation: number;
}

/** A snapshot and the problems found while building it. */
export interface BuildResult {
  readonly snapshot: RecordSnapshot;
  readonly problems: readonly BuildProblem[];
}

const POINTER_TO_QUESTION = Buffer.from([0xc0, 0x0c]);

/** Builds a snapshot; never throws on bad Gslb data, which becomes problems. */
export function buildSnapshot(input: BuildInput): BuildResult {
  const zones = new Map(input.zones.map((spec) => [spec.name, prepareZone(spec, input.serial)]));
  // Every apex exists as a name, whether or not a Gslb serves it.
  const names = new Map<string, NameEntry>(
    [...zones.values()].map((zone) => [
      zone.name,
      { zone, apex: true, a: null, aaaa: null, owner: '' },
    ]),
  );

  const build: Building = {
    zones,
    names,
    problems: [],
    claimedBy: new Map(),
    hostCount: 0,
    recordCount: 0,
  };
  // Deterministic precedence: when two Gslbs claim a host, the first by id wins.
  const ordered = [...input.gslbs].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  for (const gslb of ordered) addGslb(build, gslb, localTargets(gslb, input.localGeoTag));
  const { problems, hostCount, recordCount } = build;
  return {
    snapshot: {
      serial: input.serial,
      generation: input.generation,
      names,
      zones,
      hostCount,
      recordCount,
    },
    problems,
  };
}

/** The table under construction. */
interface Building {
  readonly zones: ReadonlyMap<string, ZoneEntry>;
  readonly names: Map<string, NameEntry>;
  readonly problems: BuildProblem[];
  readonly claimedBy: Map<string, string>;
  hostCount: number;
  recordCount: number;
}

/** Serves every host of `gslb` that lies in a zone and is not taken. */
function addGslb(build: Building, gslb: GslbRecord, local: GslbRecord | null): void {
  // Encoded on the first host served and shared by the others: the records'
  // owner is a pointer to the question, so they do not depend on the host.
  let encoded: EncodedTargets | null = null;
  let localEncoded: EncodedTargets | null = null;
  const strategy = strategyFor(gslb.strategy);
  for (const host of gslb.hosts) {
    const zone = zoneOf(host, build.zones);
    const problem = (reason: string): void => {
      build.problems.push({ gslb: gslb.id, host, reason });
    };
    if (zone === null) {
      problem('host is not inside any zone in DNS_ZONES');
      continue;
    }
    const holder = build.claimedBy.get(host);
    if (holder !== undefined) {
      problem(`host is already served by Gslb ${holder}`);
      continue;
    }
    build.claimedBy.set(host, gslb.id);
    encoded ??= encodeTargets(gslb);
    encoded.reasons.forEach(problem);
    build.names.set(host, {
      zone,
      apex: build.names.get(host)?.apex ?? false,
      a: selectorOf(strategy, encoded.v4),
      aaaa: selectorOf(strategy, encoded.v6),
      owner: gslb.id,
    });
    addEmptyNonTerminals(host, zone, build.names);
    build.hostCount++;
    build.recordCount += encoded.v4.length + encoded.v6.length;
    if (local === null) continue;
    localEncoded ??= encodeTargets(local);
    build.recordCount += publishLocalTargets(host, zone, localEncoded, build.names, problem);
  }
}

/** The prefix k8gb gives the name that carries one cluster's own targets of a host. */
export const LOCAL_TARGETS_PREFIX = 'localtargets-';
const MAX_LABEL = 63;
const MAX_NAME = 253;

/** The Gslb reduced to this cluster's targets, or null when it has none to publish. */
function localTargets(gslb: GslbRecord, localGeoTag: string | undefined): GslbRecord | null {
  if (localGeoTag === undefined) return null;
  const local = gslb.clusters.find((c) => c.geoTag === localGeoTag && c.addresses.length > 0);
  return local === undefined ? null : { ...gslb, clusters: [local] };
}

/**
 * Adds `localtargets-<host>` with this cluster's targets, in the order given
 * (k8gb peers read the whole set; order carries no meaning). Returns the
 * number of records added.
 */
function publishLocalTargets(
  host: string,
  zone: ZoneEntry,
  encoded: EncodedTargets,
  names: Map<string, NameEntry>,
  problem: (reason: string) => void,
): number {
  const name = `${LOCAL_TARGETS_PREFIX}${host}`;
  const firstLabel = name.slice(0, name.indexOf('.'));
  if (firstLabel.length > MAX_LABEL || name.length > MAX_NAME) {
    problem(`${name} is too long for DNS; peers cannot read this host's local targets`);
    return 0;
  }
  // A Gslb that claims the name itself wins over the published copy.
  if (names.get(name)?.owner) return 0;
  const strategy = strategyFor('failover');
  names.set(name, {
    zone,
    apex: false,
    a: selectorOf(strategy, encoded.v4),
    aaaa: selectorOf(strategy, encoded.v6),
    owner: `${LOCAL_TARGETS_PREFIX}${host}`,
  });
  return encoded.v4.length + encoded.v6.length;
}

function prepareZone(spec: ZoneSpec, serial: number): ZoneEntry {
  const mname = spec.nameServers[0] ?? `ns1.dns.${spec.name}`;
  const soaTail = encodeRecordTail({
    type: 'SOA',
    ttl: spec.negativeTtlSeconds,
    mname,
    rname: `hostmaster.${spec.name}`,
    serial,
    ...SOA_TIMERS,
    minimum: spec.negativeTtlSeconds,
  });
  const nsRecords = spec.nameServers.map((host) =>
    withPointer(encodeRecordTail({ type: 'NS', ttl: spec.nameServerTtlSeconds, host })),
  );
  return {
    name: spec.name,
    labelCount: spec.name.split('.').length,
    soaTail,
    nameServers: { bytes: Buffer.concat(nsRecords), count: nsRecords.length },
  };
}

function withPointer(tail: Buffer): Buffer {
  return Buffer.concat([POINTER_TO_QUESTION, tail]);
}

function zoneOf(host: string, zones: ReadonlyMap<string, ZoneEntry>): ZoneEntry | null {
  // Longest matching suffix at a label boundary: DNS suffix, never substring.
  let suffix = host;
  for (;;) {
    const zone = zones.get(suffix);
    if (zone !== undefined) return zone;
    const dot = suffix.indexOf('.');
    if (dot === -1) return null;
    suffix = suffix.slice(dot + 1);
  }
}

/** A Gslb's targets encoded once, for all of its hosts. */
interface EncodedTargets {
  readonly v4: readonly Buffer[];
  readonly v6: readonly Buffer[];
  /** Why some targets are not served; reported for every host of the Gslb. */
  readonly reasons: readonly string[];
}

// Sources validate, but a record the encoder still rejects must cost one
// Gslb, never the whole table.
function encodeTargets(gslb: GslbRecord): EncodedTargets {
  const reasons: string[] = [];
  try {
    return encodeEachTarget(gslb, reasons);
  } catch (err) {
    reasons.push(`cannot encode records: ${err instanceof Error ? err.message : String(err)}`);
    return { v4: [], v6: [], reasons };
  }
}

function encodeEachTarget(gslb: GslbRecord, reasons: string[]): EncodedTargets {
  const v4: Buffer[] = [];
  const v6: Buffer[] = [];
  const seen = new Set<string>();
  for (const cluster of gslb.clusters) {
    for (const address of cluster.addresses) {
      if (seen.has(address)) continue;
      seen.add(address);
      const family = isIP(address);
      if (family === 0) {
        reasons.push(`target ${JSON.stringify(address)} is not an IP address`);
        continue;
      }
      const type = family === 4 ? 'A' : 'AAAA';
      const record = withPointer(encodeRecordTail({ type, ttl: gslb.ttlSeconds, address }));
      (family === 4 ? v4 : v6).push(record);
    }
  }
  const capped = (records: Buffer[], type: string): Buffer[] => {
    if (records.length <= MAX_RECORDS_PER_RRSET) return records;
    reasons.push(
      `${records.length} ${type} targets; only the first ${MAX_RECORDS_PER_RRSET} are served`,
    );
    return records.slice(0, MAX_RECORDS_PER_RRSET);
  };
  return { v4: capped(v4, 'A'), v6: capped(v6, 'AAAA'), reasons };
}

// Each host gets its own selector, so round-robin positions are per name.
function selectorOf(strategy: AnswerStrategy, records: readonly Buffer[]): RRSetSelector | null {
  return records.length === 0 ? null : strategy.createSelector({ records });
}

// A name between a host and its zone exists (RFC 8020): it answers NODATA,
// not NXDOMAIN, or resolvers would prune the host below it from their caches.
function addEmptyNonTerminals(host: string, zone: ZoneEntry, names: Map<string, NameEntry>): void {
  let name = host;
  for (;;) {
    const dot = name.indexOf('.');
    if (dot === -1) return;
    name = name.slice(dot + 1);
    if (name.length <= zone.name.length) return;
    if (!names.has(name)) names.set(name, { zone, apex: false, a: null, aaaa: null, owner: '' });
  }
}
