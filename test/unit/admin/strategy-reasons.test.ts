/**
 * The retelling of each strategy's decision: which clusters are in or out of
 * a host's answer and why, for failover, roundRobin with and without
 * weights, geoip and failOpen.
 */
import type { ClientSubnet } from '../../../src/dns/query';
import type { GeoLocator, GeoMatch } from '../../../src/table/geo-locator';
import {
  judge,
  type ClusterFacts,
  type GeoFacts,
  type StrategyOf,
} from '../../../src/admin/strategy-reasons';

const NO_GEO: GeoFacts = { locator: null, hasClient: false, match: null };
const EU: ClusterFacts = { geoTag: 'eu', healthy: true, addresses: ['192.0.2.1'] };
const US: ClusterFacts = { geoTag: 'us', healthy: true, addresses: ['198.51.100.1'] };
const AP: ClusterFacts = { geoTag: 'ap', healthy: true, addresses: ['203.0.113.1'] };
const down = (c: ClusterFacts, because?: string): ClusterFacts => ({
  ...c,
  healthy: false,
  ...(because === undefined ? {} : { unhealthyBecause: because }),
});
const reasons = (verdict: ReturnType<typeof judge>): [string, boolean, string][] =>
  verdict.clusters.map((c) => [c.geoTag, c.inAnswer, c.reason]);

describe('failover', () => {
  const gslb: StrategyOf = {
    strategy: 'failover',
    primaryGeoTag: 'eu',
    fallbackGeoTags: ['us', 'ap'],
  };

  test('the primary healthy serves alone; the fallbacks wait in order', () => {
    const verdict = judge(gslb, 'A', [EU, US, AP], NO_GEO);
    expect(verdict.summary).toBe('the primary eu is healthy: it serves alone');
    expect(reasons(verdict)).toEqual([
      ['eu', true, 'primary: healthy'],
      ['us', false, 'fallback #1: healthy, but eu comes first (order eu → us → ap)'],
      ['ap', false, 'fallback #2: healthy, but eu comes first (order eu → us → ap)'],
    ]);
    expect(verdict.servable).toEqual(['192.0.2.1']);
    expect(verdict.forClient).toEqual(['192.0.2.1']);
  });

  test('the primary down: the first healthy fallback serves, with the reason of the primary', () => {
    const verdict = judge(
      gslb,
      'A',
      [down(EU, 'peer down (3 failed polls)'), down(US), AP],
      NO_GEO,
    );
    expect(verdict.summary).toBe(
      'the primary eu is not available; ap is the first healthy cluster of the failover order eu → us → ap',
    );
    expect(reasons(verdict)).toEqual([
      ['eu', false, 'primary: peer down (3 failed polls)'],
      ['us', false, 'fallback #1: not healthy'],
      ['ap', true, 'fallback #2: healthy'],
    ]);
  });

  test('no preferred cluster healthy: every healthy cluster serves (k8gb)', () => {
    const other: ClusterFacts = { geoTag: 'sa', healthy: true, addresses: ['192.0.2.9'] };
    const verdict = judge(gslb, 'A', [down(EU), down(US), down(AP), other], NO_GEO);
    expect(verdict.summary).toContain('neither the primary nor a fallback');
    expect(reasons(verdict).at(-1)).toEqual([
      'sa',
      true,
      'not in the failover order: healthy, and no preferred cluster is',
    ]);
    expect(verdict.servable).toEqual(['192.0.2.9']);
  });

  test('no primary at all: every healthy cluster serves; no fallback order either', () => {
    const verdict = judge({ strategy: 'failover' }, 'A', [EU, US], NO_GEO);
    expect(verdict.summary).toBe('no primaryGeoTag: every healthy cluster serves');
    expect(verdict.servable).toEqual(['192.0.2.1', '198.51.100.1']);
  });

  test('fallbacks without a primary: the first healthy fallback', () => {
    const verdict = judge({ strategy: 'failover', fallbackGeoTags: ['us'] }, 'A', [EU, US], NO_GEO);
    expect(verdict.summary).toBe(
      'no primary is set; us is the first healthy cluster of the failover order us',
    );
  });

  test('a cluster without targets of the type is out for that reason', () => {
    const verdict = judge(
      gslb,
      'AAAA',
      [
        { ...EU, addresses: [] },
        { ...US, addresses: ['2001:db8::1'] },
      ],
      NO_GEO,
    );
    expect(reasons(verdict)).toEqual([
      ['eu', false, 'primary: no AAAA targets'],
      ['us', true, 'fallback #1: healthy'],
    ]);
  });
});

