/**
 * The wiring's pieces of the ZoneDelegation controller: the RFC 2136
 * provider's updates and outcomes, this cluster's glue (the setting, else
 * the DNS Service's load balancer), and the peers' glue at the edge (A and
 * AAAA, the first server that answers, null when none could tell).
 */
import { loadConfig } from '../../../src/config/load-config';
import type { UpdateOutcome } from '../../../src/delegation/dns-update-client';
import { rfc2136Provider } from '../../../src/delegation/rfc2136-provider';
import type { UpdateChange } from '../../../src/dns/update-message';
import type { QueryOutcome } from '../../../src/dns/client-message';
import type { QueryFn } from '../../../src/peers/dns-client';
import { startDelegation } from '../../../src/start-delegation';
import { readGlue, resolveAtEdge, startZoneDelegations } from '../../../src/start-zone-delegations';
import { capturingLogger } from '../../helpers/telemetry';
import { FakeKubeApi } from '../../helpers/fake-kube-api';

const target = {
  zone: 'cloud.example.org',
  parent: 'example.org',
  nameServer: 'gslb-ns-eu-cloud.example.org',
  glue: ['192.0.2.53', '2001:db8::53'],
  nameServers: ['gslb-ns-eu-cloud.example.org'],
  ttlSeconds: 30,
};
const signal = new AbortController().signal;

describe('rfc2136Provider', () => {
  const provider = (outcome: UpdateOutcome) => {
    const sent: { zone: string; changes: readonly UpdateChange[] }[] = [];
    return {
      sent,
      provider: rfc2136Provider({
        server: { host: '192.0.2.1', port: 53 },
        key: null,
        geoTag: 'eu',
        gluePrefix: 'gslb-ns-',
        now: () => 0,
        send: (_server, zone, changes) => {
          sent.push({ zone, changes });
          return Promise.resolve(outcome);
        },
      }),
    };
  };

  test("a write sends this cluster's NS and glue to the parent; a withdrawal removes only those", async () => {
    const { provider: p, sent } = provider({ ok: true });
    expect(await p.write(target, signal)).toMatchObject({ ok: true });
    expect(await p.withdraw(target, true, signal)).toMatchObject({ ok: true });
    expect(sent.map((s) => s.zone)).toEqual(['example.org', 'example.org']);
    expect(sent[0]!.changes).toContainEqual({
      op: 'add',
      name: 'cloud.example.org',
      type: 'NS',
      ttl: 30,
      data: 'gslb-ns-eu-cloud.example.org',
    });
    expect(sent[1]!.changes).toEqual([
      { op: 'delete', name: 'cloud.example.org', type: 'NS', data: 'gslb-ns-eu-cloud.example.org' },
      { op: 'delete-rrset', name: 'gslb-ns-eu-cloud.example.org', type: 'A' },
      { op: 'delete-rrset', name: 'gslb-ns-eu-cloud.example.org', type: 'AAAA' },
    ]);
  });

  test.each([
    ['refused', 'UpdateRefused'],
    ['unsigned', 'ReplyNotSigned'],
    ['network', 'ParentUnreachable'],
    ['timeout', 'ParentUnreachable'],
  ] as const)('a %s update is %s', async (failure, reason) => {
    const { provider: p } = provider({ ok: false, failure, detail: 'NOTAUTH' });
    expect(await p.write(target, signal)).toEqual({
      ok: false,
      reason,
      detail: `${failure}: NOTAUTH`,
    });
  });
});

describe('readGlue', () => {
  const SERVICE = '/api/v1/namespaces/meridian/services/meridian-dns';
  const kube = (env: Record<string, string> = {}) =>
    loadConfig({ DNS_ZONES: 'example.org:cloud.example.org:30', CLUSTER_GEO_TAG: 'eu', ...env });

  test('the setting wins', async () => {
    const config = kube({ MERIDIAN_DELEGATION_GLUE: '192.0.2.9' });
    expect(await readGlue(new FakeKubeApi(), config)).toEqual({
      addresses: ['192.0.2.9'],
      source: 'MERIDIAN_DELEGATION_GLUE',
    });
  });

  test("else the DNS Service's load-balancer addresses, canonical, no names", async () => {
    const api = new FakeKubeApi().reply('GET', SERVICE, {
      status: 200,
      body: {
        status: {
          loadBalancer: {
            ingress: [
              { ip: '2001:DB8::1' },
              { hostname: 'lb.example' },
              { ip: '192.0.2.7' },
              { ip: 'x' },
            ],
          },
        },
      },
    });
    const config = kube({ MERIDIAN_DNS_SERVICE: 'meridian-dns' });
    expect((await readGlue(api, config)).addresses).toEqual(['2001:db8::1', '192.0.2.7']);
  });

  test('no Service, a missing one, or one without an address: none, and why', async () => {
    expect((await readGlue(new FakeKubeApi(), kube())).source).toContain('MERIDIAN_DNS_SERVICE');
    const config = kube({ MERIDIAN_DNS_SERVICE: 'meridian-dns' });
    const missing = new FakeKubeApi().reply('GET', SERVICE, { status: 404, body: {} });
    expect(await readGlue(missing, config)).toEqual({
      addresses: [],
      source: 'Service meridian/meridian-dns: HTTP 404',
    });
    const silent = new FakeKubeApi().reply('GET', SERVICE, new Error('ECONNREFUSED'));
    expect((await readGlue(silent, config)).source).toContain('HTTP 0');
    const pending = new FakeKubeApi().reply('GET', SERVICE, { status: 200, body: {} });
    expect((await readGlue(pending, config)).source).toContain('no load-balancer address yet');
  });
});

