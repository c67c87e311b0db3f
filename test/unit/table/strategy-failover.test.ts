/**
 * failover across clusters: k8gb's outcome table (docs/k8gb-compatibility.md#record-computation)
 * from each cluster's point of view, its three-cluster rule, and Meridian's
 * ordered fallbacks. Each view is built the way that cluster's sources would
 * describe the world: its own health and targets, and the peers its poller
 * heard from.
 */
import type { StrategyParameters } from '../../../src/gslb/gslb-spec';
import type { ClusterTargets, GslbRecord } from '../../../src/table/model';
import { APP, ask, cluster, multiCluster, served, tableWith } from '../../helpers/table-fixtures';

const TARGETS: Record<string, string[]> = {
  eu: ['192.0.2.1', '192.0.2.2'],
  us: ['198.51.100.1'],
  ap: ['203.0.113.1', '203.0.113.2'],
  za: ['192.0.2.200'],
};

/** How a peer that is down or unreachable reaches the builder. */
type PeerReport = 'absent' | 'listed unhealthy';

/**
 * The record cluster `local` builds from: its own targets with its own
 * health, and each peer's targets when the peer is healthy and reachable
 * (what its poller heard); otherwise the peer is absent or listed unhealthy.
 */
function viewFrom(
  local: string,
  healthy: Record<string, boolean>,
  parameters: StrategyParameters,
  options: { unreachable?: string[]; report?: PeerReport } = {},
): GslbRecord {
  const clusters: ClusterTargets[] = [];
  for (const geoTag of Object.keys(healthy)) {
    const addresses = TARGETS[geoTag] ?? [];
    const heard =
      geoTag === local ||
      (healthy[geoTag] === true && !(options.unreachable ?? []).includes(geoTag));
    const isHealthy = geoTag === local ? healthy[geoTag] === true : heard;
    if (heard || options.report === 'listed unhealthy') {
      clusters.push(cluster(geoTag, addresses, isHealthy));
    }
  }
  return multiCluster('failover', clusters, parameters);
}

/** What `local` answers for APP A: the serving geotags, or 'NODATA'. */
function answerFrom(local: string, record: GslbRecord): string {
  const { snapshot, problems } = tableWith([record], { localGeoTag: local });
  expect(problems).toEqual([]);
  const reply = ask(snapshot, APP, 'A');
  if (reply.answers.length === 0) {
    // The name exists: NOERROR, no data, the zone SOA for negative caching.
    expect(reply.rcode).toBe('NOERROR');
    expect(reply.authorities.map((r) => r.type)).toEqual(['SOA']);
    return 'NODATA';
  }
  return geoTagsOf(served(snapshot, APP));
}

/** The geotags whose targets make up `addresses`, checking that each is served whole. */
function geoTagsOf(addresses: string[]): string {
  const tags = Object.keys(TARGETS).filter((tag) =>
    (TARGETS[tag] ?? []).some((a) => addresses.includes(a)),
  );
  const expected = tags.flatMap((tag) => TARGETS[tag] ?? []);
  expect([...addresses].sort()).toEqual([...expected].sort());
  return tags.join('+');
}

describe("k8gb's two-cluster outcome table (eu primary), seen from both clusters", () => {
  const PRIMARY_EU = { primaryGeoTag: 'eu' };
  // k8gb answers NXDOMAIN when both are down; Meridian answers NODATA + SOA
  // (docs/k8gb-compatibility.md#deliberate-differences: the name exists).
  test.each([
    { label: 'both healthy', eu: true, us: true, cut: false, fromEu: 'eu', fromUs: 'eu' },
    { label: 'us down', eu: true, us: false, cut: false, fromEu: 'eu', fromUs: 'eu' },
    { label: 'eu down', eu: false, us: true, cut: false, fromEu: 'us', fromUs: 'us' },
    { label: 'both down', eu: false, us: false, cut: false, fromEu: 'NODATA', fromUs: 'NODATA' },
    {
      label: 'both healthy, DNS between eu and us blocked (premature failover)',
      eu: true,
      us: true,
      cut: true,
      fromEu: 'eu',
      fromUs: 'us',
    },
  ])('$label: eu answers $fromEu, us answers $fromUs', ({ eu, us, cut, fromEu, fromUs }) => {
    for (const report of ['absent', 'listed unhealthy'] as const) {
      const health = { eu, us };
      const euView = viewFrom('eu', health, PRIMARY_EU, { unreachable: cut ? ['us'] : [], report });
      const usView = viewFrom('us', health, PRIMARY_EU, { unreachable: cut ? ['eu'] : [], report });
      expect([report, answerFrom('eu', euView), answerFrom('us', usView)]).toEqual([
        report,
        fromEu,
        fromUs,
      ]);
    }
  });
});

describe('three or more clusters, without fallbacks (k8gb PR #1705)', () => {
  const PRIMARY_EU = { primaryGeoTag: 'eu' };
  test.each<[string, string, Record<string, boolean>]>([
    ['all healthy: only the primary, also from us and ap', 'eu', { eu: true, us: true, ap: true }],
    ['primary down: every healthy cluster', 'us+ap', { eu: false, us: true, ap: true }],
    ['primary and us down', 'ap', { eu: false, us: false, ap: true }],
    ['only the primary healthy', 'eu', { eu: true, us: false, ap: false }],
  ])('%s: the answer is %s, from every cluster', (_label, expected, health) => {
    for (const local of ['eu', 'us', 'ap']) {
      expect([local, answerFrom(local, viewFrom(local, health, PRIMARY_EU))]).toEqual([
        local,
        expected,
      ]);
    }
  });
});

