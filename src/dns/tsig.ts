/**
 * TSIG (RFC 8945): a request signed with a shared HMAC key, and the reply's
 * signature checked against the request's, for the dynamic updates Meridian
 * sends to the parent zone. HMAC-SHA256 and HMAC-SHA512 only: the RFC's
 * MUST and its recommended strong algorithm; HMAC-MD5 is refused on
 * purpose. Works on bytes: the request is signed exactly as it will be sent
 * (appended TSIG record, ARCOUNT + 1), and a reply is verified on the bytes
 * received, because a re-encoding could change the compression the server
 * signed. No npm library signs TSIG (docs/decisions/0007-own-tsig.md). Pure:
 * the time comes from the caller.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HEADER_BYTES } from './constants';
import { canonicalWire } from './wire-names';

/** TSIG's RR type and the class its record carries. */
const TYPE_TSIG = 250;
const CLASS_ANY = 255;
/** Seconds of clock difference a signature tolerates (the RFC's recommended 300). */
export const TSIG_FUDGE_SECONDS = 300;

/** TSIG error codes a server puts in its reply (RFC 8945 §3). */
const TSIG_ERRORS: Readonly<Record<number, string>> = {
  16: 'BADSIG (the server computed another signature: wrong secret?)',
  17: 'BADKEY (the server knows no such key, or not with this algorithm)',
  18: 'BADTIME (the clocks differ by more than the fudge)',
  22: 'BADTRUNC',
};

/** The algorithms accepted, by their TSIG names. */
export const TSIG_ALGORITHMS = {
  'hmac-sha256': 'sha256',
  'hmac-sha512': 'sha512',
} as const;

export type TsigAlgorithm = keyof typeof TSIG_ALGORITHMS;

/** A shared key: its name (as the server's `key` statement names it), algorithm and secret. */
export interface TsigKey {
  readonly name: string;
  readonly algorithm: TsigAlgorithm;
  readonly secret: Buffer;
}

/** A signed request and the MAC its reply must be signed over. */
export interface SignedMessage {
  readonly message: Buffer;
  readonly mac: Buffer;
}

/** Signs `message` (a whole DNS message without TSIG) at `timeSigned` (seconds since the epoch). */
export function signMessage(message: Buffer, key: TsigKey, timeSigned: number): SignedMessage {
  const variables = tsigVariables(key, timeSigned, TSIG_FUDGE_SECONDS, 0);
  const mac = hmac(key, [message, variables]);
  const id = message.readUInt16BE(0);
  const record = tsigRecord(key, { timeSigned, fudge: TSIG_FUDGE_SECONDS, mac, id, error: 0 });
  const signed = Buffer.concat([message, record]);
  signed.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { message: signed, mac };
}

/**
 * Signs `reply` (without TSIG) as the answer to a request signed with
 * `requestMac`, as a server does; for Meridian's own replies to signed
 * requests and for tests of the verifier.
 */
export function signReply(
  reply: Buffer,
  requestMac: Buffer,
  key: TsigKey,
  timeSigned: number,
): SignedMessage {
  const macLength = Buffer.alloc(2);
  macLength.writeUInt16BE(requestMac.length, 0);
  const variables = tsigVariables(key, timeSigned, TSIG_FUDGE_SECONDS, 0);
  const mac = hmac(key, [macLength, requestMac, reply, variables]);
  const id = reply.readUInt16BE(0);
  const record = tsigRecord(key, { timeSigned, fudge: TSIG_FUDGE_SECONDS, mac, id, error: 0 });
  const signed = Buffer.concat([reply, record]);
  signed.writeUInt16BE(reply.readUInt16BE(10) + 1, 10);
  return { message: signed, mac };
}

/** What a reply's TSIG says. */
export type TsigVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Checks that `reply` is signed by `key` over `requestMac`, within the fudge
 * of `nowSeconds`. A reply the server could not sign (it did not know the
 * key, or the signature was wrong) is not ok and says why.
 */
export function verifyReply(
  reply: Buffer,
  requestMac: Buffer,
  key: TsigKey,
  nowSeconds: number,
): TsigVerdict {
  const found = findTsig(reply);
  if (typeof found === 'string') return { ok: false, reason: found };
  const { start, tsig } = found;
  if (tsig.error !== 0)
    return {
      ok: false,
      reason: `the server answered TSIG error ${TSIG_ERRORS[tsig.error] ?? String(tsig.error)}`,
    };
  if (canonicalWire(tsig.keyName).compare(canonicalWire(key.name)) !== 0)
    return { ok: false, reason: `the reply is signed with key ${tsig.keyName}, not ${key.name}` };
  if (tsig.algorithm.toLowerCase().replace(/\.$/, '') !== key.algorithm)
    return { ok: false, reason: `the reply is signed with ${tsig.algorithm}` };
  const unsigned = Buffer.from(reply.subarray(0, start));
  unsigned.writeUInt16BE(tsig.originalId, 0);
  unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
  const macLength = Buffer.alloc(2);
  macLength.writeUInt16BE(requestMac.length, 0);
  const variables = tsigVariables(key, tsig.timeSigned, tsig.fudge, tsig.error, tsig.other);
  const expected = hmac(key, [macLength, requestMac, unsigned, variables]);
  if (tsig.mac.length !== expected.length || !timingSafeEqual(tsig.mac, expected))
    return { ok: false, reason: 'the reply’s TSIG signature does not verify' };
  if (Math.abs(nowSeconds - tsig.timeSigned) > tsig.fudge)
    return { ok: false, reason: `the reply was signed at ${tsig.timeSigned}, outside the fudge` };
  return { ok: true };
}

interface TsigFields {
  readonly keyName: string;
  readonly algorithm: string;
  readonly timeSigned: number;
  readonly fudge: number;
  readonly mac: Buffer;
  readonly originalId: number;
  readonly error: number;
  readonly other: Buffer;
}

