/**
 * The admin listener and the client commands on a real Meridian: the built
 * entry point in standalone mode answers /v1/explain and /v1/status on its
 * admin port, refuses requests without the token when one is set, and
 * `meridian explain`, `meridian status --json` and the binary installed as
 * `kubectl-meridian` print what it says; a manifest change shows up as a
 * decision record. In-process: a taken admin port leaves DNS served, an
 * unusable token file stops the start, and the listener's HTTP limits.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../harness/eventually';
import { gslbYaml } from '../../harness/gslb-yaml';
import {
  meridianProcessEnv,
  REPO_ROOT,
  startMeridianProcess,
  type Child,
} from '../../harness/processes';
import { startHarness } from '../helpers/app-harness';

const MAIN = join(REPO_ROOT, 'dist', 'main.js');
const HOST = 'web.cloud.example.org';
const TOKEN = 'admin-token-for-the-integration-test';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built binary (as `script`, a path to it) with `args`. */
function run(args: string[], script = MAIN, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 15_000 },
      (err, stdout, stderr) =>
        resolve({
          code: err === null ? 0 : typeof err.code === 'number' ? err.code : null,
          stdout,
          stderr,
        }),
    );
  });
}

/** The fields of the replies the tests read; the rest is matched as objects. */
interface Reply {
  readonly [field: string]: unknown;
  readonly answer: { readonly addresses: readonly string[] };
  readonly clusters: readonly unknown[];
  readonly gslbs: readonly { readonly id: string }[];
  readonly history?: readonly unknown[];
}

async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Reply }> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as Reply };
}

const failover = (addresses: string[]): string =>
  gslbYaml('web', HOST, addresses, '    primaryGeoTag: eu\n    fallbackGeoTags: [us]').replace(
    'type: roundRobin',
    'type: failover',
  );

