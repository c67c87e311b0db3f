/**
 * The query path: bytes in, reply bytes out, answered from one snapshot.
 * Synchronous, no I/O, no logging; DNS outcomes are rcodes, never exceptions.
 */
import { CLASS_IN, RCode, RRType } from '../dns/constants';
import { parseQuery, type Query } from '../dns/query';
import { EMPTY_SECTION, writeReply, type ReplyParts, type SectionBytes } from '../dns/response';
import type { RRSetSelector } from './selector';
import type { NameEntry, RecordSnapshot, ZoneEntry } from './snapshot';

/** A reply and the facts about it that metrics and transports need. */
export interface Answered {
  readonly kind: 'answered';
  readonly reply: Buffer;
  readonly rcode: number;
  /** 0 when the question could not be read. */
  readonly qtype: number;
  /** The parts the reply was written from, so a UDP transport can truncate. */
  readonly parts: ReplyParts;
}

/** Input with no readable DNS header: the transport reports the error its own way. */
export interface Unanswerable {
  readonly kind: 'unanswerable';
  readonly reason: string;
}

/** Answers one DNS message from `snapshot`. */
export function answerMessage(snapshot: RecordSnapshot, message: Buffer): Answered | Unanswerable {
  const parsed = parseQuery(message);
  if (parsed.kind === 'unreadable') return { kind: 'unanswerable', reason: parsed.reason };
  if (parsed.kind === 'rejected') {
    return answered(0, {
      id: parsed.id,
      requestFlags: parsed.flags,
      authoritative: false,
      rcode: parsed.rcode,
      question: parsed.question,
      answer: EMPTY_SECTION,
      authority: EMPTY_SECTION,
      edns: parsed.edns,
      clientSubnetScope: 0,
    });
  }
  return answerQuery(snapshot, parsed);
}

function answerQuery(snapshot: RecordSnapshot, query: Query): Answered {
  if (query.qclass !== CLASS_IN) return reply(query, RCode.REFUSED, false, EMPTY_SECTION);
  const entry = snapshot.names.get(query.key);
  if (entry === undefined) {
    const zone = enclosingZone(snapshot, query);
    if (zone === null) return reply(query, RCode.REFUSED, false, EMPTY_SECTION);
    return reply(query, RCode.NXDOMAIN, true, EMPTY_SECTION, soaAuthority(zone, query));
  }
  return answerExistingName(entry, query);
}

function answerExistingName(entry: NameEntry, query: Query): Answered {
  if (entry.apex) {
    const apexAnswer = answerAtApex(entry, query.qtype);
    if (apexAnswer !== null) return reply(query, RCode.NOERROR, true, apexAnswer);
  }
  const selector = selectorFor(entry, query.qtype);
  if (selector === null) {
    return reply(query, RCode.NOERROR, true, EMPTY_SECTION, soaAuthority(entry.zone, query));
  }
  const selection = selector.select(query.edns?.clientSubnet ?? null);
  return reply(query, RCode.NOERROR, true, selection.section, EMPTY_SECTION, selection.scope);
}

// SOA and NS exist only at the apex; ANY there is answered with the SOA alone
// (RFC 8482 §4.2: one RRset that exists, not all of them).
function answerAtApex(entry: NameEntry, qtype: number): SectionBytes | null {
  switch (qtype) {
    case RRType.SOA:
    case RRType.ANY:
      return soaAnswer(entry.zone);
    case RRType.NS:
      return entry.zone.nameServers;
    default:
      return null;
  }
}

function selectorFor(entry: NameEntry, qtype: number): RRSetSelector | null {
  switch (qtype) {
    case RRType.A:
      return entry.a;
    case RRType.AAAA:
      return entry.aaaa;
    case RRType.ANY:
      return entry.a ?? entry.aaaa;
    default:
      return null;
  }
}

function reply(
  query: Query,
  rcode: number,
  authoritative: boolean,
  answer: SectionBytes,
  authority: SectionBytes = EMPTY_SECTION,
  clientSubnetScope = 0,
): Answered {
  return answered(query.qtype, {
    id: query.id,
    requestFlags: query.flags,
    authoritative,
    rcode,
    question: query.question,
    answer,
    authority,
    edns: query.edns,
    clientSubnetScope,
  });
}

function answered(qtype: number, parts: ReplyParts): Answered {
  return { kind: 'answered', reply: writeReply(parts), rcode: parts.rcode, qtype, parts };
}

// Walks the query name's suffixes, longest first, at label boundaries.
function enclosingZone(snapshot: RecordSnapshot, query: Query): ZoneEntry | null {
  for (const start of query.labelStarts) {
    const zone = snapshot.zones.get(query.key.slice(start));
    if (zone !== undefined) return zone;
  }
  return null;
}

function soaAnswer(zone: ZoneEntry): SectionBytes {
  return { bytes: withOwnerPointer(0x0c, zone.soaTail), count: 1 };
}

// The SOA owner is the zone: a pointer to where the zone's labels start inside
// the echoed question name.
function soaAuthority(zone: ZoneEntry, query: Query): SectionBytes {
  const zoneLabelIndex = query.labelOffsets.length - zone.labelCount;
  const offset = query.labelOffsets[zoneLabelIndex] ?? 0x0c;
  return { bytes: withOwnerPointer(offset, zone.soaTail), count: 1 };
}

function withOwnerPointer(offset: number, tail: Buffer): Buffer {
  const record = Buffer.allocUnsafe(2 + tail.length);
  record.writeUInt16BE(0xc000 | offset, 0);
  tail.copy(record, 2);
  return record;
}
