import { answerMessage, type Answered } from '../../../src/table/answer';
import type { RecordSnapshot } from '../../../src/table/snapshot';
import {
  addressesOf,
  decodeReply,
  query,
  rrLines,
  type QueryOptions,
} from '../../../harness/dns-case';
import { gslb, table } from '../../helpers/table-fixtures';

const snapshot: RecordSnapshot = table([
  gslb('shop/web', ['app.cloud.example.org'], ['192.0.2.10', '192.0.2.11', '2001:db8::10'], {
    ttl: 15,
  }),
  gslb('shop/v6only', ['v6.cloud.example.org'], ['2001:db8::20']),
  gslb('deep/api', ['api.eu.internal.cloud.example.org'], ['192.0.2.30']),
  gslb('apex/site', ['cloud.example.org'], ['192.0.2.40']),
]).snapshot;

function ask(
  name: string,
  type: string,
  options: QueryOptions = {},
): ReturnType<typeof decodeReply> {
  const result = answerMessage(snapshot, query(name, type, options));
  if (result.kind !== 'answered') throw new Error(`unanswerable: ${result.reason}`);
  return decodeReply(result.reply);
}

const SOA_AUTHORITY = [
  'cloud.example.org 30 SOA {"mname":"gslb-ns-eu-cloud.example.org","rname":"hostmaster.cloud.example.org","serial":2026112201,"refresh":7200,"retry":1800,"expire":86400,"minimum":30}',
];

interface Case {
  readonly name: string;
  readonly qname: string;
  readonly qtype: string;
  readonly options?: QueryOptions;
  readonly rcode: string;
  readonly aa: boolean;
  readonly answer: string[];
  readonly authority: string[];
}

