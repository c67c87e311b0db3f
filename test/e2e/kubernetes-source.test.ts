/**
 * The Kubernetes source end to end: every way k8gb lets a user declare a
 * GSLB, applied to a real kube-apiserver, with EndpointSlice readiness set by
 * the test, answered by a real CoreDNS in front of Meridian, and the Gslb
 * status, conditions and Events read back from the API; and what hostile
 * tenants write (a zone-scoped address, another team's host) costing only
 * their own Gslb. Meridian runs as its service account under RBAC, bound to
 * deploy/rbac's ClusterRole only. It starts without k8gb's legacy CRD
 * (k8gb.absa.oss), which one test installs.
 */
import { eventually } from '../../harness/eventually';
import { dig } from '../../harness/dig';
import { freePort, startMeridianProcess } from '../../harness/processes';
import {
  answer,
  ask,
  backend,
  create,
  EDGE_NAMES,
  eventsAbout,
  freshNamespace,
  gslbRef,
  gslbStatus,
  ingress,
  ingressSpec,
  installLegacyGslbCrd,
  LEGACY_GSLB_API_VERSION,
  patch,
  pathOf,
  read,
  readyOf,
  setLoadBalancer,
  setReady,
  startKubeMeridian,
  ZONE,
  type EventSeen,
  type KubeMeridian,
} from '../../harness/kube-meridian';

let env: KubeMeridian;

beforeAll(async () => {
  env = await startKubeMeridian();
}, 300_000);

afterAll(async () => {
  await env?.stop();
}, 60_000);

const INGRESS_REF = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' };
const sorted = (values: readonly string[]): string[] => [...values].sort();

