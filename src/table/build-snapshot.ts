/**
 * Turns zones and Gslb records into a RecordSnapshot: validates what the
 * sources could not, resolves conflicts deterministically, applies each
 * Gslb's strategy to its clusters' health and targets, and prepares every
 * answer's bytes (target-encoding.ts, zones.ts), reusing what an earlier build
 * prepared for the same sealed record (build-reuse.ts). Pure: the same input
 * (and random source) gives the same table.
 */
import { findZone, MAX_LABEL_LENGTH, MAX_NAME_LENGTH } from '../dns/names';
import { localTargetsName, MAX_WEIGHT, MIN_WEIGHT } from '../gslb/k8gb-naming';
import {
  selectorsFor,
  type BuildReuse,
  type HostSelectors,
  type PlannedName,
  type PreparedGslb,
  type ReuseContext,
  type ReusedGslb,
} from './build-reuse';
import type { GeoLocator } from './geo-locator';
import {
  isSealed,
  type ClusterTargets,
  type GslbRecord,
  type SealedRecord,
  type ZoneSpec,
} from './model';
import type { NameEntry, RecordSnapshot, ZoneEntry } from './snapshot';
import type { ClusterRecords, SelectorContext, SelectorPlan } from './selector';
import { planSelector } from './strategies';
import { fixedPlan } from './strategies/records';
import { byClaim, refusedByPolicy, type ClaimProblemKind, type HostPolicy } from './host-claims';
import { encodeClusters, type EncodedClusters } from './target-encoding';
import { addEmptyNonTerminals, emptyName, prepareZone } from './zones';

/** Something in the input that the table could not serve as asked. */
export interface BuildProblem {
  readonly gslb: string;
  readonly host: string;
  readonly reason: string;
  /** Set for a host kept by an earlier claim or refused by the host policy. */
  readonly kind?: ClaimProblemKind | undefined;
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
   * Increases whenever the locator's answers may have changed (its database
   * was reloaded): prepared geoip answers of another version are not reused.
   */
  readonly geoLocatorVersion?: number | undefined;
  /** Which namespaces may claim which name suffixes; null or absent: any (host-claims.ts). */
  readonly hostPolicy?: HostPolicy | null | undefined;
  /** What earlier builds prepared, reused for the same sealed records (build-reuse.ts). */
  readonly reuse?: BuildReuse | undefined;
}

/**
 * Per GslbRecord object: its prepared answers and each host's selectors.
 * Keys are held weakly, so it holds no more than the records its source
 * still holds. Selectors are reused with their cursors, so a rebuild does not
 * reset a name's round-robin position. Prepared answers depend on the build's
 * random source, locator and local geotag: a build with others starts afresh.

/** A snapshot and the problems found while building it. */
export interface BuildResult {
  readonly snapshot: RecordSnapshot;
  readonly problems: readonly BuildProblem[];
}

/** Builds a snapshot; never throws on bad Gslb data, which becomes problems. */
export function buildSnapshot(input: BuildInput): BuildResult {
  const zones = new Map(input.zones.map((spec) => [spec.name, prepareZone(spec, input.serial)]));
  // Every apex exists as a name, whether or not a Gslb serves it.
  const names = new Map<string, NameEntry>(
    [...zones.values()].map((zone) => [zone.name, emptyName(zone, true)]),
  );

  const build: Building = {
    zones,
    names,
    problems: [],
    claimedBy: new Map(),
    hostPolicy: input.hostPolicy ?? null,
    hostCount: 0,
    recordCount: 0,
    localGeoTag: input.localGeoTag,
    context: { random: input.random ?? Math.random, locator: input.geoLocator ?? null },
    reused: null,
  };
  const reuseContext: ReuseContext = {
    ...build.context,
    locatorVersion: input.geoLocatorVersion ?? 0,
    localGeoTag: input.localGeoTag,
  };
  build.reused = input.reuse?.entriesFor(reuseContext) ?? null;
  // The first claim keeps a contested host (host-claims.ts).
  const ordered = [...input.gslbs].sort(byClaim);
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
  readonly hostPolicy: HostPolicy | null;
  hostCount: number;
  recordCount: number;
  readonly localGeoTag: string | undefined;
  readonly context: SelectorContext;
  reused: WeakMap<SealedRecord, ReusedGslb> | null;
}

