/**
 * Why each cluster is in or out of a host's answer, strategy by strategy, in
 * the words of src/table/strategies: the same candidates (healthy clusters
 * with targets of the type), the same order of preference, the same weights
 * (weightOf) and the same datacenter rule. The table decides; this retells
 * the decision, and explain.ts checks the retelling against the table.
 */
import type { StrategyParameters } from '../gslb/gslb-spec';
import type { StrategyType } from '../gslb/k8gb-naming';
import type { GeoLocator, GeoMatch } from '../table/geo-locator';
import { weightOf } from '../table/strategies/round-robin';

/** One cluster as the strategy sees it, for one record type. */
export interface ClusterFacts {
  readonly geoTag: string;
  readonly healthy: boolean;
  /** Its targets of the type asked about. */
  readonly addresses: readonly string[];
  /** Why it is not healthy, when it is not (a peer down, not Healthy here). */
  readonly unhealthyBecause?: string;
}

/** One target of a geoip answer, with the datacenter the database places it in. */
export interface TargetVerdict {
  readonly address: string;
  readonly datacenter: string | null;
  readonly inAnswer: boolean;
}

/** Whether a cluster is in the answer, and why. */
export interface ClusterVerdict {
  readonly geoTag: string;
  readonly inAnswer: boolean;
  readonly reason: string;
  /** roundRobin with weights: its weight, and its share of answers when it serves. */
  readonly weight?: number;
  readonly share?: number;
  /** geoip: each of its targets with its datacenter. */
  readonly datacenters?: readonly TargetVerdict[];
}

/** The strategy's decision for one host and type, retold. */
export interface StrategyVerdict {
  /** One sentence: why the answer is what it is. */
  readonly summary: string;
  readonly clusters: readonly ClusterVerdict[];
  /** The addresses some query can be answered with (the table's `served` of the type). */
  readonly servable: readonly string[];
  /** The addresses this client's answer is drawn from. */
  readonly forClient: readonly string[];
}

/** What geoip knows of the client. */
export interface GeoFacts {
  readonly locator: GeoLocator | null;
  /** False when the query carried no client subnet. */
  readonly hasClient: boolean;
  readonly match: GeoMatch | null;
}

/** What a Gslb's strategy is. */
export interface StrategyOf extends StrategyParameters {
  readonly strategy: StrategyType;
}

/** Why each of `clusters` is in or out of the answer for `type`. */
export function judge(
  gslb: StrategyOf,
  type: 'A' | 'AAAA',
  clusters: readonly ClusterFacts[],
  geo: GeoFacts,
): StrategyVerdict {
  const available = clusters.filter((c) => c.healthy && c.addresses.length > 0);
  if (available.length === 0) return noneAvailable(gslb, type, clusters);
  switch (gslb.strategy) {
    case 'failover':
      return failover(gslb, type, clusters, available);
    case 'roundRobin':
      return roundRobin(gslb, type, clusters, available);
    case 'geoip':
      return geoip(type, clusters, available, geo);
  }
}

/**
 * Why a cluster is no candidate: not healthy (said first: a peer that is
 * down has no targets either, and its being down is the reason), or no
 * targets of the type.
 */
function unavailableReason(cluster: ClusterFacts, type: string): string | null {
  if (!cluster.healthy) return cluster.unhealthyBecause ?? 'not healthy';
  if (cluster.addresses.length === 0) return `no ${type} targets`;
  return null;
}

function verdict(cluster: ClusterFacts, inAnswer: boolean, reason: string): ClusterVerdict {
  return { geoTag: cluster.geoTag, inAnswer, reason };
}

/** Addresses of `clusters` in order, each once (mergeClusters). */
function merged(clusters: readonly ClusterFacts[]): string[] {
  return [...new Set(clusters.flatMap((c) => c.addresses))];
}