describe('resourceRef to an Ingress', () => {
  test('by name: served with the Ingress status addresses; health follows EndpointSlice readiness', async () => {
    const { cluster } = env;
    const ns = await freshNamespace(cluster, 'ing-name');
    const host = `app.${ns}.${ZONE}`;
    const other = `other.${ns}.${ZONE}`;
    await backend(cluster, ns, 'app', true);
    await create(cluster, ingress(ns, 'app', [host, other], 'app'));
    await setLoadBalancer(cluster, 'Ingress', ns, 'app', [
      { ip: '192.0.2.10' },
      { ip: '2001:db8::10' },
    ]);
    await create(cluster, gslbRef(ns, 'app', { ...INGRESS_REF, name: 'app' }));

    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.length > 0,
      ),
    ).toEqual(['192.0.2.10']);
    expect(await answer(env, host, 'AAAA')).toEqual(['2001:db8::10']);
    // What k8gb peers poll: plain UDP, no EDNS0.
    const local = await dig('kdig', [
      '@127.0.0.1',
      '-p',
      String(env.coredns.dnsPort),
      '+noedns',
      `localtargets-${host}`,
      'A',
    ]);
    expect([local.status, local.answer.map((r) => r.data)]).toEqual(['NOERROR', ['192.0.2.10']]);
    const status = await eventually(
      () => gslbStatus(cluster, ns, 'app'),
      (s) => s.conditions?.[0]?.status === 'True',
    );
    expect(status).toMatchObject({
      serviceHealth: { [host]: 'Healthy', [other]: 'Healthy' },
      healthyRecords: {
        [host]: ['192.0.2.10', '2001:db8::10'],
        [other]: ['192.0.2.10', '2001:db8::10'],
      },
      geoTag: 'eu',
      hosts: `${host}, ${other}`,
      loadBalancer: { exposedIps: ['192.0.2.10', '2001:db8::10'] },
      servers: [
        { host, services: [{ name: 'app', namespace: ns }] },
        { host: other, services: [{ name: 'app', namespace: ns }] },
      ],
      observedGeneration: 1,
    });
    expect(status.conditions?.[0]).toMatchObject({ type: 'Ready', reason: 'Serving' });

    // Unhealthy: no ready endpoint. The host stays (NODATA), the targets go.
    await setReady(cluster, ns, 'app', false);
    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.length === 0,
      ),
    ).toEqual([]);
    const down = await eventually(
      () => gslbStatus(cluster, ns, 'app'),
      (s) => s.serviceHealth?.[host] === 'Unhealthy' && s.healthyRecords?.[host] === undefined,
    );
    // No host healthy here: not Ready, though still served (a peer's targets would be answered).
    expect(down.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: 'False',
      reason: 'NoHealthyHosts',
    });
    // Only a Healthy host is published to peers.
    expect((await ask(env, `localtargets-${host}`)).status).toBe('NXDOMAIN');
    await setReady(cluster, ns, 'app', true);
    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.length > 0,
      ),
    ).toEqual(['192.0.2.10']);

    // NotFound: the backend Service is gone.
    expect((await cluster.request('DELETE', pathOf('Service', ns, 'app'))).status).toBe(200);
    await eventually(
      () => gslbStatus(cluster, ns, 'app'),
      (s) => s.serviceHealth?.[host] === 'NotFound',
    );
    expect(await answer(env, host)).toEqual([]);
  }, 60_000);

  test('by label selector: exactly one match serves; none or two give a condition and an Event, and affect no other Gslb', async () => {
    const { cluster } = env;
    const ns = await freshNamespace(cluster, 'ing-sel');
    const host = `sel.${ns}.${ZONE}`;
    const bystander = `bystander.${ns}.${ZONE}`;
    await backend(cluster, ns, 'web', true);
    await create(cluster, ingress(ns, 'bystander', [bystander], 'web'));
    await setLoadBalancer(cluster, 'Ingress', ns, 'bystander', [{ ip: '192.0.2.30' }]);
    await create(cluster, gslbRef(ns, 'bystander', { ...INGRESS_REF, name: 'bystander' }));
    const selector = { ...INGRESS_REF, matchLabels: { app: 'sel' } };
    await create(cluster, gslbRef(ns, 'sel', selector));

    const none = await eventually(
      () => readyOf(cluster, ns, 'sel'),
      (c) => c?.reason === 'ResourceNotFound',
    );
    expect(none).toMatchObject({ status: 'False' });
    expect(none?.message).toContain('matches the resourceRef selector');
    await eventually(
      () => eventsAbout(cluster, ns, 'sel'),
      (events) => events.some((e) => e.reason === 'ResourceNotFound' && e.type === 'Warning'),
    );

    await create(cluster, ingress(ns, 'sel-a', [host], 'web', { labels: { app: 'sel' } }));
    await setLoadBalancer(cluster, 'Ingress', ns, 'sel-a', [{ ip: '192.0.2.31' }]);
    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.length > 0,
      ),
    ).toEqual(['192.0.2.31']);
    await eventually(
      () => readyOf(cluster, ns, 'sel'),
      (c) => c?.reason === 'Serving',
    );

    await create(cluster, ingress(ns, 'sel-b', [host], 'web', { labels: { app: 'sel' } }));
    const two = await eventually(
      () => readyOf(cluster, ns, 'sel'),
      (c) => c?.reason === 'AmbiguousResourceRef',
    );
    expect(two?.message).toContain(`${ns}/sel-a, ${ns}/sel-b`);
    await eventually(
      () => eventsAbout(cluster, ns, 'sel'),
      (events) => events.some((e) => e.reason === 'AmbiguousResourceRef'),
    );
    expect(await answer(env, host)).toEqual([]);
    expect(await answer(env, bystander)).toEqual(['192.0.2.30']);
    expect(await readyOf(cluster, ns, 'bystander')).toMatchObject({ status: 'True' });
  }, 60_000);

  test('load-balancer host names resolve through the edge DNS servers, IPv6 kept', async () => {
    const { cluster } = env;
    const ns = await freshNamespace(cluster, 'ing-lbname');
    const host = `named.${ns}.${ZONE}`;
    await backend(cluster, ns, 'web', true);
    await create(cluster, ingress(ns, 'named', [host], 'web'));
    await setLoadBalancer(cluster, 'Ingress', ns, 'named', [{ hostname: 'lb.edge.test' }]);
    await create(cluster, gslbRef(ns, 'named', { ...INGRESS_REF, name: 'named' }));
    const [v4, v6] = EDGE_NAMES['lb.edge.test']!;
    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.length > 0,
      ),
    ).toEqual([v4]);
    expect(await answer(env, host, 'AAAA')).toEqual([v6]);
  }, 30_000);

  test('exposed addresses by precedence: exposed-hostnames over exposed-ip-addresses over status', async () => {
    const { cluster } = env;
    const ns = await freshNamespace(cluster, 'precedence');
    const host = `prec.${ns}.${ZONE}`;
    await backend(cluster, ns, 'web', true);
    await create(cluster, ingress(ns, 'prec', [host], 'web'));
    await setLoadBalancer(cluster, 'Ingress', ns, 'prec', [{ ip: '192.0.2.40' }]);
    await create(
      cluster,
      gslbRef(
        ns,
        'prec',
        { ...INGRESS_REF, name: 'prec' },
        {
          annotations: {
            'k8gb.io/exposed-ip-addresses': '198.51.100.1,2001:db8::41',
            'k8gb.io/exposed-hostnames': 'other-lb.edge.test',
          },
        },
      ),
    );
    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.length > 0,
      ),
    ).toEqual(EDGE_NAMES['other-lb.edge.test']);
    await patch(cluster, 'Gslb', ns, 'prec', {
      metadata: { annotations: { 'k8gb.io/exposed-hostnames': null } },
    });
    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.includes('198.51.100.1'),
      ),
    ).toEqual(['198.51.100.1']);
    expect(await answer(env, host, 'AAAA')).toEqual(['2001:db8::41']);
    await patch(cluster, 'Gslb', ns, 'prec', {
      metadata: { annotations: { 'k8gb.io/exposed-ip-addresses': null } },
    });
    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.includes('192.0.2.40'),
      ),
    ).toEqual(['192.0.2.40']);
  }, 30_000);
});

