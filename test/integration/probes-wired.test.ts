/**
 * Probes wired end to end inside one Meridian (standalone mode, in-process):
 * each Gslb's target is a real local server started here, switched to fail
 * in its own way (503, slow, closing the connection, a wrong body, a TCP
 * port that stops listening), and an HTTPS target whose certificate comes
 * from a CA the probe is not given, or has expired. Each failure leaves the
 * answers within interval × fall + 1 s and each recovery is back within
 * interval × rise + 1 s; explain names the probe's state and history, and
 * the decision record names the cause (probe-failed, probe-recovered).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  createServer as createTcpServer,
  type AddressInfo,
  type Server as TcpServer,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { poll } from '../../harness/eventually';
import { createTestPki, expiredCertificate, type TestPki } from '../helpers/certificates';
import { startHarness, type Harness } from '../helpers/app-harness';
import { served } from '../helpers/table-fixtures';

const INTERVAL_S = 1;
const FALL = 2;
const RISE = 2;
const DOWN_BOUND_MS = INTERVAL_S * FALL * 1000 + 1000;
const UP_BOUND_MS = INTERVAL_S * RISE * 1000 + 1000;

type Mode = 'ok' | '503' | 'slow' | 'close' | 'wrong-body';

/** An HTTP server whose answer the test switches. */
class SwitchableServer {
  mode: Mode = 'ok';
  readonly server: Server;
  constructor(tls?: { key: string; cert: string }) {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      if (this.mode === 'slow') return;
      if (this.mode === 'close') {
        req.socket.destroy();
        return;
      }
      res
        .writeHead(this.mode === '503' ? 503 : 200)
        .end(this.mode === 'wrong-body' ? 'maintenance' : 'healthy');
    };
    this.server = tls === undefined ? createHttpServer(handler) : createHttpsServer(tls, handler);
  }
}

function listen(server: Server | TcpServer, address: string, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve((server.address() as AddressInfo).port));
  });
}

function manifest(name: string, address: string, probe: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'k8gb.io/v1beta1',
    kind: 'Gslb',
    metadata: {
      name,
      namespace: 'probes',
      annotations: { 'k8gb.io/exposed-ip-addresses': address },
    },
    spec: {
      ingress: { rules: [{ host: `${name}.cloud.example.org` }] },
      strategy: { type: 'roundRobin', dnsTtlSeconds: 5 },
      probe: { intervalSeconds: INTERVAL_S, timeoutSeconds: 1, rise: RISE, fall: FALL, ...probe },
    },
  });
}

let harness: Harness;
let pki: TestPki;
let expiredDir: string;
const http: Record<string, SwitchableServer> = {};
let tcp: TcpServer;
let tcpPort: number;
const closers: (() => Promise<void>)[] = [];

const HTTP_CASES: readonly { name: string; mode: Mode; error: string }[] = [
  { name: 'status', mode: '503', error: 'status 503' },
  { name: 'slow', mode: 'slow', error: 'timeout' },
  { name: 'closing', mode: 'close', error: 'connection closed' },
  { name: 'body', mode: 'wrong-body', error: 'body mismatch' },
];
const addressOf = (i: number): string => `127.0.0.${20 + i}`;

beforeAll(async () => {
  pki = createTestPki();
  expiredDir = mkdtempSync(join(tmpdir(), 'meridian-expired-'));
  const manifests: Record<string, string> = {};
  for (const [i, c] of HTTP_CASES.entries()) {
    const server = new SwitchableServer();
    http[c.name] = server;
    const port = await listen(server.server, addressOf(i));
    const extra = c.name === 'body' ? { bodyContains: 'healthy' } : {};
    manifests[`${c.name}.json`] = manifest(c.name, addressOf(i), {
      type: 'http',
      port,
      path: '/healthz',
      ...extra,
    });
  }
  tcp = createTcpServer((socket) => socket.end());
  tcpPort = await listen(tcp, addressOf(10));
  manifests['tcp.json'] = manifest('tcp', addressOf(10), { type: 'tcp', port: tcpPort });
  const trusted = new SwitchableServer({
    key: pki.read(pki.serverKey).toString(),
    cert: pki.read(pki.serverCert).toString(),
  });
  const tlsPort = await listen(trusted.server, addressOf(11));
  const expired = new SwitchableServer(expiredCertificate(expiredDir));
  const expiredPort = await listen(expired.server, addressOf(12));
  const https = { type: 'https', host: 'localhost' };
  manifests['untrusted.json'] = manifest('untrusted', addressOf(11), { ...https, port: tlsPort });
  manifests['trusted.json'] = manifest('trusted', addressOf(11), {
    ...https,
    port: tlsPort,
    caBundle: pki.read(pki.caCert).toString(),
  });
  manifests['expired.json'] = manifest('expired', addressOf(12), {
    ...https,
    port: expiredPort,
    caBundle: pki.read(pki.caCert).toString(),
  });
  for (const server of [...Object.values(http), trusted, expired])
    closers.push(async () => {
      server.server.closeAllConnections();
      await new Promise((resolve) => server.server.close(resolve));
    });
  harness = await startHarness(manifests);
}, 60_000);

