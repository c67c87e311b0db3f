/**
 * Incremental reconcile passes: a pass resolves only the Gslbs whose
 * dependencies changed, rebuilds the table only when records changed, and
 * plans writes only for Gslbs whose outcome may have changed. The property
 * test drives random changes through the index and checks that every
 * incremental pass agrees with a fresh reconciler's full pass over the same
 * objects; the other tests pin down what is (not) looked at.
 */
import fc from 'fast-check';
import { GslbReconciler, type Changes } from '../../../../src/k8s/reconcile/gslb-reconciler';
import type { KubeObject } from '../../../../src/k8s/client/kube-api';
import {
  ObjectIndex,
  type Dependency,
  type WatchedKind,
} from '../../../../src/k8s/ingest/object-index';
import type { HostnameLookup, Resolution } from '../../../../src/k8s/reconcile/resolution';
import { buildSnapshot } from '../../../../src/table/build-snapshot';
import type { GslbRecord } from '../../../../src/table/model';
import {
  ANNOTATION_EXPOSED_HOSTNAMES,
  ANNOTATION_EXPOSED_IPS,
  ANNOTATION_HOSTNAME,
  gslbObject,
  ingressObject,
  legacyGslbObject,
  loadBalancer,
  resolveContext,
  resolvedTo,
  rules,
  serviceObject,
  sliceObject,
  ZONE,
} from '../../../helpers/kube-objects';

const NOW = new Date('2026-03-01T12:00:00Z');
const ZONES = [
  {
    name: ZONE,
    parent: 'example.org',
    negativeTtlSeconds: 30,
    nameServers: ['gslb-ns-eu-cloud-example-org.example.org'],
    nameServerTtlSeconds: 30,
  },
];

/** A reconciler over the real table builder, so that host conflicts are real build problems. */
function reconciler(names: Record<string, HostnameLookup>, served: GslbRecord[][] = []) {
  return new GslbReconciler({
    context: resolveContext({ names }),
    geoTag: 'eu',
    now: () => NOW,
    serve: (records) => {
      served.push([...records]);
      return buildSnapshot({ zones: ZONES, gslbs: records, serial: 1, generation: 1 }).problems;
    },
  });
}

/** The objects the property test adds, changes and removes, by a short name. */
const OBJECTS: Record<string, [WatchedKind, KubeObject]> = {
  // Gslb a: resourceRef Ingress `front` by name.
  gslbA: [
    'Gslb',
    gslbObject({
      name: 'a',
      uid: 'uid-a',
      annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' },
      resourceRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'front' },
    }),
  ],
  gslbA2: [
    'Gslb',
    gslbObject({
      name: 'a',
      uid: 'uid-a2',
      annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.2' },
      resourceRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'front' },
    }),
  ],
  // Gslb b: a LoadBalancer Service chosen by label; its address is a host name.
  gslbB: [
    'Gslb',
    gslbObject({
      name: 'b',
      uid: 'uid-b',
      annotations: { [ANNOTATION_HOSTNAME]: `b.${ZONE}` },
      resourceRef: { apiVersion: 'v1', kind: 'Service', matchLabels: { app: 'db' } },
    }),
  ],
  // Gslb c: an embedded Ingress whose host collides with Ingress `front`'s, exposed by host name.
  gslbC: [
    'Gslb',
    gslbObject({
      name: 'c',
      uid: 'uid-c',
      annotations: { [ANNOTATION_EXPOSED_HOSTNAMES]: 'lb.example.net' },
      ingress: { rules: rules({ [`a.${ZONE}`]: ['api'], [`c.${ZONE}`]: ['api'] }) },
    }),
  ],
  // Legacy (k8gb.absa.oss) Gslbs: one the k8gb.io Gslb a sets aside, one older than the others
  // whose host collides with c's, and that one marked migrated. Their claims win over c's, whose
  // last good records a fresh reconciler cannot know.
  legacyA: [
    'LegacyGslb',
    legacyGslbObject({
      name: 'a',
      uid: 'uid-a-legacy',
      annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.5' },
      resourceRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'front' },
    }),
  ],
  legacyD: [
    'LegacyGslb',
    legacyGslbObject({
      name: 'd',
      uid: 'uid-legacy-d',
      creationTimestamp: '2025-06-01T00:00:00Z',
      annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.6' },
      ingress: { rules: rules({ [`c.${ZONE}`]: ['api'], [`d.${ZONE}`]: ['web'] }) },
    }),
  ],
  legacyDMigrated: [
    'LegacyGslb',
    legacyGslbObject({
      name: 'd',
      uid: 'uid-legacy-d',
      creationTimestamp: '2025-06-01T00:00:00Z',
      labels: { 'k8gb.io/migrated-to-k8gb-io': 'true' },
      annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.6' },
      ingress: { rules: rules({ [`c.${ZONE}`]: ['api'], [`d.${ZONE}`]: ['web'] }) },
    }),
  ],
  front: ['Ingress', ingressObject('front', { hosts: { [`a.${ZONE}`]: ['web'] } })],
  other: ['Ingress', ingressObject('other', { hosts: { [`other.${ZONE}`]: ['api'] } })],
  web: ['Service', serviceObject('web')],
  api: ['Service', serviceObject('api')],
  db: [
    'Service',
    serviceObject('db', {
      type: 'LoadBalancer',
      labels: { app: 'db' },
      status: loadBalancer({ hostname: 'lb.example.net' }),
    }),
  ],
  db2: [
    'Service',
    serviceObject('db2', {
      type: 'LoadBalancer',
      labels: { app: 'db' },
      status: loadBalancer({ ip: '198.51.100.9' }),
    }),
  ],
  webReady: ['EndpointSlice', sliceObject('web-1', 'web', true)],
  webUnready: ['EndpointSlice', sliceObject('web-1', 'web', false)],
  webReady2: ['EndpointSlice', sliceObject('web-2', 'web', true)],
  apiReady: ['EndpointSlice', sliceObject('api-1', 'api', true)],
  dbReady: ['EndpointSlice', sliceObject('db-1', 'db', true)],
};