describe('embedded Ingress', () => {
  test('Meridian creates and owns the Ingress, puts it back when it drifts, and removes it with the Gslb', async () => {
    const { cluster } = env;
    const ns = await freshNamespace(cluster, 'embedded');
    const host = `emb.${ns}.${ZONE}`;
    await backend(cluster, ns, 'web', true);
    await create(cluster, {
      apiVersion: 'k8gb.io/v1beta1',
      kind: 'Gslb',
      metadata: { name: 'emb', namespace: ns },
      spec: { ingress: ingressSpec([host], 'web'), strategy: { type: 'roundRobin' } },
    } as never);
    const gslb = await read<{ metadata: { uid: string } }>(cluster, 'Gslb', ns, 'emb');
    type Ingress = {
      metadata: {
        labels?: Record<string, string>;
        ownerReferences?: { kind: string; uid: string; controller?: boolean }[];
      };
      spec: { rules: { host: string }[] };
    };
    const made = await eventually(
      () => read<Ingress>(cluster, 'Ingress', ns, 'emb'),
      (i) => i !== null,
    );
    expect(made?.metadata.labels).toEqual({ 'app.k8gb.io/managed-by': 'gslb' });
    expect(made?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Gslb', uid: gslb?.metadata.uid, controller: true }),
    ]);
    expect(made?.spec.rules.map((r) => r.host)).toEqual([host]);

    await setLoadBalancer(cluster, 'Ingress', ns, 'emb', [{ ip: '192.0.2.50' }]);
    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.length > 0,
      ),
    ).toEqual(['192.0.2.50']);

    await patch(cluster, 'Ingress', ns, 'emb', {
      spec: ingressSpec([`drift.${ns}.${ZONE}`], 'web'),
    });
    await eventually(
      () => read<Ingress>(cluster, 'Ingress', ns, 'emb'),
      (i) => i?.spec.rules[0]?.host === host,
    );

    // A spec change on the Gslb reaches the Ingress.
    const moved = `moved.${ns}.${ZONE}`;
    await patch(cluster, 'Gslb', ns, 'emb', { spec: { ingress: ingressSpec([moved], 'web') } });
    await eventually(
      () => read<Ingress>(cluster, 'Ingress', ns, 'emb'),
      (i) => i?.spec.rules[0]?.host === moved,
    );
    expect(
      await eventually(
        () => answer(env, moved),
        (a) => a.length > 0,
      ),
    ).toEqual(['192.0.2.50']);

    expect((await cluster.request('DELETE', pathOf('Gslb', ns, 'emb'))).status).toBe(200);
    await eventually(
      () => read(cluster, 'Ingress', ns, 'emb'),
      (i) => i === null,
    );
    expect(
      await eventually(
        () => answer(env, moved),
        (a) => a.length === 0,
      ),
    ).toEqual([]);
  }, 60_000);
});

