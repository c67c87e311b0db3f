/**
 * How the CLI reads the admin listener: one GET with a timeout, the bearer
 * token when one is given, the JSON reply. The URL is the listener's
 * (`http://127.0.0.1:9054`, or what `kubectl port-forward` opened); only
 * http and https are accepted, so that a typo is no request elsewhere.
 */

import type { KubeApi } from '../k8s/client/kube-api';
import type { QueryFn } from '../peers/dns-client';

/** How long one request may take. */
export const ADMIN_REQUEST_TIMEOUT_MS = 10_000;
/** The listener's default address. */
export const DEFAULT_SERVER = 'http://127.0.0.1:9054';

/** What the CLI needs of the outside world; main.ts passes the real ones. */
export interface CliIo {
  readonly fetch: typeof fetch;
  readonly readFile: (path: string) => Promise<string>;
  readonly write: (text: string) => void;
  readonly writeError: (text: string) => void;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Aborted on SIGINT and SIGTERM: `--watch` ends. */
  readonly signal: AbortSignal;
  /** MERIDIAN_ADMIN_URL and MERIDIAN_ADMIN_TOKEN_FILE, when set. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** For drain and undrain: the apiserver of a kubeconfig (null: in-cluster). */
  readonly connectKube?: (kubeconfigPath: string | null) => Promise<KubeApi>;
  /** Writes a file whole (a manifest edited, a drill report), replacing it atomically. */
  readonly writeFile?: (path: string, text: string) => Promise<void>;
  /** Wall clock in ms. */
  readonly now?: () => number;
  /** Who runs the command (the login name), for `drain-by`. */
  readonly userName?: string;
  /** One DNS query, for the drill; never rejects. */
  readonly query?: QueryFn;
}

/** Where and how to reach the listener. */
export interface AdminTarget {
  readonly server: string;
  readonly token: string | null;
}

/** A reply of the listener. */
export interface AdminResponse {
  readonly status: number;
  readonly body: unknown;
}

/** A problem the CLI reports and exits 1 for. */
export class CliError extends Error {}

/** The listener's URL and token from flags, then the environment. */
export async function adminTarget(
  flags: { readonly server?: string | undefined; readonly 'token-file'?: string | undefined },
  io: CliIo,
): Promise<AdminTarget> {
  const server = flags.server ?? io.env['MERIDIAN_ADMIN_URL'] ?? DEFAULT_SERVER;
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new CliError(`--server ${JSON.stringify(server)} is no URL (e.g. ${DEFAULT_SERVER})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(`--server must be an http or https URL, not ${JSON.stringify(server)}`);
  const tokenFile = flags['token-file'] ?? io.env['MERIDIAN_ADMIN_TOKEN_FILE'] ?? '';
  if (tokenFile === '') return { server: url.href, token: null };
  try {
    return { server: url.href, token: (await io.readFile(tokenFile)).trim() };
  } catch (err) {
    throw new CliError(`cannot read the token file ${tokenFile}: ${(err as Error).message}`);
  }
}

/** GETs `path` (with its query) from the listener. */
export async function getAdmin(
  target: AdminTarget,
  path: string,
  io: CliIo,
): Promise<AdminResponse> {
  const url = new URL(path, target.server);
  let response: Response;
  try {
    response = await io.fetch(url, {
      headers: target.token === null ? {} : { authorization: `Bearer ${target.token}` },
      signal: AbortSignal.any([AbortSignal.timeout(ADMIN_REQUEST_TIMEOUT_MS), io.signal]),
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new CliError(
      `cannot reach the admin listener at ${target.server}: ${cause ?? (err as Error).message}` +
        ' (is Meridian running with MERIDIAN_ADMIN_LISTEN, or a kubectl port-forward open?)',
    );
  }
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    throw new CliError(
      `${url.pathname} answered ${response.status} with no JSON: ${text.slice(0, 200)}`,
    );
  }
}

/** The admin path that explains `name`'s answer of `type` (optionally for one client address). */
export function explainPath(name: string, type: string, client?: string): string {
  const query = new URLSearchParams({ name, type });
  if (client !== undefined) query.set('client', client);
  return `/v1/explain?${query.toString()}`;
}

/** The reason of an error reply, for the user. */
export function errorOf(response: AdminResponse): string {
  const body = response.body as { error?: unknown; reason?: unknown } | null;
  const error = typeof body?.error === 'string' ? body.error : `status ${response.status}`;
  return typeof body?.reason === 'string' ? `${error}: ${body.reason}` : error;
}