const cases: Case[] = [
  {
    name: 'A from targets with the Gslb TTL',
    qname: 'app.cloud.example.org',
    qtype: 'A',
    rcode: 'NOERROR',
    aa: true,
    answer: ['app.cloud.example.org 15 A 192.0.2.10', 'app.cloud.example.org 15 A 192.0.2.11'],
    authority: [],
  },
  {
    name: 'AAAA from IPv6 targets',
    qname: 'app.cloud.example.org',
    qtype: 'AAAA',
    rcode: 'NOERROR',
    aa: true,
    answer: ['app.cloud.example.org 15 AAAA 2001:db8::10'],
    authority: [],
  },
  {
    name: 'NODATA + SOA: A asked of an IPv6-only host',
    qname: 'v6.cloud.example.org',
    qtype: 'A',
    rcode: 'NOERROR',
    aa: true,
    answer: [],
    authority: SOA_AUTHORITY,
  },
  {
    name: 'NODATA + SOA: a type the host has no data for',
    qname: 'app.cloud.example.org',
    qtype: 'TXT',
    rcode: 'NOERROR',
    aa: true,
    answer: [],
    authority: SOA_AUTHORITY,
  },
  {
    name: 'NXDOMAIN + SOA for an unknown name in the zone',
    qname: 'nothing.cloud.example.org',
    qtype: 'A',
    rcode: 'NXDOMAIN',
    aa: true,
    answer: [],
    authority: SOA_AUTHORITY,
  },
  {
    name: 'NXDOMAIN below a host (no wildcard)',
    qname: 'x.app.cloud.example.org',
    qtype: 'A',
    rcode: 'NXDOMAIN',
    aa: true,
    answer: [],
    authority: SOA_AUTHORITY,
  },
  {
    name: 'empty non-terminal answers NODATA, not NXDOMAIN (RFC 8020)',
    qname: 'eu.internal.cloud.example.org',
    qtype: 'A',
    rcode: 'NOERROR',
    aa: true,
    answer: [],
    authority: SOA_AUTHORITY,
  },
  {
    name: 'SOA at the apex',
    qname: 'cloud.example.org',
    qtype: 'SOA',
    rcode: 'NOERROR',
    aa: true,
    answer: SOA_AUTHORITY,
    authority: [],
  },
  {
    name: 'NS at the apex',
    qname: 'cloud.example.org',
    qtype: 'NS',
    rcode: 'NOERROR',
    aa: true,
    answer: [
      'cloud.example.org 30 NS gslb-ns-eu-cloud.example.org',
      'cloud.example.org 30 NS gslb-ns-us-cloud.example.org',
    ],
    authority: [],
  },
  {
    name: 'a Gslb host at the apex keeps SOA and NS and adds A',
    qname: 'cloud.example.org',
    qtype: 'A',
    rcode: 'NOERROR',
    aa: true,
    answer: ['cloud.example.org 30 A 192.0.2.40'],
    authority: [],
  },
  {
    name: 'NS below the apex is NODATA',
    qname: 'app.cloud.example.org',
    qtype: 'NS',
    rcode: 'NOERROR',
    aa: true,
    answer: [],
    authority: SOA_AUTHORITY,
  },
  {
    name: 'REFUSED outside every zone, without AA',
    qname: 'www.example.net',
    qtype: 'A',
    rcode: 'REFUSED',
    aa: false,
    answer: [],
    authority: [],
  },
  {
    name: 'zones match by DNS suffix, not substring',
    qname: 'xcloud.example.org',
    qtype: 'A',
    rcode: 'REFUSED',
    aa: false,
    answer: [],
    authority: [],
  },
  {
    name: 'the parent zone is not ours',
    qname: 'example.org',
    qtype: 'SOA',
    rcode: 'REFUSED',
    aa: false,
    answer: [],
    authority: [],
  },
  {
    name: 'ANY is answered minimally with one RRset (RFC 8482)',
    qname: 'app.cloud.example.org',
    qtype: 'ANY',
    rcode: 'NOERROR',
    aa: true,
    answer: ['app.cloud.example.org 15 A 192.0.2.10', 'app.cloud.example.org 15 A 192.0.2.11'],
    authority: [],
  },
  {
    name: 'ANY at the apex returns the SOA only',
    qname: 'cloud.example.org',
    qtype: 'ANY',
    rcode: 'NOERROR',
    aa: true,
    answer: SOA_AUTHORITY,
    authority: [],
  },
  {
    name: 'other classes are refused',
    qname: 'app.cloud.example.org',
    qtype: 'A',
    options: { qclass: 'CH' },
    rcode: 'REFUSED',
    aa: false,
    answer: [],
    authority: [],
  },
];

describe('answer rules', () => {
  test.each(cases)('$name', (c) => {
    const reply = ask(c.qname, c.qtype, { ...c.options, id: 7 });
    expect(reply.rcode).toBe(c.rcode);
    expect(reply.flags.aa).toBe(c.aa);
    expect(reply.flags.qr).toBe(true);
    expect(reply.id).toBe(7);
    expect(reply.questions).toEqual([
      { name: c.qname, type: c.qtype, class: c.options?.qclass ?? 'IN' },
    ]);
    expect(rrLines(reply.answers).sort()).toEqual([...c.answer].sort());
    expect(rrLines(reply.authorities)).toEqual(c.authority);
    expect(reply.opt).toBeUndefined();
  });

  test('ID and RD are copied; RD clear stays clear', () => {
    expect(ask('app.cloud.example.org', 'A', { id: 65535 }).id).toBe(65535);
    expect(ask('app.cloud.example.org', 'A').flags.rd).toBe(true);
    expect(ask('app.cloud.example.org', 'A', { recursionDesired: false }).flags.rd).toBe(false);
  });

  test('lookup ignores case and the reply echoes the query name byte for byte', () => {
    const reply = ask('ApP.CLOUD.Example.ORG', 'A');
    expect(reply.rcode).toBe('NOERROR');
    expect(reply.questions[0]?.name).toBe('ApP.CLOUD.Example.ORG');
    expect(reply.answers.map((r) => r.name)).toEqual([
      'ApP.CLOUD.Example.ORG',
      'ApP.CLOUD.Example.ORG',
    ]);
    expect(ask('NOPE.Cloud.Example.Org', 'A').authorities[0]?.name).toBe('Cloud.Example.Org');
  });

  test('a trailing dot in the zone fixture and the query name both resolve', () => {
    expect(ask('app.cloud.example.org.', 'A').rcode).toBe('NOERROR');
  });

  test('round robin rotates the order by one per query and returns every target', () => {
    const orders = [0, 1, 2, 3].map(() => addressesOf(ask('app.cloud.example.org', 'A').answers));
    // Earlier tests moved the cursor, so check the relation between replies.
    for (let i = 1; i < orders.length; i++) {
      const previous = orders[i - 1] ?? [];
      expect(orders[i]).toEqual([...previous.slice(1), ...previous.slice(0, 1)]);
      expect([...(orders[i] ?? [])].sort()).toEqual(['192.0.2.10', '192.0.2.11']);
    }
  });
});

