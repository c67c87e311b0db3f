/**
 * Raw Kubernetes JSON reduced to the records the source reads: every field
 * Meridian uses, its default when absent, and malformed shapes (wrong types,
 * nulls, arrays for objects) read as absent instead of throwing.
 */
import { NOT_DRAINED } from '../../../../src/k8s/ingest/drain-declaration';
import type { KubeObject } from '../../../../src/k8s/client/kube-api';
import { canonicalJson } from '../../../../src/k8s/ingest/json-fields';
import { toGslb } from '../../../../src/k8s/ingest/gslb-objects';
import {
  ingressServers,
  keyOf,
  toEndpointSlice,
  toGateway,
  toIngress,
  toRoute,
  toService,
} from '../../../../src/k8s/ingest/objects';
import {
  controller,
  gslbObject,
  ingressObject,
  kubeObject,
  loadBalancer,
  routeObject,
  rules,
  serviceObject,
} from '../../../helpers/kube-objects';

/** An object with only a name and the given top-level fields. */
function bare(
  fields: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
): KubeObject {
  return { metadata: { name: 'x', ...metadata }, ...fields };
}

describe('keyOf', () => {
  test('keyOf joins namespace and name with a slash', () => {
    expect(keyOf('shop', 'web')).toBe('shop/web');
    expect(keyOf('', 'cluster-scoped')).toBe('/cluster-scoped');
  });
});

