/**
 * The answer path's use of dns-packet (src/dns is the only folder that
 * imports it; client-message.ts is the other user). It validates whole messages (the
 * library's decoder rejects forward compression pointers, overlong names and
 * overflowing records) and encodes resource records once, when a snapshot is
 * built, never per query.
 */
import * as dnsPacket from 'dns-packet';

/** An EDNS0 option as it arrived: its code and raw payload. */
export interface RawOption {
  readonly code: number;
  readonly data: Buffer;
}

/** The OPT pseudo-record of a query, reduced to what the answer path needs. */
export interface RawOpt {
  readonly name: string;
  readonly udpPayloadSize: number;
  readonly extendedRcode: number;
  readonly version: number;
  readonly dnssecOk: boolean;
  readonly options: readonly RawOption[];
}

/** Result of validating a complete message with the library decoder. */
export type MessageCheck =
  | { readonly ok: true; readonly opts: readonly RawOpt[] }
  | { readonly ok: false; readonly reason: string };

const DO_BIT = 0x8000;
const HEADER_AND_ROOT_OWNER_BYTES = 13;

/**
 * Decodes the whole message to prove it well-formed, and returns its OPT
 * records. Fails on anything the decoder rejects and on trailing bytes.
 */
export function checkMessage(message: Buffer): MessageCheck {
  let decoded: dnsPacket.Packet;
  try {
    decoded = dnsPacket.decode(message);
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : 'undecodable message' };
  }
  const consumed = (dnsPacket.decode as unknown as { bytes: number }).bytes;
  if (consumed !== message.length) {
    return {
      ok: false,
      reason: `${message.length - consumed} trailing bytes after the last record`,
    };
  }
  const opts: RawOpt[] = [];
  for (const record of decoded.additionals ?? []) {
    if (record.type === 'OPT') opts.push(toRawOpt(record));
  }
  for (const section of [decoded.answers, decoded.authorities]) {
    for (const record of section ?? []) {
      if (record.type === 'OPT')
        return { ok: false, reason: 'OPT record outside the additional section' };
    }
  }
  return { ok: true, opts };
}

function toRawOpt(record: dnsPacket.OptAnswer): RawOpt {
  const flags = record.flags ?? 0;
  return {
    name: record.name,
    udpPayloadSize: record.udpPayloadSize,
    extendedRcode: record.extendedRcode,
    version: record.ednsVersion,
    dnssecOk: (flags & DO_BIT) !== 0,
    options: (record.options ?? []).map((option) => ({
      code: option.code,
      data: (option as { data?: Buffer }).data ?? Buffer.alloc(0),
    })),
  };
}

/** A record to encode at build time. */
export type RecordData =
  | { readonly type: 'A' | 'AAAA'; readonly ttl: number; readonly address: string }
  | { readonly type: 'NS'; readonly ttl: number; readonly host: string }
  | {
      readonly type: 'SOA';
      readonly ttl: number;
      readonly mname: string;
      readonly rname: string;
      readonly serial: number;
      readonly refresh: number;
      readonly retry: number;
      readonly expire: number;
      readonly minimum: number;
    };

/**
 * Encodes a record without its owner name: TYPE, CLASS IN, TTL, RDLENGTH and
 * RDATA. The answer path prefixes a two-byte compression pointer as owner.
 */
export function encodeRecordTail(record: RecordData): Buffer {
  const encoded = dnsPacket.encode({ answers: [toPacketAnswer(record)] });
  // A 12-byte header, then the owner '.' as one zero byte; what follows is the tail.
  return Buffer.from(encoded.subarray(HEADER_AND_ROOT_OWNER_BYTES));
}

function toPacketAnswer(record: RecordData): dnsPacket.Answer {
  const base = { name: '.', ttl: record.ttl, class: 'IN' as const };
  switch (record.type) {
    case 'A':
      return { ...base, type: 'A', data: record.address };
    case 'AAAA':
      return { ...base, type: 'AAAA', data: record.address };
    case 'NS':
      return { ...base, type: 'NS', data: record.host };
    case 'SOA':
      return {
        ...base,
        type: 'SOA',
        data: {
          mname: record.mname,
          rname: record.rname,
          serial: record.serial,
          refresh: record.refresh,
          retry: record.retry,
          expire: record.expire,
          minimum: record.minimum,
        },
      };
  }
}
