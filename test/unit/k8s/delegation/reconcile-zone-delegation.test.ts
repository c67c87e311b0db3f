import fc from 'fast-check';
import type {
  DelegationProvider,
  DelegationTarget,
  ProviderOutcome,
} from '../../../../src/delegation/delegation-provider';
import type { KubeObject } from '../../../../src/k8s/client/kube-api';
import {
  reconcileZoneDelegation,
  type ReconcileDeps,
} from '../../../../src/k8s/delegation/reconcile-zone-delegation';
import {
  MAX_STATUS_SERVERS,
  readZoneDelegation,
  ZONE_DELEGATION_FINALIZER,
  type ZoneDelegation,
} from '../../../../src/k8s/delegation/zone-delegation-object';
import type { DelegationRequest } from '../../../../src/k8s/delegation/zone-delegation-writes';

const EU_NS = 'gslb-ns-eu-cloud.example.com';
const US_NS = 'gslb-ns-us-cloud.example.com';
const AP_NS = 'gslb-ns-ap-cloud.example.com';
const NOW = new Date('2026-12-07T10:00:00Z');

function zoneDelegation(overrides: Partial<ZoneDelegation> = {}): ZoneDelegation {
  return {
    name: 'cloud-example-com',
    uid: 'uid-1',
    resourceVersion: '7',
    generation: 2,
    zone: 'cloud.example.com',
    parent: 'example.com',
    negativeTtlSeconds: 30,
    doFinalize: true,
    deleting: false,
    finalizers: [ZONE_DELEGATION_FINALIZER],
    servers: [],
    conditions: [],
    ...overrides,
  };
}

type Withdrawal = ProviderOutcome | { readonly ok: 'delay'; readonly detail: string };

/** A provider that records its calls and answers as told. */
function provider(
  write: ProviderOutcome = { ok: true, detail: 'written' },
  withdraw: Withdrawal = { ok: true, detail: 'withdrawn' },
): DelegationProvider & { calls: { op: string; target: DelegationTarget; last?: boolean }[] } {
  const calls: { op: string; target: DelegationTarget; last?: boolean }[] = [];
  return {
    name: 'test',
    calls,
    write: (target) => {
      calls.push({ op: 'write', target });
      return Promise.resolve(write);
    },
    withdraw: (target, last) => {
      calls.push({ op: 'withdraw', target, last });
      return Promise.resolve(withdraw);
    },
  };
}

function deps(
  overrides: Partial<ReconcileDeps> & { glueAt?: Record<string, readonly string[] | null> } = {},
): ReconcileDeps & { sent: DelegationRequest[] } {
  const sent: DelegationRequest[] = [];
  const glueAt = overrides.glueAt ?? { [US_NS]: ['198.51.100.2'], [AP_NS]: [] };
  return {
    geoTag: 'eu',
    gluePrefix: 'gslb-ns-',
    nsTtlSeconds: 30,
    peerGeoTags: ['eu', 'us', 'ap'],
    servedZones: new Set(['cloud.example.com']),
    provider: provider(),
    resolveGlue: (name) => Promise.resolve(glueAt[name] ?? null),
    send: (request) => {
      sent.push(request);
      return Promise.resolve(200);
    },
    now: () => NOW,
    signal: new AbortController().signal,
    sent,
    ...overrides,
  };
}

const GLUE = { addresses: ['192.0.2.1', '2001:db8::1'], source: 'MERIDIAN_DELEGATION_GLUE' };

function statusOf(request: DelegationRequest | undefined): {
  dnsServers: unknown;
  conditions: { type: string; status: string; reason: string; observedGeneration: number }[];
} {
  return (request?.body as { status: never }).status;
}