describe('resourceRef to a Service of type LoadBalancer', () => {
  test('host from k8gb.io/hostname, targets from the Service status, health from its own slices', async () => {
    const { cluster } = env;
    const ns = await freshNamespace(cluster, 'svc');
    const host = `svc.${ns}.${ZONE}`;
    await backend(cluster, ns, 'lb', true, 'LoadBalancer');
    await setLoadBalancer(cluster, 'Service', ns, 'lb', [
      { ip: '192.0.2.60' },
      { ip: '2001:db8::60' },
    ]);
    await create(
      cluster,
      gslbRef(
        ns,
        'svc',
        { apiVersion: 'v1', kind: 'Service', name: 'lb' },
        {
          annotations: { 'k8gb.io/hostname': host },
        },
      ),
    );
    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.length > 0,
      ),
    ).toEqual(['192.0.2.60']);
    expect(await answer(env, host, 'AAAA')).toEqual(['2001:db8::60']);
    expect((await gslbStatus(cluster, ns, 'svc')).servers).toEqual([
      { host, services: [{ name: 'lb', namespace: ns }] },
    ]);
    await setReady(cluster, ns, 'lb', false);
    await eventually(
      () => answer(env, host),
      (a) => a.length === 0,
    );

    // A ClusterIP Service cannot be a GSLB target.
    await backend(cluster, ns, 'internal', true);
    await create(
      cluster,
      gslbRef(
        ns,
        'internal',
        { apiVersion: 'v1', kind: 'Service', name: 'internal' },
        {
          annotations: { 'k8gb.io/hostname': `internal.${ns}.${ZONE}` },
        },
      ),
    );
    const condition = await eventually(
      () => readyOf(cluster, ns, 'internal'),
      (c) => c?.reason === 'UnsupportedResource',
    );
    expect(condition?.message).toContain('only LoadBalancer');
  }, 30_000);
});

describe('Gateway API routes', () => {
  test.each(['HTTPRoute', 'GRPCRoute'])(
    '%s: hostnames served with the parent Gateway status addresses',
    async (kind) => {
      const { cluster } = env;
      const ns = await freshNamespace(cluster, kind.toLowerCase());
      const host = `route.${ns}.${ZONE}`;
      await backend(cluster, ns, 'api', true);
      await create(cluster, {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'gw', namespace: ns },
        spec: {
          gatewayClassName: 'example',
          listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }],
        },
      } as never);
      await patch(
        cluster,
        'Gateway',
        ns,
        'gw',
        {
          status: {
            addresses: [
              { type: 'IPAddress', value: '192.0.2.70' },
              { type: 'Hostname', value: 'other-lb.edge.test' },
            ],
          },
        },
        'status',
      );
      await create(cluster, {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind,
        metadata: { name: 'route', namespace: ns },
        spec: {
          parentRefs: [{ name: 'gw' }],
          hostnames: [host],
          rules: [{ backendRefs: [{ name: 'api', port: 80 }] }],
        },
      } as never);
      await create(
        cluster,
        gslbRef(ns, 'route', {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind,
          name: 'route',
        }),
      );
      expect(
        await eventually(
          () => answer(env, host),
          (a) => a.length > 1,
        ),
      ).toEqual(sorted(['192.0.2.70', ...EDGE_NAMES['other-lb.edge.test']!]));
      await setReady(cluster, ns, 'api', false);
      await eventually(
        () => gslbStatus(cluster, ns, 'route'),
        (s) => s.serviceHealth?.[host] === 'Unhealthy',
      );
      expect(await answer(env, host)).toEqual([]);
    },
    30_000,
  );
});

