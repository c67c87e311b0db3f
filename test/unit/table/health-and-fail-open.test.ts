/**
 * What every strategy does when targets are down: by default the name still exists and answers
 * NOERROR with no data and the zone SOA (docs/dns-answer-rules.md#negative-answers, DNS answer
 * rules; k8gb answers NXDOMAIN); with `failOpen` every known target is served though unhealthy. And
 * `localtargets-<host>`, which only ever carries this cluster's healthy targets.
 */
import type { StrategyParameters } from '../../../src/gslb/gslb-spec';
import type { StrategyType } from '../../../src/gslb/k8gb-naming';
import type { GslbRecord } from '../../../src/table/model';
import {
  APP,
  ask,
  cluster,
  evenlySpread,
  multiCluster,
  served,
  tableWith,
} from '../../helpers/table-fixtures';

const SOA =
  'cloud.example.org 30 SOA {"mname":"gslb-ns-eu-cloud.example.org","rname":"hostmaster.cloud.example.org",' +
  '"serial":2026112201,"refresh":7200,"retry":1800,"expire":86400,"minimum":30}';

/** Parameters that make each strategy choose between clusters, when anything is up. */
const CHOOSY: Record<string, [StrategyType, StrategyParameters]> = {
  roundRobin: ['roundRobin', {}],
  'weighted roundRobin': ['roundRobin', { weights: { eu: 1, us: 3 } }],
  failover: ['failover', { primaryGeoTag: 'us', fallbackGeoTags: ['ap'] }],
  geoip: ['geoip', {}],
};

function allDown(type: StrategyType, parameters: StrategyParameters): GslbRecord {
  return multiCluster(
    type,
    [
      cluster('eu', ['192.0.2.1', '2001:db8:1::1'], false),
      cluster('us', ['198.51.100.1'], false),
      cluster('ap', ['203.0.113.1'], false),
    ],
    parameters,
  );
}

function lines(records: ReturnType<typeof ask>['authorities']): string[] {
  return records.map((r) => {
    const data = 'data' in r ? r.data : '';
    return `${r.name} ${'ttl' in r ? r.ttl : ''} ${r.type} ${JSON.stringify(data)}`;
  });
}

describe('every target down, by default', () => {
  test.each(Object.keys(CHOOSY))('%s: NOERROR, no data, SOA; other names stay NXDOMAIN', (name) => {
    const [type, parameters] = CHOOSY[name] ?? ['roundRobin', {}];
    const { snapshot } = tableWith([allDown(type, parameters)], { random: evenlySpread(4) });
    for (const qtype of ['A', 'AAAA']) {
      const reply = ask(snapshot, APP, qtype);
      expect(reply.rcode).toBe('NOERROR');
      expect(reply.flags.aa).toBe(true);
      expect(reply.answers).toEqual([]);
      expect(lines(reply.authorities)).toEqual([SOA]);
    }
    expect(ask(snapshot, `nothing.${APP}`, 'A').rcode).toBe('NXDOMAIN');
    expect(snapshot.hostCount).toBe(1);
    expect(snapshot.recordCount).toBe(0);
  });

  test('failOpen: false answers as when it is absent', () => {
    const { snapshot } = tableWith([allDown('roundRobin', { failOpen: false })]);
    expect(ask(snapshot, APP, 'A').answers).toEqual([]);
  });
});

