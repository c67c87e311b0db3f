/**
 * The client commands against a fake listener (an injected fetch): what is
 * asked (path, parameters, token), what is printed, exit statuses, paging
 * and --watch, and which invocations are client commands at all.
 */
import type { CliIo } from '../../../src/cli/admin-client';
import { adminCommandOf, runAdminCommand } from '../../../src/cli/admin-commands';

interface Fake {
  readonly io: CliIo;
  readonly out: string[];
  readonly err: string[];
  readonly asked: { url: string; authorization: string | undefined }[];
}

type Handler = (url: URL) => { status: number; body: unknown } | Error | string;

function fake(
  handler: Handler,
  env: Record<string, string> = {},
  files: Record<string, string> = {},
): Fake & { abort: () => void } {
  const out: string[] = [];
  const err: string[] = [];
  const asked: Fake['asked'] = [];
  const controller = new AbortController();
  const fetchFn = ((input: URL, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    asked.push({ url: input.href, authorization: headers['authorization'] });
    const result = handler(input);
    if (result instanceof Error) return Promise.reject(result);
    if (typeof result === 'string') return Promise.resolve(new Response(result, { status: 502 }));
    return Promise.resolve(new Response(JSON.stringify(result.body), { status: result.status }));
  }) as typeof fetch;
  let sleeps = 0;
  return {
    out,
    err,
    asked,
    abort: () => controller.abort(),
    io: {
      fetch: fetchFn,
      readFile: (path) => {
        const text = files[path];
        return text === undefined
          ? Promise.reject(new Error(`ENOENT: ${path}`))
          : Promise.resolve(text);
      },
      write: (text) => out.push(text),
      writeError: (text) => err.push(text),
      // The second sleep of a --watch is interrupted, as by Ctrl-C.
      sleep: () => {
        sleeps++;
        if (sleeps === 2) controller.abort();
        return Promise.resolve();
      },
      signal: controller.signal,
      env,
    },
  };
}

const EXPLANATION = {
  name: 'app.cloud.example.org',
  type: 'A',
  client: { address: '10.1.2.3', family: 4, sourcePrefixLength: 24, subnet: '10.1.2.0/24' },
  table: { generation: 7, serial: 2026120601 },
  answer: {
    rcode: 'NOERROR',
    authoritative: true,
    addresses: ['192.0.2.1'],
    ttl: 30,
    clientSubnetScope: 0,
  },
  gslb: {
    id: 'shop/web',
    strategy: 'failover',
    ttlSeconds: 30,
    primaryGeoTag: 'eu',
    fallbackGeoTags: ['us'],
    weights: { eu: 1 },
    failOpen: true,
  },
  why: 'the primary eu is healthy: it serves alone',
  clientLocation: { datacenter: 'dc1', scopePrefixLength: 16 },
  clusters: [
    {
      geoTag: 'eu',
      role: 'local',
      targets: ['192.0.2.1'],
      healthy: true,
      inAnswer: true,
      reason: 'primary: healthy',
      source: {
        kind: 'local',
        provenance: {
          source: 'kubernetes',
          gslb: { kind: 'Gslb', namespace: 'shop', name: 'web' },
          hosts: [
            {
              host: 'app.cloud.example.org',
              health: 'Healthy',
              detail: '2 of 2 endpoints ready',
              reads: [{ kind: 'Service', namespace: 'shop', name: 'web' }],
            },
          ],
          exposed: [],
        },
      },
    },
    {
      geoTag: 'us',
      role: 'peer',
      targets: ['198.51.100.1'],
      healthy: true,
      inAnswer: false,
      reason: 'fallback #1: healthy, but eu comes first (order eu → us)',
      source: {
        kind: 'peer',
        peer: {
          state: 'up',
          lastSuccess: '2026-12-06T00:00:00.000Z',
          failedPolls: 0,
          lastError: null,
          server: '203.0.113.53:53',
        },
        answered: { addresses: ['198.51.100.1'], lastSuccess: '2026-12-06T00:00:01.000Z' },
      },
    },
    {
      geoTag: 'ap',
      role: 'peer',
      targets: [],
      healthy: false,
      inAnswer: false,
      reason: 'not polled',
      source: { kind: 'peer', peer: null },
    },
    {
      geoTag: 'sa',
      role: 'local',
      targets: [],
      healthy: false,
      inAnswer: false,
      reason: 'x',
      source: { kind: 'local', provenance: null },
    },
  ],
  servable: ['192.0.2.1'],
  consistent: false,
  probes: [
    {
      address: '192.0.2.1',
      type: 'https',
      port: 443,
      verdict: 'down',
      lastError: 'status 503',
      history: [{ ok: true }, { ok: false }, { ok: false }],
    },
    { address: '192.0.2.2', type: 'tcp', port: 5432, verdict: 'unknown', lastError: null },
  ],
  history: [
    {
      time: '2026-12-06T00:00:02.000Z',
      before: [{ address: '198.51.100.1' }],
      after: [{ address: '192.0.2.1' }],
      causes: [{ kind: 'peer-up', detail: 'eu back' }, { kind: 'resync' }],
    },
    { time: '2026-12-06T00:00:03.000Z', before: [], after: [], causes: [] },
  ],
};

