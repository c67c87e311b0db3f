/**
 * The gRPC contract against the real server on port 0, called by a client
 * built from proto/dns.proto: every reply well-formed and matching its
 * question, DNS outcomes as DNS messages, faults as gRPC statuses.
 */
import { waitFor } from '../../harness/eventually';
import { status } from '@grpc/grpc-js';
import * as fc from 'fast-check';
import { decodeReply, query } from '../../harness/dns-case';
import { createDnsClient, type DnsClient } from '../helpers/grpc-client';
import { startHarness, type Harness } from '../helpers/app-harness';
import { gslbYaml } from '../../harness/gslb-yaml';

let harness: Harness;
let client: DnsClient;

beforeAll(async () => {
  harness = await startHarness({
    'web.yaml': gslbYaml('web', 'web.cloud.example.org', ['192.0.2.1', '192.0.2.2', '2001:db8::1']),
  });
  client = createDnsClient(harness.grpcAddress);
});

afterAll(async () => {
  client.close();
  await harness.stop();
});

async function ask(message: Buffer): Promise<Buffer> {
  const result = await client.query(message);
  if (!result.ok) throw new Error(`gRPC ${result.code}: ${result.details}`);
  return result.msg;
}

test('A query through gRPC returns the targets with the question echoed', async () => {
  const reply = decodeReply(await ask(query('Web.Cloud.Example.Org', 'A', { id: 31337 })));
  expect(reply).toMatchObject({
    id: 31337,
    rcode: 'NOERROR',
    flags: { qr: true, aa: true, rd: true },
  });
  expect(reply.questions).toEqual([{ name: 'Web.Cloud.Example.Org', type: 'A', class: 'IN' }]);
  expect(reply.answers.map((a) => ('data' in a ? a.data : null)).sort()).toEqual([
    '192.0.2.1',
    '192.0.2.2',
  ]);
});

test('NXDOMAIN is a DNS answer with SOA, never gRPC NOT_FOUND', async () => {
  const result = await client.query(query('missing.cloud.example.org', 'A'));
  expect(result.ok).toBe(true);
  if (!result.ok) return;
  const reply = decodeReply(result.msg);
  expect(reply.rcode).toBe('NXDOMAIN');
  expect(reply.authorities.map((r) => r.type)).toEqual(['SOA']);
});

test('bytes without a DNS header get INVALID_ARGUMENT with the error code', async () => {
  const result = await client.query(Buffer.from([1, 2, 3]));
  expect(result).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT });
  if (!result.ok) expect(result.details).toContain('MERIDIAN_ERR_BAD_QUERY');
});

test('an empty message gets INVALID_ARGUMENT', async () => {
  expect(await client.query(Buffer.alloc(0))).toMatchObject({
    ok: false,
    code: status.INVALID_ARGUMENT,
  });
});

test.each<[string, (valid: Buffer) => Buffer]>([
  ['truncated question', (v) => v.subarray(0, 15)],
  ['trailing garbage', (v) => Buffer.concat([v, Buffer.from('garbage')])],
  ['bad label', (v) => (v.writeUInt8(0x80, 12), v)],
  [
    'compression loop',
    (v) => Buffer.concat([v.subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]),
  ],
])('%s gets FORMERR over gRPC', async (_label, mutate) => {
  const reply = decodeReply(await ask(mutate(query('web.cloud.example.org', 'A', { id: 77 }))));
  expect(reply).toMatchObject({ id: 77, rcode: 'FORMERR', flags: { qr: true } });
});

test('an oversize request (over 65,539 bytes) is refused by the size cap, and the server keeps serving', async () => {
  const big = Buffer.concat([query('web.cloud.example.org', 'A'), Buffer.alloc(70_000)]);
  const result = await client.query(big);
  expect(result).toMatchObject({ ok: false, code: status.RESOURCE_EXHAUSTED });
  expect(decodeReply(await ask(query('web.cloud.example.org', 'A'))).rcode).toBe('NOERROR');
});

test('the largest message the cap admits (65,535 bytes) is read whole: padding there is FORMERR', async () => {
  const valid = query('web.cloud.example.org', 'A', { id: 5 });
  const reply = decodeReply(await ask(Buffer.concat([valid, Buffer.alloc(65_535 - valid.length)])));
  expect(reply).toMatchObject({ id: 5, rcode: 'FORMERR' });
});

