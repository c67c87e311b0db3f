/**
 * The two DNS messages of a peer or edge query, built and read with
 * dns-packet: the question as k8gb sends it (RD set, no EDNS0, so that a k8gb
 * peer and any edge server read it), and the reply reduced to what the caller
 * needs: addresses, a negative answer, truncation, or why it failed.
 * Pure: no sockets, no clock.
 */
import * as dnsPacket from 'dns-packet';
import { parseAddress } from './addresses';
import { Flag, HEADER_BYTES, RCode } from './constants';

/** The record types asked for. */
export type AddressType = 'A' | 'AAAA';

/** Why a query brought no usable answer; the label of meridian_peer_queries_total. */
export type FailureKind =
  | 'timeout'
  | 'network'
  | 'servfail'
  | 'refused'
  | 'formerr'
  | 'other_rcode'
  | 'bad_reply'
  /** The caller gave up (a poll's deadline, a stop): no verdict on the server. */
  | 'aborted';

/** The outcome of one query. NXDOMAIN and NODATA are answers: "nothing there". */
export type QueryOutcome =
  | {
      readonly ok: true;
      readonly rcode: 'NOERROR' | 'NXDOMAIN';
      /** Canonical addresses of the asked type, in the order received, without duplicates. */
      readonly addresses: readonly string[];
      readonly transport: 'udp' | 'tcp';
    }
  | { readonly ok: false; readonly failure: FailureKind; readonly detail: string };

/** What a received message means for the query it may answer. */
export type ReplyReading =
  /** Not a reply to this query (other ID, not a response, other question): keep waiting. */
  | { readonly kind: 'foreign' }
  /** TC set: ask again over TCP. */
  | { readonly kind: 'truncated' }
  | { readonly kind: 'outcome'; readonly outcome: QueryOutcome };

/** Encodes `type name` as k8gb's peers expect it: one question, RD, no OPT record. */
export function encodeQuery(id: number, name: string, type: AddressType): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
  });
}

/** Reads `message` as a reply to query `id` for `type name`, received over `transport`. */
export function readReply(
  message: Buffer,
  query: { readonly id: number; readonly name: string; readonly type: AddressType },
  transport: 'udp' | 'tcp',
): ReplyReading {
  if (message.length < HEADER_BYTES || message.readUInt16BE(0) !== query.id)
    return { kind: 'foreign' };
  const flags = message.readUInt16BE(2);
  if ((flags & Flag.QR) === 0) return { kind: 'foreign' };
  let reply: dnsPacket.DecodedPacket;
  try {
    reply = dnsPacket.decode(message);
  } catch (err) {
    return failed('bad_reply', `undecodable reply: ${(err as Error).message}`);
  }
  // dns-packet reads past the end of a cut record without throwing.
  if (dnsPacket.decode.bytes > message.length) return failed('bad_reply', 'reply cut short');
  // Servers echo the question; one that does not answers something else
  // (RFC 5452 §9.1). A truncated reply may carry it too, so check first.
  if (!echoesQuestion(reply, query)) return { kind: 'foreign' };
  if ((flags & Flag.TC) !== 0 && transport === 'udp') return { kind: 'truncated' };
  return { kind: 'outcome', outcome: outcomeOf(reply, flags & 0x0f, query, transport) };
}

function outcomeOf(
  reply: dnsPacket.DecodedPacket,
  rcode: number,
  query: { readonly name: string; readonly type: AddressType },
  transport: 'udp' | 'tcp',
): QueryOutcome {
  switch (rcode) {
    case RCode.NOERROR:
      return {
        ok: true,
        rcode: 'NOERROR',
        addresses: addressesOf(reply, query.name, query.type),
        transport,
      };
    case RCode.NXDOMAIN:
      return { ok: true, rcode: 'NXDOMAIN', addresses: [], transport };
    case RCode.SERVFAIL:
      return failed('servfail', 'SERVFAIL').outcome;
    case RCode.REFUSED:
      return failed('refused', 'REFUSED').outcome;
    case RCode.FORMERR:
      return failed('formerr', 'FORMERR').outcome;
    default:
      return failed('other_rcode', `response code ${rcode}`).outcome;
  }
}

/**
 * The answer's records of `type` for `name`, following a CNAME chain inside
 * the answer (an edge server may alias a glue name); bounded by the answer's
 * length, so a CNAME loop ends.
 */
function addressesOf(reply: dnsPacket.DecodedPacket, name: string, type: AddressType): string[] {
  const answers = reply.answers ?? [];
  const found = new Set<string>();
  let owner = name;
  for (let hops = 0; hops <= answers.length; hops++) {
    for (const record of answers) {
      const parsed =
        record.type === type && sameName(record.name, owner) ? parseAddress(record.data) : null;
      if (parsed !== null) found.add(parsed.address);
    }
    const alias = answers.find((r) => r.type === 'CNAME' && sameName(r.name, owner));
    if (found.size > 0 || alias?.type !== 'CNAME') break;
    owner = alias.data;
  }
  return [...found];
}

function echoesQuestion(
  reply: dnsPacket.DecodedPacket,
  query: { readonly name: string; readonly type: AddressType },
): boolean {
  const question = reply.questions?.[0];
  return (
    reply.questions?.length === 1 &&
    question?.type === query.type &&
    sameName(question.name, query.name)
  );
}

function sameName(a: string, b: string): boolean {
  const strip = (n: string): string => (n.endsWith('.') ? n.slice(0, -1) : n).toLowerCase();
  return strip(a) === strip(b);
}

function failed(
  failure: FailureKind,
  detail: string,
): { readonly kind: 'outcome'; readonly outcome: QueryOutcome } {
  return { kind: 'outcome', outcome: { ok: false, failure, detail } };
}
