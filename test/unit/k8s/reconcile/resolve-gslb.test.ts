/**
 * resolveGslb against an index of raw objects: every way to declare a Gslb
 * (docs/k8gb-compatibility.md#ways-to-declare-a-gslb), local health per host with both policies
 * (#local-health), the exposed-address precedence (#exposed-addresses, IPv6 kept), hosts outside
 * the zones, the records to serve and whether a problem keeps the last good records.
 */
import type { KubeObject } from '../../../../src/k8s/client/kube-api';
import type { WatchedKind } from '../../../../src/k8s/ingest/object-index';
import { toGslb } from '../../../../src/k8s/ingest/gslb-objects';
import { resolveGslb } from '../../../../src/k8s/reconcile/resolve-gslb';
import type {
  HostnameLookup,
  ReadyReason,
  Resolution,
  ResolveContext,
} from '../../../../src/k8s/reconcile/resolution';
import {
  ANNOTATION_EXPOSED_HOSTNAMES,
  ANNOTATION_EXPOSED_IPS,
  ANNOTATION_HOSTNAME,
  GSLB_UID,
  backend,
  controller,
  gatewayObject,
  GSLB_CLAIM,
  gslbObject,
  indexOf,
  ingressObject,
  loadBalancer,
  resolveContext,
  resolvedTo,
  routeObject,
  rules,
  serviceObject,
  type GslbFixture,
} from '../../../helpers/kube-objects';

const HOST = 'app.cloud.example.org';
const INGRESS_REF = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' };
const SERVICE_REF = { apiVersion: 'v1', kind: 'Service' };
const ROUTE_API = 'gateway.networking.k8s.io/v1';

type Entries = [WatchedKind, KubeObject][];

function resolve(
  gslb: KubeObject,
  entries: Entries = [],
  ctx: ResolveContext = resolveContext(),
): Resolution {
  return resolveGslb(toGslb(gslb), indexOf(['Gslb', gslb], ...entries), ctx);
}

/** A resolution that serves nothing. */
function notServed(
  reason: Exclude<ReadyReason, 'Serving'>,
  message: string,
  keepLastGood: boolean,
): Resolution {
  return {
    reason,
    message,
    records: [],
    health: {},
    healthyRecords: {},
    exposedIps: [],
    servers: [],
    hosts: [],
    keepLastGood,
  };
}

/** The resolution while a host name is looked up for the first time: no status or Event yet. */
function firstLookup(name: string): Resolution {
  return {
    ...notServed(
      'ExposedAddressesUnresolved',
      `resolving ${name} through the edge DNS servers`,
      true,
    ),
    pending: true,
  };
}

/** The Ingress Meridian made for the default embedded Gslb, with load-balancer `addresses`. */
function ownedIngress(...addresses: ({ ip: string } | { hostname: string })[]): KubeObject {
  return ingressObject('web', {
    hosts: { [HOST]: ['web'] },
    ownerReferences: [controller('Gslb', 'web', GSLB_UID, 'k8gb.io/v1beta1')],
    status: loadBalancer(...addresses),
  });
}

/** A Gslb embedding an Ingress with `hosts` (host → Service names). */
function embeddedGslb(
  hosts: Record<string, string[]> = { [HOST]: ['web'] },
  fixture: GslbFixture = {},
): KubeObject {
  return gslbObject({ ingress: { rules: rules(hosts) }, ...fixture });
}

describe('embedded ingress (spec.ingress)', () => {
  test('the owned Ingress gives the addresses; hosts and backends come from the Gslb', () => {
    const resolution = resolve(embeddedGslb(), [
      ['Ingress', ownedIngress({ ip: '192.0.2.1' })],
      ...backend('web'),
    ]);
    expect(resolution).toEqual({
      reason: 'Serving',
      message: '1 host: 1 Healthy',
      records: [
        {
          id: 'shop/web',
          hosts: [HOST],
          strategy: 'roundRobin',
          ttlSeconds: 30,
          claim: GSLB_CLAIM,
          clusters: [{ geoTag: 'eu', addresses: ['192.0.2.1'] }],
        },
      ],
      health: { [HOST]: 'Healthy' },
      healthyRecords: { [HOST]: ['192.0.2.1'] },
      exposedIps: ['192.0.2.1'],
      servers: [{ host: HOST, services: [{ name: 'web', namespace: 'shop' }] }],
      hosts: [HOST],
      keepLastGood: false,
    });
  });

  test('hosts of the Ingress object itself are not read, only those of spec.ingress', () => {
    const drifted = ingressObject('web', {
      hosts: { 'other.cloud.example.org': ['other'] },
      ownerReferences: [controller('Gslb', 'web', GSLB_UID, 'k8gb.io/v1beta1')],
      status: loadBalancer({ ip: '192.0.2.1' }),
    });
    const resolution = resolve(embeddedGslb(), [['Ingress', drifted], ...backend('web')]);
    expect(resolution.hosts).toEqual([HOST]);
    expect(resolution.exposedIps).toEqual(['192.0.2.1']);
  });

  test.each<[string, Entries]>([
    ['no Ingress yet', []],
    [
      'an Ingress of the same name without owner',
      [['Ingress', ingressObject('web', { status: loadBalancer({ ip: '192.0.2.1' }) })]],
    ],
    [
      'an Ingress of the same name owned by another Gslb',
      [
        [
          'Ingress',
          ingressObject('web', {
            ownerReferences: [controller('Gslb', 'web', 'someone-else', 'k8gb.io/v1beta1')],
            status: loadBalancer({ ip: '192.0.2.1' }),
          }),
        ],
      ],
    ],
  ])('%s: served without addresses (healthy, no healthy records)', (_case, entries) => {
    const resolution = resolve(embeddedGslb(), [...entries, ...backend('web')]);
    expect(resolution.reason).toBe('Serving');
    expect(resolution.exposedIps).toEqual([]);
    expect(resolution.health).toEqual({ [HOST]: 'Healthy' });
    expect(resolution.healthyRecords).toEqual({});
    expect(resolution.records).toEqual([
      {
        id: 'shop/web',
        hosts: [HOST],
        strategy: 'roundRobin',
        ttlSeconds: 30,
        claim: GSLB_CLAIM,
        clusters: [],
      },
    ]);
  });

  test('spec.ingress without any host is an invalid spec', () => {
    expect(resolve(gslbObject({ ingress: { rules: [{ http: { paths: [] } }] } }))).toEqual(
      notServed('InvalidSpec', 'spec.ingress.rules name no host', true),
    );
  });

  test('neither spec.ingress nor a usable resourceRef is an invalid spec', () => {
    const expected = notServed(
      'InvalidSpec',
      'set spec.ingress or spec.resourceRef (a name or a label selector)',
      true,
    );
    expect(resolve(gslbObject())).toEqual(expected);
    expect(resolve(gslbObject({ resourceRef: { ...INGRESS_REF } }))).toEqual(expected);
  });

  test('a resourceRef with neither name nor selector leaves the embedded ingress in charge', () => {
    const gslb = embeddedGslb(undefined, { resourceRef: { ...INGRESS_REF, matchLabels: {} } });
    expect(
      resolve(gslb, [['Ingress', ownedIngress({ ip: '192.0.2.1' })], ...backend('web')]).exposedIps,
    ).toEqual(['192.0.2.1']);
  });

  test('a resourceRef wins over spec.ingress', () => {
    const gslb = embeddedGslb(undefined, { resourceRef: { ...INGRESS_REF, name: 'front' } });
    const front = ingressObject('front', { hosts: { 'front.cloud.example.org': ['web'] } });
    expect(resolve(gslb, [['Ingress', front], ...backend('web')]).hosts).toEqual([
      'front.cloud.example.org',
    ]);
  });
});