/** The TSIG record, which must be the last additional record, and where it starts. */
function findTsig(reply: Buffer): { start: number; tsig: TsigFields } | string {
  if (reply.length < HEADER_BYTES) return 'the reply is shorter than a DNS header';
  const counts = [4, 6, 8, 10].map((offset) => reply.readUInt16BE(offset));
  if (counts[3] === 0) return 'the reply is not signed (no TSIG record)';
  let offset = HEADER_BYTES;
  for (let i = 0; i < counts[0]!; i++) offset = skipName(reply, offset) + 4;
  const records = counts[1]! + counts[2]! + counts[3]!;
  for (let i = 0; i < records - 1; i++) offset = skipRecord(reply, offset);
  if (offset < 0 || offset >= reply.length) return 'the reply is cut short';
  const start = offset;
  const { name: keyName, end } = readName(reply, offset);
  if (end < 0 || end + 10 > reply.length) return 'the reply is cut short';
  if (reply.readUInt16BE(end) !== TYPE_TSIG)
    return 'the reply is not signed (its last record is no TSIG)';
  const rdataStart = end + 10;
  const rdataEnd = rdataStart + reply.readUInt16BE(end + 8);
  if (rdataEnd !== reply.length) return 'the TSIG record does not end the reply';
  const tsig = tsigRdata(reply, rdataStart, rdataEnd);
  return typeof tsig === 'string' ? tsig : { start, tsig: { keyName, ...tsig } };
}

/** The fields of the TSIG RDATA from `from` to `to`. */
function tsigRdata(reply: Buffer, from: number, to: number): Omit<TsigFields, 'keyName'> | string {
  const algorithm = readName(reply, from);
  let at = algorithm.end;
  if (at < 0 || at + 10 > to) return 'the TSIG record is cut short';
  const timeSigned = reply.readUIntBE(at, 6);
  const fudge = reply.readUInt16BE(at + 6);
  const macSize = reply.readUInt16BE(at + 8);
  at += 10;
  if (at + macSize + 6 > to) return 'the TSIG record is cut short';
  const mac = reply.subarray(at, at + macSize);
  at += macSize;
  const otherLength = reply.readUInt16BE(at + 4);
  if (at + 6 + otherLength !== to) return 'the TSIG record has a wrong length';
  return {
    algorithm: algorithm.name,
    timeSigned,
    fudge,
    mac,
    originalId: reply.readUInt16BE(at),
    error: reply.readUInt16BE(at + 2),
    other: reply.subarray(at + 6, to),
  };
}

/** Offset after the name at `offset` (a pointer ends it), or -1 when it runs off the end. */
function skipName(message: Buffer, offset: number): number {
  return readName(message, offset).end;
}

function skipRecord(message: Buffer, offset: number): number {
  const end = skipName(message, offset);
  if (end < 0 || end + 10 > message.length) return -1;
  return end + 10 + message.readUInt16BE(end + 8);
}

/** The name at `offset`, following compression pointers (bounded), and where it ends in place. */
function readName(message: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let at = offset;
  let end = -1;
  for (let jumps = 0; jumps < 64 && at >= 0 && at < message.length;) {
    const length = message[at]!;
    if (length === 0) return { name: `${labels.join('.')}.`, end: end === -1 ? at + 1 : end };
    if ((length & 0xc0) === 0xc0) {
      if (at + 1 >= message.length) break;
      if (end === -1) end = at + 2;
      at = ((length & 0x3f) << 8) | message[at + 1]!;
      jumps++;
      continue;
    }
    if (length > 63 || at + 1 + length > message.length) break;
    labels.push(message.toString('latin1', at + 1, at + 1 + length));
    at += 1 + length;
  }
  return { name: '', end: -1 };
}

function tsigVariables(
  key: TsigKey,
  timeSigned: number,
  fudge: number,
  error: number,
  other: Buffer = Buffer.alloc(0),
): Buffer {
  const fixed = Buffer.alloc(16);
  fixed.writeUInt16BE(CLASS_ANY, 0);
  fixed.writeUInt32BE(0, 2);
  const timing = Buffer.alloc(12);
  timing.writeUIntBE(timeSigned, 0, 6);
  timing.writeUInt16BE(fudge, 6);
  timing.writeUInt16BE(error, 8);
  timing.writeUInt16BE(other.length, 10);
  return Buffer.concat([
    canonicalWire(key.name),
    fixed.subarray(0, 6),
    canonicalWire(key.algorithm),
    timing,
    other,
  ]);
}

function tsigRecord(
  key: TsigKey,
  fields: { timeSigned: number; fudge: number; mac: Buffer; id: number; error: number },
): Buffer {
  const middle = Buffer.alloc(10);
  middle.writeUIntBE(fields.timeSigned, 0, 6);
  middle.writeUInt16BE(fields.fudge, 6);
  middle.writeUInt16BE(fields.mac.length, 8);
  const tail = Buffer.alloc(6);
  tail.writeUInt16BE(fields.id, 0);
  tail.writeUInt16BE(fields.error, 2);
  tail.writeUInt16BE(0, 4);
  const rdata = Buffer.concat([canonicalWire(key.algorithm), middle, fields.mac, tail]);
  const head = Buffer.alloc(10);
  head.writeUInt16BE(TYPE_TSIG, 0);
  head.writeUInt16BE(CLASS_ANY, 2);
  head.writeUInt32BE(0, 4);
  head.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([canonicalWire(key.name), head, rdata]);
}

function hmac(key: TsigKey, parts: readonly Buffer[]): Buffer {
  const mac = createHmac(TSIG_ALGORITHMS[key.algorithm], key.secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
}