describe('EDNS0', () => {
  test('OPT is answered when the query had one, with version 0 and our payload size', () => {
    const reply = ask('app.cloud.example.org', 'A', { edns: {} });
    expect(reply.opt).toMatchObject({ name: '.', udpPayloadSize: 1232, ednsVersion: 0 });
    expect(reply.opt?.flag_do).toBe(false);
    expect(reply.answers).toHaveLength(2);
  });

  test('the DO bit is echoed and changes nothing else', () => {
    const reply = ask('app.cloud.example.org', 'A', { edns: { dnssecOk: true } });
    expect(reply.opt?.flag_do).toBe(true);
    expect(reply.answers).toHaveLength(2);
    expect(reply.rcode).toBe('NOERROR');
  });

  test('unknown options are ignored, not echoed', () => {
    const reply = ask('app.cloud.example.org', 'A', {
      edns: { extraOptions: [{ code: 65001, data: Buffer.from('hello') }] },
    });
    expect(reply.rcode).toBe('NOERROR');
    expect(reply.opt?.options).toEqual([]);
  });

  test.each([
    ['198.51.100.0/24', 1, 24],
    ['2001:db8:1::/48', 2, 48],
    ['0.0.0.0/0', 1, 0],
  ])('client subnet %s is parsed and echoed with scope 0', (subnet, family, prefix) => {
    const reply = ask('app.cloud.example.org', 'A', { edns: { clientSubnet: subnet } });
    expect(reply.rcode).toBe('NOERROR');
    expect(reply.opt?.options).toEqual([
      expect.objectContaining({
        code: 8,
        family,
        sourcePrefixLength: prefix,
        scopePrefixLength: 0,
        ip: expect.stringContaining(
          subnet.split('/')[0]?.split('::')[0]?.replace(/\.0$/, '') ?? '',
        ),
      }),
    ]);
  });

  test('negative answers carry OPT too', () => {
    const reply = ask('nothing.cloud.example.org', 'A', { edns: { dnssecOk: true } });
    expect(reply.rcode).toBe('NXDOMAIN');
    expect(reply.opt?.flag_do).toBe(true);
    expect(reply.authorities).toHaveLength(1);
  });
});

