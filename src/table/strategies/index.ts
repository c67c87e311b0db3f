/**
 * The strategy registry: one AnswerStrategy per Gslb strategy type.
 */
import type { StrategyType } from '../model';
import type { AnswerStrategy } from '../selector';
import { fixedOrderStrategy } from './fixed-order';
import { roundRobinStrategy } from './round-robin';

/** Returns the strategy for a Gslb strategy type. */
export function strategyFor(type: StrategyType): AnswerStrategy {
  switch (type) {
    case 'roundRobin':
      return roundRobinStrategy();
    // With a single cluster, failover has one candidate and geoip without a
    // database answers every target (k8gb's no-match rule); both keep order.
    case 'failover':
      return fixedOrderStrategy('failover');
    case 'geoip':
      return fixedOrderStrategy('geoip');
  }
}
