/**
 * Which value of a MaxMind record names a datacenter: an ordered list of
 * dotted field paths (k8gb's `geodatafields`, e.g. `datacenter` or
 * `country.iso_code continent.code`). Pure.
 */

/** One field path, split at its dots (`country.iso_code` → `['country', 'iso_code']`). */
export type FieldPath = readonly string[];

/** The field k8gb reads when none is configured. */
export const DEFAULT_GEO_FIELDS: readonly string[] = Object.freeze(['datacenter']);

// A path segment: a MaxMind map key without dots or white space. MaxMind's own
// databases use snake_case keys; anything printable is allowed here.
const SEGMENT = /^[^\s.]+$/;

/**
 * Splits and checks dotted field paths; throws an Error naming every bad entry
 * (an empty list, an empty path or segment, white space inside a path).
 */
export function parseFieldPaths(paths: readonly string[]): readonly FieldPath[] {
  if (paths.length === 0) throw new Error('no geo field path given');
  const problems: string[] = [];
  const parsed: FieldPath[] = [];
  for (const path of paths) {
    const segments = path.split('.');
    if (segments.every((segment) => SEGMENT.test(segment))) {
      parsed.push(Object.freeze(segments));
    } else {
      problems.push(`'${path}'`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `invalid geo field path ${problems.join(', ')}: want dot-separated names such as country.iso_code`,
    );
  }
  return Object.freeze(parsed);
}

/**
 * The value at `path` in a decoded record when it is a non-empty string, else
 * null. Like k8gb (which reads the field as a string), numbers, booleans, maps
 * and arrays do not name a datacenter. Only own properties are followed, so a
 * segment such as `constructor` never reaches the object prototype.
 */
export function fieldValue(record: unknown, path: FieldPath): string | null {
  let value: unknown = record;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    if (!Object.hasOwn(value, segment)) return null;
    value = (value as Record<string, unknown>)[segment];
  }
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The value of the first path in `paths` that names a datacenter in `record`, or null. */
export function firstFieldValue(record: unknown, paths: readonly FieldPath[]): string | null {
  for (const path of paths) {
    const value = fieldValue(record, path);
    if (value !== null) return value;
  }
  return null;
}