describe('malformed input', () => {
  const valid = query('app.cloud.example.org', 'A', { id: 99 });

  function answerBytes(bytes: Buffer): Answered {
    const result = answerMessage(snapshot, bytes);
    if (result.kind !== 'answered') throw new Error(`unanswerable: ${result.reason}`);
    return result;
  }

  test.each([
    ['empty', Buffer.alloc(0)],
    ['11 bytes', valid.subarray(0, 11)],
  ])('no readable header (%s) is unanswerable', (_label, bytes) => {
    expect(answerMessage(snapshot, bytes).kind).toBe('unanswerable');
  });

  const withHeader = (mutate: (b: Buffer) => Buffer): Buffer => mutate(Buffer.from(valid));

  test.each<[string, Buffer, string]>([
    ['truncated question', valid.subarray(0, 20), 'FORMERR'],
    ['QDCOUNT 0', withHeader((b) => (b.writeUInt16BE(0, 4), b)), 'FORMERR'],
    ['QDCOUNT 2', withHeader((b) => (b.writeUInt16BE(2, 4), b)), 'FORMERR'],
    ['trailing garbage', Buffer.concat([valid, Buffer.from([1, 2, 3])]), 'FORMERR'],
    ['label length 64 (bad label type)', withHeader((b) => (b.writeUInt8(64, 12), b)), 'FORMERR'],
    [
      'compression pointer loop in the question',
      Buffer.concat([valid.subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]),
      'FORMERR',
    ],
    [
      'QR set in a query',
      withHeader((b) => (b.writeUInt16BE(b.readUInt16BE(2) | 0x8000, 2), b)),
      'FORMERR',
    ],
    [
      'opcode NOTIFY',
      withHeader((b) => (b.writeUInt16BE(b.readUInt16BE(2) | (4 << 11), 2), b)),
      'NOTIMP',
    ],
    [
      'oversize (65,536 bytes)',
      Buffer.concat([valid, Buffer.alloc(65536 - valid.length)]),
      'FORMERR',
    ],
    [
      'ANCOUNT says one record that is absent',
      withHeader((b) => (b.writeUInt16BE(1, 6), b)),
      'FORMERR',
    ],
  ])('%s gets %s with the ID echoed', (_label, bytes, rcode) => {
    const reply = decodeReply(answerBytes(bytes).reply);
    expect(reply.rcode).toBe(rcode);
    expect(reply.id).toBe(99);
    expect(reply.flags.qr).toBe(true);
    expect(reply.answers).toEqual([]);
  });

  test('a pointer loop in an additional record is FORMERR, not a hang', () => {
    // An additional record whose owner points at itself.
    const bytes = Buffer.concat([
      valid,
      Buffer.from([0xc0, valid.length, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]),
    ]);
    bytes.writeUInt16BE(1, 10);
    expect(decodeReply(answerBytes(bytes).reply).rcode).toBe('FORMERR');
  });

  test('FORMERR echoes the question when it was readable', () => {
    const reply = decodeReply(answerBytes(Buffer.concat([valid, Buffer.from([0])])).reply);
    expect(reply.questions).toEqual([{ name: 'app.cloud.example.org', type: 'A', class: 'IN' }]);
  });

  test('EDNS version 1 gets BADVERS (extended rcode 16) with OPT', () => {
    const bytes = query('app.cloud.example.org', 'A', { edns: {} });
    // OPT is the last record: its TTL's second byte is the version.
    bytes.writeUInt8(1, bytes.length - 11 + 6);
    const result = answerBytes(bytes);
    expect(result.rcode).toBe(16);
    const reply = decodeReply(result.reply);
    expect(reply.extendedRcode).toBe(1);
    expect(reply.answers).toEqual([]);
  });

  test('two OPT records are FORMERR', () => {
    const once = query('app.cloud.example.org', 'A', { edns: {} });
    const opt = once.subarray(once.length - 11);
    const bytes = Buffer.concat([once, opt]);
    bytes.writeUInt16BE(2, 10);
    expect(decodeReply(answerBytes(bytes).reply).rcode).toBe('FORMERR');
  });

  test.each<[string, Buffer]>([
    ['family 3', Buffer.from([0, 3, 24, 0, 198, 51, 100])],
    ['prefix 33 for IPv4', Buffer.from([0, 1, 33, 0, 198, 51, 100, 1, 0])],
    ['address longer than the prefix', Buffer.from([0, 1, 8, 0, 198, 51])],
    ['shorter than 4 bytes', Buffer.from([0, 1])],
  ])('a malformed client-subnet option (%s) is FORMERR', (_label, data) => {
    const bytes = query('app.cloud.example.org', 'A', {
      edns: { extraOptions: [{ code: 8, data }] },
    });
    expect(decodeReply(answerBytes(bytes).reply).rcode).toBe('FORMERR');
  });
});
