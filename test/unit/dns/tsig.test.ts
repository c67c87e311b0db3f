/**
 * TSIG signing and verification (RFC 8945) on bytes, and the update message
 * (RFC 2136): a signed request carries one more additional record ending the
 * message; a reply signed over the request's MAC verifies, and one changed
 * byte, another key, another request, a stale time or a server's TSIG error
 * does not; any bytes at all are read without a throw. The interop proof is
 * test/integration/dns-update-bind.test.ts against BIND.
 */
import fc from 'fast-check';
import { signMessage, signReply, verifyReply, type TsigKey } from '../../../src/dns/tsig';
import { ipv6Bytes } from '../../../src/dns/addresses';
import { canonicalWire, nameToWire } from '../../../src/dns/wire-names';
import { encodeUpdate, updateReplyRcode } from '../../../src/dns/update-message';

const KEY: TsigKey = {
  name: 'Meridian-Update.',
  algorithm: 'hmac-sha256',
  secret: Buffer.alloc(32, 7),
};
const NOW = 1_796_000_000;

/** The reply a server sends to `request`: the header with QR set, the zone section echoed. */
function replyTo(request: Buffer, rcode = 0): Buffer {
  const zoneEnd = 12 + canonicalWire('example.org').length + 4;
  const reply = Buffer.from(request.subarray(0, zoneEnd));
  reply.writeUInt16BE(0x8000 | (5 << 11) | rcode, 2);
  reply.writeUInt16BE(0, 8);
  reply.writeUInt16BE(0, 10);
  return reply;
}

function signedExchange(algorithm: TsigKey['algorithm'] = 'hmac-sha256') {
  const key = { ...KEY, algorithm };
  const request = encodeUpdate(4242, 'example.org', [
    {
      op: 'add',
      name: 'cloud.example.org',
      type: 'NS',
      ttl: 30,
      data: 'gslb-ns-eu-cloud.example.org',
    },
  ]);
  const signed = signMessage(request, key, NOW);
  const reply = signReply(replyTo(request), signed.mac, key, NOW + 1);
  return { key, request, signed, reply };
}

test('a signed request: the same message with one more additional record, the TSIG', () => {
  const { request, signed } = signedExchange();
  expect(signed.message.subarray(12, request.length)).toEqual(request.subarray(12));
  expect(signed.message.readUInt16BE(10)).toBe(1);
  expect(signed.mac).toHaveLength(32);
  // The key name in canonical (lowercase) form, then type TSIG, class ANY.
  const keyWire = canonicalWire('meridian-update');
  expect(signed.message.subarray(request.length, request.length + keyWire.length)).toEqual(keyWire);
  expect(signed.message.readUInt16BE(request.length + keyWire.length)).toBe(250);
});

test.each(['hmac-sha256', 'hmac-sha512'] as const)(
  '%s: a reply signed over the request’s MAC verifies',
  (algorithm) => {
    const { key, signed, reply } = signedExchange(algorithm);
    expect(verifyReply(reply.message, signed.mac, key, NOW + 2)).toEqual({ ok: true });
  },
);

test('a changed byte, another secret, another request, a stale time: not verified', () => {
  const { key, signed, reply } = signedExchange();
  const tampered = Buffer.from(reply.message);
  tampered[3] = tampered[3]! ^ 1;
  expect(verifyReply(tampered, signed.mac, key, NOW)).toMatchObject({
    ok: false,
    reason: 'the reply’s TSIG signature does not verify',
  });
  expect(
    verifyReply(reply.message, signed.mac, { ...key, secret: Buffer.alloc(32, 8) }, NOW),
  ).toMatchObject({ ok: false });
  expect(verifyReply(reply.message, Buffer.alloc(32), key, NOW)).toMatchObject({ ok: false });
  expect(verifyReply(reply.message, signed.mac, key, NOW + 1000)).toMatchObject({
    ok: false,
    reason: expect.stringContaining('outside the fudge') as unknown,
  });
  expect(verifyReply(reply.message, signed.mac, { ...key, name: 'other' }, NOW)).toMatchObject({
    ok: false,
    reason: expect.stringContaining('not other') as unknown,
  });
});

test('an unsigned reply and a server’s TSIG error are named', () => {
  const { key, request, signed } = signedExchange();
  expect(verifyReply(replyTo(request), signed.mac, key, NOW)).toEqual({
    ok: false,
    reason: 'the reply is not signed (no TSIG record)',
  });
  // BADSIG: the server's TSIG with error 16 and no MAC.
  const refused = signReply(replyTo(request, 9), signed.mac, key, NOW).message;
  const errorAt = refused.length - 4;
  refused.writeUInt16BE(16, errorAt);
  expect(verifyReply(refused, signed.mac, key, NOW)).toMatchObject({
    ok: false,
    reason: expect.stringContaining('BADSIG') as unknown,
  });
});

test('any bytes: read without a throw, never verified', () => {
  const { key, signed, reply } = signedExchange();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(reply.message.length), (bytes, cut) => {
      expect(verifyReply(Buffer.from(bytes), signed.mac, key, NOW).ok).toBe(false);
      const truncated = reply.message.subarray(0, Math.min(cut, reply.message.length - 1));
      expect(verifyReply(truncated, signed.mac, key, NOW).ok).toBe(false);
    }),
    { numRuns: 500 },
  );
});

test('an update reply: its rcode, or why it is none', () => {
  const { request } = signedExchange();
  expect(updateReplyRcode(replyTo(request, 9), 4242)).toBe(9);
  expect(updateReplyRcode(replyTo(request), 1)).toBe('the reply has another ID');
  expect(updateReplyRcode(request, 4242)).toBe('the message is no reply');
  expect(updateReplyRcode(Buffer.alloc(3), 4242)).toBe('the reply is shorter than a DNS header');
  expect(() =>
    encodeUpdate(1, 'example.org', [
      { op: 'add', name: 'a.example.org', type: 'A', ttl: 30, data: '2001:db8::1' },
    ]),
  ).toThrow('is no A address');
});

test('one name encoder: the update keeps the case, TSIG digests lower case', () => {
  expect(nameToWire('Ab.Org.')).toEqual(Buffer.from([2, 0x41, 0x62, 3, 0x4f, 0x72, 0x67, 0]));
  expect(canonicalWire('Ab.Org.')).toEqual(nameToWire('ab.org'));
  expect(() => nameToWire(`${'a'.repeat(64)}.org`)).toThrow('is no DNS name');
});

test('IPv6 bytes of every spelling, an embedded IPv4 part included', () => {
  const expected = Buffer.from('20010db8000000000000000000000053', 'hex');
  expect(ipv6Bytes('2001:db8::53')).toEqual(expected);
  expect(ipv6Bytes('2001:DB8:0:0:0:0:0:53')).toEqual(expected);
  expect(ipv6Bytes('::ffff:192.0.2.1')).toEqual(
    Buffer.from('00000000000000000000ffffc0000201', 'hex'),
  );
  expect(ipv6Bytes('::')).toEqual(Buffer.alloc(16));
});
