/**
 * Turns zones and Gslb records into a RecordSnapshot: validates what the
 * sources could not, resolves conflicts deterministically, applies each
 * Gslb's strategy to its clusters' health and targets, and prepares every
 * answer's bytes. Pure: the same input (and random source) gives the same
 * table.
 */
import { isIP } from 'node:net';
import { MAX_MESSAGE_BYTES } from '../dns/constants';
import { findZone, MAX_LABEL_LENGTH, MAX_NAME_LENGTH } from '../dns/names';
import { encodeRecordTail } from '../dns/wire';
import { localTargetsName, MAX_WEIGHT, MIN_WEIGHT } from '../gslb/k8gb-naming';
import type { GeoLocator } from './geo-locator';
import type { ClusterTargets, GslbRecord, ZoneSpec } from './model';
import type { NameEntry, RecordSnapshot, ZoneEntry } from './snapshot';
import type { ClusterRecords, RRSetSelector, SelectorContext, SelectorPlan } from './selector';
import { planSelector } from './strategies';
import { fixedPlan } from './strategies/records';

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
  /**
   * Uniform numbers in [0, 1) for weighted roundRobin, drawn per query;
   * Math.random when absent. Tests pass a deterministic one.
   */
  readonly random?: (() => number) | undefined;
  /**
   * Where clients and targets are, for geoip. Absent: geoip answers every
   * healthy target, as k8gb does for a client it cannot place.
   */
  readonly geoLocator?: GeoLocator | undefined;
  /**
   * What earlier builds prepared, reused for the same GslbRecord objects.
   * A source that keeps an unchanged Gslb's record object (the Kubernetes
   * reconciler does) then pays only for what changed: at 10,000 Gslbs a
   * full build costs about 150 ms and allocates the whole table again.
   */
  readonly reuse?: BuildReuse | undefined;
}

/**
 * Per GslbRecord object: its prepared answers and each host's selectors.
 * Keys are held weakly, so it holds no more than the records its source
 * still holds. Selectors are reused with their cursors, so a rebuild does not
 * reset a name's round-robin position. Prepared answers depend on the build's
 * random source, locator and local geotag: a build with others starts afresh.
 */
export class BuildReuse {
  private prepared = new WeakMap<GslbRecord, ReusedGslb>();
  private context: { random: unknown; locator: unknown; localGeoTag: unknown } | null = null;

  /** The entries valid for a build with these settings. */
  entriesFor(
    random: unknown,
    locator: unknown,
    localGeoTag: unknown,
  ): WeakMap<GslbRecord, ReusedGslb> {
    const context = this.context;
    if (
      context === null ||
      context.random !== random ||
      context.locator !== locator ||
      context.localGeoTag !== localGeoTag
    ) {
      this.prepared = new WeakMap();
      this.context = { random, locator, localGeoTag };
    }
    return this.prepared;
  }
}

/** What a build keeps for one GslbRecord. */
interface ReusedGslb {
  readonly prepared: PreparedGslb;
  /** Host → its selectors (and its localtargets name's). */
  readonly hosts: Map<string, HostSelectors>;
}

interface HostSelectors {
  readonly a: RRSetSelector | null;
  readonly aaaa: RRSetSelector | null;
  readonly localA: RRSetSelector | null;
  readonly localAaaa: RRSetSelector | null;
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
    localGeoTag: input.localGeoTag,
    context: { random: input.random ?? Math.random, locator: input.geoLocator ?? null },
    reused: null,
  };
  build.reused =
    input.reuse?.entriesFor(build.context.random, build.context.locator, input.localGeoTag) ?? null;
  // Deterministic precedence: when two Gslbs claim a host, the first by id wins.
  const ordered = [...input.gslbs].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  for (const gslb of ordered) addGslb(build, gslb);
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
  readonly localGeoTag: string | undefined;
  readonly context: SelectorContext;
  reused: WeakMap<GslbRecord, ReusedGslb> | null;
}

/** Serves every host of `gslb` that lies in a zone and is not taken. */
function addGslb(build: Building, gslb: GslbRecord): void {
  // Prepared on the first host served and shared by the others: the records'
  // owner is a pointer to the question, so they do not depend on the host.
  let reused: ReusedGslb | null = null;
  for (const host of gslb.hosts) {
    const zone = findZone(host, build.zones);
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
    reused ??= preparedFor(build, gslb);
    const { prepared } = reused;
    prepared.reasons.forEach(problem);
    const selectors = selectorsFor(reused, host);
    build.names.set(host, {
      zone,
      apex: build.names.get(host)?.apex ?? false,
      a: selectors.a,
      aaaa: selectors.aaaa,
      owner: gslb.id,
    });
    addEmptyNonTerminals(host, zone, build.names);
    build.hostCount++;
    build.recordCount += prepared.served.recordCount;
    if (prepared.local === null) continue;
    build.recordCount += publishLocalTargets(host, zone, prepared.local, selectors, build, problem);
  }
}