describe('the built Meridian, standalone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-admin-'));
  const tokenDir = mkdtempSync(join(tmpdir(), 'meridian-admin-token-'));
  let meridian: Child;
  let admin = '';

  beforeAll(async () => {
    writeFileSync(join(dir, 'web.yaml'), failover(['192.0.2.1', '2001:db8::1']));
    writeFileSync(
      join(dir, 'shop.yaml'),
      gslbYaml('shop', 'shop.cloud.example.org', ['192.0.2.7']),
    );
    const env = await meridianProcessEnv(dir, { MERIDIAN_RELOAD_DEBOUNCE_MS: '20' });
    admin = `http://${env['MERIDIAN_ADMIN_LISTEN']}`;
    meridian = await startMeridianProcess(env);
  });

  afterAll(async () => {
    await meridian?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(tokenDir, { recursive: true, force: true });
  });

  test('/v1/explain: the answer for a client, the strategy, each cluster with its reason and source', async () => {
    const { status, body } = await getJson(`${admin}/v1/explain?name=${HOST}&client=198.51.100.7`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      name: HOST,
      type: 'A',
      client: { address: '198.51.100.7', subnet: '198.51.100.0/24' },
      answer: { rcode: 'NOERROR', addresses: ['192.0.2.1'], ttl: 30, clientSubnetScope: 0 },
      gslb: { id: 'test/web', strategy: 'failover', primaryGeoTag: 'eu', fallbackGeoTags: ['us'] },
      why: 'the primary eu is healthy: it serves alone',
      consistent: true,
      servable: ['192.0.2.1'],
      table: { generation: expect.any(Number), serial: expect.any(Number) },
    });
    expect(body.clusters).toEqual([
      expect.objectContaining({
        geoTag: 'eu',
        role: 'local',
        targets: ['192.0.2.1'],
        healthy: true,
        inAnswer: true,
        reason: 'primary: healthy',
        source: {
          kind: 'local',
          provenance: expect.objectContaining({
            source: 'manifests',
            gslb: { kind: 'Gslb', namespace: 'test', name: 'web', file: join(dir, 'web.yaml') },
          }),
        },
      }),
    ]);
    const aaaa = await getJson(`${admin}/v1/explain?name=${HOST}&type=AAAA`);
    expect(aaaa.body.answer).toMatchObject({ addresses: ['2001:db8::1'], clientSubnetScope: null });
  });

  test('hostile parameters are 400, other paths 404, other methods 405, all JSON', async () => {
    for (const query of [
      'name=a..b',
      `name=${HOST}&type=TXT`,
      `name=${HOST}&client=1.2.3.4.5`,
      'name=%3Cscript%3E',
    ])
      expect((await getJson(`${admin}/v1/explain?${query}`)).status).toBe(400);
    expect(await getJson(`${admin}/v1/explain?name=nothing.cloud.example.org`)).toMatchObject({
      status: 404,
      body: { error: 'unknown host', reason: 'no Gslb serves this name: NXDOMAIN' },
    });
    expect((await getJson(`${admin}/metrics`)).status).toBe(404);
    const post = await fetch(`${admin}/v1/status`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(await post.json()).toMatchObject({ error: 'method not allowed' });
  });

  test('/v1/status: every Gslb with its hosts, clusters and what is served', async () => {
    const { status, body } = await getJson(`${admin}/v1/status`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ geoTag: 'eu', total: 2, next: null, peers: [] });
    expect(body.gslbs.map((g) => g.id)).toEqual(['test/shop', 'test/web']);
    expect(body.gslbs[1]).toMatchObject({
      strategy: 'failover',
      clusters: [{ geoTag: 'eu', role: 'local', healthyHosts: 1, hosts: 1 }],
      hosts: [
        { host: HOST, localHealthy: true, served: { A: ['192.0.2.1'], AAAA: ['2001:db8::1'] } },
      ],
    });
  });

  test('meridian explain prints a short account; --json the reply', async () => {
    const text = await run(['explain', HOST, '--client', '198.51.100.7', '--server', admin]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${HOST} A for client 198.51.100.7 (ECS 198.51.100.0/24)`);
    expect(text.stdout).toContain('answer: NOERROR 192.0.2.1, TTL 30s, ECS scope /0');
    expect(text.stdout).toContain('why: the primary eu is healthy: it serves alone');
    expect(text.stdout).toContain('+ eu (local) 192.0.2.1: primary: healthy');
    const json = await run(['explain', HOST, '--type', 'AAAA', '--json'], MAIN, {
      MERIDIAN_ADMIN_URL: admin,
    });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      type: 'AAAA',
      answer: { addresses: ['2001:db8::1'] },
    });
    const unknown = await run(['explain', 'nothing.cloud.example.org', '--server', admin]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('no Gslb serves it');
  });

  test('meridian status --json, and the same binary as kubectl-meridian', async () => {
    const json = await run(['status', '--json', '--server', admin]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      total: 2,
      gslbs: [{ id: 'test/shop' }, { id: 'test/web' }],
    });
    const plugin = join(tokenDir, 'kubectl-meridian');
    symlinkSync(MAIN, plugin);
    const text = await run(['status', '--server', admin], plugin);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('test/web  failover  TTL 30s');
    expect(text.stdout).toContain(`${HOST}  A 192.0.2.1; AAAA 2001:db8::1`);
  });

  test('a manifest change is a decision record, in the explanation and the status', async () => {
    writeFileSync(join(dir, 'web.yaml'), failover(['192.0.2.2', '2001:db8::1']));
    const { body } = await eventually(
      () => getJson(`${admin}/v1/explain?name=${HOST}`),
      (reply) => (reply.body.history?.length ?? 0) > 0,
    );
    expect(body.answer.addresses).toEqual(['192.0.2.2']);
    expect(body.history?.[0]).toMatchObject({
      host: HOST,
      type: 'A',
      before: [{ address: '192.0.2.1' }],
      after: [{ address: '192.0.2.2' }],
      causes: [expect.objectContaining({ kind: 'gslb-changed' })],
    });
    const status = await run(['status', '--server', admin]);
    expect(status.stdout).toMatch(
      /last change \S+ A: 192\.0\.2\.1 → 192\.0\.2\.2 \(gslb-changed\)/,
    );
  });

  test('with a token file: 401 without the token, answers with it (header or --token-file)', async () => {
    const tokenFile = join(tokenDir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    const env = await meridianProcessEnv(dir, { MERIDIAN_ADMIN_TOKEN_FILE: tokenFile });
    const guarded = await startMeridianProcess(env);
    try {
      const url = `http://${env['MERIDIAN_ADMIN_LISTEN']}`;
      const refused = await fetch(`${url}/v1/status`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
      expect(await refused.json()).toEqual({
        error: 'unauthorized',
        reason: 'a bearer token is required',
      });
      expect(
        (await getJson(`${url}/v1/status`, { authorization: 'Bearer not-the-token' })).status,
      ).toBe(401);
      expect((await getJson(`${url}/v1/status`, { authorization: `Bearer ${TOKEN}` })).status).toBe(
        200,
      );
      const without = await run(['status', '--server', url]);
      expect(without.code).toBe(1);
      expect(without.stderr).toContain('unauthorized');
      const withToken = await run(['explain', HOST, '--server', url, '--token-file', tokenFile]);
      expect(withToken.code).toBe(0);
    } finally {
      await guarded.stop();
    }
  });
});

