/**
 * The query strings of the admin endpoints, validated: a bad parameter is a
 * 400 with the reason, never a guess. Pure.
 */
import { inspectedClient, type InspectedClient } from '../dns/inspect';
import { canonicalName, checkName } from '../dns/names';
import type { ExplainRequest } from './explain';
import { STATUS_DEFAULT_LIMIT, STATUS_MAX_LIMIT, type StatusRequest } from './status';

/** A parsed request, or why it is refused. */
export type Parsed<T> =
  { readonly ok: true; readonly request: T } | { readonly ok: false; readonly reason: string };

const refuse = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

/** Parameters that appear more than once, or are not known, are refused. */
function checkKeys(params: URLSearchParams, known: readonly string[]): string | null {
  const keys = [...params.keys()];
  const unknown = keys.find((key) => !known.includes(key));
  if (unknown !== undefined)
    return `unknown parameter ${JSON.stringify(unknown)} (known: ${known.join(', ')})`;
  const repeated = keys.find((key, i) => keys.indexOf(key) !== i);
  return repeated === undefined ? null : `parameter ${repeated} given more than once`;
}

/** `name` (required), `type` (A or AAAA, default A), `client` (an IP address, optional). */
export function parseExplainParams(params: URLSearchParams): Parsed<ExplainRequest> {
  const keysProblem = checkKeys(params, ['name', 'type', 'client']);
  if (keysProblem !== null) return refuse(keysProblem);
  const rawName = params.get('name') ?? '';
  if (rawName === '') return refuse('name is required: the host to explain');
  const name = canonicalName(rawName);
  const nameProblem = checkName(name);
  if (nameProblem !== null) return refuse(`name ${nameProblem}`);
  const type = (params.get('type') ?? 'A').toUpperCase();
  if (type !== 'A' && type !== 'AAAA')
    return refuse(`type must be A or AAAA, not ${JSON.stringify(type)}`);
  const client = clientOf(params.get('client') ?? '');
  if (client === undefined)
    return refuse(
      `client must be an IPv4 or IPv6 address, not ${JSON.stringify(params.get('client'))}`,
    );
  return { ok: true, request: { name, type, client } };
}

/** The client's subnet; null when none is given, undefined when `text` is no IP address. */
function clientOf(text: string): InspectedClient | null | undefined {
  if (text === '') return null;
  return inspectedClient(text) ?? undefined;
}

/** `limit` (1 to STATUS_MAX_LIMIT, default STATUS_DEFAULT_LIMIT) and `after` (a Gslb id). */
export function parseStatusParams(params: URLSearchParams): Parsed<StatusRequest> {
  const keysProblem = checkKeys(params, ['limit', 'after']);
  if (keysProblem !== null) return refuse(keysProblem);
  const limitText = params.get('limit');
  const limit = limitText === null ? STATUS_DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > STATUS_MAX_LIMIT || limitText === '')
    return refuse(`limit must be an integer from 1 to ${STATUS_MAX_LIMIT}`);
  const after = params.get('after');
  return { ok: true, request: { limit, after: after === null || after === '' ? null : after } };
}
