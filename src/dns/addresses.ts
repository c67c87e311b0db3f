/**
 * One spelling per IP address, so that `2001:db8::1` and
 * `2001:DB8:0:0:0:0:0:1` are recognised as the same target wherever they come
 * from (a manifest, an annotation, a peer's answer, a resolver), and one rule
 * for what a servable target is: a plain IPv4 or IPv6 address. node:net's
 * isIP also accepts a zone-scoped IPv6 address (`fe80::1%eth0`), which no A or
 * AAAA record can carry. An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is
 * the IPv4 address it maps: that is how k8gb (Go's net.IP) reads it, and an
 * AAAA record of it would send IPv6 clients to an address that exists only
 * inside a dual-stack socket API. Pure; never throws.
 */
import { isIP } from 'node:net';

/** A servable address: its family and canonical text. */
export interface ParsedAddress {
  readonly family: 4 | 6;
  readonly address: string;
}

/** `text` as a servable address, or null (not an address, or zone-scoped). */
export function parseAddress(text: string): ParsedAddress | null {
  const family = isIP(text);
  if (family === 4) return { family, address: text };
  if (family !== 6 || text.includes('%')) return null;
  // The URL parser applies RFC 5952, which spells a mapped address in hex.
  const address = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const mapped = IPV4_MAPPED.exec(address);
  if (mapped === null) return { family, address };
  const high = Number.parseInt(mapped[1]!, 16);
  const low = Number.parseInt(mapped[2]!, 16);
  return { family: 4, address: [high >> 8, high & 255, low >> 8, low & 255].join('.') };
}

/** `::ffff:a.b.c.d` as RFC 5952 spells it: `::ffff:` and two hex groups. */
const IPV4_MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/** True when `text` is a servable IPv4 or IPv6 address. */
export function isServableAddress(text: string): boolean {
  return parseAddress(text) !== null;
}

/**
 * The canonical text of a servable address (RFC 5952 for IPv6); any other
 * text unchanged, so that a caller that has not validated cannot be made to
 * throw.
 */
export function canonicalAddress(address: string): string {
  return parseAddress(address)?.address ?? address;
}

/** The 16 bytes of an IPv6 address (any spelling node:net accepts, an embedded IPv4 part included). */
export function ipv6Bytes(address: string): Buffer {
  // The URL parser spells it as eight or fewer hex groups (RFC 5952), never dotted.
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = '', tail = ''] = canonical.split('::');
  const groups = (text: string): number[] =>
    text === '' ? [] : text.split(':').map((group) => Number.parseInt(group, 16));
  const left = groups(head);
  const right = canonical.includes('::') ? groups(tail) : [];
  const middle = Array.from({ length: 8 - left.length - right.length }, () => 0);
  const bytes = Buffer.alloc(16);
  [...left, ...middle, ...right].forEach((group, i) => bytes.writeUInt16BE(group, i * 2));
  return bytes;
}