describe('toGslb', () => {
  test('reads every field Meridian uses', () => {
    const object = gslbObject({
      uid: 'u-1',
      generation: 4,
      annotations: { 'k8gb.io/exposed-ip-addresses': '192.0.2.1', other: 'x' },
      ownerReferences: [
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: 'not-controller' },
        controller('Ingress', 'web', 'ingress-uid', 'networking.k8s.io/v1'),
      ],
      strategy: { type: 'failover', primaryGeoTag: 'eu' },
      ingress: { rules: rules({ 'a.cloud.example.org': ['svc'] }) },
      resourceRef: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        matchLabels: { app: 'web' },
        matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'edge'] }],
      },
      serviceHealthPolicy: 'All',
      status: {
        serviceHealth: { 'a.cloud.example.org': 'Healthy', 'b.cloud.example.org': 'NotFound' },
        healthyRecords: { 'a.cloud.example.org': ['192.0.2.1'], 'c.cloud.example.org': [] },
        geoTag: 'eu',
        conditions: [
          { type: 'Other', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' },
          { type: 'Ready', status: 'False', lastTransitionTime: '2026-02-02T02:02:02Z' },
          { type: 'Answering', status: 'True', lastTransitionTime: '2026-03-03T03:03:03Z' },
        ],
      },
    });
    const gslb = toGslb(object);
    expect(gslb).toEqual({
      key: 'shop/web',
      id: 'shop/web',
      group: 'k8gb.io',
      namespace: 'shop',
      name: 'web',
      uid: 'u-1',
      generation: 4,
      createdMs: Date.parse('2026-01-01T00:00:00Z'),
      annotations: { 'k8gb.io/exposed-ip-addresses': '192.0.2.1', other: 'x' },
      strategy: { type: 'failover', primaryGeoTag: 'eu' },
      embeddedIngress: { rules: rules({ 'a.cloud.example.org': ['svc'] }) },
      resourceRef: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        name: '',
        namespace: 'shop',
        selector: {
          matchLabels: { app: 'web' },
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'edge'] }],
        },
      },
      serviceHealthPolicy: 'All',
      migrationMark: null,
      statusJson: canonicalJson(object['status']),
      statusHosts: ['a.cloud.example.org', 'b.cloud.example.org', 'c.cloud.example.org'],
      readyCondition: { status: 'False', lastTransitionTime: '2026-02-02T02:02:02Z' },
      answeringCondition: { status: 'True', lastTransitionTime: '2026-03-03T03:03:03Z' },
      ownerIngressUid: 'ingress-uid',
      drain: NOT_DRAINED,
    });
  });

  test('a bare object gets the defaults', () => {
    expect(toGslb(bare())).toEqual({
      key: '/x',
      id: '/x',
      group: 'k8gb.io',
      namespace: '',
      name: 'x',
      uid: '',
      generation: 0,
      createdMs: NaN,
      annotations: {},
      strategy: undefined,
      embeddedIngress: null,
      resourceRef: null,
      serviceHealthPolicy: undefined,
      migrationMark: null,
      statusJson: '{}',
      statusHosts: [],
      readyCondition: null,
      answeringCondition: null,
      ownerIngressUid: null,
      drain: NOT_DRAINED,
    });
  });

  test('a resourceRef by name keeps its own namespace, or takes the Gslb namespace', () => {
    const named = (ref: Record<string, unknown>): unknown =>
      toGslb(gslbObject({ resourceRef: ref })).resourceRef;
    expect(named({ apiVersion: 'v1', kind: 'Service', name: 'lb', namespace: 'edge' })).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      name: 'lb',
      namespace: 'edge',
      selector: null,
    });
    expect(named({ apiVersion: 'v1', kind: 'Service', name: 'lb', namespace: '' })).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      name: 'lb',
      namespace: 'shop',
      selector: null,
    });
  });

  test.each<[string, unknown, unknown]>([
    ['spec is a string', 'nope', null],
    ['spec is an array', [1], null],
    ['spec is null', null, null],
    ['resourceRef is a string', { resourceRef: 'web' }, null],
    ['resourceRef is an array', { resourceRef: [] }, null],
    [
      'resourceRef fields of the wrong type',
      { resourceRef: { apiVersion: 1, kind: null, name: {}, namespace: 5 } },
      { apiVersion: '', kind: '', name: '', namespace: 'shop', selector: null },
    ],
    [
      'an empty selector is no selector',
      { resourceRef: { kind: 'Ingress', matchLabels: {}, matchExpressions: [] } },
      { apiVersion: '', kind: 'Ingress', name: '', namespace: 'shop', selector: null },
    ],
    [
      'selector parts of the wrong type',
      {
        resourceRef: {
          matchLabels: { app: 'web', n: 1, o: null },
          matchExpressions: [
            'x',
            null,
            { key: 7, operator: ['In'], values: 'a' },
            { key: 'k', operator: 'In', values: ['a', 2] },
          ],
        },
      },
      {
        apiVersion: '',
        kind: '',
        name: '',
        namespace: 'shop',
        selector: {
          matchLabels: { app: 'web' },
          matchExpressions: [
            { key: '', operator: '', values: [] },
            { key: 'k', operator: 'In', values: ['a', ''] },
          ],
        },
      },
    ],
    [
      'matchLabels an array and matchExpressions an object',
      { resourceRef: { name: 'n', matchLabels: ['a'], matchExpressions: { key: 'k' } } },
      { apiVersion: '', kind: '', name: 'n', namespace: 'shop', selector: null },
    ],
  ])('malformed spec: %s', (_case, spec, resourceRef) => {
    const gslb = toGslb(kubeObject('k8gb.io/v1beta1', 'Gslb', 'web', {}, { spec }));
    expect(gslb.resourceRef).toEqual(resourceRef);
  });

  test.each<[string, unknown]>([
    ['an array', []],
    ['a string', 'rules'],
    ['null', null],
  ])('an embedded ingress that is %s is none', (_case, ingress) => {
    expect(toGslb(bare({ spec: { ingress } })).embeddedIngress).toBeNull();
  });

  test.each<[string, unknown, readonly string[], unknown]>([
    ['status a string', 'broken', [], null],
    ['status null', null, [], null],
    [
      'serviceHealth with non-string values, healthyRecords an array',
      { serviceHealth: { a: 'Healthy', b: 3 }, healthyRecords: ['x'] },
      ['a'],
      null,
    ],
    [
      'hosts in both maps counted once',
      { serviceHealth: { a: 'Healthy' }, healthyRecords: { a: [], b: null } },
      ['a', 'b'],
      null,
    ],
    ['conditions an object', { conditions: { type: 'Ready' } }, [], null],
    [
      'conditions with junk entries',
      { conditions: [null, 'Ready', { type: 'Ready', status: true, lastTransitionTime: 5 }] },
      [],
      { status: '', lastTransitionTime: '' },
    ],
  ])('malformed status: %s', (_case, status, hosts, ready) => {
    const gslb = toGslb(bare({ status }));
    expect(gslb.statusHosts).toEqual(hosts);
    expect(gslb.readyCondition).toEqual(ready);
    expect(gslb.statusJson).toBe(canonicalJson(status ?? {}));
  });

  test.each<[string, unknown[], string | null]>([
    ['no owner', [], null],
    ['an Ingress owner that is not the controller', [{ kind: 'Ingress', uid: 'i' }], null],
    ['a controlling owner of another kind', [controller('Deployment', 'd', 'd-uid')], null],
    ['a controlling Ingress', [controller('Ingress', 'web', 'i-uid')], 'i-uid'],
    [
      'a controlling Ingress after another owner',
      [{ kind: 'Ingress', uid: 'other', controller: false }, controller('Ingress', 'w', 'i2')],
      'i2',
    ],
  ])('ownerIngressUid with %s', (_case, owners, uid) => {
    expect(toGslb(bare({}, { ownerReferences: owners })).ownerIngressUid).toBe(uid);
  });

  test('annotations that are not strings are dropped, a non-object is none', () => {
    expect(toGslb(bare({}, { annotations: { a: 'x', b: 1, c: null } })).annotations).toEqual({
      a: 'x',
    });
    expect(toGslb(bare({}, { annotations: 'a=b' })).annotations).toEqual({});
  });
});

