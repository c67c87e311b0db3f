/**
 * Metrics of peer discovery and polling. k8gb exports nothing about its peers
 * (docs/k8gb-compatibility.md#metrics: its metrics are per Gslb, and a dead peer only shows in
 * its log), so every series here is Meridian's own, `meridian_peer_*`. The
 * `peer` label is a configured geotag and `outcome`/`result` are closed sets,
 * so the number of series is fixed by the configuration.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metric names, for tests and docs. */
export const PEER_METRIC_NAMES = Object.freeze({
  up: 'meridian_peer_up',
  stateChanges: 'meridian_peer_state_changes_total',
  lastSuccess: 'meridian_peer_last_success_timestamp_seconds',
  queries: 'meridian_peer_queries_total',
  pollDuration: 'meridian_peer_poll_duration_seconds',
  discoveryRefreshes: 'meridian_peer_discovery_refreshes_total',
  addresses: 'meridian_peer_addresses',
});

/**
 * How one peer query ended: an answer with addresses, NOERROR without
 * (`nodata`), NXDOMAIN, a failure, `skipped` (not sent, or abandoned, when
 * the poll's time was up) or `no_address` (no address known for the peer).
 */
export const PEER_QUERY_OUTCOMES = [
  'answer',
  'nodata',
  'nxdomain',
  'timeout',
  'network',
  'servfail',
  'refused',
  'formerr',
  'other_rcode',
  'bad_reply',
  'skipped',
  'no_address',
] as const;

/** One of PEER_QUERY_OUTCOMES. */
export type PeerQueryOutcome = (typeof PEER_QUERY_OUTCOMES)[number];

/**
 * How one discovery refresh of a peer ended: addresses found, the edge DNS
 * said the peer has none (`empty`), or it could not be asked (`failed`: the
 * last known addresses are kept).
 */
export type DiscoveryResult = 'resolved' | 'empty' | 'failed';

/** Updates of the peer metrics. */
export interface PeerMetrics {
  recordQuery(peer: string, outcome: PeerQueryOutcome, count?: number): void;
  /** Sets the state gauge; counts a change when `changed`. */
  setPeerUp(peer: string, up: boolean, changed: boolean): void;
  setLastSuccess(peer: string, wallClockMs: number): void;
  recordPoll(seconds: number): void;
  recordDiscovery(peer: string, result: DiscoveryResult, addresses: number): void;
}

/** Defines the peer metrics on `registry`, with a series for each of `peers` from the start. */
export function createPeerMetrics(registry: Registry, peers: readonly string[] = []): PeerMetrics {
  const registers = [registry];
  const up = new Gauge({
    name: PEER_METRIC_NAMES.up,
    help: '1 while the peer is up (its targets are served), 0 while it is down.',
    labelNames: ['peer'] as const,
    registers,
  });
  const stateChanges = new Counter({
    name: PEER_METRIC_NAMES.stateChanges,
    help: 'Changes of a peer between up and down, by the state entered.',
    labelNames: ['peer', 'state'] as const,
    registers,
  });
  const lastSuccess = new Gauge({
    name: PEER_METRIC_NAMES.lastSuccess,
    help: 'Unix time of the last poll in which the peer answered.',
    labelNames: ['peer'] as const,
    registers,
  });
  const queries = new Counter({
    name: PEER_METRIC_NAMES.queries,
    help: 'Queries for localtargets-<host> to a peer, by outcome.',
    labelNames: ['peer', 'outcome'] as const,
    registers,
  });
  const pollDuration = new Histogram({
    name: PEER_METRIC_NAMES.pollDuration,
    help: 'Time one poll of every peer for every host took (bounded by the poll interval).',
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const refreshes = new Counter({
    name: PEER_METRIC_NAMES.discoveryRefreshes,
    help: "Look-ups of a peer's name-server addresses through the edge DNS, by result.",
    labelNames: ['peer', 'result'] as const,
    registers,
  });
  const addresses = new Gauge({
    name: PEER_METRIC_NAMES.addresses,
    help: 'Name-server addresses known for the peer (kept when a look-up fails).',
    labelNames: ['peer'] as const,
    registers,
  });
  for (const peer of peers) {
    up.set({ peer }, 0);
    for (const outcome of PEER_QUERY_OUTCOMES) queries.inc({ peer, outcome }, 0);
  }
  return {
    recordQuery: (peer, outcome, count = 1) => queries.inc({ peer, outcome }, count),
    setPeerUp(peer, isUp, changed) {
      up.set({ peer }, isUp ? 1 : 0);
      if (changed) stateChanges.inc({ peer, state: isUp ? 'up' : 'down' });
    },
    setLastSuccess: (peer, wallClockMs) => lastSuccess.set({ peer }, wallClockMs / 1000),
    recordPoll: (seconds) => pollDuration.observe(seconds),
    recordDiscovery(peer, result, count) {
      refreshes.inc({ peer, result });
      addresses.set({ peer }, count);
    },
  };
}
