/**
 * Parses a DNS query into what the answer path needs: the raw question bytes
 * (echoed verbatim so the name's case survives), a canonical lookup key with
 * its label boundaries, and the EDNS0 facts. Pure and synchronous.
 */
import { Flag, HEADER_BYTES, MAX_MESSAGE_BYTES, OPTION_CLIENT_SUBNET, RCode } from './constants';
import { checkMessage, type RawOpt } from './wire';

/** EDNS Client Subnet as sent by the client (RFC 7871 §6). */
export interface ClientSubnet {
  readonly family: 1 | 2;
  readonly sourcePrefixLength: number;
  /** Exactly ceil(sourcePrefixLength / 8) address bytes. */
  readonly address: Buffer;
}

/** What the query's OPT record said. */
export interface EdnsInfo {
  readonly udpPayloadSize: number;
  readonly dnssecOk: boolean;
  readonly clientSubnet: ClientSubnet | null;
}

/** A well-formed query ready to be answered. */
export interface Query {
  readonly kind: 'query';
  readonly id: number;
  readonly flags: number;
  /** QNAME, QTYPE and QCLASS exactly as received. */
  readonly question: Buffer;
  /** Lower-cased name without the trailing dot; '' for the root. */
  readonly key: string;
  /** Index in `key` where each label starts, outermost last. */
  readonly labelStarts: readonly number[];
  /** Offset of each label in the message, for compression pointers. */
  readonly labelOffsets: readonly number[];
  readonly qtype: number;
  readonly qclass: number;
  readonly edns: EdnsInfo | null;
}

/** A query that can be answered only with an error rcode. */
export interface Rejected {
  readonly kind: 'rejected';
  readonly id: number;
  readonly flags: number;
  readonly rcode: number;
  /** The question when it could be read; echoed in the error reply. */
  readonly question: Buffer | null;
  readonly edns: EdnsInfo | null;
  readonly reason: string;
}

/** Bytes without a readable header: no DNS reply is possible. */
export interface Unreadable {
  readonly kind: 'unreadable';
  readonly reason: string;
}

/** Outcome of parsing one message. */
export type ParsedMessage = Query | Rejected | Unreadable;

const OPCODE_MASK = 0x7800;

interface RawQuestion {
  readonly end: number;
  readonly key: string;
  readonly labelStarts: number[];
  readonly labelOffsets: number[];
  readonly qtype: number;
  readonly qclass: number;
}

