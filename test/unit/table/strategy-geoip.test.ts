/**
 * geoip with a fake locator: the client's datacenter comes from the EDNS
 * Client Subnet option, targets' datacenters are looked up at build time, and
 * the reply's ECS scope says how much of the client address the answer
 * depends on (RFC 7871 §7.2.1).
 */
import { BlockList } from 'node:net';
import type { ClientSubnet } from '../../../src/dns/query';
import {
  clientSubnetAddress,
  type GeoLocator,
  type GeoMatch,
} from '../../../src/table/geo-locator';
import type { ClusterTargets } from '../../../src/table/model';
import type { RecordSnapshot } from '../../../src/table/snapshot';
import type { DecodedReply } from '../../../harness/dns-case';
import { addressesOf } from '../../../harness/dns-case';
import { APP, ask, cluster, multiCluster, tableWith } from '../../helpers/table-fixtures';

/** A network of the fake database. */
interface Network {
  readonly cidr: string;
  readonly datacenter: string;
}

/**
 * A locator over a fixed list of networks, the way a MaxMind database maps
 * networks to records: the first network holding the address wins, and its
 * prefix length is the scope.
 */
class FakeLocator implements GeoLocator {
  locateCalls = 0;
  private readonly networks: readonly { list: BlockList; prefix: number; datacenter: string }[];

  constructor(networks: readonly Network[]) {
    this.networks = networks.map(({ cidr, datacenter }) => {
      const [address = '', prefix = ''] = cidr.split('/');
      const list = new BlockList();
      const family = address.includes(':') ? 'ipv6' : 'ipv4';
      list.addSubnet(address, Number(prefix), family);
      return { list, prefix: Number(prefix), datacenter };
    });
  }

  locate(subnet: ClientSubnet): GeoMatch | null {
    this.locateCalls++;
    const address = clientSubnetAddress(subnet);
    const found = this.find(address);
    return found === null
      ? null
      : { datacenter: found.datacenter, scopePrefixLength: found.prefix };
  }

  locateTarget(address: string): string | null {
    return this.find(address)?.datacenter ?? null;
  }

  private find(address: string): { prefix: number; datacenter: string } | null {
    const family = address.includes(':') ? 'ipv6' : 'ipv4';
    return this.networks.find((n) => n.list.check(address, family)) ?? null;
  }
}

const DATABASE: Network[] = [
  // Clients.
  { cidr: '10.1.0.0/16', datacenter: 'dc1' },
  { cidr: '10.2.0.0/16', datacenter: 'dc2' },
  { cidr: '10.3.0.0/16', datacenter: 'dc3' },
  { cidr: '10.4.0.0/25', datacenter: 'dc2' },
  { cidr: '2001:db8:a::/48', datacenter: 'dc1' },
  // Targets.
  { cidr: '192.0.2.0/24', datacenter: 'dc1' },
  { cidr: '2001:db8:1::/48', datacenter: 'dc1' },
  { cidr: '198.51.100.0/24', datacenter: 'dc2' },
];

const EU: ClusterTargets = cluster('eu', ['192.0.2.1', '2001:db8:1::1']);
const US: ClusterTargets = cluster('us', ['198.51.100.1', '198.51.100.2', '2001:db8:2::1']);
/** Targets the database does not place. */
const AP: ClusterTargets = cluster('ap', ['203.0.113.1']);
const ALL_A = ['192.0.2.1', '198.51.100.1', '198.51.100.2', '203.0.113.1'];
const ALL_AAAA = ['2001:db8:1::1', '2001:db8:2::1'];

function geoTable(
  clusters: ClusterTargets[] = [EU, US, AP],
  locator: GeoLocator | null = new FakeLocator(DATABASE),
): RecordSnapshot {
  const record = multiCluster('geoip', clusters);
  const { snapshot, problems } = tableWith(
    [record],
    locator === null ? {} : { geoLocator: locator },
  );
  expect(problems).toEqual([]);
  return snapshot;
}

function askFrom(snapshot: RecordSnapshot, subnet: string | null, type = 'A'): DecodedReply {
  return ask(snapshot, APP, type, subnet === null ? {} : { edns: { clientSubnet: subnet } });
}