describe('Ingress annotated k8gb.io/strategy (k8gb migration path)', () => {
  test('gets a Gslb owned by the Ingress, kept in line with the annotations, and a deprecation Event', async () => {
    const { cluster } = env;
    const ns = await freshNamespace(cluster, 'annotated');
    const host = `legacy.${ns}.${ZONE}`;
    await backend(cluster, ns, 'web', true);
    await create(
      cluster,
      ingress(ns, 'legacy', [host], 'web', {
        annotations: { 'k8gb.io/strategy': 'failover', 'k8gb.io/primary-geotag': 'eu' },
      }),
    );
    await setLoadBalancer(cluster, 'Ingress', ns, 'legacy', [{ ip: '192.0.2.80' }]);
    type Gslb = {
      metadata: { ownerReferences?: { kind: string; name: string }[] };
      spec: { resourceRef: { kind: string; name: string }; strategy: Record<string, unknown> };
    };
    const made = await eventually(
      () => read<Gslb>(cluster, 'Gslb', ns, 'legacy'),
      (g) => g !== null,
    );
    expect(made?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Ingress', name: 'legacy' }),
    ]);
    expect(made?.spec).toMatchObject({
      resourceRef: { kind: 'Ingress', name: 'legacy' },
      strategy: { type: 'failover', primaryGeoTag: 'eu', dnsTtlSeconds: 30 },
    });
    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.length > 0,
      ),
    ).toEqual(['192.0.2.80']);
    const events = await eventually(
      () => eventsAbout(cluster, ns, 'legacy'),
      (list) => list.some((e) => e.reason === 'DeprecatedAnnotation'),
    );
    expect(events.find((e) => e.reason === 'DeprecatedAnnotation')).toMatchObject({
      type: 'Warning',
      involvedObject: { kind: 'Ingress' },
    });

    await patch(cluster, 'Ingress', ns, 'legacy', {
      metadata: {
        annotations: { 'k8gb.io/strategy': 'roundRobin', 'k8gb.io/primary-geotag': null },
      },
    });
    await eventually(
      () => read<Gslb>(cluster, 'Gslb', ns, 'legacy'),
      (g) =>
        g?.spec.strategy['type'] === 'roundRobin' && g.spec.strategy['primaryGeoTag'] === undefined,
    );
  }, 30_000);
});

describe("Gslbs of k8gb's legacy group k8gb.absa.oss", () => {
  test('the CRD installed while Meridian runs: a legacy Gslb is served read-only until a k8gb.io one of the same name takes over', async () => {
    const { cluster } = env;
    const ns = await freshNamespace(cluster, 'legacy-group');
    const host = `old.${ns}.${ZONE}`;
    await backend(cluster, ns, 'web', true);
    await create(cluster, ingress(ns, 'old', [host], 'web'));
    await setLoadBalancer(cluster, 'Ingress', ns, 'old', [{ ip: '192.0.2.90' }]);
    // Meridian started without this CRD: its watcher found the collection not served.
    await installLegacyGslbCrd(cluster);
    await create(cluster, {
      apiVersion: LEGACY_GSLB_API_VERSION,
      kind: 'Gslb',
      metadata: { name: 'old', namespace: ns, labels: { team: 'shop' } },
      spec: {
        resourceRef: { ...INGRESS_REF, name: 'old' },
        strategy: { type: 'roundRobin', dnsTtlSeconds: 30 },
      },
    } as never);
    type Stored = {
      metadata: {
        generation: number;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
        finalizers?: string[];
        ownerReferences?: unknown[];
      };
      spec: unknown;
    };
    const before = await read<Stored>(cluster, 'LegacyGslb', ns, 'old');

    // Picked up once the watcher looks again (at most 5 s of backoff), and answered.
    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.length > 0,
        20_000,
      ),
    ).toEqual(['192.0.2.90']);
    const serving = await eventually(
      () => readyOf(cluster, ns, 'old', 'LegacyGslb'),
      (c) => c?.status === 'True',
    );
    expect(serving).toMatchObject({ reason: 'Serving' });
    expect(serving?.message).toContain(
      `Legacy Gslb ${ns}/old uses deprecated API group k8gb.absa.oss; Meridian serves it read-only.`,
    );
    expect(await gslbStatus(cluster, ns, 'old', 'LegacyGslb')).toMatchObject({
      serviceHealth: { [host]: 'Healthy' },
      healthyRecords: { [host]: ['192.0.2.90'] },
      hosts: host,
    });
    const legacyEvents = (events: EventSeen[]): EventSeen[] =>
      events.filter((e) => e.involvedObject.apiVersion === LEGACY_GSLB_API_VERSION);
    const deprecated = await eventually(
      async () => legacyEvents(await eventsAbout(cluster, ns, 'old')),
      (events) => events.some((e) => e.reason === 'LegacyDeprecated'),
    );
    expect(deprecated.find((e) => e.reason === 'LegacyDeprecated')).toMatchObject({
      type: 'Warning',
      message: expect.stringContaining(
        'Create it as a k8gb.io/v1beta1 Gslb (same spec) to migrate',
      ),
    });

    // The k8gb.io Gslb of the same namespace/name, with other targets, wins.
    await create(
      cluster,
      gslbRef(
        ns,
        'old',
        { ...INGRESS_REF, name: 'old' },
        { annotations: { 'k8gb.io/exposed-ip-addresses': '198.51.100.90' } },
      ),
    );
    expect(
      await eventually(
        () => answer(env, host),
        (a) => a.includes('198.51.100.90'),
      ),
    ).toEqual(['198.51.100.90']);
    const ignored = await eventually(
      () => readyOf(cluster, ns, 'old', 'LegacyGslb'),
      (c) => c?.reason === 'LegacyIgnored',
    );
    expect(ignored).toMatchObject({
      status: 'False',
      message: `Legacy Gslb ignored: k8gb.io Gslb ${ns}/old exists. Edit the k8gb.io object instead.`,
    });
    await eventually(
      async () => legacyEvents(await eventsAbout(cluster, ns, 'old')),
      (events) => events.some((e) => e.reason === 'LegacyIgnored' && e.type === 'Warning'),
    );
    expect(await readyOf(cluster, ns, 'old')).toMatchObject({ status: 'True', reason: 'Serving' });
    // Read-only: only the status subresource was written.
    const after = await read<Stored>(cluster, 'LegacyGslb', ns, 'old');
    expect(after?.spec).toEqual(before?.spec);
    expect(after?.metadata).toMatchObject({
      generation: before?.metadata.generation,
      labels: { team: 'shop' },
    });
    for (const field of ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const)
      expect(after?.metadata[field]).toEqual(before?.metadata[field]);
  }, 60_000);
});