describe('ingressServers (k8gb: rules[].host and their service backends)', () => {
  test.each<[string, unknown, unknown]>([
    ['no spec', undefined, []],
    ['rules not an array', { rules: { host: 'a' } }, []],
    ['a rule without host is skipped', { rules: [{ http: { paths: [] } }, { host: '' }] }, []],
    [
      'junk rules are skipped',
      { rules: [null, 'a', 3, [], { host: 'a.b' }] },
      [{ host: 'a.b', services: [] }],
    ],
    [
      'one host, two services',
      { rules: rules({ 'a.b': ['s1', 's2'] }) },
      [{ host: 'a.b', services: ['s1', 's2'] }],
    ],
    [
      'rules of one host are merged, services counted once, in order',
      {
        rules: [
          ...rules({ 'a.b': ['s1', 's2'] }),
          ...rules({ 'c.d': ['s3'] }),
          ...rules({ 'a.b': ['s2', 's4'] }),
        ],
      },
      [
        { host: 'a.b', services: ['s1', 's2', 's4'] },
        { host: 'c.d', services: ['s3'] },
      ],
    ],
    [
      'a resource backend, a service without name and junk paths give no service',
      {
        rules: [
          {
            host: 'a.b',
            http: {
              paths: [
                { backend: { resource: { kind: 'Bucket', name: 'b' } } },
                { backend: { service: { port: { number: 80 } } } },
                { backend: { service: { name: 9 } } },
                null,
                'path',
              ],
            },
          },
        ],
      },
      [{ host: 'a.b', services: [] }],
    ],
    [
      'http.paths not an array',
      { rules: [{ host: 'a.b', http: { paths: 'x' } }] },
      [{ host: 'a.b', services: [] }],
    ],
    [
      'defaultBackend is ignored',
      { defaultBackend: { service: { name: 'fallback' } }, rules: rules({ 'a.b': [] }) },
      [{ host: 'a.b', services: [] }],
    ],
  ])('%s', (_case, spec, servers) => {
    expect(ingressServers(spec)).toEqual(servers);
  });
});

