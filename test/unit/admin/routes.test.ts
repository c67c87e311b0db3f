/**
 * The admin routes as a pure function: the token before anything else, GET
 * only and without a body, known paths, hostile parameters refused with 400;
 * the status pages; the bounds of the decision history; the token file.
 */
import { Drains } from '../../../src/serving/drains';
import { BearerCheck, MIN_TOKEN_LENGTH, tokenFromFile } from '../../../src/admin/bearer-token';
import { DecisionHistory } from '../../../src/admin/decision-history';
import type { AdminInputs } from '../../../src/admin/explain';
import { parseExplainParams, parseStatusParams } from '../../../src/admin/request-params';
import { MAX_TARGET_LENGTH, route, type AdminRequest } from '../../../src/admin/routes';
import { StatusPages } from '../../../src/admin/status';
import { localTargetsName } from '../../../src/gslb/k8gb-naming';
import type { PeerView } from '../../../src/peers/peer-view';
import type { DecisionRecord } from '../../../src/serving/decisions';
import type { GslbRecord } from '../../../src/table/model';
import { APP, cluster, multiCluster, tableWith } from '../../helpers/table-fixtures';

const TOKEN = 'an-admin-token-of-some-length';

function inputsFor(records: GslbRecord[], peers?: PeerView): AdminInputs {
  const { snapshot } = tableWith(records, { localGeoTag: 'eu' });
  return {
    table: () => snapshot,
    pipeline: {
      drainView: new Drains({ drainTtlSeconds: 5, localGeoTag: 'eu' }),
      builtFrom: () => ({
        records: new Map(records.map((r) => [r.id, r])),
        peers: peers ?? { peers: new Map(), hosts: new Map() },
        locator: null,
      }),
      problems: () => [],
    },
    history: new DecisionHistory(),
    provenanceOf: () => null,
    localGeoTag: 'eu',
  };
}

const RECORDS = [multiCluster('roundRobin', [cluster('eu', ['192.0.2.1'])])];

function routesWith(token: string | null, inputs = inputsFor(RECORDS)) {
  return { inputs, status: new StatusPages(inputs), bearer: new BearerCheck(token) };
}

const get = (target: string, more: Partial<AdminRequest> = {}): AdminRequest => ({
  method: 'GET',
  target,
  authorization: undefined,
  hasBody: false,
  ...more,
});