describe('meridian explain', () => {
  test('asks /v1/explain with the name, type and client, and prints a short account', async () => {
    const f = fake(() => ({ status: 200, body: EXPLANATION }));
    const code = await runAdminCommand(
      [
        'explain',
        'app.cloud.example.org',
        '--client',
        '10.1.2.3',
        '--server',
        'http://127.0.0.1:1234',
      ],
      f.io,
    );
    expect(code).toBe(0);
    expect(f.asked).toEqual([
      {
        url: 'http://127.0.0.1:1234/v1/explain?name=app.cloud.example.org&type=A&client=10.1.2.3',
        authorization: undefined,
      },
    ]);
    const text = f.out.join('');
    for (const line of [
      'app.cloud.example.org A for client 10.1.2.3 (ECS 10.1.2.0/24)',
      'answer: NOERROR 192.0.2.1, TTL 30s, ECS scope /0',
      'Gslb shop/web: failover, primary eu, fallback us, weights eu=1, failOpen, TTL 30s',
      'why: the primary eu is healthy: it serves alone',
      'client located in datacenter dc1',
      '+ eu (local) 192.0.2.1: primary: healthy',
      'kubernetes: Gslb shop/web; Healthy: 2 of 2 endpoints ready; from Service shop/web',
      '- us (peer) 198.51.100.1: fallback #1: healthy, but eu comes first (order eu → us)',
      'peer up at 203.0.113.53:53; answered 198.51.100.1 at 2026-12-06T00:00:01.000Z',
      'peer not polled yet',
      'this cluster: its source gives no provenance',
      '2026-12-06T00:00:02.000Z 198.51.100.1 → 192.0.2.1: peer-up (eu back); resync',
      '(none) → (none): no cause recorded',
      'WARNING: the explanation disagrees with the served table',
      'table generation 7, serial 2026120601',
      'probe https 192.0.2.1:443: down (status 503), recent +--',
      'probe tcp 192.0.2.2:5432: unknown\n',
    ])
      expect(text).toContain(line);
  });

  test('--json prints the reply as it came; the token from the file goes as a bearer token', async () => {
    const f = fake(
      () => ({ status: 200, body: { ...EXPLANATION, client: null } }),
      { MERIDIAN_ADMIN_TOKEN_FILE: '/t' },
      { '/t': 'secret-token-123456\n' },
    );
    expect(
      await runAdminCommand(['explain', 'app.cloud.example.org', '--type', 'AAAA', '--json'], f.io),
    ).toBe(0);
    expect(JSON.parse(f.out.join(''))).toEqual({ ...EXPLANATION, client: null });
    expect(f.asked[0]).toEqual({
      url: 'http://127.0.0.1:9054/v1/explain?name=app.cloud.example.org&type=AAAA',
      authorization: 'Bearer secret-token-123456',
    });
  });

  test('a name no Gslb serves: why, and exit status 1', async () => {
    const body = {
      error: 'unknown host',
      name: 'x.cloud.example.org',
      reason: 'no Gslb serves this name: NXDOMAIN',
      answer: { rcode: 'NXDOMAIN', addresses: [] },
      table: { generation: 1, serial: 2 },
    };
    const f = fake(() => ({ status: 404, body }));
    expect(await runAdminCommand(['explain', 'x.cloud.example.org'], f.io)).toBe(1);
    expect(f.out.join('')).toContain(
      'x.cloud.example.org: no Gslb serves it: no Gslb serves this name: NXDOMAIN',
    );
    expect(f.out.join('')).toContain('answer: NXDOMAIN (none)');
  });

  test('an error reply: its reason on stderr, exit status 1', async () => {
    const f = fake(() => ({
      status: 401,
      body: { error: 'unauthorized', reason: 'a bearer token is required' },
    }));
    expect(await runAdminCommand(['explain', 'app.cloud.example.org'], f.io)).toBe(1);
    expect(f.err.join('')).toBe('meridian explain: unauthorized: a bearer token is required\n');
    const g = fake(() => ({ status: 500, body: {} }));
    expect(await runAdminCommand(['explain', 'a.example.org', '--json'], g.io)).toBe(1);
  });

  test.each([
    [['explain'], 1, 'one NAME is needed'],
    [['explain', 'a', 'b'], 1, 'one NAME is needed'],
    [['explain', 'a', '--bogus'], 2, "Unknown option '--bogus'"],
    [['explain', 'a', '--server', 'ftp://x'], 1, 'http or https URL'],
    [['explain', 'a', '--server', 'not a url'], 1, 'is no URL'],
    [['explain', 'a', '--token-file', '/missing'], 1, 'cannot read the token file /missing'],
  ])('%j: exit status %d', async (args, code, message) => {
    const f = fake(() => ({ status: 200, body: EXPLANATION }));
    expect(await runAdminCommand(args, f.io)).toBe(code);
    expect(f.err.join('')).toContain(message);
  });

  test('an unreachable listener or a reply that is no JSON: said plainly, exit status 1', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: { message: 'connect ECONNREFUSED 127.0.0.1:9054' },
    });
    const f = fake(() => refused);
    expect(await runAdminCommand(['explain', 'a.example.org'], f.io)).toBe(1);
    expect(f.err.join('')).toContain(
      'cannot reach the admin listener at http://127.0.0.1:9054/: connect ECONNREFUSED',
    );
    const g = fake(() => '<html>bad gateway</html>');
    expect(await runAdminCommand(['status'], g.io)).toBe(1);
    expect(g.err.join('')).toContain('answered 502 with no JSON: <html>bad gateway</html>');
  });
});

