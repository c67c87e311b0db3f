/**
 * Whatever a tenant writes, the reconciler stays up and only the tenant's
 * own Gslb is affected. Two teams' Gslbs in namespace `shop` share a world
 * with a tenant in namespace `evil` whose objects (a Gslb, the Ingress it
 * points at, an Ingress carrying k8gb's strategy annotation, a Service, its
 * EndpointSlice, a Gateway and a route) are either random JSON under the
 * right apiVersion and kind, or valid objects with fields replaced by
 * hostile values (zone-scoped and IPv4-mapped IPv6, 300-byte names, empty
 * strings, unicode, 10,000 targets, values of the wrong type). The objects go
 * through the real ingest (ObjectIndex), resolution and table build.
 *
 * For every case: nothing throws; resolution never fails in a way no input
 * should cause (ResolutionFailed is a defect); the shop Gslbs' records,
 * answers and status writes are exactly those of a world without the tenant;
 * every tenant Gslb gets a Ready condition saying why; and a tenant's legacy
 * (k8gb.absa.oss) Gslb, valid or not, is written only through its status and
 * Events and changes no Ingress or Gslb write.
 */
import fc from 'fast-check';
import type { KubeObject } from '../../../../src/k8s/client/kube-api';
import { ObjectIndex, type WatchedKind } from '../../../../src/k8s/ingest/object-index';
import { GslbReconciler, type PassResult } from '../../../../src/k8s/reconcile/gslb-reconciler';
import { buildSnapshot } from '../../../../src/table/build-snapshot';
import type { RecordSnapshot } from '../../../../src/table/snapshot';
import {
  ANNOTATION_EXPOSED_IPS,
  backend,
  gatewayObject,
  gslbObject,
  ingressObject,
  kubeObject,
  legacyGslbObject,
  loadBalancer,
  resolveContext,
  routeObject,
  serviceObject,
  sliceObject,
} from '../../../helpers/kube-objects';
import { served, ZONE } from '../../../helpers/table-fixtures';

