/**
 * Turns what the geoip strategy asks about (a client subnet from EDNS Client
 * Subnet, a target address from a Gslb) into the address a MaxMind reader
 * looks up. Pure.
 *
 * IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is looked up as IPv4, as k8gb does
 * (it unmaps before every lookup): that finds IPv4 networks in an IPv4-only
 * database and in an IPv6 database written without MaxMind's IPv4 aliases.
 */
import { isIP } from 'node:net';
import type { ClientSubnet } from '../dns/query';
import { clientSubnetAddress } from '../table/geo-locator';

/** What to look up for one subnet. */
export interface LookupKey {
  /** Address text for the reader, bits past the source prefix zero. */
  readonly address: string;
  /** The subnet's SOURCE PREFIX-LENGTH in the family looked up. */
  readonly sourcePrefixLength: number;
  /**
   * Added to the prefix length the reader reports to express it in the
   * subnet's own family: 96 when an IPv4-mapped IPv6 subnet is looked up as
   * IPv4, else 0.
   */
  readonly prefixOffset: number;
}

const MAPPED_PREFIX_BITS = 96;
const MAPPED_MARKER_OFFSET = 10;

/**
 * The lookup for `subnet` in a database of `ipVersion`, or null when the
 * database cannot know it: a SOURCE PREFIX-LENGTH of 0 (the client opted out,
 * RFC 7871 §7.1.2; every address bit would be padding), or an IPv6 subnet
 * asked of an IPv4-only database (mmdb-lib would walk the IPv4 tree with the
 * IPv6 bits and return an unrelated record).
 */
export function lookupKey(subnet: ClientSubnet, ipVersion: number): LookupKey | null {
  if (subnet.sourcePrefixLength === 0) return null;
  if (subnet.family === 2 && isMappedIpv4(subnet)) {
    const source = subnet.sourcePrefixLength - MAPPED_PREFIX_BITS;
    if (source === 0) return null;
    const ipv4: ClientSubnet = {
      family: 1,
      sourcePrefixLength: source,
      address: subnet.address.subarray(12, 12 + Math.ceil(source / 8)),
    };
    return {
      address: clientSubnetAddress(ipv4),
      sourcePrefixLength: source,
      prefixOffset: MAPPED_PREFIX_BITS,
    };
  }
  if (subnet.family === 2 && ipVersion === 4) return null;
  return {
    address: clientSubnetAddress(subnet),
    sourcePrefixLength: subnet.sourcePrefixLength,
    prefixOffset: 0,
  };
}

// True when the subnet lies inside ::ffff:0:0/96 (RFC 4291 §2.5.5.2).
function isMappedIpv4(subnet: ClientSubnet): boolean {
  if (subnet.sourcePrefixLength < MAPPED_PREFIX_BITS) return false;
  const address = subnet.address;
  for (let i = 0; i < MAPPED_MARKER_OFFSET; i++) {
    if (address[i] !== 0) return false;
  }
  return address[MAPPED_MARKER_OFFSET] === 0xff && address[MAPPED_MARKER_OFFSET + 1] === 0xff;
}

/**
 * A host address (IPv4 or IPv6 text, any valid spelling) as a full-length
 * subnet (/32 or /128), or null when `text` is not an IP address.
 */
export function hostSubnet(text: string): ClientSubnet | null {
  switch (isIP(text)) {
    case 4:
      return { family: 1, sourcePrefixLength: 32, address: Buffer.from(ipv4Bytes(text)) };
    case 6: {
      const bytes = ipv6Bytes(text);
      return bytes === null ? null : { family: 2, sourcePrefixLength: 128, address: bytes };
    }
    default:
      return null;
  }
}

// Only called on text isIP accepted as IPv4: four decimal octets.
function ipv4Bytes(text: string): number[] {
  return text.split('.').map((octet) => Number(octet));
}

// Parses IPv6 text isIP accepted: hex groups, at most one `::`, an optional
// dotted IPv4 tail and an optional zone (`%eth0`, ignored).
function ipv6Bytes(text: string): Buffer | null {
  let groupsText = text.split('%')[0] ?? '';
  const lastColon = groupsText.lastIndexOf(':');
  const tail = groupsText.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = ipv4Bytes(tail);
    groupsText = `${groupsText.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = groupsText.split('::');
  const head = groupList(halves[0]);
  const rest = groupList(halves[1]);
  const complete = halves.length === 1 ? head.length === 8 : head.length + rest.length <= 7;
  if (halves.length > 2 || !complete) return null;
  const bytes = Buffer.alloc(16);
  head.forEach((group, i) => bytes.writeUInt16BE(group, i * 2));
  rest.forEach((group, i) => bytes.writeUInt16BE(group, 16 - (rest.length - i) * 2));
  return bytes;
}

function groupList(text: string | undefined): number[] {
  if (text === undefined || text === '') return [];
  return text.split(':').map((group) => Number.parseInt(group, 16));
}
