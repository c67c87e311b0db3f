/**
 * The two messages of an explanation: a query for one name and type as a
 * resolver behind CoreDNS would send it (with EDNS Client Subnet when a
 * client is given, as `rewrite edns0 subnet` adds it), and the reply read
 * back into rcode, addresses, TTLs, the SOA serial and the ECS scope, so that
 * what is explained is what the answer path really answered. Pure.
 */
import * as dnsPacket from 'dns-packet';
import { parseAddress } from './addresses';
import { OPTION_CLIENT_SUBNET, rcodeName } from './constants';

/** The source prefix of an IPv4 client, as CoreDNS's `rewrite edns0 subnet set 24 56` sends. */
export const CLIENT_PREFIX_V4 = 24;
/** The source prefix of an IPv6 client. */
export const CLIENT_PREFIX_V6 = 56;

/** A client whose subnet the query carries. */
export interface InspectedClient {
  /** Canonical address. */
  readonly address: string;
  readonly family: 4 | 6;
  /** The SOURCE PREFIX-LENGTH sent: /24 or /56. */
  readonly sourcePrefixLength: number;
  /** The subnet the query carries, e.g. `192.0.2.0/24`. */
  readonly subnet: string;
}

/** An address of the answer section. */
export interface InspectedRecord {
  readonly address: string;
  readonly ttl: number;
}

/** What a reply said. */
export interface InspectedReply {
  /** The rcode mnemonic (`NOERROR`, `NXDOMAIN`, …). */
  readonly rcode: string;
  readonly authoritative: boolean;
  readonly answers: readonly InspectedRecord[];
  /** The SOA of the authority section (a negative answer), or null. */
  readonly soa: { readonly serial: number; readonly ttl: number } | null;
  /** The reply's ECS SCOPE PREFIX-LENGTH, or null when it carried no ECS option. */
  readonly clientSubnetScope: number | null;
}

/** The client address as the query's subnet, or null when `text` is no IP address. */
export function inspectedClient(text: string): InspectedClient | null {
  const parsed = parseAddress(text);
  if (parsed === null) return null;
  const family = parsed.family === 4 ? 4 : 6;
  const sourcePrefixLength = family === 4 ? CLIENT_PREFIX_V4 : CLIENT_PREFIX_V6;
  return {
    address: parsed.address,
    family,
    sourcePrefixLength,
    subnet: `${networkOf(parsed.address, family, sourcePrefixLength)}/${sourcePrefixLength}`,
  };
}

/**
 * Encodes a query for `type name` with RD set and an OPT record, carrying the
 * client's subnet when there is one. Both prefixes end on a byte boundary, so
 * sending the first prefix/8 bytes of the address is the whole masking.
 */
export function encodeInspectionQuery(
  name: string,
  type: 'A' | 'AAAA',
  client: InspectedClient | null,
): Buffer {
  const options: dnsPacket.PacketOpt[] =
    client === null
      ? []
      : [
          {
            code: OPTION_CLIENT_SUBNET,
            family: client.family === 4 ? 1 : 2,
            sourcePrefixLength: client.sourcePrefixLength,
            scopePrefixLength: 0,
            ip: client.address,
          },
        ];
  return dnsPacket.encode({
    type: 'query',
    id: 0,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    additionals: [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: 1232,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options,
      },
    ],
  });
}

/** Reads a reply of the answer path; null when it cannot be decoded (never expected). */
export function readInspectedReply(reply: Buffer): InspectedReply | null {
  let decoded: dnsPacket.DecodedPacket;
  try {
    decoded = dnsPacket.decode(reply);
  } catch {
    return null;
  }
  const flags = decoded.flags ?? 0;
  return {
    rcode: rcodeName(flags & 0x0f),
    authoritative: (flags & dnsPacket.AUTHORITATIVE_ANSWER) !== 0,
    answers: addressesOf(decoded),
    soa: soaOf(decoded),
    clientSubnetScope: scopeOf(decoded),
  };
}

function addressesOf(decoded: dnsPacket.DecodedPacket): InspectedRecord[] {
  const answers: InspectedRecord[] = [];
  for (const record of decoded.answers ?? [])
    if (record.type === 'A' || record.type === 'AAAA')
      answers.push({ address: record.data, ttl: record.ttl ?? 0 });
  return answers;
}

function soaOf(decoded: dnsPacket.DecodedPacket): InspectedReply['soa'] {
  const record = (decoded.authorities ?? []).find((r) => r.type === 'SOA');
  return record?.type === 'SOA' ? { serial: record.data.serial ?? 0, ttl: record.ttl ?? 0 } : null;
}

function scopeOf(decoded: dnsPacket.DecodedPacket): number | null {
  for (const record of decoded.additionals ?? []) {
    if (record.type !== 'OPT') continue;
    for (const option of record.options ?? [])
      if ((option as { code: unknown }).code === OPTION_CLIENT_SUBNET)
        return (option as { scopePrefixLength?: number }).scopePrefixLength ?? 0;
  }
  return null;
}

/** The network of `address` at a byte-aligned prefix, as text. */
function networkOf(address: string, family: 4 | 6, prefix: number): string {
  if (family === 4) {
    const octets = address.split('.');
    return octets.map((octet, i) => (i < prefix / 8 ? octet : '0')).join('.');
  }
  const groups = expandIpv6(address);
  const kept = groups.map((group, i) => {
    const bits = prefix - i * 16;
    if (bits >= 16) return group;
    if (bits <= 0) return 0;
    return group & (0xffff << (16 - bits));
  });
  return parseAddress(kept.map((g) => g.toString(16)).join(':'))?.address ?? address;
}

function expandIpv6(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const part = (text: string): number[] =>
    text === '' ? [] : text.split(':').map((group) => Number.parseInt(group, 16));
  const start = part(head);
  const end = tail === undefined ? [] : part(tail);
  const zeros = new Array<number>(8 - start.length - end.length).fill(0);
  return [...start, ...zeros, ...end];
}