/** `gslb`'s prepared answers: from an earlier build of the same object, or new. */
function preparedFor(build: Building, gslb: GslbRecord): ReusedGslb {
  const known = build.reused?.get(gslb);
  if (known !== undefined) return known;
  const fresh: ReusedGslb = {
    prepared: prepareGslb(gslb, build.context, build.localGeoTag),
    hosts: new Map(),
  };
  build.reused?.set(gslb, fresh);
  return fresh;
}

/** Each host gets its own selectors, so round-robin positions are per name. */
function selectorsFor(reused: ReusedGslb, host: string): HostSelectors {
  const known = reused.hosts.get(host);
  if (known !== undefined) return known;
  const { served, local } = reused.prepared;
  const selectors: HostSelectors = {
    a: served.a?.create() ?? null,
    aaaa: served.aaaa?.create() ?? null,
    localA: local?.a?.create() ?? null,
    localAaaa: local?.aaaa?.create() ?? null,
  };
  reused.hosts.set(host, selectors);
  return selectors;
}

/** The selector plans of a name's two address types. */
interface PlannedName {
  readonly a: SelectorPlan | null;
  readonly aaaa: SelectorPlan | null;
  readonly recordCount: number;
}

/** A Gslb's answers, prepared once for all of its hosts. */
interface PreparedGslb {
  readonly served: PlannedName;
  /** What `localtargets-<host>` publishes; null when nothing is published. */
  readonly local: PlannedName | null;
  /** Why some targets are not served; reported for every host of the Gslb. */
  readonly reasons: readonly string[];
}

const NOTHING: PlannedName = { a: null, aaaa: null, recordCount: 0 };

// Sources validate, but a record the encoder (or a locator) still rejects
// must cost one Gslb, never the whole table.
function prepareGslb(
  gslb: GslbRecord,
  context: SelectorContext,
  localGeoTag: string | undefined,
): PreparedGslb {
  const reasons: string[] = [];
  try {
    const encoded = encodeClusters(gslb, reasons);
    if (gslb.strategy === 'roundRobin') checkWeights(gslb, reasons);
    const a = planSelector(gslb.strategy, encoded.v4, gslb, context);
    const aaaa = planSelector(gslb.strategy, encoded.v6, gslb, context);
    const local = localIndex(gslb.clusters, localGeoTag);
    return {
      served: planned(a, aaaa),
      local: local === -1 ? null : localPlans(encoded, local),
      reasons,
    };
  } catch (err) {
    reasons.push(`cannot prepare records: ${err instanceof Error ? err.message : String(err)}`);
    return { served: NOTHING, local: null, reasons };
  }
}

function planned(a: SelectorPlan | null, aaaa: SelectorPlan | null): PlannedName {
  return { a, aaaa, recordCount: (a?.recordCount ?? 0) + (aaaa?.recordCount ?? 0) };
}

// Weights outside MIN_WEIGHT..MAX_WEIGHT cannot come through the CRD or the manifest parser;
// a source that lets one through learns it here.
function checkWeights(gslb: GslbRecord, reasons: string[]): void {
  for (const [geoTag, weight] of Object.entries(gslb.weights ?? {})) {
    if (Number.isInteger(weight) && weight >= MIN_WEIGHT && weight <= MAX_WEIGHT) continue;
    reasons.push(
      `weight of ${JSON.stringify(geoTag)} is ${String(weight)}, not an integer from ${MIN_WEIGHT} to ${MAX_WEIGHT}; counted as 0`,
    );
  }
}

/**
 * The index of this cluster's targets in `clusters`, or -1 when there is
 * nothing to publish: no local geotag, no targets, or not healthy here (k8gb
 * publishes `localtargets-<host>` only while the host is locally Healthy, so
 * that peers fail over; §3.1 step 1).
 */
function localIndex(clusters: readonly ClusterTargets[], localGeoTag: string | undefined): number {
  if (localGeoTag === undefined) return -1;
  return clusters.findIndex(
    (c) => c.geoTag === localGeoTag && c.healthy !== false && c.addresses.length > 0,
  );
}

/** This cluster's records, in the order given, whatever the Gslb's strategy. */
function localPlans(encoded: EncodedClusters, index: number): PlannedName {
  const plan = (records: ClusterRecords | undefined): SelectorPlan | null =>
    records === undefined || records.records.length === 0 ? null : fixedPlan(records);
  return planned(plan(encoded.v4[index]), plan(encoded.v6[index]));
}