describe('resourceRef Ingress', () => {
  const front = (namespace = 'shop'): KubeObject =>
    ingressObject('front', {
      namespace,
      hosts: { [HOST]: ['web', 'api'], 'b.cloud.example.org': [] },
      status: loadBalancer({ ip: '192.0.2.2' }),
    });

  test('by name, in the Gslb namespace: hosts, backends and addresses from the Ingress', () => {
    const gslb = gslbObject({ resourceRef: { ...INGRESS_REF, name: 'front' } });
    const resolution = resolve(gslb, [
      ['Ingress', front()],
      ...backend('web'),
      ...backend('api', false),
    ]);
    expect(resolution.reason).toBe('Serving');
    expect(resolution.servers).toEqual([
      {
        host: HOST,
        services: [
          { name: 'web', namespace: 'shop' },
          { name: 'api', namespace: 'shop' },
        ],
      },
      { host: 'b.cloud.example.org', services: [] },
    ]);
    expect(resolution.health).toEqual({ [HOST]: 'Healthy', 'b.cloud.example.org': 'NotFound' });
    expect(resolution.exposedIps).toEqual(['192.0.2.2']);
    expect(resolution.message).toBe('2 hosts: 1 Healthy, 1 NotFound');
  });

  test('by name in another namespace: backends are looked up there', () => {
    const gslb = gslbObject({ resourceRef: { ...INGRESS_REF, name: 'front', namespace: 'edge' } });
    const resolution = resolve(gslb, [['Ingress', front('edge')], ...backend('web', true, 'edge')]);
    expect(resolution.servers[0]).toEqual({
      host: HOST,
      services: [
        { name: 'web', namespace: 'edge' },
        { name: 'api', namespace: 'edge' },
      ],
    });
    expect(resolution.health[HOST]).toBe('Healthy');
  });

  test('a missing Ingress is ResourceNotFound and drops the last good records', () => {
    const gslb = gslbObject({ resourceRef: { ...INGRESS_REF, name: 'front' } });
    expect(resolve(gslb, [['Ingress', front('other')]])).toEqual(
      notServed('ResourceNotFound', 'Ingress shop/front not found', false),
    );
  });

  describe('by label selector', () => {
    const labelled = (
      name: string,
      labels: Record<string, string>,
      namespace = 'shop',
    ): [WatchedKind, KubeObject] => [
      'Ingress',
      ingressObject(name, { namespace, labels, hosts: { [`${name}.cloud.example.org`]: [] } }),
    ];
    const ingresses: Entries = [
      labelled('a', { app: 'web', tier: 'front' }),
      labelled('b', { app: 'web' }),
      labelled('c', { app: 'api', canary: 'true' }),
      labelled('d', { app: 'api', canary: 'true', only: 'here' }, 'other'),
    ];
    const select = (selector: Record<string, unknown>): Resolution =>
      resolve(gslbObject({ resourceRef: { ...INGRESS_REF, ...selector } }), ingresses);

    test.each<[string, Record<string, unknown>, string]>([
      ['matchLabels', { matchLabels: { app: 'web', tier: 'front' } }, 'a'],
      [
        'matchLabels and Exists',
        { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
        'a',
      ],
      [
        'matchLabels and DoesNotExist',
        {
          matchLabels: { app: 'web' },
          matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }],
        },
        'b',
      ],
      ['In', { matchExpressions: [{ key: 'app', operator: 'In', values: ['api', 'db'] }] }, 'c'],
      ['NotIn', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, 'c'],
      ['Exists', { matchExpressions: [{ key: 'canary', operator: 'Exists' }] }, 'c'],
      [
        'several expressions, all must hold',
        {
          matchExpressions: [
            { key: 'app', operator: 'In', values: ['web'] },
            { key: 'tier', operator: 'NotIn', values: ['back'] },
            { key: 'tier', operator: 'Exists' },
          ],
        },
        'a',
      ],
    ])('one match by %s → that Ingress', (_case, selector, name) => {
      const resolution = select(selector);
      // Served; no backend is ready in these fixtures, hence not Ready.
      expect(resolution.reason).toBe('NoHealthyHosts');
      expect(resolution.hosts).toEqual([`${name}.cloud.example.org`]);
    });

    test.each<[string, Record<string, unknown>]>([
      ['a label value nobody has', { matchLabels: { app: 'db' } }],
      ['a label only an Ingress of another namespace has', { matchLabels: { only: 'here' } }],
      [
        'In with no matching value',
        { matchExpressions: [{ key: 'app', operator: 'In', values: ['x'] }] },
      ],
      [
        'DoesNotExist of a label everyone has',
        { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] },
      ],
    ])('no match (%s) is ResourceNotFound', (_case, selector) => {
      expect(select(selector)).toEqual(
        notServed(
          'ResourceNotFound',
          'no Ingress in namespace shop matches the resourceRef selector',
          false,
        ),
      );
    });

    test('two matches are AmbiguousResourceRef, naming them in order', () => {
      expect(select({ matchLabels: { app: 'web' } })).toEqual(
        notServed(
          'AmbiguousResourceRef',
          '2 Ingresss in namespace shop match the resourceRef selector (shop/a, shop/b); it must match exactly one',
          false,
        ),
      );
      expect(select({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }).reason).toBe(
        'AmbiguousResourceRef',
      );
    });

    test('an unknown operator is an invalid spec', () => {
      expect(
        select({ matchExpressions: [{ key: 'app', operator: 'Contains', values: ['w'] }] }),
      ).toEqual(
        notServed('InvalidSpec', 'resourceRef selector: unknown operator "Contains"', true),
      );
    });

    // Regression: docs/k8gb-compatibility.md#gslb-spec-fields-and-validation says a label selector
    // lists "in the Gslb's namespace only", but pickOne() used to list in ref.namespace, which is
    // resourceRef.namespace when set, so a selector reached into another namespace.
    test('a label selector selects in the Gslb namespace only, whatever resourceRef.namespace says', () => {
      const inNamespace = (namespace: string, host: string): [WatchedKind, KubeObject] => [
        'Ingress',
        ingressObject(`front-${namespace}`, {
          namespace,
          labels: { app: 'web' },
          hosts: { [host]: [] },
        }),
      ];
      const gslb = gslbObject({
        resourceRef: { ...INGRESS_REF, namespace: 'other', matchLabels: { app: 'web' } },
      });
      const index = indexOf(
        ['Gslb', gslb],
        inNamespace('shop', 'shop.cloud.example.org'),
        inNamespace('other', 'other.cloud.example.org'),
      );
      expect(resolveGslb(toGslb(gslb), index, resolveContext()).hosts).toEqual([
        'shop.cloud.example.org',
      ]);
    });

    // Regression: matchesSelector() rejects an unknown operator only when it
    // evaluates the expression, i.e. for an object that passed matchLabels and
    // the earlier expressions. With no such object the Gslb used to be
    // ResourceNotFound (last good records dropped, a misleading message)
    // instead of InvalidSpec; k8gb validates the selector before listing.
    test.each<[string, [WatchedKind, KubeObject][]]>([
      ['no Ingress in the namespace', []],
      [
        'no Ingress passing matchLabels',
        [
          [
            'Ingress',
            ingressObject('front', {
              labels: { app: 'api' },
              hosts: { 'a.cloud.example.org': [] },
            }),
          ],
        ],
      ],
    ])('an unknown selector operator is an invalid spec with %s', (_case, entries) => {
      const gslb = gslbObject({
        resourceRef: {
          ...INGRESS_REF,
          matchLabels: { app: 'web' },
          matchExpressions: [{ key: 'tier', operator: 'Contains', values: ['f'] }],
        },
      });
      const resolution = resolveGslb(
        toGslb(gslb),
        indexOf(['Gslb', gslb], ...entries),
        resolveContext(),
      );
      expect([resolution.reason, resolution.message, resolution.keepLastGood]).toEqual([
        'InvalidSpec',
        'resourceRef selector: unknown operator "Contains"',
        true,
      ]);
    });
  });
});

