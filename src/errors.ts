/**
 * The error registry: every error Meridian reports carries one of these stable
 * codes. Match on `code`, never on message text. The table of docs/errors.md is
 * kept equal to this list by test/contract/docs-sync.test.ts.
 */

/** Stable error codes with what each means. */
export const ERROR_CODES = Object.freeze({
  MERIDIAN_ERR_CONFIG:
    'The configuration is invalid; every problem is listed and Meridian exits with status 2.',
  MERIDIAN_ERR_LISTEN:
    'A listener (gRPC, HTTP, DNS) could not bind its address; Meridian exits with status 1.',
  MERIDIAN_ERR_TLS:
    'A TLS certificate, key or CA file could not be read; Meridian exits with status 1.',
  MERIDIAN_ERR_ADMIN:
    'The admin token file cannot be read or holds no usable token; Meridian exits with status 1.',
  MERIDIAN_ERR_MANIFEST:
    'A standalone manifest file is invalid; it is reported with its path and its last good content keeps serving.',
  MERIDIAN_ERR_SOURCE:
    'The manifest directory could not be read: fatal at start-up; later, the last good table keeps serving and the read is retried.',
  MERIDIAN_ERR_KUBE:
    'A Kubernetes list, watch or write failed; watches are retried with backoff and writes retried or planned again, while the last table keeps serving.',
  MERIDIAN_ERR_GEOIP:
    'The geoip database cannot be read: fatal at start-up; later, a bad or missing replacement is reported once and the last good database keeps serving.',
  MERIDIAN_ERR_PEER:
    'A peer cluster could not be found through the edge DNS or did not answer a poll; its last addresses are kept, and after MERIDIAN_PEER_DOWN_AFTER failed polls its targets are no longer served.',
  MERIDIAN_ERR_GSLB:
    'A Gslb cannot be served as written (host outside every zone, host claimed twice, too many targets), or a drain annotation is no drain (served as not drained); the rest of the table is served.',
  MERIDIAN_ERR_BAD_QUERY:
    'A gRPC request carried bytes with no readable DNS header; answered with gRPC INVALID_ARGUMENT.',
  MERIDIAN_ERR_NOT_READY:
    'A query arrived before the first table was built; answered with gRPC UNAVAILABLE.',
  MERIDIAN_ERR_AUDIT:
    'The audit file cannot be opened, written, synced or rotated, or its last line cannot be continued; counted and reported as a readiness note while answers go on, and retried with backoff; records that overflow the queue meanwhile are marked by a gap line.',
  MERIDIAN_ERR_DELEGATION:
    "This cluster's NS record or glue could not be written into a parent zone (the server refused the update or its key, or did not answer); the delegation already there stays, and the update is retried with backoff.",
  MERIDIAN_ERR_INTERNAL:
    'An unexpected failure while answering or building; gRPC INTERNAL, logged once and counted; the last good table keeps serving.',
} as const);

/** One of the registered error codes. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** An error with a registered code and an optional cause. */
export class MeridianError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MeridianError';
    this.code = code;
  }
}

/** Returns a message for any thrown value, for logs and status details. */
export function messageOf(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  return String(thrown);
}