describe('resolveAtEdge', () => {
  const answer = (...addresses: string[]): QueryOutcome => ({
    ok: true,
    rcode: addresses.length === 0 ? 'NXDOMAIN' : 'NOERROR',
    addresses,
    transport: 'udp',
  });
  const timeout: QueryOutcome = { ok: false, failure: 'timeout', detail: 'no reply' };
  const servers = [
    { host: '10.0.0.1', port: 53 },
    { host: '10.0.0.2', port: 53 },
  ];

  test('A and AAAA from the first server that answers', async () => {
    const asked: string[] = [];
    const query: QueryFn = (server, name, type) => {
      asked.push(`${server.host} ${type} ${name}`);
      if (server.host === '10.0.0.1') return Promise.resolve(timeout);
      return Promise.resolve(type === 'A' ? answer('192.0.2.1') : answer('2001:db8::1'));
    };
    expect(await resolveAtEdge(query, servers, 'ns.example.org', signal)).toEqual([
      '192.0.2.1',
      '2001:db8::1',
    ]);
    expect(asked).toEqual([
      '10.0.0.1 A ns.example.org.',
      '10.0.0.2 A ns.example.org.',
      '10.0.0.1 AAAA ns.example.org.',
      '10.0.0.2 AAAA ns.example.org.',
    ]);
  });

  test('an answer of no address is an empty list; no answer at all is null', async () => {
    expect(
      await resolveAtEdge(() => Promise.resolve(answer()), servers, 'gone.example.org', signal),
    ).toEqual([]);
    expect(
      await resolveAtEdge(() => Promise.resolve(timeout), servers, 'x.example.org', signal),
    ).toBeNull();
  });
});

describe('startZoneDelegations and startDelegation in Kubernetes mode', () => {
  const kubeConfig = (env: Record<string, string>) =>
    loadConfig({
      DNS_ZONES: 'example.org:cloud.example.org:30',
      CLUSTER_GEO_TAG: 'eu',
      EDGE_DNS_SERVERS: '127.0.0.1:1',
      ...env,
    });
  const deps = (api: FakeKubeApi) => ({
    logger: capturingLogger().logger,
    now: () => Date.now(),
    instanceName: 'host-1',
    connectKube: () => Promise.resolve(api),
  });

  test.each([
    [{ MERIDIAN_DELEGATION: 'external-dns' }],
    [{ MERIDIAN_DELEGATION: 'rfc2136', MERIDIAN_DELEGATION_SERVER: '127.0.0.1:1' }],
  ])('%j: the controller watches ZoneDelegations on its own connection, and stops', async (env) => {
    const api = new FakeKubeApi();
    const closeAll: (() => Promise<void>)[] = [];
    const running = await startDelegation(kubeConfig(env), deps(api), closeAll);
    expect(api.watches.map((w) => w.resource.plural)).toEqual(['zonedelegations']);
    expect(running.status()).toEqual([]);
    expect(closeAll).toHaveLength(1);
    await running.stop();
    expect(api.watches[0]!.stopped).toBe(true);
  });

  test('none starts nothing; without a Kubernetes client the start fails clearly', async () => {
    const api = new FakeKubeApi();
    const none = await startDelegation(kubeConfig({}), deps(api), []);
    expect(api.watches).toEqual([]);
    await none.stop();
    const config = kubeConfig({ MERIDIAN_DELEGATION: 'external-dns' });
    const { logger, now, instanceName } = deps(api);
    const withoutClient = { logger, now, instanceName };
    await expect(startZoneDelegations(config, withoutClient, null)).rejects.toThrow(
      'needs a Kubernetes client',
    );
  });
});