describe('every target down, failOpen', () => {
  test('roundRobin: every known target, rotating', () => {
    const { snapshot } = tableWith([allDown('roundRobin', { failOpen: true })]);
    expect(served(snapshot, APP)).toEqual(['192.0.2.1', '198.51.100.1', '203.0.113.1']);
    expect(served(snapshot, APP)).toEqual(['198.51.100.1', '203.0.113.1', '192.0.2.1']);
    expect(served(snapshot, APP, 'AAAA')).toEqual(['2001:db8:1::1']);
    expect(snapshot.recordCount).toBe(4);
  });

  test('weighted roundRobin: every known target, rotating, no draw', () => {
    const { snapshot } = tableWith(
      [allDown('roundRobin', { weights: { eu: 1, us: 3 }, failOpen: true })],
      {
        random: () => {
          throw new Error('no draw when failing open');
        },
      },
    );
    expect(served(snapshot, APP)).toEqual(['192.0.2.1', '198.51.100.1', '203.0.113.1']);
    expect(served(snapshot, APP)).toEqual(['198.51.100.1', '203.0.113.1', '192.0.2.1']);
  });

  test('failover: every known target, the primary first, then the fallbacks, then the rest', () => {
    const { snapshot } = tableWith([
      allDown('failover', { primaryGeoTag: 'us', fallbackGeoTags: ['ap'], failOpen: true }),
    ]);
    for (let i = 0; i < 2; i++) {
      expect(served(snapshot, APP)).toEqual(['198.51.100.1', '203.0.113.1', '192.0.2.1']);
    }
  });

  test('geoip: every known target, scope 0', () => {
    const locator = {
      locate: () => ({ datacenter: 'dc1', scopePrefixLength: 16 }),
      locateTarget: (address: string) => (address === '192.0.2.1' ? 'dc1' : 'dc2'),
    };
    const { snapshot } = tableWith([allDown('geoip', { failOpen: true })], {
      geoLocator: locator,
    });
    const reply = ask(snapshot, APP, 'A', { edns: { clientSubnet: '10.1.0.0/24' } });
    expect(reply.answers.map((r) => ('data' in r ? r.data : ''))).toEqual([
      '192.0.2.1',
      '198.51.100.1',
      '203.0.113.1',
    ]);
    expect(reply.opt?.options).toEqual([expect.objectContaining({ scopePrefixLength: 0 })]);
  });

  test('some cluster healthy: failOpen changes nothing, the unhealthy stay out', () => {
    const record = multiCluster(
      'roundRobin',
      [cluster('eu', ['192.0.2.1'], false), cluster('us', ['198.51.100.1'])],
      { failOpen: true },
    );
    const { snapshot } = tableWith([record]);
    expect(served(snapshot, APP)).toEqual(['198.51.100.1']);
    expect(served(snapshot, APP)).toEqual(['198.51.100.1']);
  });

  test('decided per type: A fails open while AAAA has a healthy target', () => {
    const record = (failOpen: boolean): GslbRecord =>
      multiCluster(
        'roundRobin',
        [cluster('eu', ['2001:db8:1::1']), cluster('us', ['198.51.100.1'], false)],
        { failOpen },
      );
    const open = tableWith([record(true)]).snapshot;
    expect(served(open, APP, 'A')).toEqual(['198.51.100.1']);
    expect(served(open, APP, 'AAAA')).toEqual(['2001:db8:1::1']);
    const closed = tableWith([record(false)]).snapshot;
    expect(served(closed, APP, 'A')).toEqual([]);
    expect(served(closed, APP, 'AAAA')).toEqual(['2001:db8:1::1']);
  });

  test('no known target at all: NODATA', () => {
    const { snapshot } = tableWith([multiCluster('roundRobin', [], { failOpen: true })]);
    const reply = ask(snapshot, APP, 'A');
    expect([reply.rcode, reply.answers.length, reply.authorities.length]).toEqual([
      'NOERROR',
      0,
      1,
    ]);
  });
});

describe('health flags', () => {
  test('a cluster without a health flag is healthy (sources that list only healthy clusters)', () => {
    const record: GslbRecord = multiCluster('roundRobin', [
      { geoTag: 'eu', addresses: ['192.0.2.1'] },
      { geoTag: 'us', addresses: ['198.51.100.1'], healthy: true },
      { geoTag: 'ap', addresses: ['203.0.113.1'], healthy: false },
    ]);
    expect(served(tableWith([record]).snapshot, APP).sort()).toEqual(['192.0.2.1', '198.51.100.1']);
  });
});

describe('localtargets-<host> with several clusters', () => {
  const LOCAL = `localtargets-${APP}`;

  test('carries this cluster only, whatever the strategy serves for the host', () => {
    const record = multiCluster(
      'failover',
      [cluster('eu', ['192.0.2.1', '2001:db8:1::1']), cluster('us', ['198.51.100.1'])],
      { primaryGeoTag: 'us' },
    );
    const { snapshot } = tableWith([record], { localGeoTag: 'eu' });
    expect(served(snapshot, APP)).toEqual(['198.51.100.1']);
    expect(served(snapshot, LOCAL)).toEqual(['192.0.2.1']);
    expect(served(snapshot, LOCAL, 'AAAA')).toEqual(['2001:db8:1::1']);
  });

  test.each([true, false])(
    'absent while this cluster is unhealthy, failOpen %s (peers must see it down)',
    (failOpen) => {
      const record = multiCluster(
        'roundRobin',
        [cluster('eu', ['192.0.2.1'], false), cluster('us', ['198.51.100.1'], false)],
        { failOpen },
      );
      const { snapshot } = tableWith([record], { localGeoTag: 'eu' });
      expect(ask(snapshot, LOCAL, 'A').rcode).toBe('NXDOMAIN');
      expect(served(snapshot, APP)).toEqual(failOpen ? ['192.0.2.1', '198.51.100.1'] : []);
    },
  );
});
