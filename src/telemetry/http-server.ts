/**
 * The HTTP endpoints: /metrics (Prometheus text), /healthz (the process
 * serves), /readyz (a table is built and Meridian is not stopping, with notes
 * on parts that fail without making it unready, such as the audit file).
 * node:http, no framework: three routes do not need one.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MeridianError, messageOf } from '../errors';
import type { HostPort } from '../config/load-config';
import type { MetricsPage } from './metrics-page';

/** Open HTTP connections at once; more are refused. */
export const MAX_HTTP_CONNECTIONS = 64;

/** A scraper that takes nothing for this long is disconnected. */
export const METRICS_STALL_MS = 10_000;

/** Why Meridian is not ready, or null when it is. */
export type ReadinessProbe = () => string | null;

/**
 * Lines /readyz adds after its status: problems that do not make Meridian
 * unready (it still answers) but that an operator looking at it should see.
 */
export type ReadinessNotes = () => readonly string[];

/** The /readyz body for `reason` (null: ready) and `notes`. */
export function readinessText(reason: string | null, notes: readonly string[]): string {
  const status = reason === null ? 'ready' : `not ready: ${reason}`;
  return [status, ...notes].map((line) => `${line}\n`).join('');
}

/** A started HTTP server. */
export interface HttpEndpoints {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Writes the metrics page chunk by chunk, waiting for the reader between
 * chunks: a large page never sits in memory whole, and a reader that stops
 * reading is cut off by the server's timeouts.
 */
async function sendMetrics(page: MetricsPage, response: ServerResponse): Promise<void> {
  let started = false;
  response.setTimeout(METRICS_STALL_MS, () => response.destroy());
  try {
    await page.write(async (chunk) => {
      if (response.destroyed) throw new Error('the scraper went away');
      if (!started) response.writeHead(200, { 'content-type': page.contentType });
      started = true;
      if (!response.write(chunk)) await waitForDrain(response);
    });
    response.end();
  } catch (err) {
    if (!started) response.writeHead(500).end(`metrics failed: ${messageOf(err)}\n`);
    else response.destroy();
  }
}

/** Resolves when `response` can take more, rejects when it closes first. */
function waitForDrain(response: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      response.off('drain', onDrain).off('close', onClose);
    };
    const onDrain = (): void => {
      done();
      resolve();
    };
    const onClose = (): void => {
      done();
      reject(new Error('the scraper went away'));
    };
    response.on('drain', onDrain).on('close', onClose);
  });
}

/** Starts the HTTP server on `address`. */
export async function startHttpServer(
  address: HostPort,
  page: MetricsPage,
  notReadyReason: ReadinessProbe,
  readinessNotes: ReadinessNotes = () => [],
): Promise<HttpEndpoints> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      void sendMetrics(page, response);
    } else if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const reason = notReadyReason();
      response
        .writeHead(reason === null ? 200 : 503, { 'content-type': 'text/plain' })
        .end(readinessText(reason, readinessNotes()));
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  // Probes and scrapers need a handful of connections; more is a misbehaving client.
  server.maxConnections = MAX_HTTP_CONNECTIONS;
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new MeridianError(
          'MERIDIAN_ERR_LISTEN',
          `HTTP ${address.host}:${address.port}: ${err.message}`,
          { cause: err },
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