const page = (ids: string[], next: string | null) => ({
  status: 200,
  body: {
    table: { generation: 3, serial: 9 },
    geoTag: 'eu',
    peers: [
      {
        geoTag: 'us',
        state: 'up',
        lastSuccess: '2026-12-06T00:00:00.000Z',
        failedPolls: 0,
        lastError: null,
        server: '203.0.113.53:53',
      },
      {
        geoTag: 'ap',
        state: 'down',
        lastSuccess: null,
        failedPolls: 4,
        lastError: 'timeout',
        server: null,
      },
    ],
    total: 3,
    gslbs: ids.map((id) => ({
      id,
      strategy: 'roundRobin',
      ttlSeconds: 30,
      clusters: [
        { geoTag: 'eu', role: 'local', healthyHosts: 1, hosts: 2 },
        { geoTag: 'us', role: 'peer', state: 'up', answeredHosts: 1 },
      ],
      hosts: [
        {
          host: `${id.slice(5)}.cloud.example.org`,
          localHealthy: true,
          served: { A: ['192.0.2.1'], AAAA: ['2001:db8::1'] },
          lastChange: {
            time: '2026-12-06T00:00:00.000Z',
            type: 'A',
            before: [],
            after: ['192.0.2.1'],
            causes: ['manifests-changed'],
          },
        },
        {
          host: `down.${id.slice(5)}.cloud.example.org`,
          localHealthy: false,
          served: { A: [], AAAA: [] },
          lastChange: null,
        },
      ],
    })),
    next,
  },
});