const INITIAL = [
  'gslbA',
  'gslbB',
  'gslbC',
  'front',
  'web',
  'api',
  'db',
  'webReady',
  'apiReady',
  'dbReady',
];

type Step =
  | { readonly op: 'put' | 'delete'; readonly object: string }
  | { readonly op: 'hostname'; readonly addresses: readonly string[] };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constantFrom<'put' | 'delete'>('put', 'delete'),
    object: fc.constantFrom(...Object.keys(OBJECTS)),
  }),
  fc.record({
    op: fc.constant<'hostname'>('hostname'),
    addresses: fc.constantFrom<readonly string[]>([], ['203.0.113.1'], ['203.0.113.2']),
  }),
);

/** The parts of a resolution that decide what is served and written. */
function comparable(resolutions: ReadonlyMap<string, Resolution>): Record<string, unknown> {
  return Object.fromEntries(
    [...resolutions].sort(([x], [y]) => (x < y ? -1 : 1)).map(([key, r]) => [key, r]),
  );
}

function sortedRecords(records: readonly GslbRecord[]): GslbRecord[] {
  return [...records].sort((x, y) => (x.id < y.id ? -1 : 1));
}

test('every incremental pass agrees with a full pass of a fresh reconciler', () => {
  fc.assert(
    fc.property(fc.array(stepArbitrary, { minLength: 1, maxLength: 30 }), (steps) => {
      const names: Record<string, HostnameLookup> = { 'lb.example.net': resolvedTo('203.0.113.1') };
      // From a world where every Gslb serves, so that random changes break and mend real things.
      const index = new ObjectIndex();
      for (const name of INITIAL)
        index.apply(OBJECTS[name]![0], { type: 'add', object: OBJECTS[name]![1] });
      const incremental = reconciler(names);
      incremental.pass(index);
      for (const step of steps) {
        const touched = new Set<Dependency>();
        if (step.op === 'hostname') {
          names['lb.example.net'] =
            step.addresses.length === 0
              ? { state: 'failed', error: 'NXDOMAIN' }
              : resolvedTo(...step.addresses);
          touched.add('Hostname|lb.example.net');
        } else {
          const [kind, object] = OBJECTS[step.object]!;
          index.apply(kind, { type: step.op === 'put' ? 'update' : 'delete', object }, touched);
        }
        const result = incremental.pass(index, true, touched);
        const full = reconciler(names).pass(index);
        expect(comparable(result.resolutions)).toEqual(comparable(full.resolutions));
        // A fresh reconciler has no last good records to keep serving; compare the Serving ones.
        const serving = (records: readonly GslbRecord[]): GslbRecord[] =>
          sortedRecords(records).filter(
            (r) => full.resolutions.get(r.id)?.reason === 'Serving' || r.id === '',
          );
        expect(serving(result.records)).toEqual(serving(full.records));
      }
    }),
    { numRuns: 300 },
  );
});

