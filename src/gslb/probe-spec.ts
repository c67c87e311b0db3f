/**
 * `spec.probe`: Meridian's optional active health probe of a Gslb's targets
 * in this cluster (the ingress or gateway path, as a client reaches it; every
 * target in standalone mode). Validated here exactly as the CRD's schema and
 * CEL rules do, so a standalone manifest meets the rules an object the API
 * server admitted meets. Pure: no I/O; throws InvalidGslb naming the field.
 */
import { InvalidGslb, isIntegerIn, isObject, type Json } from './gslb-spec';

export const PROBE_TYPES = ['http', 'https', 'tcp'] as const;
export type ProbeType = (typeof PROBE_TYPES)[number];

/** A Gslb's probe, defaults filled in. */
export interface GslbProbe {
  readonly type: ProbeType;
  readonly port: number;
  /** Request path (http, https). */
  readonly path: string;
  /** Host header and SNI; null: the Gslb's host. */
  readonly host: string | null;
  /** Status codes that count as healthy (default: 200–399). */
  readonly expectStatus: readonly number[];
  readonly bodyContains: string | null;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly rise: number;
  readonly fall: number;
  /** https: verify the certificate (default true). */
  readonly verifyCertificate: boolean;
  /** https: a PEM CA bundle to verify against instead of the system's. */
  readonly caBundle: string | null;
}

/** The bounds the CRD states too (deploy/crds); kept in step by a test. */
export const PROBE_LIMITS = {
  intervalSeconds: [1, 3600],
  timeoutSeconds: [1, 60],
  rise: [1, 10],
  fall: [1, 10],
  expectStatus: 32,
  path: 1024,
  bodyContains: 256,
  caBundle: 65536,
} as const;

const DEFAULT_STATUS: readonly number[] = Object.freeze(
  Array.from({ length: 200 }, (_, i) => 200 + i),
);
/** Every field of `spec.probe`; the CRD lists the same (a test keeps them equal). */
export const PROBE_FIELDS: readonly string[] = [
  'type',
  'port',
  'path',
  'host',
  'expectStatus',
  'bodyContains',
  'intervalSeconds',
  'timeoutSeconds',
  'rise',
  'fall',
  'verifyCertificate',
  'caBundle',
];
const FIELDS = new Set(PROBE_FIELDS);

/** Parses `spec.probe`; undefined when absent (no probe: source health alone). */
export function parseProbe(value: unknown): GslbProbe | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new InvalidGslb('spec.probe must be an object');
  const unknown = Object.keys(value).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) throw new InvalidGslb(`spec.probe: unknown field ${unknown[0]}`);
  const type = PROBE_TYPES.find((t) => t === value['type']);
  if (type === undefined)
    throw new InvalidGslb(
      `spec.probe.type must be one of ${PROBE_TYPES.join(', ')}, found ${JSON.stringify(value['type'])}`,
    );
  const interval = integer(value, 'intervalSeconds', 10);
  const timeout = integer(value, 'timeoutSeconds', Math.min(2, interval));
  if (timeout > interval)
    throw new InvalidGslb('spec.probe.timeoutSeconds must not exceed intervalSeconds');
  if (type === 'tcp' && value['port'] === undefined)
    throw new InvalidGslb('spec.probe.port is required with type tcp');
  return {
    type,
    port: portOf(value['port'], type),
    path: text(value, 'path', '/', PROBE_LIMITS.path) ?? '/',
    host: text(value, 'host', null, 253),
    expectStatus: statuses(value['expectStatus']),
    bodyContains: text(value, 'bodyContains', null, PROBE_LIMITS.bodyContains),
    intervalSeconds: interval,
    timeoutSeconds: timeout,
    rise: integer(value, 'rise', 2),
    fall: integer(value, 'fall', 3),
    verifyCertificate: flag(value['verifyCertificate']),
    caBundle: text(value, 'caBundle', null, PROBE_LIMITS.caBundle),
  };
}

function integer(probe: Json, field: keyof typeof PROBE_LIMITS, fallback: number): number {
  const value = probe[field];
  if (value === undefined) return fallback;
  const [min, max] = PROBE_LIMITS[field] as readonly [number, number];
  if (!isIntegerIn(value, min, max))
    throw new InvalidGslb(
      `spec.probe.${field} must be an integer from ${min} to ${max}, found ${JSON.stringify(value)}`,
    );
  return value as number;
}

function portOf(value: unknown, type: ProbeType): number {
  if (value === undefined) return type === 'https' ? 443 : 80;
  if (!isIntegerIn(value, 1, 65535))
    throw new InvalidGslb(
      `spec.probe.port must be an integer from 1 to 65535, found ${JSON.stringify(value)}`,
    );
  return value as number;
}

// What is sent on the wire: no space, control character or line break (a
// header or request line with one would be refused, or smuggle a request).
const SHAPES: Readonly<Record<string, { pattern: RegExp; rule: string }>> = {
  path: { pattern: /^\/[\x21-\x7e]*$/, rule: 'must start with / and hold only visible ASCII' },
  host: { pattern: /^[A-Za-z0-9.:[\]-]+$/, rule: 'must be a host name or address' },
};

function text<T extends string | null>(
  probe: Json,
  field: string,
  fallback: T,
  maxLength: number,
): string | T {
  const value = probe[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength)
    throw new InvalidGslb(`spec.probe.${field} must be a string of 1 to ${maxLength} characters`);
  const shape = SHAPES[field];
  if (shape !== undefined && !shape.pattern.test(value))
    throw new InvalidGslb(`spec.probe.${field} ${shape.rule}`);
  return value;
}

function statuses(value: unknown): readonly number[] {
  if (value === undefined) return DEFAULT_STATUS;
  if (!Array.isArray(value) || value.length === 0 || value.length > PROBE_LIMITS.expectStatus)
    throw new InvalidGslb(
      `spec.probe.expectStatus must list 1 to ${PROBE_LIMITS.expectStatus} status codes`,
    );
  for (const code of value)
    if (!isIntegerIn(code, 100, 599))
      throw new InvalidGslb(
        `spec.probe.expectStatus: ${JSON.stringify(code)} is not a status code (100 to 599)`,
      );
  return [...new Set(value as number[])].sort((a, b) => a - b);
}

function flag(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean')
    throw new InvalidGslb(
      `spec.probe.verifyCertificate must be true or false, found ${JSON.stringify(value)}`,
    );
  return value;
}
