/**
 * Parsers of one setting's text. Each returns the value or throws
 * InvalidValue with what is wrong; load-config.ts turns that into one line of
 * the ConfigError. Pure.
 */
import { canonicalName, checkName, isLabel } from '../dns/names';
import { parseAddressList } from '../gslb/gslb-spec';
import { isGeoTag } from '../gslb/k8gb-naming';

/** Thrown by a value parser; the message says what is wrong with the value. */
export class InvalidValue extends Error {}

/** Log levels pino knows. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** One of LOG_LEVELS. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A parser of integers from `min` to `max`. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max) {
      throw new InvalidValue(`must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** A parser of a number of seconds from `min` to `max`, returning milliseconds. */
export function seconds(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidValue(`must be a number of seconds from ${min} to ${max}`);
    }
    return Math.round(n * 1000);
  };
}

/** A namespace name (RFC 1123 label). */
export function parseLabel(value: string): string {
  if (!isLabel(value))
    throw new InvalidValue('must be a lower-case RFC 1123 label (a namespace name)');
  return value;
}

export function parseLogLevel(value: string): LogLevel {
  const level = LOG_LEVELS.find((l) => l === value.toLowerCase());
  if (level === undefined) throw new InvalidValue(`must be one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

export function parseGeoTag(value: string): string {
  if (!isGeoTag(value)) throw new InvalidValue(`must be letters, digits and '-'`);
  return value;
}

export function parseGeoTagList(value: string): string[] {
  if (value === '') return [];
  const tags = value.split(',').map((t) => t.trim());
  const bad = tags.filter((t) => !isGeoTag(t));
  if (bad.length > 0)
    throw new InvalidValue(`geotags must be letters, digits and '-': ${bad.join(', ')}`);
  if (new Set(tags).size !== tags.length) throw new InvalidValue('geotags must be unique');
  return tags;
}

export function parseIpList(value: string): string[] {
  try {
    return parseAddressList(value, 'expected comma-separated IP addresses');
  } catch (err) {
    throw new InvalidValue((err as Error).message);
  }
}

/** Parses MERIDIAN_HOST_POLICY, `NAMESPACE=SUFFIX[|SUFFIX…],…`; '' means no policy (null). */
export function parseHostPolicy(value: string): ReadonlyMap<string, readonly string[]> | null {
  if (value === '') return null;
  const policy = new Map<string, string[]>();
  const errors: string[] = [];
  for (const entry of value.split(',').map((e) => e.trim())) {
    const eq = entry.indexOf('=');
    const namespace = entry.slice(0, eq).trim();
    if (eq === -1 || !isLabel(namespace)) {
      errors.push(`${JSON.stringify(entry)} is not NAMESPACE=SUFFIX[|SUFFIX…]`);
      continue;
    }
    const suffixes = entry
      .slice(eq + 1)
      .split('|')
      .map((s) => canonicalName(s.trim()));
    const bad = suffixes.map(checkName).filter((problem) => problem !== null);
    if (bad.length > 0) errors.push(`${namespace}: ${bad.join('; ')}`);
    else policy.set(namespace, [...(policy.get(namespace) ?? []), ...suffixes]);
  }
  if (errors.length > 0) throw new InvalidValue(errors.join('; '));
  return policy;
}

/** Parses MERIDIAN_GEOIP_FIELDS: dotted paths separated by commas or spaces. */
export function parseFieldList(value: string): string[] {
  const paths = value.split(/[\s,]+/).filter((p) => p !== '');
  if (paths.length === 0) throw new InvalidValue('at least one field path is needed');
  const bad = paths.filter((p) => !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(p));
  if (bad.length > 0)
    throw new InvalidValue(
      `not dotted field paths: ${bad.map((p) => JSON.stringify(p)).join(', ')}`,
    );
  return paths;
}
