/**
 * One spelling per IP address, so that `2001:db8::1` and
 * `2001:DB8:0:0:0:0:0:1` are recognised as the same target wherever they come
 * from (a manifest, an annotation, a peer's answer, a resolver). Pure.
 */
import { isIP } from 'node:net';

/** The canonical text of an IPv4 or IPv6 address (RFC 5952 for IPv6); other text unchanged. */
export function canonicalAddress(address: string): string {
  if (isIP(address) !== 6) return address;
  // The URL parser applies RFC 5952.
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}