describe('resourceRef Service (type LoadBalancer, host from k8gb.io/hostname)', () => {
  const lb = (
    type = 'LoadBalancer',
    fixture: { labels?: Record<string, string> } = {},
  ): [WatchedKind, KubeObject] => [
    'Service',
    serviceObject('db', {
      type,
      ...fixture,
      status: loadBalancer({ ip: '192.0.2.5' }, { hostname: 'lb.example.net' }),
    }),
  ];
  const gslb = (
    annotations: Record<string, string>,
    ref: Record<string, unknown> = { name: 'db' },
  ): KubeObject => gslbObject({ annotations, resourceRef: { ...SERVICE_REF, ...ref } });
  const ctx = resolveContext({ names: { 'lb.example.net': resolvedTo('198.51.100.1') } });

  test('the annotation names the host, the Service is its backend and gives the addresses', () => {
    const resolution = resolve(
      gslb({ [ANNOTATION_HOSTNAME]: ' DB.Cloud.Example.org. ' }),
      [lb(), ['EndpointSlice', backend('db')[1]![1]]],
      ctx,
    );
    expect(resolution).toMatchObject({
      reason: 'Serving',
      hosts: ['db.cloud.example.org'],
      servers: [{ host: 'db.cloud.example.org', services: [{ name: 'db', namespace: 'shop' }] }],
      health: { 'db.cloud.example.org': 'Healthy' },
      exposedIps: ['192.0.2.5', '198.51.100.1'],
    });
  });

  test('selected by label', () => {
    const resolution = resolve(
      gslb({ [ANNOTATION_HOSTNAME]: 'db.cloud.example.org' }, { matchLabels: { app: 'db' } }),
      [lb('LoadBalancer', { labels: { app: 'db' } })],
      ctx,
    );
    expect(resolution.hosts).toEqual(['db.cloud.example.org']);
    expect(resolution.health).toEqual({ 'db.cloud.example.org': 'Unhealthy' });
  });

  test.each<[string, Record<string, string>]>([
    ['no annotation', {}],
    ['a blank annotation', { [ANNOTATION_HOSTNAME]: '  ' }],
  ])('%s is an invalid spec', (_case, annotations) => {
    expect(resolve(gslb(annotations), [lb()], ctx)).toEqual(
      notServed('InvalidSpec', 'a Service resourceRef needs the k8gb.io/hostname annotation', true),
    );
  });

  test.each(['ClusterIP', 'NodePort', 'ExternalName'])(
    'a Service of type %s is unsupported',
    (type) => {
      expect(
        resolve(gslb({ [ANNOTATION_HOSTNAME]: 'db.cloud.example.org' }), [lb(type)], ctx),
      ).toEqual(
        notServed(
          'UnsupportedResource',
          `Service shop/db is of type ${type}; only LoadBalancer is supported`,
          false,
        ),
      );
    },
  );

  test('a missing Service is ResourceNotFound', () => {
    expect(resolve(gslb({ [ANNOTATION_HOSTNAME]: 'db.cloud.example.org' }), [], ctx)).toEqual(
      notServed('ResourceNotFound', 'Service shop/db not found', false),
    );
  });
});

