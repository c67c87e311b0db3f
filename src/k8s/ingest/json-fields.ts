/**
 * Reading fields of parsed JSON whose shape is not guaranteed: each helper
 * answers a default (empty) for a missing or mistyped field instead of
 * throwing, which is how the reductions in objects.ts keep malformed objects
 * from reaching the rest of the source. canonicalJson gives equal values
 * equal text, to compare specs and statuses.
 */
import { isObject } from '../../gslb/gslb-spec';

/** The string values of a JSON object (labels, annotations); {} for anything else. */
export function strings(value: unknown): Readonly<Record<string, string>> {
  if (!isObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** An array, or [] for anything else. */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

/** A string, or '' for anything else. */
export function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The value at `path` through nested objects; undefined where a step is not an object. */
export function at(object: unknown, ...path: string[]): unknown {
  let value = object;
  for (const step of path) value = isObject(value) ? value[step] : undefined;
  return value;
}

/** JSON with sorted keys, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isObject(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