describe('toIngress', () => {
  test('reads every field Meridian uses', () => {
    const object = ingressObject('web', {
      resourceVersion: '42',
      labels: { app: 'web' },
      annotations: { 'k8gb.io/strategy': 'roundRobin' },
      ownerReferences: [controller('Gslb', 'web', 'g-uid', 'k8gb.io/v1beta1')],
      spec: { rules: rules({ 'a.cloud.example.org': ['web'] }), ingressClassName: 'nginx' },
      status: loadBalancer({ ip: '192.0.2.1' }, { hostname: 'lb.example.net' }),
    });
    expect(toIngress(object)).toEqual({
      key: 'shop/web',
      namespace: 'shop',
      name: 'web',
      uid: 'ingress-uid-web',
      resourceVersion: '42',
      labels: { app: 'web' },
      annotations: { 'k8gb.io/strategy': 'roundRobin' },
      controllerUid: 'g-uid',
      ownerGslbUid: 'g-uid',
      servers: [{ host: 'a.cloud.example.org', services: ['web'] }],
      addresses: [
        { ip: '192.0.2.1', hostname: null },
        { ip: null, hostname: 'lb.example.net' },
      ],
      specJson: canonicalJson(object['spec']),
    });
  });

  test('a bare Ingress gets the defaults', () => {
    expect(toIngress(bare())).toEqual({
      key: '/x',
      namespace: '',
      name: 'x',
      uid: '',
      resourceVersion: '',
      labels: {},
      annotations: {},
      controllerUid: null,
      ownerGslbUid: null,
      servers: [],
      addresses: [],
      specJson: '{}',
    });
  });

  test('the controller of any kind counts; an owner that is not the controller does not', () => {
    expect(
      toIngress(bare({}, { ownerReferences: [controller('Other', 'o', 'o-uid')] })).controllerUid,
    ).toBe('o-uid');
    expect(
      toIngress(bare({}, { ownerReferences: [controller('Other', 'o', 'o-uid')] })).ownerGslbUid,
    ).toBeNull();
    const legacy = controller('Gslb', 'g', 'legacy-uid', 'k8gb.absa.oss/v1beta1');
    expect(toIngress(bare({}, { ownerReferences: [legacy] })).ownerGslbUid).toBeNull();
    expect(
      toIngress(bare({}, { ownerReferences: [controller('Gslb', 'g', 'g1')] })).ownerGslbUid,
    ).toBe('g1');
    expect(
      toIngress(bare({}, { ownerReferences: [{ kind: 'Gslb', uid: 'g', controller: false }] }))
        .controllerUid,
    ).toBeNull();
  });

  test.each<[string, unknown, unknown]>([
    ['status a string', 'up', []],
    ['loadBalancer.ingress an object', { loadBalancer: { ingress: { ip: '192.0.2.1' } } }, []],
    [
      'entries of the wrong type',
      {
        loadBalancer: {
          ingress: [
            null,
            'x',
            { ip: 1, hostname: ['h'] },
            { ip: '192.0.2.9', hostname: 'h.example' },
          ],
        },
      },
      [
        { ip: null, hostname: null },
        { ip: '192.0.2.9', hostname: 'h.example' },
      ],
    ],
  ])('malformed status: %s', (_case, status, addresses) => {
    expect(toIngress(bare({ status })).addresses).toEqual(addresses);
  });

  test('specJson does not depend on key order', () => {
    const a = toIngress(bare({ spec: { rules: [], ingressClassName: 'a' } }));
    const b = toIngress(bare({ spec: { ingressClassName: 'a', rules: [] } }));
    expect(a.specJson).toBe('{"ingressClassName":"a","rules":[]}');
    expect(b.specJson).toBe(a.specJson);
  });
});

