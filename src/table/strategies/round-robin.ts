/**
 * roundRobin. Without weights: every healthy target of every cluster, the
 * order rotating by one per query (k8gb shuffles; a rotation spreads first
 * picks as evenly and is deterministic).
 *
 * With weights (`spec.strategy.weight`, at least one entry): each answer holds
 * the targets of ONE cluster, drawn with probability weight / (sum of the
 * weights of the healthy clusters that have targets of the queried type), the
 * order inside the cluster rotating. k8gb only reorders the full list by
 * weight, which resolvers undo by reordering again (k8gb #1943); choosing
 * which addresses are returned keeps the shares whatever resolvers do.
 *
 * Weight rules:
 * - a geotag without an entry weighs 0: listing the clusters that take
 *   traffic is then enough, and a new cluster takes none until it is given a
 *   weight (k8gb's CoreDNS stage, by contrast, stops weighting altogether when
 *   a serving cluster has no entry);
 * - zero-weight clusters serve only while no cluster with a weight above 0 is
 *   healthy; then all of them together, rotating;
 * - geotags are matched as whole strings, so `us-east-1` works (k8gb splits
 *   its weight labels on dashes and fails on such geotags).
 */
import type { ClusterRecords, RRSetSelector, Selection, SelectorPlan } from '../selector';
import { MAX_WEIGHT } from '../../gslb/k8gb-naming';
import { mergeClusters, rotatingPlan, rotationsOf } from './records';

/** The roundRobin plan for the healthy clusters that have records of one type. */
export function roundRobinPlan(
  available: readonly ClusterRecords[],
  weights: Readonly<Record<string, number>> | undefined,
  random: () => number,
): SelectorPlan {
  if (weights === undefined || Object.keys(weights).length === 0) {
    return rotatingPlan(mergeClusters(available));
  }
  return weightedPlan(available, weights, random);
}

/**
 * The weight of a geotag: its entry when that is an integer in 0..MAX_WEIGHT, else
 * 0 (no entry; or a value the source failed to reject, which the builder
 * reports).
 */
export function weightOf(weights: Readonly<Record<string, number>>, geoTag: string): number {
  const weight = Object.hasOwn(weights, geoTag) ? weights[geoTag] : undefined;
  return weight !== undefined && Number.isInteger(weight) && weight > 0 && weight <= MAX_WEIGHT
    ? weight
    : 0;
}

function weightedPlan(
  available: readonly ClusterRecords[],
  weights: Readonly<Record<string, number>>,
  random: () => number,
): SelectorPlan {
  const weighted = available.filter((cluster) => weightOf(weights, cluster.geoTag) > 0);
  if (weighted.length === 0) return rotatingPlan(mergeClusters(available));
  // cumulative[i] is the sum of the weights of clusters 0..i: a draw in
  // [cumulative[i-1], cumulative[i]) picks cluster i.
  const cumulative = new Float64Array(weighted.length);
  let total = 0;
  weighted.forEach((cluster, i) => {
    total += weightOf(weights, cluster.geoTag);
    cumulative[i] = total;
  });
  const rotations = weighted.map((cluster) => rotationsOf(cluster.records));
  return {
    recordCount: mergeClusters(weighted).records.length,
    addresses: mergeClusters(weighted).addresses,
    create: () => new WeightedSelector(rotations, cumulative, random),
  };
}

/** Draws a cluster per query, then serves that cluster's next rotation. */
class WeightedSelector implements RRSetSelector {
  private readonly rotations: readonly (readonly Selection[])[];
  private readonly cumulative: Float64Array;
  private readonly random: () => number;
  /** Next rotation per cluster. */
  private readonly cursors: Uint32Array;

  constructor(
    rotations: readonly (readonly Selection[])[],
    cumulative: Float64Array,
    random: () => number,
  ) {
    this.rotations = rotations;
    this.cumulative = cumulative;
    this.random = random;
    this.cursors = new Uint32Array(rotations.length);
  }

  select(): Selection {
    const cluster = this.draw();
    const rotations = this.rotations[cluster] as readonly Selection[];
    const cursor = this.cursors[cluster] as number;
    this.cursors[cluster] = cursor + 1 === rotations.length ? 0 : cursor + 1;
    return rotations[cursor] as Selection;
  }

  private draw(): number {
    const last = this.cumulative.length - 1;
    const point = this.random() * (this.cumulative[last] as number);
    let cluster = 0;
    // A few clusters: a linear scan beats a binary search.
    while (cluster < last && point >= (this.cumulative[cluster] as number)) cluster++;
    return cluster;
  }
}