const NOW = new Date('2026-03-01T12:00:00Z');
const TENANT = 'evil';
const GOOD_HOSTS = ['a.cloud.example.org', 'b.cloud.example.org'];
/** The second word of the keys of writes about the shop: `status shop/a`, `event uid-a …`. */
const SHOP_WRITE_SUBJECTS = new Set(['shop/a', 'shop/b', 'uid-a', 'uid-b']);
/** Metadata the apiserver sets; a tenant cannot write it. */
const SERVER_OWNED = new Set(['name', 'namespace', 'uid', 'creationTimestamp', 'resourceVersion']);
const TEN_THOUSAND_TARGETS = Array.from(
  { length: 10_000 },
  (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`,
).join(',');
const HOSTILE_STRINGS = [
  'fe80::1%eth0',
  'fe80::1%25eth0',
  '::ffff:192.0.2.1',
  '::ffff:c000:0201',
  `${'a'.repeat(300)}.cloud.example.org`,
  'a'.repeat(300),
  '',
  ' ',
  'ñandú.例え.テスト.cloud.example.org',
  '\u0000',
  '🦆',
  '*.cloud.example.org',
  'a.cloud.example.org',
  'cloud.example.org',
  '..',
  '192.0.2.300',
  '-1',
  '1e309',
  'NaN',
  '__proto__',
  'constructor',
  TEN_THOUSAND_TARGETS,
];

/** The two shop Gslbs: a embedded round robin, b a failover on an Ingress, both created first. */
function shopObjects(): [WatchedKind, KubeObject][] {
  return [
    [
      'Gslb',
      gslbObject({
        name: 'a',
        uid: 'uid-a',
        creationTimestamp: '2026-01-01T00:00:00Z',
        annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.10,2001:db8::10' },
        ingress: { rules: [{ host: 'a.cloud.example.org', http: { paths: backendPaths('web') } }] },
      }),
    ],
    [
      'Gslb',
      gslbObject({
        name: 'b',
        uid: 'uid-b',
        creationTimestamp: '2026-01-02T00:00:00Z',
        strategy: { type: 'failover', primaryGeoTag: 'eu', dnsTtlSeconds: 60 },
        resourceRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'front-b' },
      }),
    ],
    [
      'Ingress',
      ingressObject('front-b', {
        hosts: { 'b.cloud.example.org': ['web'] },
        status: loadBalancer({ ip: '192.0.2.20' }),
      }),
    ],
    ...backend('web'),
  ];
}

function backendPaths(service: string): unknown[] {
  return [
    {
      path: '/',
      pathType: 'Prefix',
      backend: { service: { name: service, port: { number: 80 } } },
    },
  ];
}

/** The tenant's valid objects, created after the shop's. */
function tenantObjects(): [WatchedKind, KubeObject][] {
  const meta = { namespace: TENANT, creationTimestamp: '2026-02-01T00:00:00Z' };
  return [
    [
      'Gslb',
      gslbObject({
        ...meta,
        name: 'x',
        uid: 'uid-x',
        annotations: { [ANNOTATION_EXPOSED_IPS]: '198.51.100.1' },
        resourceRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'front-x' },
      }),
    ],
    [
      'Gslb',
      gslbObject({
        ...meta,
        name: 'y',
        uid: 'uid-y',
        resourceRef: {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          name: 'route-y',
        },
      }),
    ],
    [
      'Ingress',
      ingressObject('front-x', {
        ...meta,
        uid: 'uid-front-x',
        hosts: { 'x.cloud.example.org': ['svc'] },
        status: loadBalancer({ ip: '198.51.100.2' }),
      }),
    ],
    [
      'Ingress',
      ingressObject('annotated', {
        ...meta,
        uid: 'uid-annotated',
        annotations: { 'k8gb.io/strategy': 'roundRobin', [ANNOTATION_EXPOSED_IPS]: '198.51.100.3' },
        hosts: { 'z.cloud.example.org': ['svc'] },
      }),
    ],
    // A legacy (k8gb.absa.oss) embedded Gslb: read-only, so no write but its status and Events.
    [
      'LegacyGslb',
      legacyGslbObject({
        ...meta,
        name: 'old',
        uid: 'uid-old',
        annotations: { [ANNOTATION_EXPOSED_IPS]: '198.51.100.5' },
        ingress: {
          rules: [{ host: 'old.cloud.example.org', http: { paths: backendPaths('svc') } }],
        },
      }),
    ],
    ['Service', serviceObject('svc', { ...meta, uid: 'uid-svc' })],
    ['EndpointSlice', sliceObject('svc-abcde', 'svc', true, { ...meta, uid: 'uid-slice' })],
    ['Gateway', gatewayObject('gw', [{ value: '198.51.100.4' }], { ...meta, uid: 'uid-gw' })],
    [
      'HTTPRoute',
      routeObject('HTTPRoute', 'route-y', {
        ...meta,
        uid: 'uid-route',
        hostnames: ['y.cloud.example.org'],
        backendRefs: [{ name: 'svc', port: 80 }],
      }),
    ],
  ];
}

interface World {
  readonly reconciler: GslbReconciler;
  readonly index: ObjectIndex;
  snapshot: RecordSnapshot | null;
}

function world(): World {
  const state: World = {
    index: new ObjectIndex(),
    snapshot: null,
    reconciler: new GslbReconciler({
      context: resolveContext({ names: {} }),
      geoTag: 'eu',
      now: () => NOW,
      serve: (records) => {
        const built = buildSnapshot({
          zones: [ZONE],
          gslbs: records,
          serial: 1,
          generation: 1,
          localGeoTag: 'eu',
        });
        state.snapshot = built.snapshot;
        return built.problems;
      },
    }),
  };
  return state;
}

function add(w: World, objects: readonly [WatchedKind, KubeObject][]): void {
  for (const [kind, object] of objects) w.index.apply(kind, { type: 'add', object });
}

/** What a shop Gslb is: its records, the answers for its hosts and the status and Events planned. */
function shopView(w: World, result: PassResult): unknown {
  const snapshot = w.snapshot;
  if (snapshot === null) throw new Error('no table built');
  const shop = (id: string): boolean => id.startsWith('shop/');
  return {
    records: result.records.filter((r) => shop(r.id)),
    answers: GOOD_HOSTS.map((host) => [
      host,
      ...['A', 'AAAA'].map((type) => served(snapshot, host, type).sort()),
      served(snapshot, `localtargets-${host}`).sort(),
    ]),
    writes: result.writes
      .filter((w) => SHOP_WRITE_SUBJECTS.has(w.key.split(' ')[1] ?? ''))
      .map((w) => [w.key, w.body]),
  };
}

/** The shop's view in a world without the tenant, fresh and after a second pass. */
function reference(): { first: unknown; again: unknown } {
  const w = world();
  add(w, shopObjects());
  const first = shopView(w, w.reconciler.pass(w.index));
  const again = shopView(w, w.reconciler.pass(w.index));
  return { first, again };
}
const REFERENCE = reference();

/**
 * Runs the two orders a tenant's objects can arrive in: with the shop's from
 * the start, and after the shop is served. Checks the properties of both.
 */
function checkTenant(tenant: readonly [WatchedKind, KubeObject][]): void {
  const together = world();
  add(together, shopObjects());
  add(together, tenant);
  const first = together.reconciler.pass(together.index);
  expect(shopView(together, first)).toEqual(REFERENCE.first);
  expectConditions(together, first);
  // Legacy Gslbs own nothing: the Ingress and Gslb writes are those of a world without them.
  const withoutLegacy = world();
  add(withoutLegacy, shopObjects());
  add(
    withoutLegacy,
    tenant.filter(([kind]) => kind !== 'LegacyGslb'),
  );
  expect(objectWrites(first)).toEqual(
    objectWrites(withoutLegacy.reconciler.pass(withoutLegacy.index)),
  );

  const later = world();
  add(later, shopObjects());
  later.reconciler.pass(later.index);
  add(later, tenant);
  const after = later.reconciler.pass(later.index);
  expect(shopView(later, after)).toEqual(REFERENCE.again);
  expectConditions(later, after);
}

/** The writes of objects other than status and Events: Ingresses and Gslbs. */
function objectWrites(result: PassResult): unknown[] {
  return result.writes
    .filter((w) => w.kind === 'ingress' || w.kind === 'gslb')
    .map((w) => [w.key, w.method, w.path, w.body]);
}

/**
 * Every tenant Gslb has a resolution that says why, and the status planned carries it; a legacy
 * Gslb is only ever written through its status and Events (no Ingress, spec or label of its own).
 */
function expectConditions(w: World, result: PassResult): void {
  for (const write of result.writes) {
    if (write.path.startsWith('/apis/k8gb.absa.oss/')) expect(write.path).toMatch(/\/status$/);
    const owners = (write.body as { metadata?: { ownerReferences?: unknown[] } } | undefined)
      ?.metadata?.ownerReferences;
    expect(JSON.stringify(owners ?? [])).not.toContain('k8gb.absa.oss');
  }
  for (const gslb of w.index.allGslbs()) {
    if (gslb.namespace !== TENANT) continue;
    const resolution = result.resolutions.get(gslb.id);
    expect(resolution).toBeDefined();
    expect(resolution?.reason).not.toBe('ResolutionFailed');
    expect(typeof resolution?.message).toBe('string');
    if (resolution?.pending === true) continue;
    const status = result.writes.find((write) => write.key === `status ${gslb.id}`);
    const conditions = (status?.body as { status?: { conditions?: unknown[] } } | undefined)?.status
      ?.conditions;
    expect(conditions?.[0]).toMatchObject({ type: 'Ready', reason: resolution?.reason });
  }
}

// ---------------------------------------------------------------------------
// Mutations of valid objects

type Path = (string | number)[];

/** Paths of the leaves (and annotation and label keys) a tenant may write. */
function writablePaths(value: unknown, path: Path = []): Path[] {
  if (path.length === 2 && path[0] === 'metadata' && SERVER_OWNED.has(String(path[1]))) return [];
  if (path.length === 1 && (path[0] === 'apiVersion' || path[0] === 'kind')) return [];
  if (Array.isArray(value))
    return [path, ...value.flatMap((v, i) => writablePaths(v, [...path, i]))];
  if (value !== null && typeof value === 'object') {
    const inner = Object.entries(value).flatMap(([k, v]) => writablePaths(v, [...path, k]));
    // The object itself may be replaced, but not the whole object or its metadata.
    const whole = path.length === 0 || (path.length === 1 && path[0] === 'metadata');
    return whole ? inner : [path, ...inner];
  }
  return [path];
}

function replaced(value: unknown, path: Path, by: unknown): unknown {
  if (path.length === 0) return by;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...(value as unknown[])];
    copy[head as number] = replaced(copy[head as number], rest, by);
    return copy;
  }
  const copy = { ...(value as Record<string, unknown>) };
  copy[head as string] = replaced(copy[head as string], rest, by);
  return copy;
}

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  {
    weight: 1,
    arbitrary: fc.array(fc.constantFrom(...HOSTILE_STRINGS), { minLength: 1, maxLength: 3 }),
  },
  {
    weight: 1,
    arbitrary: fc.dictionary(
      fc.constantFrom(...HOSTILE_STRINGS),
      fc.constantFrom(...HOSTILE_STRINGS),
    ),
  },
);

const VALID = tenantObjects();
const PATHS = VALID.map(([, object]) => writablePaths(object));

/** Up to six replacements, each in one of the tenant's objects. */
const mutatedTenant: fc.Arbitrary<[WatchedKind, KubeObject][]> = fc
  .array(fc.tuple(fc.nat(VALID.length - 1), fc.nat(), hostileValue), { minLength: 1, maxLength: 6 })
  .map((changes) => {
    const objects = VALID.map(([kind, object]) => [kind, object] as [WatchedKind, unknown]);
    for (const [which, at, by] of changes) {
      const paths = PATHS[which]!;
      const entry = objects[which]!;
      entry[1] = replaced(entry[1], paths[at % paths.length]!, by);
    }
    return objects as [WatchedKind, KubeObject][];
  });

// ---------------------------------------------------------------------------
// Random objects under the right apiVersion and kind

const API_VERSIONS: Record<WatchedKind, string> = {
  Gslb: 'k8gb.io/v1beta1',
  Ingress: 'networking.k8s.io/v1',
  Service: 'v1',
  EndpointSlice: 'discovery.k8s.io/v1',
  Gateway: 'gateway.networking.k8s.io/v1',
  HTTPRoute: 'gateway.networking.k8s.io/v1',
  GRPCRoute: 'gateway.networking.k8s.io/v1',
  LegacyGslb: 'k8gb.absa.oss/v1beta1',
};
const KINDS = Object.keys(API_VERSIONS) as WatchedKind[];
const NAMES = ['x', 'y', 'front-x', 'svc', 'svc-abcde', 'gw', 'route-y', 'annotated'];

const randomTenant: fc.Arbitrary<[WatchedKind, KubeObject][]> = fc.array(
  fc
    .record({
      kind: fc.constantFrom(...KINDS),
      name: fc.constantFrom(...NAMES),
      labels: fc.option(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.jsonValue()))),
      annotations: fc.option(
        fc.dictionary(
          fc.oneof(
            fc.constantFrom(
              'k8gb.io/strategy',
              ANNOTATION_EXPOSED_IPS,
              'k8gb.io/exposed-hostnames',
            ),
            fc.string(),
          ),
          fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.jsonValue({ maxDepth: 1 })),
        ),
      ),
      body: fc.dictionary(
        fc.constantFrom('spec', 'status', 'endpoints', 'addressType', 'other'),
        fc.jsonValue({ maxDepth: 4 }),
      ),
    })
    .map(({ kind, name, labels, annotations, body }): [WatchedKind, KubeObject] => [
      kind,
      {
        ...body,
        ...kubeObject(API_VERSIONS[kind], kind, name, {
          namespace: TENANT,
          uid: `uid-random-${name}`,
          creationTimestamp: '2026-02-01T00:00:00Z',
        }),
        metadata: {
          name,
          namespace: TENANT,
          uid: `uid-random-${name}`,
          creationTimestamp: '2026-02-01T00:00:00Z',
          ...(labels === null ? {} : { labels }),
          ...(annotations === null ? {} : { annotations }),
        },
      } as KubeObject,
    ]),
  { minLength: 1, maxLength: 8 },
);

test('the valid tenant is served, and the check sees the shop (the reference is not vacuous)', () => {
  const w = world();
  add(w, shopObjects());
  add(w, tenantObjects());
  const result = w.reconciler.pass(w.index);
  expect(result.resolutions.get(`${TENANT}/x`)?.reason).toBe('Serving');
  expect(result.resolutions.get(`${TENANT}/old@k8gb.absa.oss`)?.reason).toBe('Serving');
  const view = shopView(w, result) as { answers: unknown[]; writes: unknown[] };
  expect(view.answers).toEqual([
    ['a.cloud.example.org', ['192.0.2.10'], ['2001:db8::10'], ['192.0.2.10']],
    ['b.cloud.example.org', ['192.0.2.20'], [], ['192.0.2.20']],
  ]);
  expect(view.writes.map((w) => (w as [string])[0])).toEqual([
    'status shop/a',
    'status shop/b',
    'ingress shop/a',
  ]);
  checkTenant(tenantObjects());
});

test('a host the tenant names that the shop holds stays with the shop', () => {
  const [gslb, ...rest] = tenantObjects();
  const stealing = replaced(
    gslb![1],
    ['metadata', 'annotations', ANNOTATION_EXPOSED_IPS],
    '203.0.113.66',
  );
  const ingress = rest.find(([, o]) => o.metadata.name === 'front-x')!;
  const front = replaced(
    ingress[1],
    ['spec', 'rules', 0, 'host'],
    'a.cloud.example.org',
  ) as KubeObject;
  const tenant = [
    [gslb![0], stealing],
    ...rest.map((e) => (e === ingress ? ['Ingress', front] : e)),
  ] as [WatchedKind, KubeObject][];
  checkTenant(tenant);
  const w = world();
  add(w, shopObjects());
  add(w, tenant);
  expect(w.reconciler.pass(w.index).resolutions.get(`${TENANT}/x`)?.reason).toBe('HostConflict');
});

test.each([
  ['a zone-scoped IPv6 address', 'fe80::1%eth0'],
  ['a 300-byte value', 'a'.repeat(300)],
  ['10,000 targets', TEN_THOUSAND_TARGETS],
])(
  '%s in the exposed-addresses annotation: the tenant says why, the shop is untouched',
  (_what, value) => {
    const [gslb, ...rest] = tenantObjects();
    const bad = replaced(gslb![1], ['metadata', 'annotations', ANNOTATION_EXPOSED_IPS], value);
    const tenant = [[gslb![0], bad], ...rest] as [WatchedKind, KubeObject][];
    checkTenant(tenant);
    const w = world();
    add(w, shopObjects());
    add(w, tenant);
    expect(w.reconciler.pass(w.index).resolutions.get(`${TENANT}/x`)?.reason).not.toBe('Serving');
  },
);

test('an IPv4-mapped IPv6 address is the IPv4 address it maps, as k8gb reads it', () => {
  const [gslb, ...rest] = tenantObjects();
  const mapped = replaced(
    gslb![1],
    ['metadata', 'annotations', ANNOTATION_EXPOSED_IPS],
    '::ffff:198.51.100.9',
  );
  const tenant = [[gslb![0], mapped], ...rest] as [WatchedKind, KubeObject][];
  checkTenant(tenant);
  const w = world();
  add(w, shopObjects());
  add(w, tenant);
  const result = w.reconciler.pass(w.index);
  expect(result.resolutions.get(`${TENANT}/x`)?.exposedIps).toEqual(['198.51.100.9']);
  expect(served(w.snapshot!, 'x.cloud.example.org', 'A')).toEqual(['198.51.100.9']);
  expect(served(w.snapshot!, 'x.cloud.example.org', 'AAAA')).toEqual([]);
});

test('mutations of valid objects: no throw, the shop unchanged, every tenant Gslb with a condition', () => {
  fc.assert(
    fc.property(mutatedTenant, (tenant) => checkTenant(tenant)),
    { numRuns: 150 },
  );
});

test('random objects under the right apiVersion and kind: the same', () => {
  fc.assert(
    fc.property(randomTenant, (tenant) => checkTenant(tenant)),
    { numRuns: 150 },
  );
});