/** Serves every host of `gslb` that lies in a zone and is not taken. */
function addGslb(build: Building, gslb: GslbRecord): void {
  // Prepared on the first host served and shared by the others: the records'
  // owner is a pointer to the question, so they do not depend on the host.
  let reused: ReusedGslb | null = null;
  for (const host of gslb.hosts) {
    const zone = findZone(host, build.zones);
    const problem = (reason: string, kind?: ClaimProblemKind): void => {
      build.problems.push(
        kind === undefined
          ? { gslb: gslb.id, host, reason }
          : { gslb: gslb.id, host, reason, kind },
      );
    };
    if (zone === null) {
      problem('host is not inside any zone in DNS_ZONES');
      continue;
    }
    const refused = refusedByPolicy(build.hostPolicy, gslb.id, host);
    if (refused !== null) {
      problem(refused, 'host-not-allowed');
      continue;
    }
    const holder = build.claimedBy.get(host);
    if (holder !== undefined) {
      problem(`host is already served by Gslb ${holder}, which claimed it first`, 'host-conflict');
      continue;
    }
    build.claimedBy.set(host, gslb.id);
    reused ??= preparedFor(build, gslb);
    const { prepared } = reused;
    for (const reason of prepared.reasons) problem(reason);
    const selectors = selectorsFor(reused, host);
    build.names.set(host, {
      zone,
      apex: build.names.get(host)?.apex ?? false,
      a: selectors.a,
      aaaa: selectors.aaaa,
      owner: gslb.id,
      served: prepared.served.addresses,
    });
    addEmptyNonTerminals(host, zone, build.names);
    build.hostCount++;
    build.recordCount += prepared.served.recordCount;
    if (prepared.local !== null)
      build.recordCount += publishLocalTargets(
        host,
        zone,
        prepared.local,
        selectors,
        build,
        problem,
      );
    else if (withdrawnHere(gslb.clusters, build.localGeoTag))
      publishLocalTargets(host, zone, NOTHING, NO_SELECTORS, build, problem);
  }
}

/** `gslb`'s prepared answers: from an earlier build of the same sealed record, or new. */
function preparedFor(build: Building, gslb: GslbRecord): ReusedGslb {
  const sealed = isSealed(gslb) ? gslb : null;
  const known = sealed === null ? undefined : build.reused?.get(sealed);
  if (known !== undefined) return known;
  const fresh: ReusedGslb = {
    prepared: prepareGslb(gslb, build.context, build.localGeoTag),
    hosts: new Map(),
  };
  if (sealed !== null) build.reused?.set(sealed, fresh);
  return fresh;
}

const NOTHING: PlannedName = { a: null, aaaa: null, recordCount: 0, addresses: [] };
const NO_SELECTORS: HostSelectors = { a: null, aaaa: null, localA: null, localAaaa: null };

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
  return {
    a,
    aaaa,
    recordCount: (a?.recordCount ?? 0) + (aaaa?.recordCount ?? 0),
    addresses: [...(a?.addresses ?? []), ...(aaaa?.addresses ?? [])],
  };
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
 * that peers fail over; docs/k8gb-compatibility.md#record-computation).
 */
function localIndex(clusters: readonly ClusterTargets[], localGeoTag: string | undefined): number {
  if (localGeoTag === undefined) return -1;
  return clusters.findIndex(
    (c) => c.geoTag === localGeoTag && c.healthy !== false && c.addresses.length > 0,
  );
}

/**
 * True when this cluster withdrew its targets on purpose (a drain): its
 * `localtargets-<host>` then answers NODATA, where an unhealthy host is
 * NXDOMAIN, so that a Meridian peer can tell a drain from an outage (k8gb
 * peers read both as no targets).
 */
function withdrawnHere(
  clusters: readonly ClusterTargets[],
  localGeoTag: string | undefined,
): boolean {
  return clusters.some((c) => c.geoTag === localGeoTag && c.withdrawn === true);
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
    served: local.addresses,
  });
  return local.recordCount;
}