describe('roundRobin', () => {
  test('every healthy target of every cluster, an unhealthy cluster out with its reason', () => {
    const verdict = judge({ strategy: 'roundRobin' }, 'A', [EU, down(US, 'peer down'), AP], NO_GEO);
    expect(verdict.summary).toBe(
      'every healthy target of every cluster, the order rotating by one per query',
    );
    expect(reasons(verdict)).toEqual([
      ['eu', true, 'healthy'],
      ['us', false, 'peer down'],
      ['ap', true, 'healthy'],
    ]);
    expect(verdict.servable).toEqual(['192.0.2.1', '203.0.113.1']);
  });

  test('weights: each serving cluster with its weight and share; weight 0 out while weighted ones serve', () => {
    const gslb: StrategyOf = { strategy: 'roundRobin', weights: { eu: 3, us: 1, ap: 0 } };
    const verdict = judge(gslb, 'A', [EU, US, AP], NO_GEO);
    expect(verdict.summary).toBe(
      'each answer holds the targets of one cluster, drawn in proportion to its weight',
    );
    expect(verdict.clusters).toEqual([
      {
        geoTag: 'eu',
        inAnswer: true,
        reason: 'weight 3 of 4: 75.0 % of answers',
        weight: 3,
        share: 0.75,
      },
      {
        geoTag: 'us',
        inAnswer: true,
        reason: 'weight 1 of 4: 25.0 % of answers',
        weight: 1,
        share: 0.25,
      },
      {
        geoTag: 'ap',
        inAnswer: false,
        reason: 'weight 0 while a weighted cluster is healthy',
        weight: 0,
      },
    ]);
    expect(verdict.servable).toEqual(['192.0.2.1', '198.51.100.1']);
  });

  test('weights: with only zero-weight clusters healthy, they serve', () => {
    const gslb: StrategyOf = { strategy: 'roundRobin', weights: { eu: 3, ap: 0 } };
    const verdict = judge(gslb, 'A', [down(EU), AP], NO_GEO);
    expect(verdict.summary).toContain('no weighted cluster is healthy');
    expect(reasons(verdict)).toEqual([
      ['eu', false, 'not healthy'],
      ['ap', true, 'weight 0, served because no weighted cluster is healthy'],
    ]);
  });
});

class MapLocator implements GeoLocator {
  constructor(private readonly targets: Record<string, string>) {}
  locate(_subnet: ClientSubnet): GeoMatch | null {
    return null;
  }
  locateTarget(address: string): string | null {
    return this.targets[address] ?? null;
  }
}

describe('geoip', () => {
  const locator = new MapLocator({ '192.0.2.1': 'dc-eu', '198.51.100.1': 'dc-us' });
  const gslb: StrategyOf = { strategy: 'geoip' };

  test('a client located where targets are: those targets, each with its datacenter', () => {
    const geo = { locator, hasClient: true, match: { datacenter: 'dc-eu', scopePrefixLength: 16 } };
    const verdict = judge(gslb, 'A', [EU, US, AP], geo);
    expect(verdict.summary).toBe('client in datacenter dc-eu: the healthy targets in dc-eu');
    expect(reasons(verdict)).toEqual([
      ['eu', true, 'targets in dc-eu'],
      ['us', false, 'no target in dc-eu'],
      ['ap', false, 'no target in dc-eu'],
    ]);
    expect(verdict.clusters[1]?.datacenters).toEqual([
      { address: '198.51.100.1', datacenter: 'dc-us', inAnswer: false },
    ]);
    expect(verdict.servable).toEqual(['192.0.2.1', '198.51.100.1', '203.0.113.1']);
    expect(verdict.forClient).toEqual(['192.0.2.1']);
  });

  test('a client located where no healthy target is: every healthy target', () => {
    const geo = { locator, hasClient: true, match: { datacenter: 'dc-eu', scopePrefixLength: 16 } };
    const verdict = judge(gslb, 'A', [down(EU), US], geo);
    expect(verdict.summary).toBe(
      'client in datacenter dc-eu, where no healthy target is: every healthy target',
    );
    expect(reasons(verdict)).toEqual([
      ['eu', false, 'not healthy'],
      ['us', true, 'healthy'],
    ]);
  });

  test.each([
    [
      { locator: null, hasClient: true, match: null },
      'no geo database is configured: every healthy target',
    ],
    [
      { locator, hasClient: false, match: null },
      'the query carries no client subnet: every healthy target',
    ],
    [{ locator, hasClient: true, match: null }, 'client not located: every healthy target'],
  ])('without a location: every healthy target (%#)', (geo, summary) => {
    const verdict = judge(gslb, 'A', [EU, US], geo);
    expect(verdict.summary).toBe(summary);
    expect(verdict.forClient).toEqual(['192.0.2.1', '198.51.100.1']);
    expect(verdict.clusters.every((c) => c.inAnswer && c.reason === 'healthy')).toBe(true);
  });
});

describe('no healthy cluster', () => {
  test('NOERROR with no records, each cluster out with its reason', () => {
    const verdict = judge(
      { strategy: 'roundRobin' },
      'A',
      [down(EU, 'NotFound here'), { ...US, addresses: [] }],
      NO_GEO,
    );
    expect(verdict.summary).toBe(
      'no healthy cluster has A targets: NOERROR with no records (the name exists)',
    );
    expect(reasons(verdict)).toEqual([
      ['eu', false, 'NotFound here'],
      ['us', false, 'no A targets'],
    ]);
    expect(verdict.servable).toEqual([]);
  });

  test('failOpen: every known target, in failover order for failover', () => {
    const gslb: StrategyOf = { strategy: 'failover', primaryGeoTag: 'us', failOpen: true };
    const verdict = judge(
      gslb,
      'A',
      [down(EU), down(US, 'peer down'), { ...AP, addresses: [] }],
      NO_GEO,
    );
    expect(verdict.summary).toContain('failOpen serves every known A target');
    expect(reasons(verdict)).toEqual([
      ['eu', true, 'failOpen: served though not healthy'],
      ['us', true, 'failOpen: served though peer down'],
      ['ap', false, 'no A targets'],
    ]);
    expect(verdict.servable).toEqual(['198.51.100.1', '192.0.2.1']);
  });

  test('failOpen with roundRobin: every known target in cluster order', () => {
    const verdict = judge(
      { strategy: 'roundRobin', failOpen: true },
      'A',
      [down(EU), down(US)],
      NO_GEO,
    );
    expect(verdict.servable).toEqual(['192.0.2.1', '198.51.100.1']);
  });
});