function noneAvailable(
  gslb: StrategyOf,
  type: string,
  clusters: readonly ClusterFacts[],
): StrategyVerdict {
  if (gslb.failOpen === true) {
    const known = clusters.filter((c) => c.addresses.length > 0);
    const ordered = gslb.strategy === 'failover' ? inPreferredOrder(known, gslb) : known;
    const all = merged(ordered);
    return {
      summary: `no cluster is healthy; failOpen serves every known ${type} target, though unhealthy`,
      clusters: clusters.map((c) =>
        c.addresses.length > 0
          ? verdict(c, true, `failOpen: served though ${unavailableReason(c, type) ?? 'unhealthy'}`)
          : verdict(c, false, `no ${type} targets`),
      ),
      servable: all,
      forClient: all,
    };
  }
  return {
    summary: `no healthy cluster has ${type} targets: NOERROR with no records (the name exists)`,
    clusters: clusters.map((c) => verdict(c, false, unavailableReason(c, type) ?? 'not healthy')),
    servable: [],
    forClient: [],
  };
}

function preferredOf(gslb: StrategyParameters): string[] {
  const primary = gslb.primaryGeoTag;
  const fallbacks = gslb.fallbackGeoTags ?? [];
  return primary === undefined || primary === '' ? [...fallbacks] : [primary, ...fallbacks];
}

function inPreferredOrder(
  clusters: readonly ClusterFacts[],
  gslb: StrategyParameters,
): ClusterFacts[] {
  const preferred = preferredOf(gslb);
  const rank = (c: ClusterFacts): number => {
    const index = preferred.indexOf(c.geoTag);
    return index === -1 ? preferred.length : index;
  };
  return [...clusters].sort((x, y) => rank(x) - rank(y));
}

/** The role of a geotag in the failover order, for reasons. */
function roleOf(geoTag: string, gslb: StrategyParameters): string {
  if (geoTag === gslb.primaryGeoTag && geoTag !== '') return 'primary';
  const index = (gslb.fallbackGeoTags ?? []).indexOf(geoTag);
  return index === -1 ? 'not in the failover order' : `fallback #${index + 1}`;
}

function failover(
  gslb: StrategyOf,
  type: string,
  clusters: readonly ClusterFacts[],
  available: readonly ClusterFacts[],
): StrategyVerdict {
  const preferred = preferredOf(gslb);
  const chosenTag = preferred.find((tag) => available.some((c) => c.geoTag === tag));
  const order = preferred.length === 0 ? 'none' : preferred.join(' → ');
  const chosen =
    chosenTag === undefined ? available : available.filter((c) => c.geoTag === chosenTag);
  const summary = failoverSummary(gslb, chosenTag, order);
  const verdicts = clusters.map((c) => {
    const role = roleOf(c.geoTag, gslb);
    const unavailable = unavailableReason(c, type);
    if (unavailable !== null) return verdict(c, false, `${role}: ${unavailable}`);
    if (chosen.includes(c)) {
      const why = chosenTag === undefined ? 'healthy, and no preferred cluster is' : 'healthy';
      return verdict(c, true, `${role}: ${why}`);
    }
    return verdict(
      c,
      false,
      `${role}: healthy, but ${chosenTag ?? '?'} comes first (order ${order})`,
    );
  });
  const servable = merged(chosen);
  return { summary, clusters: verdicts, servable, forClient: servable };
}

function failoverSummary(gslb: StrategyOf, chosenTag: string | undefined, order: string): string {
  const primary = gslb.primaryGeoTag ?? '';
  if (chosenTag === undefined)
    return primary === '' && order === 'none'
      ? 'no primaryGeoTag: every healthy cluster serves'
      : `neither the primary nor a fallback (${order}) is healthy: every healthy cluster serves (k8gb's rule)`;
  if (chosenTag === primary) return `the primary ${primary} is healthy: it serves alone`;
  const before = primary === '' ? 'no primary is set' : `the primary ${primary} is not available`;
  return `${before}; ${chosenTag} is the first healthy cluster of the failover order ${order}`;
}