function scopeOf(reply: DecodedReply): number | undefined {
  const option = reply.opt?.options?.find((o) => o.code === 8) as
    { scopePrefixLength?: number } | undefined;
  return option?.scopePrefixLength;
}

describe('geoip: same-datacenter targets for located clients', () => {
  test.each<[string, string, string, string[], number]>([
    ['a client in dc1', '10.1.7.0/24', 'A', ['192.0.2.1'], 16],
    ['a client in dc2', '10.2.200.0/24', 'A', ['198.51.100.1', '198.51.100.2'], 16],
    ['a client in dc3, where no target is: all targets', '10.3.1.0/24', 'A', ALL_A, 16],
    ['a client the database does not know: all targets', '172.16.9.0/24', 'A', ALL_A, 24],
    ['an unknown client sending /20: the scope is its /20', '172.16.0.0/20', 'A', ALL_A, 20],
    [
      'a network longer than the source prefix: scope 25 > 24 asks for more bits',
      '10.4.0.0/24',
      'A',
      ['198.51.100.1', '198.51.100.2'],
      25,
    ],
    ['an IPv6 client in dc1 asking A', '2001:db8:a::/56', 'A', ['192.0.2.1'], 48],
    ['a client in dc1 asking AAAA', '10.1.7.0/24', 'AAAA', ['2001:db8:1::1'], 16],
    ['a client in dc2 asking AAAA: dc2 has no IPv6 target', '10.2.0.0/24', 'AAAA', ALL_AAAA, 16],
  ])('%s (%s, %s)', (_label, subnet, type, expected, scope) => {
    const snapshot = geoTable();
    for (let i = 0; i < 2; i++) {
      const reply = askFrom(snapshot, subnet, type);
      expect(reply.rcode).toBe('NOERROR');
      expect(addressesOf(reply.answers)).toEqual(expected);
      expect(scopeOf(reply)).toBe(scope);
    }
  });
});

describe('geoip: answers that do not depend on the client', () => {
  test('no ECS option: every target, no ECS in the reply, no lookup', () => {
    const locator = new FakeLocator(DATABASE);
    const snapshot = geoTable([EU, US, AP], locator);
    const reply = askFrom(snapshot, null);
    expect(addressesOf(reply.answers)).toEqual(ALL_A);
    expect(reply.opt).toBeUndefined();
    expect(locator.locateCalls).toBe(0);
  });

  test('SOURCE PREFIX-LENGTH 0 (the client opts out): every target, scope 0, no lookup', () => {
    const locator = new FakeLocator(DATABASE);
    const snapshot = geoTable([EU, US, AP], locator);
    const reply = askFrom(snapshot, '0.0.0.0/0');
    expect(addressesOf(reply.answers)).toEqual(ALL_A);
    expect(scopeOf(reply)).toBe(0);
    expect(locator.locateCalls).toBe(0);
  });

  test('no locator configured: every target, scope 0', () => {
    const reply = askFrom(geoTable([EU, US, AP], null), '10.1.7.0/24');
    expect(addressesOf(reply.answers)).toEqual(ALL_A);
    expect(scopeOf(reply)).toBe(0);
  });

  test.each<[string, ClusterTargets[], string[]]>([
    [
      'every target in one datacenter',
      [EU, cluster('us', ['192.0.2.77'])],
      ['192.0.2.1', '192.0.2.77'],
    ],
    [
      'no target in any datacenter',
      [AP, cluster('za', ['203.0.113.9'])],
      ['203.0.113.1', '203.0.113.9'],
    ],
  ])('%s: the same answer for everyone, scope 0, no lookup', (_label, clusters, expected) => {
    const locator = new FakeLocator(DATABASE);
    const snapshot = geoTable(clusters, locator);
    for (const subnet of ['10.1.7.0/24', '10.2.0.0/24', '172.16.9.0/24']) {
      const reply = askFrom(snapshot, subnet);
      expect(addressesOf(reply.answers)).toEqual(expected);
      expect(scopeOf(reply)).toBe(0);
    }
    expect(locator.locateCalls).toBe(0);
  });
});

