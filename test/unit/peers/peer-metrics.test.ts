/**
 * The peer metrics: exactly the names of PEER_METRIC_NAMES with Prometheus
 * naming (counters end in _total, units in the name), closed label sets with
 * every configured peer's series present from the start, and each update
 * landing in its series.
 */
import { Registry } from 'prom-client';
import {
  createPeerMetrics,
  PEER_METRIC_NAMES,
  PEER_QUERY_OUTCOMES,
} from '../../../src/telemetry/peer-metrics';

async function values(registry: Registry, name: string): Promise<string[]> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  return (await metric.get()).values.map((v) => {
    const labels = Object.entries(v.labels)
      .map(([k, l]) => `${k}=${String(l)}`)
      .join(',');
    return `${String((v as { metricName?: string }).metricName ?? name)}{${labels}} ${v.value}`;
  });
}

test('the registry holds exactly the peer metrics, named by Prometheus rules', () => {
  const registry = new Registry();
  createPeerMetrics(registry);
  const defined = registry.getMetricsAsArray().map((m) => [m.name, String(m.type)]);
  expect(defined.map(([name]) => name).sort()).toEqual(Object.values(PEER_METRIC_NAMES).sort());
  for (const [name, type] of defined) {
    expect(name).toMatch(/^meridian_peer_[a-z_]+$/);
    if (type === 'counter') expect(name).toMatch(/_total$/);
    else expect(name).not.toMatch(/_total$/);
  }
});

test('every configured peer has its state and query series from the start', async () => {
  const registry = new Registry();
  createPeerMetrics(registry, ['us', 'asia']);
  expect(await values(registry, PEER_METRIC_NAMES.up)).toEqual([
    'meridian_peer_up{peer=us} 0',
    'meridian_peer_up{peer=asia} 0',
  ]);
  const queries = await values(registry, PEER_METRIC_NAMES.queries);
  expect(queries).toHaveLength(2 * PEER_QUERY_OUTCOMES.length);
  expect(queries).toContain('meridian_peer_queries_total{peer=asia,outcome=timeout} 0');
});

test('updates land in their series', async () => {
  const registry = new Registry();
  const metrics = createPeerMetrics(registry, ['us']);
  metrics.recordQuery('us', 'answer');
  metrics.recordQuery('us', 'skipped', 7);
  metrics.setPeerUp('us', true, true);
  metrics.setPeerUp('us', true, false);
  metrics.setLastSuccess('us', 1_700_000_000_500);
  metrics.recordPoll(0.02);
  metrics.recordDiscovery('us', 'resolved', 2);
  metrics.recordDiscovery('us', 'failed', 2);
  expect(await values(registry, PEER_METRIC_NAMES.queries)).toEqual(
    expect.arrayContaining([
      'meridian_peer_queries_total{peer=us,outcome=answer} 1',
      'meridian_peer_queries_total{peer=us,outcome=skipped} 7',
    ]),
  );
  expect(await values(registry, PEER_METRIC_NAMES.up)).toEqual(['meridian_peer_up{peer=us} 1']);
  expect(await values(registry, PEER_METRIC_NAMES.stateChanges)).toEqual([
    'meridian_peer_state_changes_total{peer=us,state=up} 1',
  ]);
  expect(await values(registry, PEER_METRIC_NAMES.lastSuccess)).toEqual([
    'meridian_peer_last_success_timestamp_seconds{peer=us} 1700000000.5',
  ]);
  expect(await values(registry, PEER_METRIC_NAMES.pollDuration)).toEqual(
    expect.arrayContaining([
      'meridian_peer_poll_duration_seconds_count{} 1',
      'meridian_peer_poll_duration_seconds_bucket{le=0.05} 1',
    ]),
  );
  expect(await values(registry, PEER_METRIC_NAMES.discoveryRefreshes)).toEqual([
    'meridian_peer_discovery_refreshes_total{peer=us,result=resolved} 1',
    'meridian_peer_discovery_refreshes_total{peer=us,result=failed} 1',
  ]);
  expect(await values(registry, PEER_METRIC_NAMES.addresses)).toEqual([
    'meridian_peer_addresses{peer=us} 2',
  ]);
});