/**
 * Adds `localtargets-<host>` with this cluster's targets, in the order given
 * (k8gb peers read the whole set; order carries no meaning). Returns the
 * number of records added.
 */
function publishLocalTargets(
  host: string,
  zone: ZoneEntry,
  local: PlannedName,
  selectors: HostSelectors,
  build: Building,
  problem: (reason: string) => void,
): number {
  const names = build.names;
  const name = localTargetsName(host);
  const firstLabel = name.slice(0, name.indexOf('.'));
  if (firstLabel.length > MAX_LABEL_LENGTH || name.length > MAX_NAME_LENGTH) {
    problem(`${name} is too long for DNS; peers cannot read this host's local targets`);
    return 0;
  }
  // A Gslb that claims the name itself wins over the published copy.
  if (names.get(name)?.owner) return 0;
  names.set(name, {
    zone,
    apex: false,
    a: selectors.localA,
    aaaa: selectors.localAaaa,
    owner: name,
  });
  return local.recordCount;
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

/** Every cluster's records by type, parallel to the Gslb's `clusters`. */
interface EncodedClusters {
  readonly v4: readonly ClusterRecords[];
  readonly v6: readonly ClusterRecords[];
}

/**
 * Encodes every cluster's targets. An address is encoded once per Gslb and
 * counts once towards MAX_RECORDS_PER_RRSET however many clusters list it;
 * past the cap, further addresses are left out, in cluster order.
 */
function encodeClusters(gslb: GslbRecord, reasons: string[]): EncodedClusters {
  const encoder = new TargetEncoder(gslb.ttlSeconds, reasons);
  const v4: ClusterRecords[] = [];
  const v6: ClusterRecords[] = [];
  for (const cluster of gslb.clusters) {
    const healthy = cluster.healthy !== false;
    const families = {
      4: emptyRecords(cluster.geoTag, healthy),
      6: emptyRecords(cluster.geoTag, healthy),
    };
    for (const address of new Set(cluster.addresses)) {
      const encoded = encoder.encode(address);
      if (encoded === null) continue;
      families[encoded.family].addresses.push(address);
      families[encoded.family].records.push(encoded.record);
    }
    v4.push(families[4]);
    v6.push(families[6]);
  }
  encoder.reportCaps();
  return { v4, v6 };
}

interface MutableRecords extends ClusterRecords {
  readonly addresses: string[];
  readonly records: Buffer[];
}

function emptyRecords(geoTag: string, healthy: boolean): MutableRecords {
  return { geoTag, healthy, addresses: [], records: [] };
}

interface EncodedTarget {
  readonly family: 4 | 6;
  readonly record: Buffer;
}

/** Encodes addresses once each, reporting bad ones once and counting towards the cap. */
class TargetEncoder {
  private readonly ttl: number;
  private readonly reasons: string[];
  /** Address → its record; null when it is not served (not an IP, or over the cap). */
  private readonly known = new Map<string, EncodedTarget | null>();
  private readonly served = { 4: 0, 6: 0 };
  private readonly leftOut = { 4: 0, 6: 0 };

  constructor(ttl: number, reasons: string[]) {
    this.ttl = ttl;
    this.reasons = reasons;
  }

  encode(address: string): EncodedTarget | null {
    const known = this.known.get(address);
    if (known !== undefined) return known;
    const encoded = this.encodeNew(address);
    this.known.set(address, encoded);
    return encoded;
  }

  /** Adds the problem of each type whose targets were cut. */
  reportCaps(): void {
    for (const [family, type] of [
      [4, 'A'],
      [6, 'AAAA'],
    ] as const) {
      const leftOut = this.leftOut[family];
      if (leftOut === 0) continue;
      this.reasons.push(
        `${MAX_RECORDS_PER_RRSET + leftOut} ${type} targets; only the first ${MAX_RECORDS_PER_RRSET} are served`,
      );
    }
  }

  private encodeNew(address: string): EncodedTarget | null {
    const family = isIP(address);
    if (family !== 4 && family !== 6) {
      this.reasons.push(`target ${JSON.stringify(address)} is not an IP address`);
      return null;
    }
    if (this.served[family] === MAX_RECORDS_PER_RRSET) {
      this.leftOut[family]++;
      return null;
    }
    this.served[family]++;
    const type = family === 4 ? 'A' : 'AAAA';
    return { family, record: withPointer(encodeRecordTail({ type, ttl: this.ttl, address })) };
  }
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
