/**
 * The admin listener: node:http like the metrics server, with its limits
 * (connections, header and request timeouts), answering the routes of
 * routes.ts. A request is answered once its headers are read; a body is
 * never read, so a client cannot make the server hold one.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HostPort } from '../config/load-config';
import { MeridianError, messageOf } from '../errors';
import { route, type AdminRoutes, type RoutedReply } from './routes';

/** Open admin connections at once; an operator's CLI needs one or two. */
export const MAX_ADMIN_CONNECTIONS = 16;
/** A request whose headers or whole exchange take longer is cut off. */
export const ADMIN_REQUEST_TIMEOUT_MS = 10_000;

/** A started admin listener. */
export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return (
    request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  );
}

function reply(routes: AdminRoutes, request: IncomingMessage): RoutedReply {
  try {
    return route(routes, {
      method: request.method ?? 'GET',
      target: request.url ?? '/',
      authorization: request.headers.authorization,
      hasBody: hasBody(request),
    });
  } catch (err) {
    // A failure of one explanation answers that request only.
    return { status: 500, body: { error: 'internal error', reason: messageOf(err) } };
  }
}

/** Starts the admin listener on `address`. */
export async function startAdminServer(
  address: HostPort,
  routes: AdminRoutes,
): Promise<AdminServer> {
  const server: Server = createServer((request, response) => {
    const answered = reply(routes, request);
    const body = `${JSON.stringify(answered.body)}\n`;
    response.writeHead(answered.status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // A body the client sent anyway is not read: the connection closes after the reply.
      ...(hasBody(request) ? { connection: 'close' } : {}),
      ...answered.headers,
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  server.maxConnections = MAX_ADMIN_CONNECTIONS;
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = ADMIN_REQUEST_TIMEOUT_MS;
  server.requestTimeout = ADMIN_REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new MeridianError(
          'MERIDIAN_ERR_LISTEN',
          `admin ${address.host}:${address.port}: ${err.message}`,
          {
            cause: err,
          },
        ),
      ),
    );
    server.listen(address.port, address.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
