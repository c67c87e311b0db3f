/**
 * RFC 2136 dynamic update messages, and the reading of their replies. An
 * update names its zone, and carries changes of three kinds only, the ones
 * a delegation needs and none that could touch another cluster's records:
 * add one record, delete one record (class NONE, its data given), delete
 * this name's RRset of one type (class ANY). Names are written uncompressed
 * and in the case given. Pure.
 */
import { isIP } from 'node:net';
import { ipv6Bytes } from './addresses';
import { CLASS_IN, HEADER_BYTES, RRType } from './constants';
import { nameToWire } from './wire-names';

const OPCODE_UPDATE = 5;
const CLASS_NONE = 254;
const CLASS_ANY = 255;

/** The types a delegation writes. */
export type UpdateType = 'NS' | 'A' | 'AAAA';

/** One change. `data` is a name (NS) or an address (A, AAAA). */
export type UpdateChange =
  | {
      readonly op: 'add';
      readonly name: string;
      readonly type: UpdateType;
      readonly ttl: number;
      readonly data: string;
    }
  | {
      readonly op: 'delete';
      readonly name: string;
      readonly type: UpdateType;
      readonly data: string;
    }
  | { readonly op: 'delete-rrset'; readonly name: string; readonly type: UpdateType };

/** Encodes the update of `zone` with `changes` under message `id`. */
export function encodeUpdate(id: number, zone: string, changes: readonly UpdateChange[]): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(OPCODE_UPDATE << 11, 2);
  header.writeUInt16BE(1, 4); // ZOCOUNT
  header.writeUInt16BE(0, 6); // PRCOUNT
  header.writeUInt16BE(changes.length, 8); // UPCOUNT
  header.writeUInt16BE(0, 10); // ADCOUNT
  const zoneSection = Buffer.concat([nameToWire(zone), u16(RRType.SOA), u16(CLASS_IN)]);
  return Buffer.concat([header, zoneSection, ...changes.map(changeRecord)]);
}

function changeRecord(change: UpdateChange): Buffer {
  const type = RRType[change.type];
  switch (change.op) {
    case 'add':
      return record(change.name, type, CLASS_IN, change.ttl, rdataOf(change.type, change.data));
    case 'delete':
      return record(change.name, type, CLASS_NONE, 0, rdataOf(change.type, change.data));
    case 'delete-rrset':
      return record(change.name, type, CLASS_ANY, 0, Buffer.alloc(0));
  }
}

function record(name: string, type: number, klass: number, ttl: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(klass, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([nameToWire(name), fixed, rdata]);
}

function rdataOf(type: UpdateType, data: string): Buffer {
  if (type === 'NS') return nameToWire(data);
  if (type === 'A' && isIP(data) === 4) return Buffer.from(data.split('.').map(Number));
  if (type === 'AAAA' && isIP(data) === 6) return ipv6Bytes(data);
  throw new Error(`${data} is no ${type} address`);
}

function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value, 0);
  return buffer;
}

/** The rcode of the reply to update `id`, or why it is no such reply. */
export function updateReplyRcode(reply: Buffer, id: number): number | string {
  if (reply.length < HEADER_BYTES) return 'the reply is shorter than a DNS header';
  if (reply.readUInt16BE(0) !== id) return 'the reply has another ID';
  const flags = reply.readUInt16BE(2);
  if ((flags & 0x8000) === 0) return 'the message is no reply';
  if (((flags >> 11) & 0xf) !== OPCODE_UPDATE) return 'the reply is to another opcode';
  return flags & 0xf;
}

/** The rcodes an update's reply may carry (RFC 1035, 2136), by name. */
const UPDATE_RCODES: Readonly<Record<number, string>> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED (the server does not allow this update)',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH (the server is not authoritative for the zone, or refused the key)',
  10: 'NOTZONE (a name outside the zone)',
};

/** The name of an update reply's rcode. */
export function updateRcodeName(rcode: number): string {
  return UPDATE_RCODES[rcode] ?? `rcode ${rcode}`;
}