describe('what a pass looks at', () => {
  const names = { 'lb.example.net': resolvedTo('203.0.113.1') };

  function setUp(served: GslbRecord[][] = []) {
    const index = new ObjectIndex();
    for (const name of ['gslbA', 'front', 'web', 'webReady', 'gslbB', 'db', 'dbReady'])
      index.apply(OBJECTS[name]![0], { type: 'add', object: OBJECTS[name]![1] });
    const gslbs = reconciler(names, served);
    const first = gslbs.pass(index);
    return { index, gslbs, first };
  }

  function change(index: ObjectIndex, name: string, type: 'update' | 'delete' = 'update') {
    const touched = new Set<Dependency>();
    index.apply(OBJECTS[name]![0], { type, object: OBJECTS[name]![1] }, touched);
    return touched;
  }

  test('the first pass looks at every Gslb and serves once', () => {
    const served: GslbRecord[][] = [];
    const { first } = setUp(served);
    expect([...first.considered].sort()).toEqual(['shop/a', 'shop/b']);
    expect(first.served).toBe(true);
    expect(served).toHaveLength(1);
  });

  test('a change nothing depends on resolves nothing, serves nothing and plans nothing', () => {
    const served: GslbRecord[][] = [];
    const { index, gslbs } = setUp(served);
    const result = gslbs.pass(index, true, change(index, 'other'));
    expect(result).toMatchObject({ served: false, writes: [] });
    expect(result.considered.size).toBe(0);
    expect(served).toHaveLength(1);
  });

  test('a readiness flip of a backend looks at the Gslb it serves, and only at it', () => {
    const { index, gslbs } = setUp();
    const result = gslbs.pass(index, true, change(index, 'webUnready'));
    expect([...result.considered]).toEqual(['shop/a']);
    expect(result.resolutions.get('shop/a')?.health).toEqual({ [`a.${ZONE}`]: 'Unhealthy' });
    expect(result.served).toBe(true);
    // Its only host is down: not Ready, with a Warning, and still served (peers' targets).
    expect(result.resolutions.get('shop/a')?.reason).toBe('NoHealthyHosts');
    expect(result.writes.map((w) => w.key)).toEqual([
      'status shop/a',
      'event uid-a NoHealthyHosts',
    ]);
  });

  test('a second ready slice does not change readiness, so nothing is looked at', () => {
    const { index, gslbs } = setUp();
    const touched = change(index, 'webReady2');
    expect([...touched]).toEqual([]);
    expect(gslbs.pass(index, true, touched).considered.size).toBe(0);
  });

  test('a new object a label selector matches makes its Gslb ambiguous', () => {
    const { index, gslbs } = setUp();
    const result = gslbs.pass(index, true, change(index, 'db2'));
    expect([...result.considered]).toEqual(['shop/b']);
    expect(result.resolutions.get('shop/b')?.reason).toBe('AmbiguousResourceRef');
  });

  test('a host name that resolves differently looks at the Gslbs that use it', () => {
    const { index, gslbs } = setUp();
    const result = gslbs.pass(index, true, new Set(['Hostname|lb.example.net']));
    expect([...result.considered]).toEqual(['shop/b']);
  });

  test('a status echo of a Gslb re-resolves it without rebuilding the table', () => {
    const served: GslbRecord[][] = [];
    const { index, gslbs, first } = setUp(served);
    const write = first.writes.find((w) => w.key === 'status shop/a')!;
    write.onSuccess?.(undefined);
    const [kind, object] = OBJECTS['gslbA']!;
    const echoed = { ...object, status: (write.body as { status: unknown }).status };
    const touched = new Set<Dependency>();
    index.apply(kind, { type: 'update', object: echoed }, touched);
    const result = gslbs.pass(index, true, touched);
    expect([...result.considered]).toEqual(['shop/a']);
    expect(result).toMatchObject({ served: false, writes: [] });
    expect(served).toHaveLength(1);
  });

  test('a Gslb that loses a host conflict is looked at when the winner goes, though nothing it reads changed', () => {
    const { index, gslbs } = setUp();
    index.apply('Service', { type: 'add', object: OBJECTS['api']![1] });
    index.apply('EndpointSlice', { type: 'add', object: OBJECTS['apiReady']![1] });
    const added = gslbs.pass(index, true, change(index, 'gslbC'));
    // shop/a claimed a.cloud.example.org first (same creation time: the tie goes by
    // uid, then name) and keeps it; shop/c cannot serve it.
    expect(added.resolutions.get('shop/c')?.reason).toBe('HostConflict');
    const removed = gslbs.pass(index, true, change(index, 'gslbA', 'delete'));
    expect([...removed.considered]).toEqual(['shop/c']);
    expect([...removed.removed]).toEqual(['shop/a']);
    expect(removed.resolutions.get('shop/c')?.reason).toBe('Serving');
    expect(removed.resolutions.has('shop/a')).toBe(false);
  });

  test('a full pass with nothing changed plans nothing and serves nothing new', () => {
    const served: GslbRecord[][] = [];
    const { index, gslbs, first } = setUp(served);
    for (const write of first.writes) write.onSuccess?.(undefined);
    for (const key of ['shop/a', 'shop/b']) {
      const write = first.writes.find((w) => w.key === `status ${key}`)!;
      const [kind, object] = OBJECTS[key === 'shop/a' ? 'gslbA' : 'gslbB']!;
      index.apply(kind, {
        type: 'update',
        object: { ...object, status: (write.body as { status: unknown }).status },
      });
    }
    const all: Changes = 'all';
    const again = gslbs.pass(index, true, all);
    expect(again).toMatchObject({ served: false, writes: [] });
    expect(again.considered.size).toBe(2);
    expect(served).toHaveLength(1);
  });
});
