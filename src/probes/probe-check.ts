/**
 * One probe of one address, as a client would reach it: HTTP, HTTPS or a TCP
 * connect. Built so that it cannot hurt the target or the prober: a fresh
 * connection every time (no agent, no keep-alive: each probe tests the path
 * as a new client meets it), one timeout over the whole exchange, redirects
 * never followed (a 3xx is just a status), the body read up to a bound and
 * only when a substring is expected. The certificate is verified by default,
 * against the system's CAs or the given bundle; the Host header and SNI are
 * the Gslb's host unless told. Never rejects: the result says what happened.
 */
import { connect as tcpConnect } from 'node:net';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** What to probe and how. */
export interface ProbeCheck {
  readonly type: 'http' | 'https' | 'tcp';
  readonly address: string;
  readonly port: number;
  /** Request path (http, https). */
  readonly path: string;
  /** Host header and TLS server name. */
  readonly host: string;
  /** Status codes that count as healthy. */
  readonly expectStatus: readonly number[];
  /** A substring the body must contain, or null (the body is then not read). */
  readonly bodyContains: string | null;
  readonly timeoutMs: number;
  /** https: verify the certificate chain and name. */
  readonly verifyTls: boolean;
  /** https: PEM CA bundle to verify against instead of the system's. */
  readonly caPem: string | null;
}

/** How a probe ended. */
export interface CheckOutcome {
  readonly ok: boolean;
  /** `timeout`, `refused`, `TLS error: …`, `status 503`, `body mismatch`, …; null when ok. */
  readonly error: string | null;
  readonly latencyMs: number;
}

/** Body bytes read at most, looking for the expected substring. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Runs `check` once. */
export function runCheck(check: ProbeCheck, signal: AbortSignal): Promise<CheckOutcome> {
  const started = performance.now();
  const done = (error: string | null): CheckOutcome => ({
    ok: error === null,
    error,
    latencyMs: performance.now() - started,
  });
  return new Promise((resolve) => {
    let settled = false;
    const finish = (error: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      cleanup();
      resolve(done(error));
    };
    const timer = setTimeout(() => finish('timeout'), check.timeoutMs);
    const onAbort = (): void => finish('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    const cleanup = check.type === 'tcp' ? probeTcp(check, finish) : probeHttp(check, finish);
    if (signal.aborted) finish('aborted');
  });
}

function probeTcp(check: ProbeCheck, finish: (error: string | null) => void): () => void {
  const socket = tcpConnect({ host: check.address, port: check.port });
  socket.once('connect', () => finish(null));
  socket.once('error', (err) => finish(networkError(err)));
  return () => socket.destroy();
}

function probeHttp(check: ProbeCheck, finish: (error: string | null) => void): () => void {
  const options = {
    host: check.address,
    port: check.port,
    path: check.path,
    method: 'GET',
    agent: false as const,
    headers: { host: check.host, 'user-agent': 'meridian-probe', connection: 'close' },
    ...(check.type === 'https'
      ? {
          servername: check.host,
          rejectUnauthorized: check.verifyTls,
          ...(check.caPem === null ? {} : { ca: check.caPem }),
        }
      : {}),
  };
  const request = (check.type === 'https' ? httpsRequest : httpRequest)(options, (response) =>
    readResponse(check, response, finish),
  );
  request.once('error', (err) => finish(networkError(err)));
  request.end();
  return () => request.destroy();
}

function readResponse(
  check: ProbeCheck,
  response: IncomingMessage,
  finish: (error: string | null) => void,
): void {
  const status = response.statusCode ?? 0;
  if (!check.expectStatus.includes(status)) {
    response.resume();
    finish(`status ${status}`);
    return;
  }
  const wanted = check.bodyContains;
  if (wanted === null) {
    response.resume();
    finish(null);
    return;
  }
  let seen = Buffer.alloc(0);
  response.on('data', (chunk: Buffer) => {
    seen = Buffer.concat([seen, chunk]).subarray(0, MAX_BODY_BYTES);
    if (seen.includes(wanted)) finish(null);
    else if (seen.length >= MAX_BODY_BYTES) finish('body mismatch');
  });
  response.once('end', () => finish(seen.includes(wanted) ? null : 'body mismatch'));
  response.once('error', (err) => finish(networkError(err)));
}

/** A failure's text: refused, reset, TLS, or the system's code. */
function networkError(err: Error & { code?: string }): string {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'connection closed';
  const tls = ['ERR_TLS', 'ERR_SSL', 'UNABLE_TO_'].some((prefix) => code.startsWith(prefix));
  if (tls || code.includes('CERT')) return `TLS error: ${code}`;
  if (/socket hang up/.test(err.message)) return 'connection closed';
  return code === '' ? err.message : `${code}: ${err.message}`;
}