describe('geoip and health', () => {
  test("the client's datacenter down: every healthy target, scoped to the client's network", () => {
    const snapshot = geoTable([cluster('eu', ['192.0.2.1'], false), US, AP]);
    const reply = askFrom(snapshot, '10.1.7.0/24');
    expect(addressesOf(reply.answers)).toEqual(['198.51.100.1', '198.51.100.2', '203.0.113.1']);
    expect(scopeOf(reply)).toBe(16);
  });

  test('every cluster down: NODATA with the zone SOA, the ECS option echoed', () => {
    const down = [EU, US].map((c) => ({ ...c, healthy: false }));
    const reply = askFrom(geoTable(down), '10.1.7.0/24');
    expect(reply.rcode).toBe('NOERROR');
    expect(reply.answers).toEqual([]);
    expect(reply.authorities.map((r) => r.type)).toEqual(['SOA']);
    expect(scopeOf(reply)).toBe(0);
  });
});

describe('geoip on the query path', () => {
  test('one selection per datacenter and scope, reused by later queries', () => {
    const snapshot = geoTable();
    const selector = snapshot.names.get(APP)?.a;
    if (!selector) throw new Error('no A selector');
    const subnet = (bytes: number[], prefix: number): ClientSubnet => ({
      family: 1,
      sourcePrefixLength: prefix,
      address: Buffer.from(bytes),
    });
    const first = selector.select(subnet([10, 1, 7], 24));
    expect(selector.select(subnet([10, 1, 9], 24))).toBe(first);
    expect(first.scope).toBe(16);
    const unknown = selector.select(subnet([172, 16, 9], 24));
    expect(selector.select(subnet([172, 16, 10], 24))).toBe(unknown);
    expect(unknown.scope).toBe(24);
    expect(selector.select(null)).toBe(selector.select(subnet([], 0)));
  });

  test('a scope the locator reports beyond 128 is served as 128', () => {
    const locator: GeoLocator = {
      locate: () => ({ datacenter: 'dc1', scopePrefixLength: 300 }),
      locateTarget: (address) => (address === '2001:db8:1::1' ? 'dc1' : 'dc2'),
    };
    const reply = askFrom(geoTable([EU, US], locator), '2001:db8:a::/56', 'AAAA');
    expect(addressesOf(reply.answers)).toEqual(['2001:db8:1::1']);
    expect(scopeOf(reply)).toBe(128);
  });

  test('a locator that throws while the table is built costs that Gslb only, reported', () => {
    const locator: GeoLocator = {
      locate: () => null,
      locateTarget: () => {
        throw new Error('database closed');
      },
    };
    const { snapshot, problems } = tableWith([multiCluster('geoip', [EU])], {
      geoLocator: locator,
    });
    expect(problems).toEqual([
      { gslb: 'shop/web', host: APP, reason: 'cannot prepare records: database closed' },
    ]);
    expect(ask(snapshot, APP, 'A').rcode).toBe('NOERROR');
    expect(ask(snapshot, APP, 'A').answers).toEqual([]);
  });
});

describe('clientSubnetAddress', () => {
  test.each<[string, ClientSubnet, string]>([
    [
      'IPv4 /24',
      { family: 1, sourcePrefixLength: 24, address: Buffer.from([10, 1, 7]) },
      '10.1.7.0',
    ],
    ['IPv4 /0', { family: 1, sourcePrefixLength: 0, address: Buffer.alloc(0) }, '0.0.0.0'],
    [
      'IPv4 /20 with stray bits past the prefix cleared',
      { family: 1, sourcePrefixLength: 20, address: Buffer.from([10, 1, 0xff]) },
      '10.1.240.0',
    ],
    [
      'IPv6 /56',
      {
        family: 2,
        sourcePrefixLength: 56,
        address: Buffer.from([0x20, 0x01, 0x0d, 0xb8, 0, 0x0a, 0x12]),
      },
      '2001:db8:a:1200:0:0:0:0',
    ],
  ])('%s', (_label, subnet, expected) => {
    expect(clientSubnetAddress(subnet)).toBe(expected);
  });
});