afterAll(async () => {
  await harness?.stop();
  for (const close of closers) await close();
  await new Promise((resolve) => tcp.close(resolve));
  rmSync(pki.dir, { recursive: true, force: true });
  rmSync(expiredDir, { recursive: true, force: true });
});

const answer = (name: string): string[] =>
  served(harness.app.table.current()!, `${name}.cloud.example.org`);

/** How long until `name`'s answer is `wanted`, failing past `boundMs`. */
async function until(
  name: string,
  wanted: string[],
  boundMs: number,
  what: string,
): Promise<number> {
  const started = performance.now();
  await poll(
    () => Promise.resolve(answer(name)),
    (seen) => JSON.stringify(seen) === JSON.stringify(wanted),
    { timeoutMs: boundMs, intervalMs: 20, what },
  );
  return performance.now() - started;
}

async function explain(name: string): Promise<{
  probes: { verdict: string; lastError: string | null; history: { ok: boolean }[] }[];
  history: { causes: { kind: string; detail?: string }[] }[];
}> {
  const url = `http://127.0.0.1:${harness.app.adminPort}/v1/explain?name=${name}.cloud.example.org&type=A`;
  const reply = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return (await reply.json()) as Awaited<ReturnType<typeof explain>>;
}

test.each(HTTP_CASES.map((c, i) => [c.name, c.mode, c.error, i] as const))(
  'http %s (%s): withdrawn within interval × fall + 1 s naming "%s", back within interval × rise + 1 s',
  async (name, mode, error, i) => {
    const address = addressOf(i);
    await until(name, [address], UP_BOUND_MS, `${name} served while healthy`);
    http[name]!.mode = mode;
    const down = await until(name, [], DOWN_BOUND_MS + 1000, `${name} withdrawn`);
    http[name]!.mode = 'ok';
    const up = await until(name, [address], UP_BOUND_MS + 1000, `${name} served again`);
    process.stdout.write(
      `probes: http ${name}: withdrawn after ${down.toFixed(0)} ms (bound ${DOWN_BOUND_MS}), back after ${up.toFixed(0)} ms (bound ${UP_BOUND_MS})\n`,
    );
    // A slow probe only fails at its timeout, one second into the interval.
    expect(down).toBeLessThanOrEqual(DOWN_BOUND_MS + (mode === 'slow' ? 1000 : 0));
    expect(up).toBeLessThanOrEqual(UP_BOUND_MS);
    const explained = await explain(name);
    expect(explained.probes[0]).toMatchObject({ verdict: 'up' });
    expect(explained.probes[0]!.history.some((r) => !r.ok)).toBe(true);
    const causes = explained.history.flatMap((r) => r.causes);
    expect(causes).toContainEqual(
      expect.objectContaining({
        kind: 'probe-failed',
        detail: expect.stringContaining(`failed: ${error}`) as unknown,
      }),
    );
    expect(causes).toContainEqual(expect.objectContaining({ kind: 'probe-recovered' }));
  },
  20_000,
);

test('tcp: a port that stops listening is withdrawn ("refused"), and back once it listens again', async () => {
  const address = addressOf(10);
  await until('tcp', [address], UP_BOUND_MS, 'tcp served');
  await new Promise((resolve) => tcp.close(resolve));
  const down = await until('tcp', [], DOWN_BOUND_MS, 'tcp withdrawn');
  tcp = createTcpServer((socket) => socket.end());
  await listen(tcp, address, tcpPort);
  const up = await until('tcp', [address], UP_BOUND_MS, 'tcp served again');
  process.stdout.write(
    `probes: tcp: withdrawn after ${down.toFixed(0)} ms, back after ${up.toFixed(0)} ms\n`,
  );
  const causes = (await explain('tcp')).history.flatMap((r) => r.causes);
  expect(causes).toContainEqual(
    expect.objectContaining({
      kind: 'probe-failed',
      detail: expect.stringContaining('failed: refused') as unknown,
    }),
  );
}, 20_000);

test('https: a certificate from a CA the probe is not given, or an expired one, is withdrawn; the given CA passes', async () => {
  await until('untrusted', [], DOWN_BOUND_MS, 'untrusted withdrawn');
  await until('expired', [], DOWN_BOUND_MS, 'expired withdrawn');
  expect(answer('trusted')).toEqual([addressOf(11)]);
  const untrusted = await explain('untrusted');
  expect(untrusted.probes[0]).toMatchObject({
    verdict: 'down',
    lastError: expect.stringMatching(/^TLS error: /) as unknown,
  });
  expect((await explain('expired')).probes[0]!.lastError).toBe('TLS error: CERT_HAS_EXPIRED');
  expect((await explain('trusted')).probes[0]).toMatchObject({ verdict: 'up', lastError: null });
}, 20_000);
