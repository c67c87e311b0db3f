import { buildSnapshot, type BuildProblem } from '../../../src/table/build-snapshot';
import { MAX_RECORDS_PER_RRSET } from '../../../src/table/target-encoding';
import { answerMessage } from '../../../src/table/answer';
import type { GslbRecord, ZoneSpec } from '../../../src/table/model';
import type { RecordSnapshot } from '../../../src/table/snapshot';
import { addressesOf, decodeReply, query, rrLines } from '../../../harness/dns-case';
import { ZONE, gslb, table } from '../../helpers/table-fixtures';

/** A zone inside ZONE, delegated to its own name servers. */
const NESTED: ZoneSpec = {
  name: 'eu.cloud.example.org',
  parent: 'cloud.example.org',
  negativeTtlSeconds: 60,
  nameServers: ['gslb-ns-eu-eu.cloud.example.org'],
  nameServerTtlSeconds: 300,
};

function ask(snapshot: RecordSnapshot, name: string, type: string): ReturnType<typeof decodeReply> {
  const result = answerMessage(snapshot, query(name, type));
  if (result.kind !== 'answered') throw new Error(`unanswerable: ${result.reason}`);
  return decodeReply(result.reply);
}

/** Host → owning Gslb for every name that has an owner. */
function owners(snapshot: RecordSnapshot): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, entry] of snapshot.names) if (entry.owner !== '') out[name] = entry.owner;
  return out;
}