describe('route', () => {
  test('a token is checked before anything else: 401 with WWW-Authenticate, whatever the path', () => {
    const routes = routesWith(TOKEN);
    for (const request of [get('/v1/status'), get('/nowhere', { method: 'POST' })]) {
      const reply = route(routes, request);
      expect(reply.status).toBe(401);
      expect(reply.headers).toEqual({ 'www-authenticate': 'Bearer' });
    }
    expect(
      route(routes, get('/v1/status', { authorization: 'Bearer wrong-token-value' })).status,
    ).toBe(401);
    expect(route(routes, get('/v1/status', { authorization: TOKEN })).status).toBe(401);
    expect(route(routes, get('/v1/status', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect(route(routes, get('/v1/status', { authorization: `bearer  ${TOKEN} ` })).status).toBe(
      200,
    );
  });

  test('GET only, without a body; other paths 404; every error is JSON with a reason', () => {
    const routes = routesWith(null);
    expect(route(routes, get('/v1/status', { method: 'POST' }))).toMatchObject({
      status: 405,
      headers: { allow: 'GET, HEAD' },
      body: { error: 'method not allowed' },
    });
    expect(route(routes, get('/v1/status', { method: 'HEAD' })).status).toBe(200);
    expect(route(routes, get('/v1/status', { hasBody: true })).status).toBe(400);
    expect(route(routes, get('/metrics')).status).toBe(404);
    expect(route(routes, get(`/v1/explain?name=${'a'.repeat(MAX_TARGET_LENGTH)}`)).status).toBe(
      400,
    );
    expect(route(routes, get('//[')).status).toBe(400);
    expect(route(routes, get(`/v1/explain?name=${APP}`)).status).toBe(200);
  });

  test.each([
    ['', 'name is required'],
    ['name=a..b.cloud.example.org', 'name a..b.cloud.example.org'],
    ['name=%00evil.cloud.example.org', 'name'],
    [`name=${'x'.repeat(64)}.cloud.example.org`, 'name'],
    [`name=${APP}&type=TXT`, 'type must be A or AAAA, not "TXT"'],
    [`name=${APP}&client=10.0.0.300`, 'client must be an IPv4 or IPv6 address'],
    [`name=${APP}&client=fe80::1%25eth0`, 'client must be an IPv4 or IPv6 address'],
    [`name=${APP}&name=${APP}`, 'parameter name given more than once'],
    [`name=${APP}&debug=1`, 'unknown parameter "debug"'],
  ])('explain?%s: 400', (query, reason) => {
    const reply = route(routesWith(null), get(`/v1/explain?${query}`));
    expect(reply.status).toBe(400);
    expect((reply.body as { reason: string }).reason).toContain(reason);
  });

  test('explain parameters: the name canonical, the type in any case, the client as its subnet', () => {
    const parsed = parseExplainParams(
      new URLSearchParams({ name: 'App.Cloud.Example.Org.', type: 'aaaa', client: '192.0.2.77' }),
    );
    expect(parsed).toEqual({
      ok: true,
      request: {
        name: APP,
        type: 'AAAA',
        client: {
          address: '192.0.2.77',
          family: 4,
          sourcePrefixLength: 24,
          subnet: '192.0.2.0/24',
        },
      },
    });
  });

  test.each(['limit=0', 'limit=501', 'limit=1.5', 'limit=', 'limit=x', 'page=2'])(
    'status?%s: 400',
    (query) => {
      expect(parseStatusParams(new URLSearchParams(query)).ok).toBe(false);
    },
  );
});

describe('status pages', () => {
  const records = ['a', 'b', 'c'].map((name) => ({
    ...multiCluster('failover', [cluster('eu', ['192.0.2.1']), cluster('us', ['198.51.100.1'])], {
      primaryGeoTag: 'eu',
    }),
    id: `shop/${name}`,
    hosts: [`${name}.cloud.example.org`],
  }));
  const peers: PeerView = {
    peers: new Map([
      [
        'us',
        { state: 'down', lastSuccessMs: null, failedPolls: 2, lastError: 'timeout', server: null },
      ],
    ]),
    hosts: new Map(),
  };

  test('every Gslb in id order, page by page, with its clusters, hosts and what is served', () => {
    const inputs = inputsFor(records, peers);
    const pages = new StatusPages(inputs);
    const first = pages.page({ limit: 2, after: null });
    const body = first.body as {
      gslbs: { id: string }[];
      next: string | null;
      total: number;
      peers: unknown[];
    };
    expect(body.total).toBe(3);
    expect(body.gslbs.map((g) => g.id)).toEqual(['shop/a', 'shop/b']);
    expect(body.next).toBe('shop/b');
    expect(body.peers).toEqual([
      {
        geoTag: 'us',
        state: 'down',
        lastSuccess: null,
        failedPolls: 2,
        lastError: 'timeout',
        server: null,
      },
    ]);
    const second = pages.page({ limit: 2, after: 'shop/b' }).body as typeof body;
    expect(second.gslbs.map((g) => g.id)).toEqual(['shop/c']);
    expect(second.next).toBeNull();
    expect(second.gslbs[0]).toEqual({
      id: 'shop/c',
      strategy: 'failover',
      ttlSeconds: 30,
      drain: null,
      clusters: [
        { geoTag: 'eu', role: 'local', healthyHosts: 1, hosts: 1 },
        {
          geoTag: 'us',
          role: 'peer',
          state: 'down',
          lastSuccess: null,
          failedPolls: 2,
          lastError: 'timeout',
          server: null,
          answeredHosts: 0,
        },
      ],
      hosts: [
        {
          host: 'c.cloud.example.org',
          localHealthy: true,
          served: { A: ['192.0.2.1'], AAAA: [] },
          lastChange: null,
        },
      ],
    });
    expect(localTargetsName('c.cloud.example.org')).toBe('localtargets-c.cloud.example.org');
  });

  test('the last change of a host, in short', () => {
    const inputs = inputsFor(records);
    inputs.history.listener([
      {
        time: '2026-01-01T00:00:00.000Z',
        host: 'a.cloud.example.org',
        type: 'A',
        gslb: 'shop/a',
        strategy: 'failover',
        before: [{ address: '198.51.100.1', clusters: ['us'] }],
        after: [{ address: '192.0.2.1', clusters: ['eu'] }],
        causes: [{ id: 'c1', kind: 'peer-down' }],
        generation: 2,
        serial: 2,
        geoTag: 'eu',
        replica: 'r',
      },
    ]);
    const body = new StatusPages(inputs).page({ limit: 1, after: null }).body as {
      gslbs: { hosts: { lastChange: unknown }[] }[];
    };
    expect(body.gslbs[0]?.hosts[0]?.lastChange).toEqual({
      time: '2026-01-01T00:00:00.000Z',
      type: 'A',
      before: ['198.51.100.1'],
      after: ['192.0.2.1'],
      causes: ['peer-down'],
    });
  });

  test('before the first build: 503', () => {
    const inputs = { ...inputsFor(records), table: () => null };
    expect(new StatusPages(inputs).page({ limit: 1, after: null }).status).toBe(503);
  });
});

describe('decision history', () => {
  const record = (host: string, generation: number): DecisionRecord => ({
    time: '2026-01-01T00:00:00.000Z',
    host,
    type: 'A',
    gslb: 'shop/web',
    strategy: 'roundRobin',
    before: [],
    after: [],
    causes: [],
    generation,
    serial: generation,
    geoTag: 'eu',
    replica: 'r',
  });

  test('bounded per host (the oldest dropped) and in hosts (the least recently changed dropped)', () => {
    const history = new DecisionHistory(3, 2);
    history.listener([1, 2, 3, 4, 5].map((g) => record('a', g)));
    expect(history.recordsOf('a').map((r) => r.generation)).toEqual([5, 4, 3]);
    history.listener([record('b', 6)]);
    history.listener([record('a', 7)]);
    history.listener([record('c', 8)]);
    expect(history.size).toBe(2);
    expect(history.recordsOf('b')).toEqual([]);
    expect(history.lastOf('a')?.generation).toBe(7);
    expect(history.lastOf('b')).toBeNull();
  });
});

describe('the token file', () => {
  test('one token of 16 characters or more, surrounding white space dropped', () => {
    expect(tokenFromFile(`  ${TOKEN}\n`, '/t')).toBe(TOKEN);
    expect(() => tokenFromFile('x'.repeat(MIN_TOKEN_LENGTH - 1), '/t')).toThrow(
      /MERIDIAN_ERR_ADMIN|16 characters/,
    );
    expect(() => tokenFromFile(`${TOKEN} ${TOKEN}`, '/t')).toThrow('without spaces');
  });

  test('no token: every request is allowed', () => {
    expect(new BearerCheck(null).allows(undefined)).toBe(true);
  });
});