test('more concurrent queries than the stream limit, on one connection, are all answered correctly', async () => {
  // More than the server's 1,024 concurrent streams: the rest wait for a free stream.
  const ids = Array.from({ length: 1_500 }, (_, i) => i + 1);
  const replies = await Promise.all(
    ids.map(async (id) => decodeReply(await ask(query('web.cloud.example.org', 'AAAA', { id })))),
  );
  expect(replies.map((r) => r.id)).toEqual(ids);
  expect(replies.every((r) => r.answers.length === 1 && r.rcode === 'NOERROR')).toBe(true);
});

test('a manifest change is served within 1 s', async () => {
  harness.writeManifest('new.yaml', gslbYaml('new', 'new.cloud.example.org', ['192.0.2.99']));
  const elapsed = await waitFor(
    async () => decodeReply(await ask(query('new.cloud.example.org', 'A'))).rcode === 'NOERROR',
    1_000,
    'new.cloud.example.org to resolve',
  );
  expect(elapsed).toBeLessThan(1_000);
});

describe('property: arbitrary and mutated messages', () => {
  const isWellFormedReplyTo = (request: Buffer, replyBytes: Buffer): boolean => {
    const reply = decodeReply(replyBytes);
    if (!reply.flags.qr || reply.id !== request.readUInt16BE(0)) return false;
    // The reply echoes the request's question bytes exactly, or carries none.
    const qdcount = replyBytes.readUInt16BE(4);
    if (qdcount === 0) return reply.rcode === 'FORMERR' || reply.rcode === 'NOTIMP';
    const question = reply.questions[0];
    return qdcount === 1 && question !== undefined && replyBytes.length <= 65_535;
  };

  const checkOne = async (bytes: Uint8Array): Promise<void> => {
    const request = Buffer.from(bytes);
    const result = await client.query(request);
    if (request.length < 12) {
      expect(result).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT });
      return;
    }
    expect(result.ok).toBe(true);
    if (result.ok) expect(isWellFormedReplyTo(request, result.msg)).toBe(true);
  };

  test('random bytes: INVALID_ARGUMENT without a header, else a well-formed reply with the ID', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 600 }), checkOne), {
      numRuns: 300,
    });
  });

  test('mutated valid queries: every reply is well-formed and matches its question', async () => {
    const names = [
      'web.cloud.example.org',
      'WEB.cloud.example.org',
      'x.cloud.example.org',
      'example.net',
      'cloud.example.org',
    ];
    const types = ['A', 'AAAA', 'SOA', 'NS', 'ANY', 'TXT'];
    const seedQuery = fc
      .record({
        name: fc.constantFrom(...names),
        type: fc.constantFrom(...types),
        edns: fc.boolean(),
        id: fc.integer({ min: 0, max: 65_535 }),
      })
      .map(({ name, type, edns, id }) =>
        query(name, type, edns ? { id, edns: { clientSubnet: '198.51.100.0/24' } } : { id }),
      );
    const mutation = fc.record({
      flips: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), {
        maxLength: 4,
      }),
      cut: fc.option(fc.nat()),
      append: fc.uint8Array({ maxLength: 8 }),
    });
    await fc.assert(
      fc.asyncProperty(seedQuery, mutation, async (seed, m) => {
        const bytes = Buffer.from(seed);
        for (const flip of m.flips) bytes[flip.at % bytes.length] = flip.value;
        const cut =
          m.cut === null ? bytes : bytes.subarray(0, Math.max(12, m.cut % (bytes.length + 1)));
        const request = Buffer.concat([cut, m.append]);
        const result = await client.query(request);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(isWellFormedReplyTo(request, result.msg)).toBe(true);
        const reply = decodeReply(result.msg);
        if (reply.rcode === 'NOERROR' || reply.rcode === 'NXDOMAIN' || reply.rcode === 'REFUSED') {
          // An answered question is the request's question, byte for byte.
          const questionLength = result.msg.length >= 12 ? questionBytes(result.msg) : 0;
          expect(result.msg.subarray(12, 12 + questionLength)).toEqual(
            request.subarray(12, 12 + questionLength),
          );
        }
      }),
      { numRuns: 400 },
    );
  });

  test('the server is still healthy after the fuzzing', async () => {
    expect(decodeReply(await ask(query('web.cloud.example.org', 'A'))).rcode).toBe('NOERROR');
  });
});

function questionBytes(message: Buffer): number {
  let offset = 12;
  while (offset < message.length && message[offset] !== 0) offset += (message[offset] ?? 0) + 1;
  return offset + 1 + 4 - 12;
}
