/**
 * One probe against real local servers started here: an HTTP server that
 * can be switched to 503, to slow, to closing the connection, to a wrong
 * body or to a redirect; HTTPS with a certificate from a test CA (refused
 * unless that CA is given) and with an expired one; a TCP port that stops
 * listening. Each outcome names its failure the way the decision record
 * will.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck, type ProbeCheck } from '../../src/probes/probe-check';
import { createTestPki, expiredCertificate, type TestPki } from '../helpers/certificates';

type Mode = 'ok' | '503' | 'slow' | 'close' | 'wrong-body' | 'redirect';

let mode: Mode = 'ok';
let requests: { host: string | undefined; path: string | undefined }[] = [];
const handler = (
  req: import('node:http').IncomingMessage,
  res: import('node:http').ServerResponse,
) => {
  requests.push({ host: req.headers.host, path: req.url });
  if (mode === 'slow') return; // never answers
  if (mode === 'close') {
    req.socket.destroy();
    return;
  }
  if (mode === 'redirect') {
    res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
    return;
  }
  res.writeHead(mode === '503' ? 503 : 200, { 'content-type': 'text/plain' });
  res.end(mode === 'wrong-body' ? 'maintenance' : 'status: healthy');
};

let http: Server;
let https: Server;
let expired: Server;
let pki: TestPki;
let expiredDir: string;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

let ports: { http: number; https: number; expired: number };

beforeAll(async () => {
  pki = createTestPki();
  expiredDir = mkdtempSync(join(tmpdir(), 'meridian-expired-'));
  http = createHttpServer(handler);
  https = createHttpsServer(
    { key: pki.read(pki.serverKey), cert: pki.read(pki.serverCert) },
    handler,
  );
  expired = createHttpsServer(expiredCertificate(expiredDir), handler);
  ports = { http: await listen(http), https: await listen(https), expired: await listen(expired) };
}, 60_000);

afterAll(async () => {
  for (const server of [http, https, expired]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  rmSync(pki.dir, { recursive: true, force: true });
  rmSync(expiredDir, { recursive: true, force: true });
});

beforeEach(() => {
  mode = 'ok';
  requests = [];
});

const check = (overrides: Partial<ProbeCheck> = {}): ProbeCheck => ({
  type: 'http',
  address: '127.0.0.1',
  port: ports.http,
  path: '/healthz',
  host: 'shop.cloud.example.org',
  expectStatus: [200],
  bodyContains: null,
  timeoutMs: 500,
  verifyTls: true,
  caPem: null,
  ...overrides,
});

const probe = (overrides: Partial<ProbeCheck> = {}) =>
  runCheck(check(overrides), new AbortController().signal);

describe('http', () => {
  test("healthy: the Gslb's host in the Host header, the path asked", async () => {
    expect(await probe()).toMatchObject({ ok: true, error: null });
    expect(requests).toEqual([{ host: 'shop.cloud.example.org', path: '/healthz' }]);
  });

  test.each([
    ['503', {}, 'status 503'],
    ['redirect', {}, 'status 302'],
    ['wrong-body', { bodyContains: 'healthy' }, 'body mismatch'],
    ['close', {}, 'connection closed'],
    ['slow', {}, 'timeout'],
  ] as const)('%s: %s', async (switched, overrides, error) => {
    mode = switched;
    const outcome = await probe(overrides);
    expect(outcome).toMatchObject({ ok: false, error });
    // Bounded by the timeout, whatever the server does.
    expect(outcome.latencyMs).toBeLessThan(1_500);
  });

  test('the expected body and other accepted statuses', async () => {
    expect(await probe({ bodyContains: 'healthy' })).toMatchObject({ ok: true });
    mode = '503';
    expect(await probe({ expectStatus: [200, 503] })).toMatchObject({ ok: true });
  });

  test('a redirect is never followed', async () => {
    mode = 'redirect';
    await probe({ expectStatus: [302] });
    expect(requests).toHaveLength(1);
  });

  test('every probe is a fresh connection', async () => {
    const connections: unknown[] = [];
    const onConnection = (socket: unknown): number => connections.push(socket);
    http.on('connection', onConnection);
    try {
      for (let i = 0; i < 3; i++) await probe();
      expect(connections).toHaveLength(3);
    } finally {
      http.off('connection', onConnection);
    }
  });

  test('an abort ends the probe at once', async () => {
    mode = 'slow';
    const controller = new AbortController();
    const running = runCheck(check({ timeoutMs: 10_000 }), controller.signal);
    controller.abort();
    expect(await running).toMatchObject({ ok: false, error: 'aborted' });
  });
});

describe('https', () => {
  test('a certificate from an unknown CA is refused unless that CA is given', async () => {
    const host = 'localhost';
    expect(await probe({ type: 'https', port: ports.https, host })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^TLS error: /),
    });
    const ca = pki.read(pki.caCert).toString('utf8');
    expect(await probe({ type: 'https', port: ports.https, host, caPem: ca })).toMatchObject({
      ok: true,
    });
    expect(await probe({ type: 'https', port: ports.https, host, verifyTls: false })).toMatchObject(
      {
        ok: true,
      },
    );
  });

  test('an expired certificate is refused', async () => {
    const outcome = await probe({ type: 'https', port: ports.expired, host: 'localhost' });
    expect(outcome).toMatchObject({ ok: false, error: 'TLS error: CERT_HAS_EXPIRED' });
  });
});

describe('tcp', () => {
  test('a listening port is healthy; once it stops listening, refused', async () => {
    const server = createTcpServer((socket) => socket.destroy());
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
    expect(await probe({ type: 'tcp', port })).toMatchObject({ ok: true });
    await new Promise((resolve) => server.close(resolve));
    expect(await probe({ type: 'tcp', port })).toMatchObject({ ok: false, error: 'refused' });
  });
});