describe('ordered fallbacks: eu primary, then us, then ap; za is not listed', () => {
  const ORDERED = { primaryGeoTag: 'eu', fallbackGeoTags: ['us', 'ap'] };
  const up = (...tags: string[]): Record<string, boolean> =>
    Object.fromEntries(['eu', 'us', 'ap', 'za'].map((t) => [t, tags.includes(t)]));
  test.each<[string, string, Record<string, boolean>]>([
    ['all healthy', 'eu', up('eu', 'us', 'ap', 'za')],
    ['eu down', 'us', up('us', 'ap', 'za')],
    ['eu and us down', 'ap', up('ap', 'za')],
    ['eu, us and ap down: the rest that are healthy', 'za', up('za')],
    ['all down', 'NODATA', up()],
    ['eu down, us healthy, ap down', 'us', up('us', 'za')],
    ['eu healthy, every fallback down', 'eu', up('eu')],
    ['eu down, us healthy, ap healthy: us before ap', 'us', up('us', 'ap')],
  ])('%s: the answer is %s, from every cluster', (_label, expected, health) => {
    for (const local of ['eu', 'us', 'ap', 'za']) {
      expect([local, answerFrom(local, viewFrom(local, health, ORDERED))]).toEqual([
        local,
        expected,
      ]);
    }
  });

  test('no listed cluster healthy and several others healthy: all of them (k8gb rule)', () => {
    const record = multiCluster(
      'failover',
      [
        cluster('eu', TARGETS['eu'] ?? [], false),
        cluster('za', TARGETS['za'] ?? []),
        cluster('us', TARGETS['us'] ?? [], false),
        cluster('ap', TARGETS['ap'] ?? []),
      ],
      { primaryGeoTag: 'eu', fallbackGeoTags: ['us'] },
    );
    expect(answerFrom('za', record)).toBe('ap+za');
  });
});

describe('failover without a usable primary', () => {
  const clusters = [cluster('eu', ['192.0.2.1']), cluster('us', ['198.51.100.1'])];
  test.each<[string, StrategyParameters, string[]]>([
    ['no primaryGeoTag: every healthy cluster, in record order', {}, ['192.0.2.1', '198.51.100.1']],
    [
      'a primaryGeoTag no cluster has: every healthy cluster',
      { primaryGeoTag: 'mars' },
      ['192.0.2.1', '198.51.100.1'],
    ],
    [
      'fallbacks without a primary: the first healthy fallback',
      { fallbackGeoTags: ['us'] },
      ['198.51.100.1'],
    ],
    [
      'a primary and fallbacks no cluster has: every healthy cluster',
      { primaryGeoTag: 'mars', fallbackGeoTags: ['venus'] },
      ['192.0.2.1', '198.51.100.1'],
    ],
  ])('%s', (_label, parameters, expected) => {
    const { snapshot } = tableWith([multiCluster('failover', clusters, parameters)]);
    expect(served(snapshot, APP)).toEqual(expected);
  });
});

describe('failover answers', () => {
  test('the order is fixed: every query gets the same list', () => {
    const { snapshot } = tableWith([
      multiCluster('failover', [cluster('eu', ['192.0.2.3', '192.0.2.1', '192.0.2.2'])], {
        primaryGeoTag: 'eu',
      }),
    ]);
    for (let i = 0; i < 4; i++) {
      expect(served(snapshot, APP)).toEqual(['192.0.2.3', '192.0.2.1', '192.0.2.2']);
    }
  });

  test('A and AAAA are decided each from the clusters that have targets of that type', () => {
    // eu (primary) has no IPv6 target: AAAA comes from the next healthy
    // cluster that has one, as k8gb counts only peers that return records.
    const record = multiCluster(
      'failover',
      [cluster('eu', ['192.0.2.1']), cluster('us', ['198.51.100.1', '2001:db8:2::1'])],
      { primaryGeoTag: 'eu' },
    );
    const { snapshot } = tableWith([record]);
    expect(served(snapshot, APP, 'A')).toEqual(['192.0.2.1']);
    expect(served(snapshot, APP, 'AAAA')).toEqual(['2001:db8:2::1']);
    expect(snapshot.recordCount).toBe(2);
  });

  test('the primary with IPv6 serves AAAA alone while healthy', () => {
    const record = multiCluster(
      'failover',
      [cluster('eu', ['192.0.2.1', '2001:db8:1::1']), cluster('us', ['2001:db8:2::1'])],
      { primaryGeoTag: 'eu' },
    );
    expect(served(tableWith([record]).snapshot, APP, 'AAAA')).toEqual(['2001:db8:1::1']);
  });

  test('recordCount counts what can be served, not the standby clusters', () => {
    const record = multiCluster(
      'failover',
      [cluster('eu', ['192.0.2.1', '192.0.2.2']), cluster('us', ['198.51.100.1'])],
      { primaryGeoTag: 'eu' },
    );
    expect(tableWith([record]).snapshot.recordCount).toBe(2);
  });
});