describe('toService', () => {
  test('reads type, labels and load-balancer addresses', () => {
    const object = serviceObject('lb', {
      type: 'LoadBalancer',
      labels: { app: 'lb' },
      status: loadBalancer({ ip: '2001:db8::5' }, { hostname: 'lb.example.net' }),
    });
    expect(toService(object)).toEqual({
      key: 'shop/lb',
      namespace: 'shop',
      name: 'lb',
      type: 'LoadBalancer',
      labels: { app: 'lb' },
      addresses: [
        { ip: '2001:db8::5', hostname: null },
        { ip: null, hostname: 'lb.example.net' },
      ],
      drain: NOT_DRAINED,
    });
  });

  test.each<[string, unknown, string]>([
    ['no spec', undefined, 'ClusterIP'],
    ['no type', {}, 'ClusterIP'],
    ['an empty type', { type: '' }, 'ClusterIP'],
    ['a type that is not a string', { type: 3 }, 'ClusterIP'],
    ['NodePort', { type: 'NodePort' }, 'NodePort'],
    ['ExternalName', { type: 'ExternalName' }, 'ExternalName'],
  ])('type with %s is %s', (_case, spec, type) => {
    const service = toService(bare(spec === undefined ? {} : { spec }));
    expect(service.type).toBe(type);
    expect(service.addresses).toEqual([]);
  });
});

describe('toEndpointSlice (k8gb: ready when an endpoint has an address and ready is not false)', () => {
  const slice = (endpoints: unknown, labels: Record<string, string> = {}): KubeObject =>
    kubeObject('discovery.k8s.io/v1', 'EndpointSlice', 's', { labels }, { endpoints });

  test.each<[string, unknown, boolean]>([
    ['no endpoints field', undefined, false],
    ['endpoints not an array', { addresses: ['10.0.0.1'] }, false],
    ['no endpoints', [], false],
    ['an address, no conditions', [{ addresses: ['10.0.0.1'] }], true],
    ['an address, ready unset', [{ addresses: ['10.0.0.1'], conditions: {} }], true],
    ['an address, ready null', [{ addresses: ['10.0.0.1'], conditions: { ready: null } }], true],
    ['an address, ready true', [{ addresses: ['10.0.0.1'], conditions: { ready: true } }], true],
    ['an address, ready false', [{ addresses: ['10.0.0.1'], conditions: { ready: false } }], false],
    [
      'not ready but serving (serving is not considered)',
      [{ addresses: ['10.0.0.1'], conditions: { ready: false, serving: true } }],
      false,
    ],
    ['ready without addresses', [{ addresses: [], conditions: { ready: true } }], false],
    ['ready, addresses not an array', [{ addresses: '10.0.0.1' }], false],
    ['junk endpoints', [null, 'e', 4], false],
    [
      'one ready endpoint among unready ones',
      [
        { addresses: ['10.0.0.1'], conditions: { ready: false } },
        { addresses: ['10.0.0.2'], conditions: { ready: true } },
      ],
      true,
    ],
  ])('%s → ready %s', (_case, endpoints, ready) => {
    expect(toEndpointSlice(slice(endpoints)).ready).toBe(ready);
  });

  test('serviceName comes from the kubernetes.io/service-name label, else empty', () => {
    expect(toEndpointSlice(slice([], { 'kubernetes.io/service-name': 'web' }))).toEqual({
      key: 'shop/s',
      namespace: 'shop',
      serviceName: 'web',
      ready: false,
    });
    expect(toEndpointSlice(slice([])).serviceName).toBe('');
  });
});