describe.each(['HTTPRoute', 'GRPCRoute'] as const)('resourceRef %s', (kind) => {
  const API = 'api.cloud.example.org';
  const ref = { apiVersion: ROUTE_API, kind, name: 'api' };
  const route = (fixture: Parameters<typeof routeObject>[2] = {}): [WatchedKind, KubeObject] => [
    kind,
    routeObject(kind, 'api', { hostnames: [API], ...fixture }),
  ];
  const gateway = (
    addresses: { type?: string; value: string }[],
    namespace = 'shop',
  ): [WatchedKind, KubeObject] => ['Gateway', gatewayObject('gw', addresses, { namespace })];
  const ctx = resolveContext({
    names: {
      'gw.example.net': resolvedTo('203.0.113.1', '2001:db8::1'),
      'failing.example.net': { state: 'failed', error: 'SERVFAIL' },
    },
  });
  const resolveRoute = (entries: Entries, annotations: Record<string, string> = {}): Resolution =>
    resolve(gslbObject({ resourceRef: ref, annotations }), entries, ctx);

  test('hosts from hostnames, every backendRef taken as a Service as k8gb does (any namespace), addresses from the one parent Gateway', () => {
    const resolution = resolveRoute([
      route({
        hostnames: [API, 'B.cloud.example.org'],
        parentRefs: [{ name: 'gw' }, { name: 'mesh', kind: 'Service', group: '' }],
        backendRefs: [
          { name: 'web' },
          { name: 'bucket', group: 'storage.example.com', kind: 'Bucket' },
          { name: 'svc-in-other-group', group: 'example.com', kind: 'Service' },
          { name: 'remote', namespace: 'other' },
        ],
      }),
      gateway([{ type: 'IPAddress', value: '192.0.2.20' }]),
      ...backend('web'),
    ]);
    const services = [
      { name: 'web', namespace: 'shop' },
      { name: 'bucket', namespace: 'shop' },
      { name: 'svc-in-other-group', namespace: 'shop' },
      { name: 'remote', namespace: 'other' },
    ];
    expect(resolution).toMatchObject({
      reason: 'Serving',
      hosts: [API, 'b.cloud.example.org'],
      servers: [
        { host: API, services },
        { host: 'b.cloud.example.org', services },
      ],
      health: { [API]: 'Healthy', 'b.cloud.example.org': 'Healthy' },
      exposedIps: ['192.0.2.20'],
    });
    expect(resolution.records).toEqual([
      {
        id: 'shop/web',
        hosts: [API, 'b.cloud.example.org'],
        strategy: 'roundRobin',
        ttlSeconds: 30,
        claim: GSLB_CLAIM,
        clusters: [{ geoTag: 'eu', addresses: ['192.0.2.20'] }],
      },
    ]);
  });

  test('selected by label', () => {
    const resolution = resolve(
      gslbObject({ resourceRef: { apiVersion: ROUTE_API, kind, matchLabels: { app: 'api' } } }),
      [route({ labels: { app: 'api' } }), gateway([{ value: '192.0.2.20' }])],
      ctx,
    );
    expect(resolution.hosts).toEqual([API]);
    expect(resolution.exposedIps).toEqual(['192.0.2.20']);
  });

  test('the parent Gateway may live in another namespace', () => {
    const resolution = resolveRoute([
      route({ parentRefs: [{ name: 'gw', namespace: 'infra' }] }),
      gateway([{ value: '192.0.2.30' }], 'infra'),
      gateway([{ value: '192.0.2.31' }], 'shop'),
    ]);
    expect(resolution.exposedIps).toEqual(['192.0.2.30']);
  });

  test.each<[string, unknown[], number]>([
    ['no parentRef', [], 0],
    ['only a non-Gateway parent', [{ name: 'mesh', kind: 'Service', group: '' }], 0],
    ['two Gateway parents', [{ name: 'gw' }, { name: 'gw2' }], 2],
  ])('%s is unsupported', (_case, parentRefs, found) => {
    expect(resolveRoute([route({ parentRefs }), gateway([{ value: '192.0.2.20' }])])).toEqual(
      notServed(
        'UnsupportedResource',
        `${kind} shop/api must have exactly one parentRef of kind Gateway, found ${found}`,
        false,
      ),
    );
  });

  test('a missing parent Gateway is ResourceNotFound', () => {
    expect(resolveRoute([route({ parentRefs: [{ name: 'gw', namespace: 'infra' }] })])).toEqual(
      notServed(
        'ResourceNotFound',
        `Gateway infra/gw (parent of ${kind} shop/api) not found`,
        false,
      ),
    );
  });

  test('the parent Gateway is not needed when an annotation gives the addresses', () => {
    const resolution = resolveRoute([route()], { [ANNOTATION_EXPOSED_IPS]: '192.0.2.99' });
    expect(resolution.reason).toBe('NoHealthyHosts');
    expect(resolution.exposedIps).toEqual(['192.0.2.99']);
  });

  test('a missing route is ResourceNotFound; a route of the other kind does not count', () => {
    const other = kind === 'HTTPRoute' ? 'GRPCRoute' : 'HTTPRoute';
    expect(
      resolveRoute([[other, routeObject(other, 'api')], gateway([{ value: '192.0.2.20' }])]),
    ).toEqual(notServed('ResourceNotFound', `${kind} shop/api not found`, false));
  });

  test('a route without hostnames has no host in a zone', () => {
    expect(resolveRoute([route({ hostnames: [] }), gateway([{ value: '192.0.2.20' }])])).toEqual(
      notServed('NoHostInZone', 'no host lies in a zone of DNS_ZONES (hosts: none)', false),
    );
  });

  test.each<[string, { type?: string; value: string }[], string[]]>([
    ['IPAddress', [{ type: 'IPAddress', value: '192.0.2.1' }], ['192.0.2.1']],
    ['untyped', [{ value: '2001:DB8:0:0:0:0:0:9' }], ['2001:db8::9']],
    ['Hostname', [{ type: 'Hostname', value: 'gw.example.net' }], ['203.0.113.1', '2001:db8::1']],
    [
      'all three, duplicates once',
      [
        { type: 'IPAddress', value: '203.0.113.1' },
        { type: 'Hostname', value: 'GW.example.net.' },
        { value: '192.0.2.1' },
      ],
      ['203.0.113.1', '2001:db8::1', '192.0.2.1'],
    ],
  ])('Gateway address type %s', (_case, addresses, exposed) => {
    expect(resolveRoute([route(), gateway(addresses)]).exposedIps).toEqual(exposed);
  });

  test.each<[string, { type?: string; value: string }[], Resolution]>([
    [
      'another address type is unsupported',
      [{ type: 'NamedAddress', value: 'internal' }],
      notServed(
        'UnsupportedResource',
        'Gateway shop/gw address type NamedAddress is not supported (IPAddress or Hostname)',
        false,
      ),
    ],
    [
      'an IPAddress that is not one keeps the last good records',
      [{ type: 'IPAddress', value: 'gw.example.net' }],
      notServed('ExposedAddressesUnresolved', '"gw.example.net" is not an IP address', true),
    ],
    [
      'a Hostname not resolved yet keeps the last good records',
      [{ type: 'Hostname', value: 'new.example.net' }],
      firstLookup('new.example.net'),
    ],
    [
      'a Hostname that fails to resolve keeps the last good records',
      [{ type: 'Hostname', value: 'failing.example.net' }],
      notServed('ExposedAddressesUnresolved', 'cannot resolve failing.example.net: SERVFAIL', true),
    ],
  ])('%s', (_case, addresses, expected) => {
    expect(resolveRoute([route(), gateway(addresses)])).toEqual(expected);
  });
});

