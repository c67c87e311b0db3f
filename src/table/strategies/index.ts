/**
 * From a Gslb's strategy and its clusters' records of one type to the plan
 * of the selector that answers them. Health comes first and is the same for
 * every strategy: only healthy clusters with records of the queried type are
 * candidates (a cluster without IPv4 targets takes no part in A answers,
 * as k8gb's peers without A records take no part). When there is none:
 * - by default no records: the name exists, so the answer is NOERROR with no
 *   data and the zone SOA (docs/dns-answer-rules.md#negative-answers);
 * - with `failOpen`, every known target of the type, healthy or not, served
 *   as the strategy serves "all" (rotating for roundRobin, fixed order for
 *   failover, preferred clusters first, and for geoip).
 */
import type { StrategyParameters } from '../../gslb/gslb-spec';
import type { StrategyType } from '../../gslb/k8gb-naming';
import type { ClusterRecords, SelectorContext, SelectorPlan } from '../selector';
import { failoverPlan, inFailoverOrder } from './failover';
import { geoipPlan } from './geoip';
import { fixedPlan, mergeClusters, rotatingPlan } from './records';
import { roundRobinPlan } from './round-robin';

/** The selector plan of one RRset, or null when it has nothing to serve. */
export function planSelector(
  type: StrategyType,
  clusters: readonly ClusterRecords[],
  parameters: StrategyParameters,
  context: SelectorContext,
): SelectorPlan | null {
  const available = clusters.filter((cluster) => cluster.healthy && cluster.records.length > 0);
  if (available.length === 0) {
    return parameters.failOpen === true ? failOpenPlan(type, clusters, parameters) : null;
  }
  switch (type) {
    case 'roundRobin':
      return roundRobinPlan(available, parameters.weights, context.random);
    case 'failover':
      return failoverPlan(available, parameters);
    case 'geoip':
      return geoipPlan(available, context.locator);
  }
}

function failOpenPlan(
  type: StrategyType,
  clusters: readonly ClusterRecords[],
  parameters: StrategyParameters,
): SelectorPlan | null {
  const all = mergeClusters(type === 'failover' ? inFailoverOrder(clusters, parameters) : clusters);
  if (all.records.length === 0) return null;
  return type === 'roundRobin' ? rotatingPlan(all) : fixedPlan(all);
}
