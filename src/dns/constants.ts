/**
 * DNS protocol numbers Meridian uses (RFC 1035, 3596, 6891, 7871, 8482).
 * Frozen plain objects with no prototype, so lookups are cheap and cannot hit
 * inherited keys.
 */

/** Resource record types answered or recognised. */
export const RRType = Object.freeze({
  A: 1,
  NS: 2,
  SOA: 6,
  AAAA: 28,
  OPT: 41,
  ANY: 255,
} as const);

/** Response codes; BADVERS only exists in the extended (EDNS) space. */
export const RCode = Object.freeze({
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const);

/** The only class Meridian serves. */
export const CLASS_IN = 1;

/** Largest DNS message on any transport (RFC 1035 §4.2.2 length prefix). */
export const MAX_MESSAGE_BYTES = 65_535;

/** Largest UDP payload without EDNS0 (RFC 1035 §4.2.1). */
export const CLASSIC_UDP_PAYLOAD = 512;

/** UDP payload size Meridian advertises in its OPT record (DNS flag day 2020). */
export const ADVERTISED_UDP_PAYLOAD = 1232;

/** EDNS0 option code of Client Subnet (RFC 7871). */
export const OPTION_CLIENT_SUBNET = 8;

/** Header flag bits in the 16-bit flags word. */
export const Flag = Object.freeze({
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  AD: 0x0020,
  CD: 0x0010,
} as const);

/** Size of the fixed DNS header. */
export const HEADER_BYTES = 12;

const RCODE_NAMES: Readonly<Record<number, string>> = Object.freeze(
  Object.assign(Object.create(null) as Record<number, string>, {
    0: 'NOERROR',
    1: 'FORMERR',
    2: 'SERVFAIL',
    3: 'NXDOMAIN',
    4: 'NOTIMP',
    5: 'REFUSED',
    16: 'BADVERS',
  }),
);

const QTYPE_NAMES: Readonly<Record<number, string>> = Object.freeze(
  Object.assign(Object.create(null) as Record<number, string>, {
    1: 'A',
    2: 'NS',
    5: 'CNAME',
    6: 'SOA',
    12: 'PTR',
    15: 'MX',
    16: 'TXT',
    28: 'AAAA',
    33: 'SRV',
    43: 'DS',
    48: 'DNSKEY',
    64: 'SVCB',
    65: 'HTTPS',
    255: 'ANY',
  }),
);

/** Returns the mnemonic of an rcode, for metric labels (closed set). */
export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? 'OTHER';
}

/** Returns the mnemonic of a qtype, or OTHER, so metric label sets stay closed. */
export function qtypeName(qtype: number): string {
  return QTYPE_NAMES[qtype] ?? 'OTHER';
}

/** Every label value qtypeName can return, for pre-binding metrics. */
export const QTYPE_LABELS: readonly string[] = Object.freeze([
  ...Object.values(QTYPE_NAMES),
  'OTHER',
  'NONE',
]);

/** Every label value rcodeName can return. */
export const RCODE_LABELS: readonly string[] = Object.freeze([
  ...Object.values(RCODE_NAMES),
  'OTHER',
]);