describe('toGateway', () => {
  test('reads status.addresses with and without type', () => {
    const object = kubeObject(
      'gateway.networking.k8s.io/v1',
      'Gateway',
      'gw',
      {},
      {
        status: {
          addresses: [
            { type: 'IPAddress', value: '192.0.2.1' },
            { value: '192.0.2.2' },
            { type: 'Hostname', value: 'gw.example.net' },
            null,
            { type: 5, value: false },
          ],
        },
      },
    );
    expect(toGateway(object)).toEqual({
      key: 'shop/gw',
      addresses: [
        { type: 'IPAddress', value: '192.0.2.1' },
        { type: '', value: '192.0.2.2' },
        { type: 'Hostname', value: 'gw.example.net' },
        { type: '', value: '' },
      ],
    });
  });

  test.each<[string, unknown]>([
    ['no status', undefined],
    ['status a string', 'ready'],
    ['addresses an object', { addresses: { value: '192.0.2.1' } }],
  ])('%s gives no addresses', (_case, status) => {
    expect(toGateway(bare(status === undefined ? {} : { status })).addresses).toEqual([]);
  });
});

describe('toRoute', () => {
  test('reads hostnames, parents and backends with Gateway API defaults', () => {
    const object = routeObject('GRPCRoute', 'api', {
      labels: { app: 'api' },
      hostnames: ['api.cloud.example.org', 7, '', 'b.cloud.example.org'],
      parentRefs: [
        { name: 'gw' },
        { name: 'other', namespace: 'infra', group: 'example.com', kind: 'Mesh' },
        { name: 'core', group: '' },
        'junk',
      ],
      backendRefs: [
        { name: 'web', port: 80 },
        { name: 'remote', namespace: 'backends', port: 81 },
        { name: 'bucket', group: 'storage.example.com', kind: 'Bucket' },
      ],
    });
    expect(toRoute(object)).toEqual({
      key: 'shop/api',
      kind: 'GRPCRoute',
      namespace: 'shop',
      name: 'api',
      labels: { app: 'api' },
      hostnames: ['api.cloud.example.org', 'b.cloud.example.org'],
      parents: [
        { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'shop', name: 'gw' },
        { group: 'example.com', kind: 'Mesh', namespace: 'infra', name: 'other' },
        { group: '', kind: 'Gateway', namespace: 'shop', name: 'core' },
      ],
      backends: [
        { group: '', kind: 'Service', namespace: 'shop', name: 'web' },
        { group: '', kind: 'Service', namespace: 'backends', name: 'remote' },
        { group: 'storage.example.com', kind: 'Bucket', namespace: 'shop', name: 'bucket' },
      ],
    });
  });

  test('backends of every rule are collected', () => {
    const object = kubeObject(
      'gateway.networking.k8s.io/v1',
      'HTTPRoute',
      'r',
      {},
      {
        spec: {
          rules: [
            { backendRefs: [{ name: 'a' }] },
            { matches: [] },
            null,
            { backendRefs: 'b' },
            { backendRefs: [{ name: 'c' }] },
          ],
        },
      },
    );
    expect(toRoute(object).backends.map((b) => b.name)).toEqual(['a', 'c']);
  });

  test.each<[string | undefined, 'HTTPRoute' | 'GRPCRoute']>([
    ['HTTPRoute', 'HTTPRoute'],
    ['GRPCRoute', 'GRPCRoute'],
    ['TLSRoute', 'HTTPRoute'],
    [undefined, 'HTTPRoute'],
  ])('kind %s is read as %s', (kind, read) => {
    expect(toRoute(kind === undefined ? bare() : { ...bare(), kind }).kind).toBe(read);
  });

  test.each<[string, unknown]>([
    ['no spec', undefined],
    ['spec a string', 'route'],
    [
      'fields of the wrong type',
      { hostnames: 'a.b', parentRefs: { name: 'gw' }, rules: { backendRefs: [] } },
    ],
  ])('%s reads as an empty route', (_case, spec) => {
    const route = toRoute(bare(spec === undefined ? {} : { spec }));
    expect([route.hostnames, route.parents, route.backends]).toEqual([[], [], []]);
  });
});
