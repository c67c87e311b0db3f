/**
 * Assembles reply messages from prepared parts: the header, the question bytes
 * echoed from the query, resource records prepared at build time, and an OPT
 * record when the query carried one. One allocation per reply.
 */
import {
  ADVERTISED_UDP_PAYLOAD,
  Flag,
  HEADER_BYTES,
  OPTION_CLIENT_SUBNET,
  RRType,
} from './constants';
import type { ClientSubnet, EdnsInfo } from './query';

/** Records of one section, already encoded back to back. */
export interface SectionBytes {
  readonly bytes: Uint8Array;
  readonly count: number;
}

/** An empty section. */
export const EMPTY_SECTION: SectionBytes = Object.freeze({ bytes: new Uint8Array(0), count: 0 });

/** Everything a reply is made of. */
export interface ReplyParts {
  readonly id: number;
  /** The query's flags word; RD, CD and the opcode are copied from it. */
  readonly requestFlags: number;
  readonly authoritative: boolean;
  /** Full rcode; values above 15 go to the OPT record's extended bits. */
  readonly rcode: number;
  readonly question: Buffer | null;
  readonly answer: SectionBytes;
  readonly authority: SectionBytes;
  readonly edns: EdnsInfo | null;
  /** SCOPE PREFIX-LENGTH returned with an echoed client-subnet option. */
  readonly clientSubnetScope: number;
}

const COPIED_FLAGS = Flag.RD | Flag.CD | 0x7800; // RD, CD and the opcode
const OPT_FIXED_BYTES = 11;
const EDNS_OPTION_HEADER_BYTES = 4;
const CLIENT_SUBNET_FIXED_BYTES = 4;

/** Builds the reply message. */
export function writeReply(parts: ReplyParts): Buffer {
  const subnet = parts.edns?.clientSubnet ?? null;
  const optBytes = parts.edns === null ? 0 : optRecordLength(subnet);
  const questionBytes = parts.question?.length ?? 0;
  const total =
    HEADER_BYTES +
    questionBytes +
    parts.answer.bytes.length +
    parts.authority.bytes.length +
    optBytes;
  const reply = Buffer.allocUnsafe(total);

  let flags = Flag.QR | (parts.requestFlags & COPIED_FLAGS) | (parts.rcode & 0x0f);
  if (parts.authoritative) flags |= Flag.AA;
  reply.writeUInt16BE(parts.id, 0);
  reply.writeUInt16BE(flags, 2);
  reply.writeUInt16BE(parts.question === null ? 0 : 1, 4);
  reply.writeUInt16BE(parts.answer.count, 6);
  reply.writeUInt16BE(parts.authority.count, 8);
  reply.writeUInt16BE(parts.edns === null ? 0 : 1, 10);

  let offset = HEADER_BYTES;
  if (parts.question !== null) offset += parts.question.copy(reply, offset);
  reply.set(parts.answer.bytes, offset);
  offset += parts.answer.bytes.length;
  reply.set(parts.authority.bytes, offset);
  offset += parts.authority.bytes.length;
  if (parts.edns !== null) {
    writeOpt(reply, offset, parts.rcode, parts.edns.dnssecOk, subnet, parts.clientSubnetScope);
  }
  return reply;
}

function optRecordLength(subnet: ClientSubnet | null): number {
  if (subnet === null) return OPT_FIXED_BYTES;
  return (
    OPT_FIXED_BYTES + EDNS_OPTION_HEADER_BYTES + CLIENT_SUBNET_FIXED_BYTES + subnet.address.length
  );
}

// RFC 6891 §6.1.2/§6.1.3: root owner, CLASS = payload size, TTL = extended
// rcode, version 0, DO echoed (RFC 3225 §3).
function writeOpt(
  reply: Buffer,
  start: number,
  rcode: number,
  dnssecOk: boolean,
  subnet: ClientSubnet | null,
  scope: number,
): void {
  let offset = start;
  reply.writeUInt8(0, offset);
  reply.writeUInt16BE(RRType.OPT, offset + 1);
  reply.writeUInt16BE(ADVERTISED_UDP_PAYLOAD, offset + 3);
  reply.writeUInt8((rcode >> 4) & 0xff, offset + 5);
  reply.writeUInt8(0, offset + 6);
  reply.writeUInt16BE(dnssecOk ? 0x8000 : 0, offset + 7);
  const rdLength =
    subnet === null
      ? 0
      : EDNS_OPTION_HEADER_BYTES + CLIENT_SUBNET_FIXED_BYTES + subnet.address.length;
  reply.writeUInt16BE(rdLength, offset + 9);
  offset += OPT_FIXED_BYTES;
  if (subnet === null) return;
  // RFC 7871 §7.2.1: echo FAMILY, SOURCE PREFIX-LENGTH and ADDRESS, set SCOPE.
  reply.writeUInt16BE(OPTION_CLIENT_SUBNET, offset);
  reply.writeUInt16BE(CLIENT_SUBNET_FIXED_BYTES + subnet.address.length, offset + 2);
  reply.writeUInt16BE(subnet.family, offset + 4);
  reply.writeUInt8(subnet.sourcePrefixLength, offset + 6);
  reply.writeUInt8(Math.min(scope, subnet.family === 1 ? 32 : 128), offset + 7);
  subnet.address.copy(reply, offset + 8);
}

/**
 * Builds the reply for a UDP client whose payload limit the full reply exceeds:
 * answer and authority dropped, TC set so the client retries over TCP
 * (RFC 2181 §9), OPT kept. Only the plain DNS listener needs this; behind
 * CoreDNS, CoreDNS truncates.
 */
export function writeTruncatedReply(parts: ReplyParts): Buffer {
  const reply = writeReply({ ...parts, answer: EMPTY_SECTION, authority: EMPTY_SECTION });
  reply.writeUInt16BE(reply.readUInt16BE(2) | Flag.TC, 2);
  return reply;
}