/** One raw HTTP exchange, for what fetch will not send. */
function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
) {
  return new Promise<{ status: number; headers: Record<string, unknown>; text: string }>(
    (resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, method, path, headers, timeout: 5_000 },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    },
  );
}

describe('in-process', () => {
  const web = { 'web.yaml': gslbYaml('web', HOST, ['192.0.2.1']) };

  test('HEAD answers without a body; a body is refused and never read; a target over 2,048 characters is 400', async () => {
    const harness = await startHarness(web);
    try {
      const port = harness.app.adminPort!;
      const head = await raw(port, 'HEAD', '/v1/status');
      expect(head.status).toBe(200);
      expect(head.text).toBe('');
      expect(head.headers['content-type']).toBe('application/json; charset=utf-8');
      const withBody = await raw(
        port,
        'GET',
        '/v1/status',
        { 'content-type': 'text/plain', 'content-length': '5' },
        'hello',
      );
      expect(withBody.status).toBe(400);
      expect(withBody.headers['connection']).toBe('close');
      expect(JSON.parse(withBody.text)).toEqual({
        error: 'bad request',
        reason: 'a GET carries no body',
      });
      expect((await raw(port, 'GET', '/v1/explain?name=' + 'a'.repeat(3000))).status).toBe(400);
    } finally {
      await harness.stop();
    }
  });

  test('an admin port already taken: logged, and DNS is served without the listener', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const harness = await startHarness(web, { MERIDIAN_ADMIN_LISTEN: `127.0.0.1:${port}` });
      expect(harness.app.adminPort).toBeNull();
      expect(harness.app.table.current()?.names.has(HOST)).toBe(true);
      await harness.stop();
    } finally {
      blocker.close();
    }
  });

  test('off: no listener', async () => {
    const harness = await startHarness(web, { MERIDIAN_ADMIN_LISTEN: '' });
    expect(harness.app.adminPort).toBeNull();
    await harness.stop();
  });

  test('a token file that is missing or holds no usable token stops the start (MERIDIAN_ERR_ADMIN)', async () => {
    const tokenDir = mkdtempSync(join(tmpdir(), 'meridian-admin-token-'));
    const short = join(tokenDir, 'short');
    writeFileSync(short, 'short\n');
    try {
      await expect(
        startHarness(web, { MERIDIAN_ADMIN_TOKEN_FILE: join(tokenDir, 'missing') }),
      ).rejects.toMatchObject({
        code: 'MERIDIAN_ERR_ADMIN',
      });
      await expect(startHarness(web, { MERIDIAN_ADMIN_TOKEN_FILE: short })).rejects.toMatchObject({
        code: 'MERIDIAN_ERR_ADMIN',
        message: expect.stringContaining('16 characters or more'),
      });
    } finally {
      rmSync(tokenDir, { recursive: true, force: true });
    }
  });
});
