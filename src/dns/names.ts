/**
 * DNS name rules every part shares: one spelling per name (lower case, no
 * trailing dot), the host-name syntax Meridian serves (LDH labels, RFC 1035
 * limits) and the zone a name lies in (longest suffix at a label boundary).
 * Pure.
 */

/** A lower-case LDH label (RFC 1035 §2.3.1, RFC 1123 §2.1): 1–63 characters, no dash at either end. */
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Longest name in text form without the trailing dot (RFC 1035 §3.1: 255 octets on the wire). */
export const MAX_NAME_LENGTH = 253;

/** Longest label (RFC 1035 §2.3.4). */
export const MAX_LABEL_LENGTH = 63;

/** Lower-cases a DNS name and drops one trailing dot. */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** True when `value` is one lower-case LDH label (a namespace name passes too: RFC 1123). */
export function isLabel(value: string): boolean {
  return LABEL.test(value);
}

/** Returns null when `name` is a valid host name (LDH labels, RFC 1035 limits), else why not. */
export function checkName(name: string): string | null {
  if (name === '') return 'empty name';
  if (name.length > MAX_NAME_LENGTH) return `${name} is longer than ${MAX_NAME_LENGTH} characters`;
  const bad = name.split('.').find((label) => !LABEL.test(label));
  if (bad !== undefined) return `${name} has an invalid label "${bad}"`;
  return null;
}

/**
 * The value of the zone `name` lies in: the longest of its suffixes, at a label
 * boundary, that `zones` holds (`name` itself included), or null. A DNS suffix,
 * never a substring: `evilcloud.example.org` is not in `cloud.example.org`.
 * `name` must be canonical.
 */
export function findZone<T>(name: string, zones: ReadonlyMap<string, T>): T | null {
  let suffix = name;
  for (;;) {
    const zone = zones.get(suffix);
    if (zone !== undefined) return zone;
    const dot = suffix.indexOf('.');
    if (dot === -1) return null;
    suffix = suffix.slice(dot + 1);
  }
}