describe('unsupported resourceRef kinds', () => {
  test.each<[string, string]>([
    ['networking.istio.io/v1', 'VirtualService'],
    ['gateway.networking.k8s.io/v1alpha2', 'TCPRoute'],
    ['gateway.networking.k8s.io/v1', 'TLSRoute'],
    ['gateway.networking.k8s.io/v1beta1', 'HTTPRoute'],
    ['networking.k8s.io/v1beta1', 'Ingress'],
    ['v1', 'ConfigMap'],
    ['', 'Ingress'],
    ['networking.k8s.io/v1', 'ingress'],
  ])('%s %s', (apiVersion, kind) => {
    const gslb = gslbObject({ resourceRef: { apiVersion, kind, name: 'x' } });
    expect(resolve(gslb, [['Ingress', ingressObject('x', { hosts: { [HOST]: [] } })]])).toEqual(
      notServed(
        'UnsupportedResource',
        `resourceRef APIVersion:${apiVersion}, Kind:${kind} not supported (use networking.k8s.io/v1 Ingress, v1 Service, gateway.networking.k8s.io/v1 HTTPRoute or GRPCRoute)`,
        false,
      ),
    );
  });
});

describe('local health of a host (docs/k8gb-compatibility.md#local-health)', () => {
  type State = 'ready' | 'unready' | 'missing';
  /** Health of one host whose backends are in the given states. */
  const healthOf = (policy: unknown, states: State[]): string | undefined => {
    const names = states.map((_s, i) => `s${i}`);
    const entries: Entries = states.flatMap((s, i) =>
      s === 'missing' ? [] : backend(`s${i}`, s === 'ready'),
    );
    const gslb = embeddedGslb(
      { [HOST]: names },
      {
        annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' },
        ...(policy === undefined ? {} : { serviceHealthPolicy: policy }),
      },
    );
    return resolve(gslb, entries).health[HOST];
  };

  test.each<[unknown, State[], string]>([
    [undefined, [], 'NotFound'],
    [undefined, ['ready'], 'Healthy'],
    [undefined, ['unready'], 'Unhealthy'],
    [undefined, ['missing'], 'NotFound'],
    ['Any', [], 'NotFound'],
    ['Any', ['ready'], 'Healthy'],
    ['Any', ['unready'], 'Unhealthy'],
    ['Any', ['missing'], 'NotFound'],
    ['Any', ['ready', 'unready'], 'Healthy'],
    ['Any', ['missing', 'ready'], 'Healthy'],
    ['Any', ['missing', 'unready'], 'Unhealthy'],
    ['Any', ['missing', 'missing'], 'NotFound'],
    ['Any', ['unready', 'unready'], 'Unhealthy'],
    ['Any', ['missing', 'unready', 'ready'], 'Healthy'],
    ['All', [], 'NotFound'],
    ['All', ['ready'], 'Healthy'],
    ['All', ['ready', 'ready'], 'Healthy'],
    ['All', ['unready'], 'Unhealthy'],
    ['All', ['missing'], 'NotFound'],
    ['All', ['ready', 'unready'], 'Unhealthy'],
    ['All', ['ready', 'missing'], 'NotFound'],
    ['All', ['unready', 'missing'], 'NotFound'],
    ['All', ['ready', 'unready', 'missing'], 'NotFound'],
  ])('policy %s, backends %j → %s', (policy, states, expected) => {
    expect(healthOf(policy, states)).toBe(expected);
  });

  test.each<[unknown]>([['any'], ['ALL'], ['None'], [''], [null], [1], [['Any']]])(
    'serviceHealthPolicy %j is an invalid spec',
    (policy) => {
      expect(
        resolve(embeddedGslb(undefined, { serviceHealthPolicy: policy }), backend('web')),
      ).toEqual(
        notServed(
          'InvalidSpec',
          `spec.serviceHealthPolicy must be Any or All, found ${JSON.stringify(policy)}`,
          true,
        ),
      );
    },
  );

  test('each host is judged on its own backends', () => {
    const gslb = embeddedGslb(
      {
        'a.cloud.example.org': ['up'],
        'b.cloud.example.org': ['down'],
        'c.cloud.example.org': ['gone', 'up'],
      },
      { annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' }, serviceHealthPolicy: 'All' },
    );
    expect(resolve(gslb, [...backend('up'), ...backend('down', false)]).health).toEqual({
      'a.cloud.example.org': 'Healthy',
      'b.cloud.example.org': 'Unhealthy',
      'c.cloud.example.org': 'NotFound',
    });
  });
});

describe('exposed addresses (docs/k8gb-compatibility.md#exposed-addresses)', () => {
  const NAMES: Record<string, HostnameLookup> = {
    'lb.example.net': resolvedTo('203.0.113.5', '2001:db8::5'),
    'lb2.example.net': resolvedTo('203.0.113.5', '203.0.113.6'),
    'status.example.net': resolvedTo('198.51.100.7'),
    'failing.example.net': { state: 'failed', error: 'queryA ETIMEOUT failing.example.net' },
  };

  /** The default embedded Gslb with an owned Ingress whose status has `status`. */
  const exposed = (
    annotations: Record<string, string>,
    clusterExposedIps: string[] = [],
    status: ({ ip: string } | { hostname: string })[] = [{ ip: '192.0.2.1' }],
    looked: string[] = [],
  ): Resolution =>
    resolve(
      embeddedGslb(undefined, { annotations }),
      [['Ingress', ownedIngress(...status)], ...backend('web')],
      resolveContext({ names: NAMES, clusterExposedIps, looked }),
    );

  test.each<[string, Record<string, string>, string[], string[]]>([
    ['the Ingress status when nothing else is set', {}, [], ['192.0.2.1']],
    [
      'CLUSTER_EXPOSED_IPS over the status',
      {},
      ['198.51.100.9', '2001:db8::9'],
      ['198.51.100.9', '2001:db8::9'],
    ],
    [
      'exposed-ip-addresses over CLUSTER_EXPOSED_IPS, IPv6 kept in canonical form',
      { [ANNOTATION_EXPOSED_IPS]: '192.0.2.7,2001:DB8:0:0::1' },
      ['198.51.100.9'],
      ['192.0.2.7', '2001:db8::1'],
    ],
    [
      'exposed-ip-addresses trimmed, duplicates once',
      { [ANNOTATION_EXPOSED_IPS]: ' 192.0.2.7 , 192.0.2.7,,' },
      [],
      ['192.0.2.7'],
    ],
    [
      'exposed-hostnames over exposed-ip-addresses and CLUSTER_EXPOSED_IPS',
      { [ANNOTATION_EXPOSED_HOSTNAMES]: 'lb.example.net', [ANNOTATION_EXPOSED_IPS]: '192.0.2.7' },
      ['198.51.100.9'],
      ['203.0.113.5', '2001:db8::5'],
    ],
    [
      'several exposed-hostnames, their addresses once each',
      { [ANNOTATION_EXPOSED_HOSTNAMES]: 'lb.example.net, lb2.example.net,' },
      [],
      ['203.0.113.5', '2001:db8::5', '203.0.113.6'],
    ],
  ])('%s', (_case, annotations, cluster, expected) => {
    const resolution = exposed(annotations, cluster);
    expect(resolution.reason).toBe('Serving');
    expect(resolution.exposedIps).toEqual(expected);
    expect(resolution.healthyRecords).toEqual({ [HOST]: expected });
    expect(resolution.records[0]?.clusters).toEqual([{ geoTag: 'eu', addresses: expected }]);
  });

  test.each<[string, ({ ip: string } | { hostname: string })[], string[]]>([
    [
      'IPv4 and IPv6, canonical, duplicates once',
      [{ ip: '2001:db8:0:0:0:0:0:7' }, { ip: '192.0.2.1' }, { ip: '192.0.2.1' }],
      ['2001:db8::7', '192.0.2.1'],
    ],
    [
      'a hostname resolved',
      [{ hostname: 'status.example.net' }, { ip: '192.0.2.1' }],
      ['198.51.100.7', '192.0.2.1'],
    ],
    ['no entries', [], []],
  ])('status: %s', (_case, status, expected) => {
    expect(exposed({}, [], status).exposedIps).toEqual(expected);
  });

  test('an entry with both ip and hostname uses the ip and looks nothing up', () => {
    const looked: string[] = [];
    const resolution = resolve(
      embeddedGslb(),
      [
        [
          'Ingress',
          ingressObject('web', {
            ownerReferences: [controller('Gslb', 'web', GSLB_UID, 'k8gb.io/v1beta1')],
            status: {
              loadBalancer: { ingress: [{ ip: '192.0.2.1', hostname: 'status.example.net' }] },
            },
          }),
        ],
      ],
      resolveContext({ names: NAMES, looked }),
    );
    expect(resolution.exposedIps).toEqual(['192.0.2.1']);
    expect(looked).toEqual([]);
  });

  test('names are looked up in canonical form', () => {
    const looked: string[] = [];
    exposed({ [ANNOTATION_EXPOSED_HOSTNAMES]: ' LB.Example.NET. ' }, [], [], looked);
    exposed({}, [], [{ hostname: 'Status.Example.Net.' }], looked);
    expect(looked).toEqual(['lb.example.net', 'status.example.net']);
  });

  test.each<
    [string, Record<string, string>, ({ ip: string } | { hostname: string })[], Resolution]
  >([
    [
      'an exposed-ip-addresses entry that is not an IP is an invalid spec',
      { [ANNOTATION_EXPOSED_IPS]: 'nope, 192.0.2.1, 300.1.1.1' },
      [],
      notServed(
        'InvalidSpec',
        'annotation k8gb.io/exposed-ip-addresses: not IP addresses: nope, 300.1.1.1',
        true,
      ),
    ],
    [
      'an exposed hostname not resolved yet',
      { [ANNOTATION_EXPOSED_HOSTNAMES]: 'lb.example.net,new.example.net' },
      [],
      firstLookup('new.example.net'),
    ],
    [
      'an exposed hostname that fails',
      { [ANNOTATION_EXPOSED_HOSTNAMES]: 'failing.example.net' },
      [],
      notServed(
        'ExposedAddressesUnresolved',
        'cannot resolve failing.example.net: queryA ETIMEOUT failing.example.net',
        true,
      ),
    ],
    [
      'a status hostname not resolved yet',
      {},
      [{ hostname: 'pending.example.net' }],
      firstLookup('pending.example.net'),
    ],
    [
      'a status ip that is not an IP',
      {},
      [{ ip: '192.0.2.300' }],
      notServed('ExposedAddressesUnresolved', '"192.0.2.300" is not an IP address', true),
    ],
  ])('%s', (_case, annotations, status, expected) => {
    expect(exposed(annotations, [], status)).toEqual(expected);
  });

  test('an annotation hides a broken status', () => {
    expect(
      exposed({ [ANNOTATION_EXPOSED_IPS]: '192.0.2.7' }, [], [{ hostname: 'pending.example.net' }])
        .exposedIps,
    ).toEqual(['192.0.2.7']);
  });
});

describe('hosts and zones', () => {
  const withHosts = (hosts: string[]): Resolution =>
    resolve(
      embeddedGslb(Object.fromEntries(hosts.map((h) => [h, ['web']])), {
        annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' },
      }),
      backend('web'),
    );

  test('hosts outside every zone are left out; the others are canonical', () => {
    const resolution = withHosts([
      'a.cloud.example.org',
      'b.other.org',
      'C.Cloud.Example.org.',
      'cloud.example.org.evil.com',
    ]);
    expect(resolution.hosts).toEqual(['a.cloud.example.org', 'c.cloud.example.org']);
    expect(Object.keys(resolution.health)).toEqual(['a.cloud.example.org', 'c.cloud.example.org']);
    expect(resolution.servers.map((s) => s.host)).toEqual([
      'a.cloud.example.org',
      'c.cloud.example.org',
    ]);
    expect(resolution.records.flatMap((r) => r.hosts)).toEqual([
      'a.cloud.example.org',
      'c.cloud.example.org',
    ]);
    expect(resolution.message).toBe('2 hosts: 2 Healthy');
  });

  // Regression: hosts used to be canonicalised (lower case, no trailing dot)
  // after the rules were grouped by their raw text, so
  // `App.cloud.example.org` and `app.cloud.example.org.` in spec.ingress
  // (whose host field has no pattern) became two servers for one host. The
  // record then listed the host twice, the table refused the second copy as
  // "already served by Gslb shop/web", and the Gslb reported Ready=False
  // HostsNotServed against itself (see gslb-reconciler.test.ts).
  test('hosts that are the same name are served once', () => {
    const gslb = gslbObject({
      annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' },
      ingress: {
        rules: rules({ 'App.cloud.example.org': ['web'], 'app.cloud.example.org.': ['web'] }),
      },
    });
    const resolution = resolveGslb(
      toGslb(gslb),
      indexOf(['Gslb', gslb], ...backend('web')),
      resolveContext(),
    );
    expect(resolution.hosts).toEqual(['app.cloud.example.org']);
    expect(resolution.records.flatMap((r) => r.hosts)).toEqual(['app.cloud.example.org']);
  });

  test('no host in a zone is NoHostInZone, listing the hosts, without resolving any address', () => {
    const looked: string[] = [];
    const gslb = embeddedGslb(
      { 'b.other.org': [], 'x.example.com': [] },
      { annotations: { [ANNOTATION_EXPOSED_HOSTNAMES]: 'lb.example.net' } },
    );
    expect(resolve(gslb, [], resolveContext({ looked }))).toEqual(
      notServed(
        'NoHostInZone',
        'no host lies in a zone of DNS_ZONES (hosts: b.other.org, x.example.com)',
        false,
      ),
    );
    expect(looked).toEqual([]);
  });

  test.each<[string, string]>([
    [
      'bad_host.cloud.example.org',
      'host bad_host.cloud.example.org has an invalid label "bad_host"',
    ],
    ['-a.cloud.example.org', 'host -a.cloud.example.org has an invalid label "-a"'],
    ['a..cloud.example.org', 'host a..cloud.example.org has an invalid label ""'],
  ])('an invalid host name %s is an invalid spec', (host, message) => {
    expect(withHosts([host])).toEqual(notServed('InvalidSpec', message, true));
  });
});

describe('strategy', () => {
  test.each<[unknown, string, number, Record<string, unknown>]>([
    [{ type: 'roundRobin' }, 'roundRobin', 30, {}],
    [
      { type: 'failover', primaryGeoTag: 'eu', dnsTtlSeconds: 0 },
      'failover',
      30,
      { primaryGeoTag: 'eu' },
    ],
    [
      { type: 'failover', primaryGeoTag: 'eu', fallbackGeoTags: ['us', 'ap'], failOpen: true },
      'failover',
      30,
      { primaryGeoTag: 'eu', fallbackGeoTags: ['us', 'ap'], failOpen: true },
    ],
    [
      { type: 'roundRobin', weight: { eu: 30, 'us-east-1': 70 } },
      'roundRobin',
      30,
      {
        weights: { eu: 30, 'us-east-1': 70 },
      },
    ],
    [{ type: 'geoip', dnsTtlSeconds: 60 }, 'geoip', 60, {}],
  ])('%j → %s with TTL %d and the strategy parameters', (strategy, type, ttl, parameters) => {
    const resolution = resolve(
      embeddedGslb(undefined, { strategy, annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' } }),
      backend('web'),
    );
    expect(resolution.records).toEqual([
      {
        id: 'shop/web',
        hosts: [HOST],
        strategy: type,
        ttlSeconds: ttl,
        claim: GSLB_CLAIM,
        ...parameters,
        clusters: [{ geoTag: 'eu', addresses: ['192.0.2.1'] }],
      },
    ]);
  });

  test.each<[unknown, string]>([
    [null, 'spec.strategy is required'],
    [
      { type: 'manual' },
      'spec.strategy.type must be one of roundRobin, failover, geoip, found "manual"',
    ],
    [
      { type: 'roundRobin', dnsTtlSeconds: -1 },
      'spec.strategy.dnsTtlSeconds must be an integer from 0 to 2147483647, found -1',
    ],
  ])('%j is an invalid spec, whatever else is wrong', (strategy, message) => {
    expect(
      resolve(gslbObject({ strategy, resourceRef: { ...INGRESS_REF, name: 'missing' } })),
    ).toEqual(notServed('InvalidSpec', message, true));
  });
});

describe('records', () => {
  test('healthy hosts with addresses share one record; every other host shares one whose addresses are marked unhealthy', () => {
    const gslb = embeddedGslb(
      {
        'h1.cloud.example.org': ['up'],
        'h2.cloud.example.org': ['down'],
        'h3.cloud.example.org': ['gone'],
        'h4.cloud.example.org': [],
        'h5.cloud.example.org': ['up', 'down'],
      },
      {
        annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1,2001:db8::1' },
        strategy: { type: 'failover', primaryGeoTag: 'us', dnsTtlSeconds: 10 },
      },
    );
    const resolution = resolve(gslb, [...backend('up'), ...backend('down', false)]);
    const addresses = ['192.0.2.1', '2001:db8::1'];
    expect(resolution.records).toEqual([
      {
        id: 'shop/web',
        hosts: ['h1.cloud.example.org', 'h5.cloud.example.org'],
        strategy: 'failover',
        ttlSeconds: 10,
        claim: GSLB_CLAIM,
        primaryGeoTag: 'us',
        clusters: [{ geoTag: 'eu', addresses }],
      },
      {
        id: 'shop/web',
        hosts: ['h2.cloud.example.org', 'h3.cloud.example.org', 'h4.cloud.example.org'],
        strategy: 'failover',
        ttlSeconds: 10,
        claim: GSLB_CLAIM,
        primaryGeoTag: 'us',
        clusters: [{ geoTag: 'eu', addresses, healthy: false }],
      },
    ]);
    expect(resolution.healthyRecords).toEqual({
      'h1.cloud.example.org': addresses,
      'h5.cloud.example.org': addresses,
    });
    expect(resolution.message).toBe('5 hosts: 2 Healthy, 1 Unhealthy, 2 NotFound');
  });

  test('healthy hosts without any address are served from the record without addresses', () => {
    const resolution = resolve(
      embeddedGslb({ 'a.cloud.example.org': ['up'], 'b.cloud.example.org': ['up'] }),
      backend('up'),
    );
    expect(resolution.health).toEqual({
      'a.cloud.example.org': 'Healthy',
      'b.cloud.example.org': 'Healthy',
    });
    expect(resolution.healthyRecords).toEqual({});
    expect(resolution.records).toEqual([
      {
        id: 'shop/web',
        hosts: ['a.cloud.example.org', 'b.cloud.example.org'],
        strategy: 'roundRobin',
        ttlSeconds: 30,
        claim: GSLB_CLAIM,
        clusters: [],
      },
    ]);
  });

  test('only unhealthy hosts: one record, its addresses marked unhealthy; served but not Ready (NoHealthyHosts)', () => {
    const resolution = resolve(
      embeddedGslb(undefined, { annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' } }),
      backend('web', false),
    );
    expect(resolution.records).toEqual([
      {
        id: 'shop/web',
        hosts: [HOST],
        strategy: 'roundRobin',
        ttlSeconds: 30,
        claim: GSLB_CLAIM,
        clusters: [{ geoTag: 'eu', addresses: ['192.0.2.1'], healthy: false }],
      },
    ]);
    expect([resolution.reason, resolution.message]).toEqual([
      'NoHealthyHosts',
      "no host has a ready backend in this cluster (1 host: 1 Unhealthy); only peers' targets are answered",
    ]);
    expect(resolution.exposedIps).toEqual(['192.0.2.1']);
  });
});

test('an unexpected error inside resolution costs that Gslb only: ResolutionFailed, last good kept', () => {
  const ctx: ResolveContext = {
    ...resolveContext(),
    inZone: () => {
      throw new TypeError('boom');
    },
  };
  expect(resolve(embeddedGslb(), [], ctx)).toMatchObject({
    reason: 'ResolutionFailed',
    message: 'cannot be resolved: boom',
    records: [],
    keepLastGood: true,
    failed: true,
  });
});
