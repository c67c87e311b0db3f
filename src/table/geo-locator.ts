/**
 * What the geoip strategy needs to know about places, and nothing more: in
 * which datacenter a client subnet lies (per query) and in which datacenter a
 * target address lies (per build). k8gb looks the client and every target up
 * in one MaxMind database and keeps the targets whose `datacenter` value
 * equals the client's (docs/k8gb-compatibility.md#geoip); an implementation backed by
 * such a database fits behind this interface, as does a fixed table in tests.
 *
 * Contract for implementations:
 * - `locate` runs on the query path: synchronous, no I/O, no logging, never
 *   throws. The database is loaded (and reloaded on change) off the query path.
 * - `locateTarget` runs while the table is built, once per distinct target
 *   address of a geoip Gslb. A database change therefore needs a rebuild
 *   before target datacenters follow it.
 * - Both compare datacenters as exact strings.
 */
import type { ClientSubnet } from '../dns/query';

/** Where a client subnet lies, and how much of its address that depends on. */
export interface GeoMatch {
  /** The datacenter value (k8gb's `datacenter` field) of the client's network. */
  readonly datacenter: string;
  /**
   * RFC 7871 SCOPE PREFIX-LENGTH of the answer: the prefix length of the
   * database network that holds the client (MaxMind's lookup reports it).
   * It may exceed the query's SOURCE PREFIX-LENGTH (RFC 7871 §7.2.1: the
   * resolver should then ask with a longer prefix).
   */
  readonly scopePrefixLength: number;
}

/** Locates clients and targets; see the module comment for the contract. */
export interface GeoLocator {
  /**
   * The datacenter of the client subnet, or null when the database has none
   * for it. Called only for subnets with a SOURCE PREFIX-LENGTH above 0.
   */
  locate(subnet: ClientSubnet): GeoMatch | null;
  /** The datacenter of one target (canonical IPv4 or IPv6 text), or null. */
  locateTarget(address: string): string | null;
}

/**
 * The client subnet's address as text (`192.0.2.0`, `2001:db8:0:0:0:0:0:0`),
 * the bits beyond the source prefix zero, as database readers take it. It
 * allocates a string; a locator that keys on bytes need not call it.
 */
export function clientSubnetAddress(subnet: ClientSubnet): string {
  const size = subnet.family === 1 ? 4 : 16;
  const bytes = new Uint8Array(size);
  bytes.set(subnet.address.subarray(0, size));
  // The query parser does not insist that bits past the prefix are zero.
  const fullBytes = subnet.sourcePrefixLength >> 3;
  const partialBits = subnet.sourcePrefixLength & 7;
  if (fullBytes < size) {
    bytes[fullBytes] = (bytes[fullBytes] ?? 0) & ((0xff00 >> partialBits) & 0xff);
    bytes.fill(0, fullBytes + 1);
  }
  if (size === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < size; i += 2) {
    groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  }
  return groups.join(':');
}