describe('invalid Gslbs', () => {
  test('an unsupported resourceRef kind gets a condition and an Event; nothing else changes', async () => {
    const { cluster } = env;
    const ns = await freshNamespace(cluster, 'unsupported');
    await create(cluster, gslbRef(ns, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', name: 'x' }));
    const condition = await eventually(
      () => readyOf(cluster, ns, 'cm'),
      (c) => c?.reason === 'UnsupportedResource',
    );
    expect(condition?.message).toContain('APIVersion:v1, Kind:ConfigMap not supported');
    await eventually(
      () => eventsAbout(cluster, ns, 'cm'),
      (events) => events.some((e) => e.reason === 'UnsupportedResource'),
    );
  }, 30_000);
});

describe('hostile tenants', () => {
  test('a zone-scoped IPv6 address, on a Gslb or on an annotated Ingress, costs that Gslb only: a condition, and every other answer stays', async () => {
    const { cluster } = env;
    const ns = await freshNamespace(cluster, 'scoped');
    const bystander = `bystander.${ns}.${ZONE}`;
    await backend(cluster, ns, 'web', true);
    await create(cluster, ingress(ns, 'bystander', [bystander], 'web'));
    await setLoadBalancer(cluster, 'Ingress', ns, 'bystander', [{ ip: '192.0.2.90' }]);
    await create(cluster, gslbRef(ns, 'bystander', { ...INGRESS_REF, name: 'bystander' }));
    await eventually(
      () => answer(env, bystander),
      (a) => a.length > 0,
    );
    const pid = env.meridian.process.pid;

    // Once made the process exit (isIP accepts it, URL parsing throws), in every replica.
    await create(cluster, ingress(ns, 'front', [`scoped.${ns}.${ZONE}`], 'web'));
    await create(
      cluster,
      gslbRef(
        ns,
        'scoped',
        { ...INGRESS_REF, name: 'front' },
        { annotations: { 'k8gb.io/exposed-ip-addresses': 'fe80::1%eth0' } },
      ),
    );
    // The same value through an Ingress's annotations, which anyone who may create an Ingress can write.
    await create(
      cluster,
      ingress(ns, 'annotated', [`annotated.${ns}.${ZONE}`], 'web', {
        annotations: {
          'k8gb.io/strategy': 'roundRobin',
          'k8gb.io/exposed-ip-addresses': 'fe80::1%eth0',
        },
      }),
    );
    for (const name of ['scoped', 'annotated']) {
      const condition = await eventually(
        () => readyOf(cluster, ns, name),
        (c) => c !== undefined && c.status === 'False',
      );
      expect(condition?.message).toContain('fe80::1%eth0');
      expect(condition?.message).toMatch(/zone/i);
    }
    expect(await answer(env, `scoped.${ns}.${ZONE}`)).toEqual([]);
    expect(await answer(env, bystander)).toEqual(['192.0.2.90']);
    expect(env.meridian.process.pid).toBe(pid);
    expect(env.meridian.process.exitCode).toBeNull();
  }, 45_000);

  test('a Gslb created later for a host another team serves gets HostConflict and a Warning Event; the holder, its status and its answers are untouched', async () => {
    const { cluster } = env;
    const owner = await freshNamespace(cluster, 'holder');
    const tenant = await freshNamespace(cluster, 'taker');
    const host = `contested.${owner}.${ZONE}`;
    await backend(cluster, owner, 'web', true);
    await create(cluster, ingress(owner, 'good', [host], 'web'));
    await setLoadBalancer(cluster, 'Ingress', owner, 'good', [{ ip: '192.0.2.41' }]);
    await create(cluster, gslbRef(owner, 'good', { ...INGRESS_REF, name: 'good' }));
    await eventually(
      () => readyOf(cluster, owner, 'good'),
      (c) => c?.status === 'True',
    );
    type Versioned = { metadata: { resourceVersion: string } };
    const before = await read<Versioned>(cluster, 'Gslb', owner, 'good');

    await backend(cluster, tenant, 'web', true);
    await create(cluster, ingress(tenant, 'dup', [host], 'web'));
    await setLoadBalancer(cluster, 'Ingress', tenant, 'dup', [{ ip: '192.0.2.42' }]);
    await create(cluster, gslbRef(tenant, 'dup', { ...INGRESS_REF, name: 'dup' }));
    const conflict = await eventually(
      () => readyOf(cluster, tenant, 'dup'),
      (c) => c?.reason === 'HostConflict',
    );
    expect(conflict).toMatchObject({ status: 'False' });
    expect(conflict?.message).toContain(`${owner}/good`);
    const events = await eventually(
      () => eventsAbout(cluster, tenant, 'dup'),
      (list) => list.some((e) => e.reason === 'HostConflict'),
    );
    expect(events.find((e) => e.reason === 'HostConflict')).toMatchObject({ type: 'Warning' });
    expect(await answer(env, host)).toEqual(['192.0.2.41']);
    // Not a write to the holder: its resourceVersion is as it was.
    const after = await read<Versioned>(cluster, 'Gslb', owner, 'good');
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect(await readyOf(cluster, owner, 'good')).toMatchObject({
      status: 'True',
      reason: 'Serving',
    });
  }, 45_000);
});

describe('two replicas', () => {
  test('one replica writes; when it stops, the other takes over writing', async () => {
    const { cluster } = env;
    const ns = await freshNamespace(cluster, 'replicas');
    const metricsOf = async (address: string): Promise<number> => {
      const text = await (await fetch(`http://${address}/metrics`)).text();
      return Number(/^meridian_kube_writer (\d)/m.exec(text)?.[1] ?? NaN);
    };
    const secondEnv = {
      ...env.meridianEnv,
      POD_NAME: 'replica-two',
      MERIDIAN_GRPC_LISTEN: `127.0.0.1:${await freePort()}`,
      METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
    };
    const second = await startMeridianProcess(secondEnv, 60_000);
    try {
      const writers = await eventually(
        async () => [
          await metricsOf(env.meridianEnv['METRICS_ADDRESS']!),
          await metricsOf(secondEnv.METRICS_ADDRESS),
        ],
        (flags) => flags.every((f) => f === 0 || f === 1),
      );
      // The first replica has held the Lease since the suite began.
      expect(writers).toEqual([1, 0]);

      await env.meridian.stop('SIGTERM');
      await eventually(
        () => metricsOf(secondEnv.METRICS_ADDRESS),
        (flag) => flag === 1,
        10_000,
      );
      await backend(cluster, ns, 'web', true);
      await create(cluster, ingress(ns, 'after', [`after.${ns}.${ZONE}`], 'web'));
      await create(cluster, gslbRef(ns, 'after', { ...INGRESS_REF, name: 'after' }));
      await eventually(
        () => readyOf(cluster, ns, 'after'),
        (c) => c?.status === 'True',
      );
    } finally {
      await second.stop();
      await env.restartMeridian();
    }
  }, 90_000);
});