function roundRobin(
  gslb: StrategyOf,
  type: string,
  clusters: readonly ClusterFacts[],
  available: readonly ClusterFacts[],
): StrategyVerdict {
  const weights = gslb.weights;
  if (weights === undefined || Object.keys(weights).length === 0) {
    const all = merged(available);
    return {
      summary: 'every healthy target of every cluster, the order rotating by one per query',
      clusters: clusters.map((c) => {
        const unavailable = unavailableReason(c, type);
        return verdict(c, unavailable === null, unavailable ?? 'healthy');
      }),
      servable: all,
      forClient: all,
    };
  }
  return weighted(weights, type, clusters, available);
}

function weighted(
  weights: Readonly<Record<string, number>>,
  type: string,
  clusters: readonly ClusterFacts[],
  available: readonly ClusterFacts[],
): StrategyVerdict {
  const serving = available.filter((c) => weightOf(weights, c.geoTag) > 0);
  const zeroOnly = serving.length === 0;
  const drawn = zeroOnly ? available : serving;
  const total = serving.reduce((sum, c) => sum + weightOf(weights, c.geoTag), 0);
  const verdicts = clusters.map((c): ClusterVerdict => {
    const weight = weightOf(weights, c.geoTag);
    const unavailable = unavailableReason(c, type);
    if (unavailable !== null) return { ...verdict(c, false, unavailable), weight };
    if (zeroOnly)
      return {
        ...verdict(c, true, 'weight 0, served because no weighted cluster is healthy'),
        weight,
      };
    if (weight === 0)
      return { ...verdict(c, false, 'weight 0 while a weighted cluster is healthy'), weight };
    const share = weight / total;
    const percent = `${(share * 100).toFixed(1)} %`;
    return {
      ...verdict(c, true, `weight ${weight} of ${total}: ${percent} of answers`),
      weight,
      share,
    };
  });
  const all = merged(drawn);
  return {
    summary: zeroOnly
      ? 'no weighted cluster is healthy: every healthy zero-weight cluster serves, rotating'
      : 'each answer holds the targets of one cluster, drawn in proportion to its weight',
    clusters: verdicts,
    servable: all,
    forClient: all,
  };
}

function geoip(
  type: string,
  clusters: readonly ClusterFacts[],
  available: readonly ClusterFacts[],
  geo: GeoFacts,
): StrategyVerdict {
  const all = merged(available);
  const datacenterOf = (address: string): string | null =>
    geo.locator?.locateTarget(address) ?? null;
  const datacenter = geo.match?.datacenter ?? null;
  const local = datacenter === null ? [] : all.filter((a) => datacenterOf(a) === datacenter);
  const chosen = new Set(local.length > 0 ? local : all);
  const verdicts = clusters.map((c): ClusterVerdict => {
    const targets = c.addresses.map((address) => ({
      address,
      datacenter: datacenterOf(address),
      inAnswer: chosen.has(address) && available.includes(c),
    }));
    const unavailable = unavailableReason(c, type);
    if (unavailable !== null) return { ...verdict(c, false, unavailable), datacenters: targets };
    const inAnswer = targets.some((t) => t.inAnswer);
    const reason =
      local.length === 0
        ? 'healthy'
        : inAnswer
          ? `targets in ${datacenter}`
          : `no target in ${datacenter}`;
    return { ...verdict(c, inAnswer, reason), datacenters: targets };
  });
  return {
    summary: geoipSummary(geo, datacenter, local.length > 0),
    clusters: verdicts,
    servable: all,
    forClient: [...chosen],
  };
}

function geoipSummary(geo: GeoFacts, datacenter: string | null, found: boolean): string {
  if (geo.locator === null) return 'no geo database is configured: every healthy target';
  if (!geo.hasClient) return 'the query carries no client subnet: every healthy target';
  if (datacenter === null) return 'client not located: every healthy target';
  return found
    ? `client in datacenter ${datacenter}: the healthy targets in ${datacenter}`
    : `client in datacenter ${datacenter}, where no healthy target is: every healthy target`;
}