/** Parses one query message; never throws. */
export function parseQuery(message: Buffer): ParsedMessage {
  if (message.length < HEADER_BYTES) {
    return { kind: 'unreadable', reason: `message of ${message.length} bytes has no DNS header` };
  }
  const id = message.readUInt16BE(0);
  const flags = message.readUInt16BE(2);
  const qdcount = message.readUInt16BE(4);
  const reject = (rcode: number, reason: string, question: Buffer | null = null): Rejected => ({
    kind: 'rejected',
    id,
    flags,
    rcode,
    question,
    edns: null,
    reason,
  });

  if (message.length > MAX_MESSAGE_BYTES) {
    return reject(RCode.FORMERR, `message of ${message.length} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  }
  if ((flags & Flag.QR) !== 0) return reject(RCode.FORMERR, 'QR bit set in a query');
  if (qdcount !== 1) return reject(RCode.FORMERR, `QDCOUNT is ${qdcount}, expected 1`);
  const raw = readQuestion(message);
  if (typeof raw === 'string') return reject(RCode.FORMERR, raw);
  const question = message.subarray(HEADER_BYTES, raw.end);

  const check = checkMessage(message);
  if (!check.ok) return reject(RCode.FORMERR, check.reason, question);
  const edns = readEdns(check.opts);
  if (typeof edns === 'string') return reject(RCode.FORMERR, edns, question);
  if (edns !== null && edns.version !== 0) {
    return { ...reject(RCode.BADVERS, `EDNS version ${edns.version}`, question), edns: edns.info };
  }
  const ednsInfo = edns === null ? null : edns.info;
  if ((flags & OPCODE_MASK) !== 0) {
    return { ...reject(RCode.NOTIMP, 'opcode is not QUERY', question), edns: ednsInfo };
  }
  return {
    kind: 'query',
    id,
    flags,
    question,
    key: raw.key,
    labelStarts: raw.labelStarts,
    labelOffsets: raw.labelOffsets,
    qtype: raw.qtype,
    qclass: raw.qclass,
    edns: ednsInfo,
  };
}

// Reads QNAME label by label. A query's question is the first name in the
// message, so a compression pointer there can only point into the header:
// rejected rather than followed.
function readQuestion(message: Buffer): RawQuestion | string {
  let offset = HEADER_BYTES;
  let key = '';
  const labelStarts: number[] = [];
  const labelOffsets: number[] = [];
  for (;;) {
    if (offset >= message.length) return 'question name runs past the end of the message';
    const length = message[offset] ?? 0;
    if (length === 0) break;
    if (length > 63) return 'compression pointer or extended label in the question name';
    if (offset + 1 + length > message.length) return 'question label runs past the end';
    if (offset + 1 + length - HEADER_BYTES > 254) return 'question name longer than 255 bytes';
    labelOffsets.push(offset);
    if (key.length > 0) key += '.';
    labelStarts.push(key.length);
    key += canonicalLabel(message, offset + 1, offset + 1 + length);
    offset += 1 + length;
  }
  offset += 1;
  if (offset + 4 > message.length) return 'question has no QTYPE and QCLASS';
  return {
    end: offset + 4,
    key,
    labelStarts,
    labelOffsets,
    qtype: message.readUInt16BE(offset),
    qclass: message.readUInt16BE(offset + 2),
  };
}

// Lower-cases ASCII letters only (RFC 4343) and escapes '.' and '\' inside a
// label, so a label that contains a dot can never collide with two labels.
function canonicalLabel(message: Buffer, start: number, end: number): string {
  let label = message.toString('latin1', start, end);
  if (label.includes('.') || label.includes('\\')) {
    label = label.replace(/[.\\]/g, (char) => `\\${char}`);
  }
  return asciiLowerCase(label);
}

function asciiLowerCase(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x41 && code <= 0x5a) {
      return text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
    }
  }
  return text;
}

interface ParsedEdns {
  readonly version: number;
  readonly info: EdnsInfo;
}

function readEdns(opts: readonly RawOpt[]): ParsedEdns | null | string {
  if (opts.length === 0) return null;
  if (opts.length > 1) return 'more than one OPT record (RFC 6891 §6.1.1)';
  const opt = opts[0];
  if (opt === undefined) return null;
  if (opt.name !== '.' && opt.name !== '') return 'OPT owner name is not the root';
  let clientSubnet: ClientSubnet | null = null;
  for (const option of opt.options) {
    if (option.code !== OPTION_CLIENT_SUBNET) continue;
    if (clientSubnet !== null) return 'more than one client-subnet option';
    const subnet = readClientSubnet(option.data);
    if (typeof subnet === 'string') return subnet;
    clientSubnet = subnet;
  }
  return {
    version: opt.version,
    info: {
      udpPayloadSize: Math.max(opt.udpPayloadSize, 512),
      dnssecOk: opt.dnssecOk,
      clientSubnet,
    },
  };
}

// RFC 7871 §6: FAMILY, SOURCE PREFIX-LENGTH, SCOPE PREFIX-LENGTH, ADDRESS
// truncated to the source prefix. Anything else is a malformed option (§7.1.2).
function readClientSubnet(data: Buffer): ClientSubnet | string {
  if (data.length < 4) return 'client-subnet option shorter than 4 bytes';
  const family = data.readUInt16BE(0);
  if (family !== 1 && family !== 2) return `client-subnet family ${family} is not 1 or 2`;
  const sourcePrefixLength = data[2] ?? 0;
  const maxPrefix = family === 1 ? 32 : 128;
  if (sourcePrefixLength > maxPrefix) {
    return `client-subnet source prefix ${sourcePrefixLength} exceeds ${maxPrefix}`;
  }
  const addressLength = Math.ceil(sourcePrefixLength / 8);
  if (data.length - 4 !== addressLength) {
    return `client-subnet address has ${data.length - 4} bytes, prefix needs ${addressLength}`;
  }
  return { family, sourcePrefixLength, address: Buffer.from(data.subarray(4)) };
}