describe('reconcileZoneDelegation', () => {
  test("writes this cluster's part and a status of every cluster's servers, sorted as k8gb sorts them", async () => {
    const d = deps();
    const result = await reconcileZoneDelegation(zoneDelegation(), GLUE, d);
    expect(result).toMatchObject({ state: { ok: true, reason: 'Written' }, retry: false });
    const calls = (d.provider as ReturnType<typeof provider>).calls;
    expect(calls).toHaveLength(1);
    expect(calls[0]!.target).toEqual({
      zone: 'cloud.example.com',
      parent: 'example.com',
      nameServer: EU_NS,
      glue: GLUE.addresses,
      nameServers: [EU_NS, US_NS],
      ttlSeconds: 30,
    });
    expect(d.sent.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PATCH /apis/k8gb.io/v1beta1/zonedelegations/cloud-example-com/status',
    ]);
    const status = statusOf(d.sent[0]);
    expect(status.dnsServers).toEqual([
      { name: EU_NS, address: '192.0.2.1' },
      { name: EU_NS, address: '2001:db8::1' },
      { name: US_NS, address: '198.51.100.2' },
    ]);
    expect(status.conditions).toEqual([
      {
        type: 'Delegated',
        status: 'True',
        reason: 'Written',
        message: 'test: written',
        lastTransitionTime: '2026-12-07T10:00:00Z',
        observedGeneration: 2,
      },
    ]);
  });

  test('adds the finalizer first, with the resourceVersion read', async () => {
    const d = deps();
    await reconcileZoneDelegation(zoneDelegation({ finalizers: ['other/keep'] }), GLUE, d);
    expect(d.sent[0]).toEqual({
      method: 'PATCH',
      path: '/apis/k8gb.io/v1beta1/zonedelegations/cloud-example-com',
      bodyType: 'merge-patch',
      body: {
        metadata: { finalizers: ['other/keep', ZONE_DELEGATION_FINALIZER], resourceVersion: '7' },
      },
    });
  });

  test('a finalizer patch that conflicts writes nothing else and asks for a retry', async () => {
    const d = deps({ send: () => Promise.resolve(409) });
    const result = await reconcileZoneDelegation(zoneDelegation({ finalizers: [] }), GLUE, d);
    expect(result.retry).toBe(true);
    expect((d.provider as ReturnType<typeof provider>).calls).toEqual([]);
  });

  test('a peer whose glue the edge cannot tell keeps its entries; one the edge says has none is dropped', async () => {
    const before = [
      { name: AP_NS, address: '203.0.113.3' },
      { name: US_NS, address: '198.51.100.2' },
    ];
    const d = deps({ glueAt: { [US_NS]: null, [AP_NS]: [] } });
    await reconcileZoneDelegation(zoneDelegation({ servers: before }), GLUE, d);
    expect(statusOf(d.sent[0]).dnsServers).toEqual([
      { name: EU_NS, address: '192.0.2.1' },
      { name: EU_NS, address: '2001:db8::1' },
      { name: US_NS, address: '198.51.100.2' },
    ]);
  });

  test('an unchanged status is not written again', async () => {
    const first = deps();
    await reconcileZoneDelegation(zoneDelegation(), GLUE, first);
    const status = statusOf(first.sent[0]);
    const again = deps();
    const written = zoneDelegation({
      servers: status.dnsServers as ZoneDelegation['servers'],
      conditions: status.conditions as never,
    });
    await reconcileZoneDelegation(written, GLUE, again);
    expect(again.sent).toEqual([]);
  });

  test('the transition time is kept while the condition status holds, and moves when it flips', async () => {
    const earlier = {
      type: 'Delegated',
      status: 'True',
      reason: 'Written',
      message: 'old',
      lastTransitionTime: '2026-01-01T00:00:00Z',
      observedGeneration: 1,
    };
    const held = deps();
    await reconcileZoneDelegation(zoneDelegation({ conditions: [earlier] }), GLUE, held);
    expect(statusOf(held.sent[0]).conditions[0]).toMatchObject({
      lastTransitionTime: '2026-01-01T00:00:00Z',
      observedGeneration: 2,
    });
    const flipped = deps({
      provider: provider({ ok: false, reason: 'UpdateRefused', detail: 'NOTAUTH' }),
    });
    const result = await reconcileZoneDelegation(
      zoneDelegation({ conditions: [earlier] }),
      GLUE,
      flipped,
    );
    expect(result).toMatchObject({ state: { ok: false, reason: 'UpdateRefused' }, retry: true });
    expect(statusOf(flipped.sent[0]).conditions[0]).toMatchObject({
      status: 'False',
      reason: 'UpdateRefused',
      message: 'NOTAUTH',
      lastTransitionTime: '2026-12-07T10:00:00Z',
    });
  });

  test('a zone this cluster does not serve is never delegated to it', async () => {
    const d = deps({ servedZones: new Set(['other.example.com']) });
    const result = await reconcileZoneDelegation(zoneDelegation(), GLUE, d);
    expect(result).toMatchObject({ state: { ok: false, reason: 'ZoneNotServed' }, retry: false });
    expect((d.provider as ReturnType<typeof provider>).calls).toEqual([]);
  });

  test('without a glue address nothing is written, and the condition says where it looked', async () => {
    const d = deps();
    const noGlue = {
      addresses: [],
      source: 'Service meridian/dns has no load-balancer address yet',
    };
    const result = await reconcileZoneDelegation(zoneDelegation(), noGlue, d);
    expect(result.state).toMatchObject({ ok: false, reason: 'NoGlueAddresses' });
    expect(result.state.message).toContain('Service meridian/dns has no load-balancer address yet');
    expect((d.provider as ReturnType<typeof provider>).calls).toEqual([]);
    expect(result.retry).toBe(true);
  });

  describe('deletion', () => {
    const deleting = (overrides: Partial<ZoneDelegation> = {}): ZoneDelegation =>
      zoneDelegation({
        deleting: true,
        finalizers: [ZONE_DELEGATION_FINALIZER, 'other/keep'],
        ...overrides,
      });

    test('doFinalize false: the finalizer goes, the delegation stays', async () => {
      const d = deps();
      const result = await reconcileZoneDelegation(deleting({ doFinalize: false }), GLUE, d);
      expect(result.state.reason).toBe('Kept');
      expect((d.provider as ReturnType<typeof provider>).calls).toEqual([]);
      expect(d.sent).toEqual([
        expect.objectContaining({
          body: { metadata: { finalizers: ['other/keep'], resourceVersion: '7' } },
        }),
      ]);
    });

    test('with peers left: withdraws as not the last, and a provider that waits keeps the finalizer', async () => {
      const d = deps({ provider: provider(undefined, { ok: 'delay', detail: 'stripped' }) });
      const result = await reconcileZoneDelegation(deleting(), GLUE, d);
      const calls = (d.provider as ReturnType<typeof provider>).calls;
      expect(calls.map((c) => [c.op, c.last])).toEqual([['withdraw', false]]);
      expect(result).toMatchObject({ state: { reason: 'WaitingForPeers' }, retry: true });
      expect(d.sent.map((r) => r.path)).toEqual([
        '/apis/k8gb.io/v1beta1/zonedelegations/cloud-example-com/status',
      ]);
    });

    test('the last cluster withdraws as the last and removes its finalizer', async () => {
      const d = deps({ glueAt: { [US_NS]: [], [AP_NS]: [] } });
      const result = await reconcileZoneDelegation(deleting(), GLUE, d);
      const calls = (d.provider as ReturnType<typeof provider>).calls;
      expect(calls.map((c) => [c.op, c.last])).toEqual([['withdraw', true]]);
      expect(result).toMatchObject({ state: { ok: true, reason: 'Withdrawn' }, retry: false });
      expect(d.sent.map((r) => r.body)).toEqual([
        { metadata: { finalizers: ['other/keep'], resourceVersion: '7' } },
      ]);
    });

    test.each([
      [0, true],
      [409, true],
      [404, false],
      [200, false],
    ])('a finalizer removal answered %s is retried: %s', async (status, retry) => {
      const d = deps({ send: () => Promise.resolve(status) });
      const result = await reconcileZoneDelegation(deleting({ doFinalize: false }), GLUE, d);
      expect(result.retry).toBe(retry);
    });

    test('a failed withdrawal keeps the finalizer and is retried', async () => {
      const d = deps({
        provider: provider(undefined, {
          ok: false,
          reason: 'ParentUnreachable',
          detail: 'timeout',
        }),
      });
      const result = await reconcileZoneDelegation(deleting(), GLUE, d);
      expect(result).toMatchObject({
        state: { ok: false, reason: 'ParentUnreachable' },
        retry: true,
      });
      expect(d.sent.every((r) => r.path.endsWith('/status'))).toBe(true);
    });
  });
});