describe('meridian status', () => {
  test('the delegation of each zone: written, or failing and why', async () => {
    const f = fake(() => {
      const reply = page(['shop/a'], null);
      return {
        ...reply,
        body: {
          ...reply.body,
          delegation: [
            {
              zone: 'cloud.example.org',
              parent: 'example.org',
              nameServer: 'gslb-ns-eu-cloud.example.org',
              state: 'written',
              lastWritten: '2026-12-07T10:00:00.000Z',
              lastError: null,
            },
            {
              zone: 'cloud.example.com',
              parent: 'example.com',
              nameServer: 'gslb-ns-eu-cloud.example.com',
              state: 'failing',
              lastWritten: null,
              lastError: 'refused: NOTAUTH: BADSIG',
            },
          ],
        },
      };
    });
    expect(await runAdminCommand(['status'], f.io)).toBe(0);
    const text = f.out.join('');
    expect(text).toContain(
      '  delegation of cloud.example.org in example.org (gslb-ns-eu-cloud.example.org): written, last 2026-12-07T10:00:00.000Z\n',
    );
    expect(text).toContain(
      '  delegation of cloud.example.com in example.com (gslb-ns-eu-cloud.example.com): failing, last error: refused: NOTAUTH: BADSIG\n',
    );
  });

  test('reads every page and prints every Gslb with its clusters, hosts and last change', async () => {
    const f = fake((url) =>
      url.searchParams.get('after') === null
        ? page(['shop/a', 'shop/b'], 'shop/b')
        : page(['shop/c'], null),
    );
    expect(await runAdminCommand(['status'], f.io)).toBe(0);
    expect(f.asked.map((a) => a.url)).toEqual([
      'http://127.0.0.1:9054/v1/status?limit=500',
      'http://127.0.0.1:9054/v1/status?limit=500&after=shop%2Fb',
    ]);
    const text = f.out.join('');
    for (const line of [
      'cluster eu: 3 Gslbs; table generation 3, serial 9',
      'peer us up (last answer 2026-12-06T00:00:00.000Z)',
      'peer ap down since after never answered (4 failed polls, last error: timeout)',
      'shop/c  roundRobin  TTL 30s',
      'clusters: eu (local) 1/2 hosts healthy; us (peer) up, targets for 1 hosts',
      'a.cloud.example.org  A 192.0.2.1; AAAA 2001:db8::1',
      'last change 2026-12-06T00:00:00.000Z A: (none) → 192.0.2.1 (manifests-changed)',
      'down.a.cloud.example.org  serves nothing  (not healthy here)',
    ])
      expect(text).toContain(line);
  });

  test('--json prints the pages joined; --watch prints again until interrupted', async () => {
    const f = fake(() => page(['shop/a'], null), { MERIDIAN_ADMIN_URL: 'http://127.0.0.1:7777' });
    expect(await runAdminCommand(['status', '--json', '--watch', '--interval', '0.5'], f.io)).toBe(
      0,
    );
    expect(f.asked.map((a) => a.url)).toEqual([
      'http://127.0.0.1:7777/v1/status?limit=500',
      'http://127.0.0.1:7777/v1/status?limit=500',
    ]);
    expect(JSON.parse(f.out[0] ?? '')).toMatchObject({ total: 3, gslbs: [{ id: 'shop/a' }] });
    const g = fake(() => page(['shop/a'], null));
    expect(await runAdminCommand(['status', '--watch'], g.io)).toBe(0);
    expect(g.out).toHaveLength(3);
    expect(g.out[1]).toBe('\u001b[2J\u001b[H');
  });

  test('errors: a reply other than 200, a bad interval, a NAME', async () => {
    const f = fake(() => ({
      status: 503,
      body: { error: 'not ready', reason: 'the record table is not built yet' },
    }));
    expect(await runAdminCommand(['status'], f.io)).toBe(1);
    expect(f.err.join('')).toContain('not ready: the record table is not built yet');
    expect(await runAdminCommand(['status', '--interval', '0'], f.io)).toBe(1);
    expect(await runAdminCommand(['status', 'web'], f.io)).toBe(1);
    const g = fake(() => ({ status: 418, body: null }));
    expect(await runAdminCommand(['status'], g.io)).toBe(1);
    expect(g.err.join('')).toContain('status 418');
  });
});

describe('which invocation is a client command', () => {
  test('meridian explain|status; the server otherwise', () => {
    expect(adminCommandOf(['node', '/opt/meridian/dist/main.js', 'status', '--json'])).toEqual([
      'status',
      '--json',
    ]);
    expect(adminCommandOf(['node', '/opt/meridian/dist/main.js', 'explain', 'a'])).toEqual([
      'explain',
      'a',
    ]);
    expect(adminCommandOf(['node', '/opt/meridian/dist/main.js'])).toBeNull();
    expect(adminCommandOf(['node', '/opt/meridian/dist/main.js', '--dns-zones=x'])).toBeNull();
  });

  test('installed as kubectl-meridian: always a client command', () => {
    expect(adminCommandOf(['node', '/usr/local/bin/kubectl-meridian', 'status'])).toEqual([
      'status',
    ]);
    expect(adminCommandOf(['node', '/usr/local/bin/kubectl-meridian'])).toEqual([]);
  });

  test('usage: --help exits 0, none or an unknown command exits 2', async () => {
    const f = fake(() => ({ status: 200, body: {} }));
    expect(await runAdminCommand(['--help'], f.io)).toBe(0);
    expect(await runAdminCommand(['status', '--help'], f.io)).toBe(0);
    expect(f.out.join('')).toContain('Usage: meridian status');
    expect(await runAdminCommand([], f.io)).toBe(2);
    expect(await runAdminCommand(['frobnicate'], f.io)).toBe(2);
    expect(f.err.join('')).toContain('meridian: unknown command "frobnicate"');
  });

  test('a failure that is no usage error or listener problem is not hidden', async () => {
    const f = fake(() => ({ status: 200, body: EXPLANATION }));
    const broken = {
      ...f.io,
      fetch: (() => Promise.reject(new RangeError('boom'))) as unknown as typeof fetch,
    };
    // fetch failures are the listener's; a defect of the formatter is thrown.
    expect(await runAdminCommand(['explain', 'a'], broken)).toBe(1);
    const g = fake(() => ({ status: 200, body: { table: {} } }));
    await expect(runAdminCommand(['explain', 'a'], g.io)).rejects.toThrow(TypeError);
  });
});