/** Every permutation of a short list. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('problems', () => {
  const APP = 'app.cloud.example.org';
  test.each<[string, GslbRecord[], BuildProblem[], Record<string, string>]>([
    [
      'a host outside every zone',
      [gslb('shop/web', ['www.example.net', APP], ['192.0.2.1'])],
      [
        {
          gslb: 'shop/web',
          host: 'www.example.net',
          reason: 'host is not inside any zone in DNS_ZONES',
        },
      ],
      { [APP]: 'shop/web' },
    ],
    [
      'a host that only ends with the zone as a substring',
      [gslb('shop/web', ['xcloud.example.org'], ['192.0.2.1'])],
      [
        {
          gslb: 'shop/web',
          host: 'xcloud.example.org',
          reason: 'host is not inside any zone in DNS_ZONES',
        },
      ],
      {},
    ],
    [
      'a host in the parent zone',
      [gslb('shop/web', ['www.example.org'], ['192.0.2.1'])],
      [
        {
          gslb: 'shop/web',
          host: 'www.example.org',
          reason: 'host is not inside any zone in DNS_ZONES',
        },
      ],
      {},
    ],
    [
      'a target that is not an IP address; the other targets are served',
      [gslb('shop/web', [APP], ['192.0.2.1', 'lb.example.org', '2001:db8::1'])],
      [{ gslb: 'shop/web', host: APP, reason: 'target "lb.example.org" is not an IP address' }],
      { [APP]: 'shop/web' },
    ],
    [
      'a host claimed by two Gslbs: the first by id wins',
      [gslb('shop/zz', [APP], ['192.0.2.2']), gslb('shop/aa', [APP], ['192.0.2.1'])],
      [
        {
          gslb: 'shop/zz',
          host: APP,
          reason: 'host is already served by Gslb shop/aa, which claimed it first',
          kind: 'host-conflict',
        },
      ],
      { [APP]: 'shop/aa' },
    ],
    [
      'only the contested host of a Gslb is refused',
      [
        gslb('b/two', [APP, 'two.cloud.example.org'], ['192.0.2.2']),
        gslb('a/one', [APP], ['192.0.2.1']),
      ],
      [
        {
          gslb: 'b/two',
          host: APP,
          reason: 'host is already served by Gslb a/one, which claimed it first',
          kind: 'host-conflict',
        },
      ],
      { [APP]: 'a/one', 'two.cloud.example.org': 'b/two' },
    ],
    ['no problem', [gslb('shop/web', [APP], ['192.0.2.1'])], [], { [APP]: 'shop/web' }],
  ])('%s', (_label, gslbs, problems, expectedOwners) => {
    const result = table(gslbs);
    expect(result.problems).toEqual(problems);
    expect(owners(result.snapshot)).toEqual(expectedOwners);
  });

  test('the first claim keeps a contested host, whatever the names; equal times go by tiebreak, then id', () => {
    const claimed = (id: string, since: number, tiebreak = ''): GslbRecord => ({
      ...gslb(id, [APP], [`192.0.2.${since}`]),
      claim: { since, tiebreak },
    });
    const newer = claimed('aaa/dup', 20);
    const older = claimed('zzz/good', 10);
    const first = table([newer, older]);
    expect(owners(first.snapshot)).toEqual({ [APP]: 'zzz/good' });
    expect(first.problems).toEqual([
      {
        gslb: 'aaa/dup',
        host: APP,
        reason: 'host is already served by Gslb zzz/good, which claimed it first',
        kind: 'host-conflict',
      },
    ]);
    expect(
      owners(table([claimed('b/x', 5, 'uid-1'), claimed('a/x', 5, 'uid-2')]).snapshot),
    ).toEqual({ [APP]: 'b/x' });
    // A record without a claim comes after every claimed one.
    expect(owners(table([gslb('a/unclaimed', [APP], ['192.0.2.9']), older]).snapshot)).toEqual({
      [APP]: 'zzz/good',
    });
  });

  test('a host policy lets each namespace claim only its suffixes; refusals are problems of that Gslb only', () => {
    const result = buildSnapshot({
      zones: [ZONE],
      gslbs: [
        gslb('pay/web', ['pay.cloud.example.org', 'shop.cloud.example.org'], ['192.0.2.1']),
        gslb('shop/web', ['shop.cloud.example.org', 'www.shop.cloud.example.org'], ['192.0.2.2']),
        gslb('other/web', ['other.cloud.example.org'], ['192.0.2.3']),
      ],
      hostPolicy: new Map([
        ['pay', ['pay.cloud.example.org']],
        ['shop', ['shop.cloud.example.org']],
      ]),
      serial: 1,
      generation: 1,
    });
    expect(owners(result.snapshot)).toEqual({
      'pay.cloud.example.org': 'pay/web',
      'shop.cloud.example.org': 'shop/web',
      'www.shop.cloud.example.org': 'shop/web',
    });
    expect(result.problems).toEqual([
      {
        gslb: 'other/web',
        host: 'other.cloud.example.org',
        reason: 'namespace other may claim no host (MERIDIAN_HOST_POLICY)',
        kind: 'host-not-allowed',
      },
      {
        gslb: 'pay/web',
        host: 'shop.cloud.example.org',
        reason:
          'namespace pay may claim only hosts under pay.cloud.example.org (MERIDIAN_HOST_POLICY)',
        kind: 'host-not-allowed',
      },
    ]);
  });

  test.each(permutations(['team-c/web', 'team-a/web', 'team-b/web']).map((ids) => [ids.join(' ')]))(
    'contested host: same winner and problems for input order %s',
    (order) => {
      const ids = order.split(' ');
      const address = (id: string): string => `192.0.2.${id.charCodeAt(5)}`;
      const result = table(ids.map((id) => gslb(id, ['app.cloud.example.org'], [address(id)])));
      expect(result.problems).toEqual([
        {
          gslb: 'team-b/web',
          host: 'app.cloud.example.org',
          reason: 'host is already served by Gslb team-a/web, which claimed it first',
          kind: 'host-conflict',
        },
        {
          gslb: 'team-c/web',
          host: 'app.cloud.example.org',
          reason: 'host is already served by Gslb team-a/web, which claimed it first',
          kind: 'host-conflict',
        },
      ]);
      expect(rrLines(ask(result.snapshot, 'app.cloud.example.org', 'A').answers)).toEqual([
        `app.cloud.example.org 30 A ${address('team-a/web')}`,
      ]);
    },
  );

  test(`more than ${MAX_RECORDS_PER_RRSET} targets of one type are cut, with a problem`, () => {
    const addresses = Array.from(
      { length: MAX_RECORDS_PER_RRSET + 1 },
      (_, i) => `10.0.${Math.floor(i / 256)}.${i % 256}`,
    );
    const result = table([
      gslb('big/web', ['big.cloud.example.org'], [...addresses, '2001:db8::1']),
    ]);
    expect(MAX_RECORDS_PER_RRSET).toBe(2319);
    expect(result.problems).toEqual([
      {
        gslb: 'big/web',
        host: 'big.cloud.example.org',
        reason: '2320 A targets; only the first 2319 are served',
      },
    ]);
    expect(result.snapshot.recordCount).toBe(2320);
    const reply = ask(result.snapshot, 'big.cloud.example.org', 'A');
    expect(reply.answers).toHaveLength(2319);
    expect(reply.answers.map((r) => ('data' in r ? r.data : '')).sort()).toEqual(
      addresses.slice(0, 2319).sort(),
    );
  });
});

describe('names', () => {
  test('empty non-terminals are created between a host and its zone, and nothing else', () => {
    const { snapshot } = table([
      gslb('deep/api', ['api.eu.internal.cloud.example.org'], ['192.0.2.30']),
    ]);
    expect([...snapshot.names.keys()].sort()).toEqual([
      'api.eu.internal.cloud.example.org',
      'cloud.example.org',
      'eu.internal.cloud.example.org',
      'internal.cloud.example.org',
    ]);
    for (const name of ['eu.internal.cloud.example.org', 'internal.cloud.example.org']) {
      expect(snapshot.names.get(name)).toMatchObject({
        apex: false,
        a: null,
        aaaa: null,
        owner: '',
        zone: { name: 'cloud.example.org' },
      });
    }
    expect(snapshot.names.get('cloud.example.org')).toMatchObject({ apex: true, owner: '' });
    expect(snapshot.names.get('api.eu.internal.cloud.example.org')).toMatchObject({
      apex: false,
      aaaa: null,
      owner: 'deep/api',
    });
  });

  test.each(permutations(['a/deep', 'b/mid']).map((ids) => [ids.join(' ')]))(
    'a host that is also an empty non-terminal of another host keeps its records (order %s)',
    (order) => {
      const byId: Record<string, GslbRecord> = {
        'a/deep': gslb('a/deep', ['x.y.cloud.example.org'], ['192.0.2.1']),
        'b/mid': gslb('b/mid', ['y.cloud.example.org'], ['192.0.2.2']),
      };
      const { snapshot, problems } = table(order.split(' ').map((id) => byId[id] as GslbRecord));
      expect(problems).toEqual([]);
      expect(owners(snapshot)).toEqual({
        'x.y.cloud.example.org': 'a/deep',
        'y.cloud.example.org': 'b/mid',
      });
      expect(rrLines(ask(snapshot, 'y.cloud.example.org', 'A').answers)).toEqual([
        'y.cloud.example.org 30 A 192.0.2.2',
      ]);
    },
  );

  test.each<[string, string]>([
    ['app.eu.cloud.example.org', 'eu.cloud.example.org'],
    ['a.b.eu.cloud.example.org', 'eu.cloud.example.org'],
    ['app.cloud.example.org', 'cloud.example.org'],
    ['app.xeu.cloud.example.org', 'cloud.example.org'],
  ])('with nested zones, %s belongs to the longest matching zone %s', (host, zone) => {
    const { snapshot, problems } = table([gslb('ns/web', [host], ['192.0.2.1'])], [ZONE, NESTED]);
    expect(problems).toEqual([]);
    expect(snapshot.names.get(host)?.zone.name).toBe(zone);
    const entNames = [...snapshot.names.keys()].filter(
      (n) => n !== host && n !== ZONE.name && n !== NESTED.name,
    );
    const parentOfHost = host.slice(host.indexOf('.') + 1);
    expect(entNames).toEqual(parentOfHost === zone ? [] : [parentOfHost]);
  });

  test('nested zones answer with their own SOA and NS', () => {
    const { snapshot } = table(
      [gslb('ns/web', ['app.eu.cloud.example.org'], ['192.0.2.1'])],
      [ZONE, NESTED],
    );
    const soa =
      'eu.cloud.example.org 60 SOA {"mname":"gslb-ns-eu-eu.cloud.example.org",' +
      '"rname":"hostmaster.eu.cloud.example.org","serial":2026112201,' +
      '"refresh":7200,"retry":1800,"expire":86400,"minimum":60}';
    expect(rrLines(ask(snapshot, 'nothing.eu.cloud.example.org', 'A').authorities)).toEqual([soa]);
    expect(rrLines(ask(snapshot, 'eu.cloud.example.org', 'NS').answers)).toEqual([
      'eu.cloud.example.org 300 NS gslb-ns-eu-eu.cloud.example.org',
    ]);
  });

  test('a zone without name servers gets an SOA MNAME of ns1.dns.<zone>', () => {
    const { snapshot } = table([], [{ ...ZONE, nameServers: [] }], 7);
    expect(rrLines(ask(snapshot, 'cloud.example.org', 'SOA').answers)).toEqual([
      'cloud.example.org 30 SOA {"mname":"ns1.dns.cloud.example.org","rname":"hostmaster.cloud.example.org",' +
        '"serial":7,"refresh":7200,"retry":1800,"expire":86400,"minimum":30}',
    ]);
    expect(ask(snapshot, 'cloud.example.org', 'NS').answers).toEqual([]);
  });
});

describe('counts and duplicates', () => {
  test.each<[string, GslbRecord[], number, number]>([
    ['empty', [], 0, 0],
    [
      'one host, two A and one AAAA',
      [gslb('a/web', ['app.cloud.example.org'], ['192.0.2.1', '192.0.2.2', '2001:db8::1'])],
      1,
      3,
    ],
    [
      'two hosts of one Gslb count their records each',
      [gslb('a/web', ['a.cloud.example.org', 'b.cloud.example.org'], ['192.0.2.1', '2001:db8::1'])],
      2,
      4,
    ],
    [
      'duplicate addresses count once',
      [
        gslb(
          'a/web',
          ['app.cloud.example.org'],
          ['192.0.2.1', '192.0.2.1', '2001:db8::1', '2001:db8::1'],
        ),
      ],
      1,
      2,
    ],
    [
      'hosts outside the zones, refused claims and bad targets are not counted',
      [
        gslb('a/web', ['app.cloud.example.org', 'www.example.net'], ['192.0.2.1', 'not-an-ip']),
        gslb('b/web', ['app.cloud.example.org'], ['192.0.2.2', '192.0.2.3']),
      ],
      1,
      1,
    ],
    [
      'empty non-terminals are not hosts',
      [gslb('a/web', ['a.b.c.cloud.example.org'], ['192.0.2.1'])],
      1,
      1,
    ],
  ])('%s', (_label, gslbs, hostCount, recordCount) => {
    const { snapshot } = table(gslbs);
    expect(snapshot.hostCount).toBe(hostCount);
    expect(snapshot.recordCount).toBe(recordCount);
  });

  test('an address listed by two clusters is served once', () => {
    const record: GslbRecord = {
      id: 'multi/web',
      hosts: ['app.cloud.example.org'],
      strategy: 'failover',
      ttlSeconds: 20,
      clusters: [
        { geoTag: 'eu', addresses: ['192.0.2.1', '192.0.2.2'] },
        { geoTag: 'us', addresses: ['192.0.2.2', '192.0.2.3', '192.0.2.1'] },
      ],
    };
    const { snapshot } = table([record]);
    expect(snapshot.recordCount).toBe(3);
    expect(rrLines(ask(snapshot, 'app.cloud.example.org', 'A').answers)).toEqual([
      'app.cloud.example.org 20 A 192.0.2.1',
      'app.cloud.example.org 20 A 192.0.2.2',
      'app.cloud.example.org 20 A 192.0.2.3',
    ]);
  });

  test('serial, generation and zones are those of the input', () => {
    const { snapshot } = buildSnapshot({
      zones: [ZONE, NESTED],
      gslbs: [],
      serial: 1_800_000_000,
      generation: 12,
    });
    expect(snapshot.serial).toBe(1_800_000_000);
    expect(snapshot.generation).toBe(12);
    expect([...snapshot.zones.keys()]).toEqual(['cloud.example.org', 'eu.cloud.example.org']);
    expect(snapshot.zones.get('eu.cloud.example.org')?.labelCount).toBe(4);
    expect(ask(snapshot, 'cloud.example.org', 'SOA').answers[0]).toMatchObject({
      data: { serial: 1_800_000_000 },
    });
  });

  test('the same input builds the same table', () => {
    const gslbs = [
      gslb('b/web', ['app.cloud.example.org', 'www.example.net'], ['192.0.2.2']),
      gslb('a/web', ['app.cloud.example.org', 'x.y.cloud.example.org'], ['192.0.2.1', 'bad']),
    ];
    const first = table(gslbs);
    const second = table([...gslbs].reverse());
    expect(second.problems).toEqual(first.problems);
    expect([...second.snapshot.names.keys()].sort()).toEqual(
      [...first.snapshot.names.keys()].sort(),
    );
    expect(owners(second.snapshot)).toEqual(owners(first.snapshot));
  });
});

describe('a Gslb with several hosts', () => {
  const result = table([
    gslb(
      'shop/web',
      ['a.cloud.example.org', 'b.cloud.example.org'],
      ['192.0.2.1', '192.0.2.2', 'lb.example.org'],
    ),
  ]);

  test('each host reports the Gslb target problems', () => {
    expect(result.problems).toEqual([
      {
        gslb: 'shop/web',
        host: 'a.cloud.example.org',
        reason: 'target "lb.example.org" is not an IP address',
      },
      {
        gslb: 'shop/web',
        host: 'b.cloud.example.org',
        reason: 'target "lb.example.org" is not an IP address',
      },
    ]);
    expect(result.snapshot.recordCount).toBe(4);
  });

  test('each host rotates on its own', () => {
    const first = (host: string): string | undefined =>
      addressesOf(ask(result.snapshot, host, 'A').answers)[0];
    const a = ['a.cloud.example.org', 'a.cloud.example.org', 'a.cloud.example.org'].map(first);
    expect(a).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.1']);
    // A cursor shared with a would now point at 192.0.2.2.
    expect(first('b.cloud.example.org')).toBe('192.0.2.1');
  });
});

describe('localtargets-<host>: this cluster targets, as k8gb peers read them', () => {
  const APP = 'app.cloud.example.org';
  const LOCAL = `localtargets-${APP}`;
  const build = (gslbs: GslbRecord[], localGeoTag?: string): ReturnType<typeof buildSnapshot> =>
    buildSnapshot({
      zones: [ZONE],
      gslbs,
      serial: 1,
      generation: 1,
      ...(localGeoTag === undefined ? {} : { localGeoTag }),
    });

  test('published with the local cluster A and AAAA records, TTL of the Gslb, fixed order', () => {
    const record: GslbRecord = {
      ...gslb('shop/web', [APP], ['192.0.2.1', '192.0.2.2', '2001:db8::1'], { ttl: 45 }),
      clusters: [
        { geoTag: 'eu', addresses: ['192.0.2.1', '192.0.2.2', '2001:db8::1'] },
        { geoTag: 'us', addresses: ['198.51.100.1'] },
      ],
    };
    const { snapshot, problems } = build([record], 'eu');
    expect(problems).toEqual([]);
    for (let i = 0; i < 3; i++) {
      const a = ask(snapshot, LOCAL, 'A');
      expect(rrLines(a.answers)).toEqual([`${LOCAL} 45 A 192.0.2.1`, `${LOCAL} 45 A 192.0.2.2`]);
      expect(a.flags.aa).toBe(true);
    }
    expect(addressesOf(ask(snapshot, LOCAL, 'AAAA').answers)).toEqual(['2001:db8::1']);
    // The host itself keeps every cluster's targets.
    expect(addressesOf(ask(snapshot, APP, 'A').answers).sort()).toEqual([
      '192.0.2.1',
      '192.0.2.2',
      '198.51.100.1',
    ]);
    expect(snapshot.recordCount).toBe(4 + 3);
  });

  test.each<[string, GslbRecord, string | undefined]>([
    [
      'no local geotag given (standalone tests, older callers)',
      gslb('shop/web', [APP], ['192.0.2.1']),
      undefined,
    ],
    [
      'the local cluster has no targets (not healthy here)',
      { ...gslb('shop/web', [APP], []), clusters: [] },
      'eu',
    ],
    [
      'only peers have targets',
      { ...gslb('shop/web', [APP], []), clusters: [{ geoTag: 'us', addresses: ['198.51.100.1'] }] },
      'eu',
    ],
  ])('absent (NXDOMAIN) when %s', (_case, record, localGeoTag) => {
    const { snapshot } = build([record], localGeoTag);
    expect(ask(snapshot, LOCAL, 'A').rcode).toBe('NXDOMAIN');
  });

  test('a host whose first label is too long for the prefix is served, and the problem reported', () => {
    const host = `${'a'.repeat(60)}.cloud.example.org`;
    const { snapshot, problems } = build([gslb('shop/long', [host], ['192.0.2.1'])], 'eu');
    expect(addressesOf(ask(snapshot, host, 'A').answers)).toEqual(['192.0.2.1']);
    expect(problems).toEqual([
      {
        gslb: 'shop/long',
        host,
        reason: `localtargets-${host} is too long for DNS; peers cannot read this host's local targets`,
      },
    ]);
  });

  test('a Gslb that serves a localtargets- name itself keeps it', () => {
    const { snapshot } = build(
      [gslb('a/first', [APP], ['192.0.2.1']), gslb('b/second', [LOCAL], ['203.0.113.9'])],
      'eu',
    );
    expect(addressesOf(ask(snapshot, LOCAL, 'A').answers)).toEqual(['203.0.113.9']);
  });
});

describe('what each name serves, for the status', () => {
  test.each<[string, Partial<GslbRecord>, string[]]>([
    [
      'roundRobin: every healthy cluster',
      { strategy: 'roundRobin' },
      ['192.0.2.1', '198.51.100.1', '2001:db8::1'],
    ],
    [
      // A and AAAA are decided apart: us has no IPv6, so eu serves AAAA.
      'failover: the primary alone while healthy, per address type',
      { strategy: 'failover', primaryGeoTag: 'us' },
      ['198.51.100.1', '2001:db8::1'],
    ],
    [
      'weighted: the clusters with a weight',
      { strategy: 'roundRobin', weights: { eu: 1 } },
      ['192.0.2.1', '2001:db8::1'],
    ],
  ])('%s', (_label, parameters, expected) => {
    const record: GslbRecord = {
      ...gslb('shop/web', ['web.cloud.example.org'], []),
      ...parameters,
      clusters: [
        { geoTag: 'eu', addresses: ['192.0.2.1', '2001:db8::1'] },
        { geoTag: 'us', addresses: ['198.51.100.1'] },
        { geoTag: 'ap', addresses: ['203.0.113.1'], healthy: false },
      ],
    };
    const { snapshot } = buildSnapshot({
      zones: [ZONE],
      gslbs: [record],
      localGeoTag: 'eu',
      serial: 1,
      generation: 1,
    });
    expect(snapshot.names.get('web.cloud.example.org')?.served).toEqual(expected);
    // localtargets- serves this cluster's own targets.
    expect(snapshot.names.get('localtargets-web.cloud.example.org')?.served).toEqual([
      '192.0.2.1',
      '2001:db8::1',
    ]);
    expect(snapshot.names.get('cloud.example.org')?.served).toEqual([]);
  });
});
