/**
 * The peer query as k8gb peers read it (one question, RD, no EDNS0), and
 * every way a reply is read: addresses (canonical, deduplicated, through a
 * CNAME chain, only for the asked name and type), NXDOMAIN and NODATA as
 * answers, failure codes, truncation, and replies that belong to another
 * query.
 */
import * as dnsPacket from 'dns-packet';
import { encodeQuery, readReply, type AddressType } from '../../../src/dns/client-message';

const NAME = 'localtargets-app.cloud.example.org.';
const QUERY = { id: 4242, name: NAME, type: 'A' as AddressType };

interface ReplyShape {
  id?: number;
  flags?: number;
  rcode?: number;
  questions?: dnsPacket.Question[];
  answers?: dnsPacket.Answer[];
}

function reply(shape: ReplyShape = {}): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: shape.id ?? QUERY.id,
    flags: (shape.flags ?? dnsPacket.RECURSION_DESIRED) | (shape.rcode ?? 0),
    questions: shape.questions ?? [{ type: 'A', name: NAME, class: 'IN' }],
    answers: shape.answers ?? [],
  });
}

const a = (name: string, data: string): dnsPacket.Answer => ({ type: 'A', name, ttl: 30, data });

describe('encodeQuery', () => {
  test('one question, RD set, no OPT record (no EDNS0), the given ID', () => {
    const bytes = encodeQuery(7, NAME, 'AAAA');
    const decoded = dnsPacket.decode(bytes);
    expect(decoded.id).toBe(7);
    expect(decoded.flag_qr).toBe(false);
    expect(decoded.flag_rd).toBe(true);
    expect(decoded.questions).toEqual([{ type: 'AAAA', name: NAME.slice(0, -1), class: 'IN' }]);
    expect(decoded.additionals).toEqual([]);
    // ARCOUNT 0: nothing a k8gb peer (miekg/dns) or an old server could misread.
    expect(bytes.readUInt16BE(10)).toBe(0);
  });
});

describe('readReply', () => {
  test('NOERROR with A records: the addresses of the asked name, once each', () => {
    const reading = readReply(
      reply({
        answers: [
          a(NAME, '10.0.0.2'),
          a(NAME, '10.0.0.1'),
          a(NAME, '10.0.0.2'),
          a('other.cloud.example.org', '10.9.9.9'),
        ],
      }),
      QUERY,
      'udp',
    );
    expect(reading).toEqual({
      kind: 'outcome',
      outcome: {
        ok: true,
        rcode: 'NOERROR',
        addresses: ['10.0.0.2', '10.0.0.1'],
        transport: 'udp',
      },
    });
  });

  test('AAAA records come back canonical, whatever the case of the owner name', () => {
    const reading = readReply(
      reply({
        questions: [{ type: 'AAAA', name: NAME.toUpperCase(), class: 'IN' }],
        answers: [{ type: 'AAAA', name: NAME.toUpperCase(), ttl: 30, data: '2001:DB8:0:0::1' }],
      }),
      { ...QUERY, type: 'AAAA' },
      'tcp',
    );
    expect(reading).toEqual({
      kind: 'outcome',
      outcome: { ok: true, rcode: 'NOERROR', addresses: ['2001:db8::1'], transport: 'tcp' },
    });
  });

  test('a CNAME chain inside the answer is followed; a loop ends', () => {
    const chain = readReply(
      reply({
        answers: [
          { type: 'CNAME', name: NAME, ttl: 30, data: 'alias.example.net' },
          { type: 'CNAME', name: 'alias.example.net', ttl: 30, data: 'final.example.net' },
          a('final.example.net', '192.0.2.7'),
        ],
      }),
      QUERY,
      'udp',
    );
    expect(chain).toMatchObject({ outcome: { ok: true, addresses: ['192.0.2.7'] } });
    const loop = readReply(
      reply({
        answers: [
          { type: 'CNAME', name: NAME, ttl: 30, data: 'x.example.net' },
          { type: 'CNAME', name: 'x.example.net', ttl: 30, data: NAME },
        ],
      }),
      QUERY,
      'udp',
    );
    expect(loop).toMatchObject({ outcome: { ok: true, addresses: [] } });
  });

  test('NODATA and NXDOMAIN are answers with no addresses', () => {
    expect(readReply(reply(), QUERY, 'udp')).toEqual({
      kind: 'outcome',
      outcome: { ok: true, rcode: 'NOERROR', addresses: [], transport: 'udp' },
    });
    expect(readReply(reply({ rcode: 3 }), QUERY, 'udp')).toEqual({
      kind: 'outcome',
      outcome: { ok: true, rcode: 'NXDOMAIN', addresses: [], transport: 'udp' },
    });
  });

  test.each([
    [2, 'servfail'],
    [5, 'refused'],
    [1, 'formerr'],
    [4, 'other_rcode'],
  ])('RCODE %d is a failure (%s), even with records', (rcode, failure) => {
    const reading = readReply(reply({ rcode, answers: [a(NAME, '10.0.0.1')] }), QUERY, 'udp');
    expect(reading).toMatchObject({ kind: 'outcome', outcome: { ok: false, failure } });
  });

  test('TC over UDP asks for TCP; over TCP the reply is read as it is', () => {
    const truncated = reply({
      flags: dnsPacket.TRUNCATED_RESPONSE,
      answers: [a(NAME, '10.0.0.1')],
    });
    expect(readReply(truncated, QUERY, 'udp')).toEqual({ kind: 'truncated' });
    expect(readReply(truncated, QUERY, 'tcp')).toMatchObject({
      outcome: { ok: true, addresses: ['10.0.0.1'] },
    });
  });

  test.each<[string, Buffer]>([
    ['another ID', reply({ id: 4243 })],
    ['a query, not a response', encodeQuery(QUERY.id, NAME, 'A')],
    ['another name', reply({ questions: [{ type: 'A', name: 'x.example.org', class: 'IN' }] })],
    ['another type', reply({ questions: [{ type: 'AAAA', name: NAME, class: 'IN' }] })],
    ['no question', reply({ questions: [] })],
    ['shorter than a header', Buffer.from([0x10, 0x92, 0x81])],
  ])('%s: not a reply to this query', (_label, message) => {
    expect(readReply(message, QUERY, 'udp')).toEqual({ kind: 'foreign' });
  });

  test('a reply with our header but records cut short or undecodable is a bad reply', () => {
    const valid = reply({ answers: [a(NAME, '10.0.0.1')] });
    // dns-packet decodes a cut A record as "10.undefined…" without throwing.
    const cut = valid.subarray(0, valid.length - 3);
    const overcounted = Buffer.from(valid);
    overcounted.writeUInt16BE(5, 6);
    for (const message of [cut, overcounted]) {
      expect(readReply(message, QUERY, 'udp')).toMatchObject({
        kind: 'outcome',
        outcome: { ok: false, failure: 'bad_reply' },
      });
    }
  });
});
