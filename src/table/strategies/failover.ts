/**
 * failover, as k8gb computes it (docs/k8gb-compatibility.md#record-computation) plus Meridian's
 * ordered fallbacks (k8gb #67):
 * 1. the primary (`primaryGeoTag`) is healthy: its targets only, from every
 *    cluster's point of view (a healthy non-primary does not add its own);
 * 2. else the first healthy geotag of `fallbackGeoTags`, in list order;
 * 3. else every healthy cluster (k8gb's rule when the primary is down, and
 *    when no primary is set or it names no known cluster).
 * "Healthy" is what this cluster knows: a peer it cannot reach counts as down
 * (k8gb's premature failover during a partition). The order is fixed: the
 * cluster order of the record, each address once.
 */
import type { StrategyParameters } from '../../gslb/gslb-spec';
import type { ClusterRecords, SelectorPlan } from '../selector';
import { fixedPlan, mergeClusters } from './records';

/** The failover plan for the healthy clusters that have records of one type. */
export function failoverPlan(
  available: readonly ClusterRecords[],
  parameters: StrategyParameters,
): SelectorPlan {
  return fixedPlan(mergeClusters(failoverChoice(available, parameters)));
}

/** The clusters failover serves, out of the healthy ones given. */
export function failoverChoice(
  available: readonly ClusterRecords[],
  parameters: StrategyParameters,
): readonly ClusterRecords[] {
  for (const geoTag of preferredGeoTags(parameters)) {
    const chosen = available.filter((cluster) => cluster.geoTag === geoTag);
    if (chosen.length > 0) return chosen;
  }
  return available;
}

/**
 * All clusters, preferred first (primary, then fallbacks in order, then the
 * rest in record order): the order a failing-open answer lists them in, so
 * that clients that take the first address try the primary first.
 */
export function inFailoverOrder(
  clusters: readonly ClusterRecords[],
  parameters: StrategyParameters,
): readonly ClusterRecords[] {
  const preferred = preferredGeoTags(parameters);
  const rank = (cluster: ClusterRecords): number => {
    const index = preferred.indexOf(cluster.geoTag);
    return index === -1 ? preferred.length : index;
  };
  // Array.prototype.sort is stable: equal ranks keep record order.
  return [...clusters].sort((x, y) => rank(x) - rank(y));
}

function preferredGeoTags(parameters: StrategyParameters): readonly string[] {
  const primary = parameters.primaryGeoTag;
  const fallbacks = parameters.fallbackGeoTags ?? [];
  return primary === undefined || primary === '' ? fallbacks : [primary, ...fallbacks];
}
