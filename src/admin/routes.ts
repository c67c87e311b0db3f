/**
 * The admin endpoints as a pure function of a request's method, target and
 * headers: the token is checked first (401), then the method (405, GETs
 * only, and without a body), the path (404) and the query string (400), and
 * only then is anything read. Every reply, errors included, is JSON.
 */
import type { BearerCheck } from './bearer-token';
import { explain, type AdminInputs, type AdminReply } from './explain';
import { parseExplainParams, parseStatusParams, type Parsed } from './request-params';
import type { StatusPages } from './status';

/** Longest request target accepted: a host name and an address fit many times over. */
export const MAX_TARGET_LENGTH = 2_048;

/** What a request is judged on. */
export interface AdminRequest {
  readonly method: string;
  /** The request target, path and query (`/v1/explain?name=…`). */
  readonly target: string;
  readonly authorization: string | undefined;
  /** True when the request announces a body (content-length above 0, or transfer-encoding). */
  readonly hasBody: boolean;
}

/** A reply with the headers it needs beyond the content type. */
export interface RoutedReply extends AdminReply {
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the routes answer from. */
export interface AdminRoutes {
  readonly inputs: AdminInputs;
  readonly status: StatusPages;
  readonly bearer: BearerCheck;
}

const error = (status: number, message: string, reason?: string): RoutedReply => ({
  status,
  body: reason === undefined ? { error: message } : { error: message, reason },
});

/** Answers one admin request. */
export function route(routes: AdminRoutes, request: AdminRequest): RoutedReply {
  if (!routes.bearer.allows(request.authorization))
    return {
      ...error(401, 'unauthorized', 'a bearer token is required'),
      headers: { 'www-authenticate': 'Bearer' },
    };
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return { ...error(405, 'method not allowed', 'only GET'), headers: { allow: 'GET, HEAD' } };
  if (request.hasBody) return error(400, 'bad request', 'a GET carries no body');
  if (request.target.length > MAX_TARGET_LENGTH)
    return error(
      400,
      'bad request',
      `the request target is longer than ${MAX_TARGET_LENGTH} characters`,
    );
  let url: URL;
  try {
    url = new URL(request.target, 'http://admin.invalid');
  } catch {
    return error(400, 'bad request', 'the request target is no URL');
  }
  switch (url.pathname) {
    case '/v1/explain':
      return answer(parseExplainParams(url.searchParams), (r) => explain(routes.inputs, r));
    case '/v1/status':
      return answer(parseStatusParams(url.searchParams), (r) => routes.status.page(r));
    default:
      return error(404, 'not found', 'the endpoints are /v1/explain and /v1/status');
  }
}

function answer<T>(parsed: Parsed<T>, handle: (request: T) => AdminReply): RoutedReply {
  return parsed.ok ? handle(parsed.request) : error(400, 'bad request', parsed.reason);
}