describe('readZoneDelegation', () => {
  const object = (spec: unknown, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'k8gb.io/v1beta1',
    kind: 'ZoneDelegation',
    metadata: { name: 'zd', uid: 'u', resourceVersion: '1', generation: 1 },
    spec,
    ...extra,
  });

  test("reads k8gb's fields, canonical, and the status's valid entries only", () => {
    const read = readZoneDelegation(
      object(
        {
          loadBalancedZone: 'Cloud.Example.com.',
          parentZone: 'example.com',
          dnsZoneNegTTL: 30,
          doFinalize: true,
        },
        {
          status: {
            dnsServers: [
              { name: EU_NS, address: '2001:DB8::0:1' },
              { name: 'bad name!', address: '192.0.2.1' },
              { name: US_NS, address: 'not-an-ip' },
              'garbage',
            ],
          },
        },
      ),
    );
    expect(read).toMatchObject({
      ok: true,
      delegation: {
        zone: 'cloud.example.com',
        parent: 'example.com',
        doFinalize: true,
        deleting: false,
        servers: [{ name: EU_NS, address: '2001:db8::1' }],
      },
    });
  });

  test.each([
    [
      { loadBalancedZone: 'cloud.example.com', parentZone: 'other.org', dnsZoneNegTTL: 30 },
      'not under',
    ],
    [
      { loadBalancedZone: 'cloud.example.com', parentZone: 'example.com', dnsZoneNegTTL: -1 },
      'dnsZoneNegTTL',
    ],
    [
      { loadBalancedZone: 'cloud.example.com', parentZone: 'example.com', dnsZoneNegTTL: '30' },
      'dnsZoneNegTTL',
    ],
    [
      { loadBalancedZone: 'a b.example.com', parentZone: 'example.com', dnsZoneNegTTL: 30 },
      'invalid label',
    ],
    [null, 'empty name'],
  ])('refuses %j', (spec, problem) => {
    const read = readZoneDelegation(object(spec));
    expect(read.ok).toBe(false);
    expect(read.ok === false && read.problem).toContain(problem);
  });

  test('reads at most MAX_STATUS_SERVERS entries of a huge status', () => {
    const dnsServers = Array.from({ length: 20_000 }, (_, i) => ({
      name: EU_NS,
      address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    }));
    const spec = {
      loadBalancedZone: 'cloud.example.com',
      parentZone: 'example.com',
      dnsZoneNegTTL: 30,
    };
    const read = readZoneDelegation(object(spec, { status: { dnsServers } }));
    expect(read.ok && read.delegation.servers).toHaveLength(MAX_STATUS_SERVERS);
  });

  test('never throws, whatever the object holds', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (spec, status, finalizers) => {
        const read = readZoneDelegation({
          metadata: { name: 'zd', finalizers, deletionTimestamp: status },
          spec,
          status,
        });
        expect(typeof read.ok).toBe('boolean');
      }),
    );
  });
});
