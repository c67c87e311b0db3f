/**
 * The drain declaration Meridian reads from annotations, in Kubernetes
 * objects (a Gslb, or the cluster's DNS Service) and in standalone manifests
 * alike, so that a drain survives restarts and shows in `git diff`:
 *
 * - `meridian.dev/drain`: an RFC 3339 time (when the drain was asked for;
 *   `meridian drain` writes the current time) or `true` (the time is then
 *   the object's, see {@link parseDrain}); `false` or absent: not drained;
 * - `meridian.dev/drain-by`: who last drained or undrained it (the CLI's user).
 *
 * Pure. k8gb has no drain; these names are Meridian's own.
 */

/** The drain annotation. */
export const ANNOTATION_DRAIN = 'meridian.dev/drain';
/** Who last set or removed the drain. */
export const ANNOTATION_DRAIN_BY = 'meridian.dev/drain-by';

/** What a drain annotation says. */
export type DrainAnnotation =
  | { readonly drained: false }
  | { readonly drained: true; readonly sinceMs: number | null }
  | { readonly drained: false; readonly invalid: string };

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Reads the drain annotation of an object. `true` gives no time (the caller
 * supplies one: the annotation's managed-fields time, or first sight); a
 * value that is neither a time nor a boolean is not a drain, and says why (a
 * typo must not take a cluster out of the answers).
 */
export function parseDrain(annotations: Readonly<Record<string, string>>): DrainAnnotation {
  const value = annotations[ANNOTATION_DRAIN]?.trim();
  if (value === undefined || value === '' || value.toLowerCase() === 'false')
    return { drained: false };
  if (value.toLowerCase() === 'true') return { drained: true, sinceMs: null };
  const ms = RFC3339.test(value) ? Date.parse(value) : NaN;
  if (Number.isFinite(ms)) return { drained: true, sinceMs: ms };
  return {
    drained: false,
    invalid: `annotation ${ANNOTATION_DRAIN} is ${JSON.stringify(value.slice(0, 64))}, neither "true", "false" nor an RFC 3339 time; not drained`,
  };
}

/** The requested-by annotation, bounded, or null when absent. */
export function drainRequestedBy(annotations: Readonly<Record<string, string>>): string | null {
  const value = annotations[ANNOTATION_DRAIN_BY]?.trim();
  return value === undefined || value === '' ? null : value.slice(0, 128);
}
