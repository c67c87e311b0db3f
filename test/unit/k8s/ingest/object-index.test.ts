/**
 * The object index: add, update and delete of every watched kind, lookups by
 * key and namespace, and a Service's health state (docs/k8gb-compatibility.md#local-health)
 * derived from all of its EndpointSlices as they come, change, move and go;
 * the dependencies reads record and changes touch.
 */
import type { KubeObject, WatchEvent } from '../../../../src/k8s/client/kube-api';
import {
  ObjectIndex,
  WATCHED_KINDS,
  type WatchedKind,
} from '../../../../src/k8s/ingest/object-index';
import {
  gatewayObject,
  gslbObject,
  ingressObject,
  legacyGslbObject,
  routeObject,
  serviceObject,
  sliceObject,
} from '../../../helpers/kube-objects';

function add(object: KubeObject): WatchEvent {
  return { type: 'add', object };
}
function update(object: KubeObject): WatchEvent {
  return { type: 'update', object };
}
function remove(object: KubeObject): WatchEvent {
  return { type: 'delete', object };
}

/** Every kind but EndpointSlice: its map, an object in `namespace` and a version of it with a changed field. */
interface MapCase {
  readonly kind: Exclude<WatchedKind, 'EndpointSlice'>;
  readonly map:
    'gslbs' | 'legacyGslbs' | 'ingresses' | 'services' | 'gateways' | 'httpRoutes' | 'grpcRoutes';
  readonly make: (name: string, namespace: string, version: number) => KubeObject;
  /** A field of the stored record that tells the versions apart. */
  readonly read: (record: unknown) => unknown;
}

const MAP_CASES: MapCase[] = [
  {
    kind: 'Gslb',
    map: 'gslbs',
    make: (name, namespace, v) => gslbObject({ name, namespace, generation: v }),
    read: (r) => (r as { generation: number }).generation,
  },
  {
    kind: 'LegacyGslb',
    map: 'legacyGslbs',
    make: (name, namespace, v) => legacyGslbObject({ name, namespace, generation: v }),
    read: (r) => (r as { generation: number }).generation,
  },
  {
    kind: 'Ingress',
    map: 'ingresses',
    make: (name, namespace, v) => ingressObject(name, { namespace, resourceVersion: String(v) }),
    read: (r) => (r as { resourceVersion: string }).resourceVersion,
  },
  {
    kind: 'Service',
    map: 'services',
    make: (name, namespace, v) =>
      serviceObject(name, { namespace, type: v === 1 ? 'ClusterIP' : 'LoadBalancer' }),
    read: (r) => (r as { type: string }).type,
  },
  {
    kind: 'Gateway',
    map: 'gateways',
    make: (name, namespace, v) => gatewayObject(name, [{ value: `192.0.2.${v}` }], { namespace }),
    read: (r) => (r as { addresses: { value: string }[] }).addresses[0]?.value,
  },
  {
    kind: 'HTTPRoute',
    map: 'httpRoutes',
    make: (name, namespace, v) =>
      routeObject('HTTPRoute', name, { namespace, hostnames: [`v${v}.cloud.example.org`] }),
    read: (r) => (r as { hostnames: string[] }).hostnames,
  },
  {
    kind: 'GRPCRoute',
    map: 'grpcRoutes',
    make: (name, namespace, v) =>
      routeObject('GRPCRoute', name, { namespace, hostnames: [`v${v}.cloud.example.org`] }),
    read: (r) => (r as { hostnames: string[] }).hostnames,
  },
];

test('WATCHED_KINDS lists the eight kinds in a fixed order', () => {
  expect(WATCHED_KINDS).toEqual([
    'Gslb',
    'Ingress',
    'Service',
    'EndpointSlice',
    'Gateway',
    'HTTPRoute',
    'GRPCRoute',
    'LegacyGslb',
  ]);
});

describe.each(MAP_CASES)('$kind', ({ kind, map, make, read }) => {
  test('add, update and delete return the key and keep the map and namespace lookup in step', () => {
    const index = new ObjectIndex();
    const records = index[map];
    expect(index.apply(kind, add(make('a', 'ns1', 1)))).toBe('ns1/a');
    expect(index.apply(kind, add(make('b', 'ns1', 1)))).toBe('ns1/b');
    expect(index.apply(kind, add(make('a', 'ns2', 1)))).toBe('ns2/a');
    expect(records.size).toBe(3);
    expect([...records.inNamespace('ns1')].map((r) => r.key)).toEqual(['ns1/a', 'ns1/b']);
    expect([...records.inNamespace('ns2')].map((r) => r.key)).toEqual(['ns2/a']);
    expect([...records.inNamespace('ns3')]).toEqual([]);

    expect(index.apply(kind, update(make('a', 'ns1', 2)))).toBe('ns1/a');
    expect(read(records.get('ns1/a'))).toEqual(read(makeRecord(kind, make('a', 'ns1', 2))));
    expect(read(records.get('ns1/a'))).not.toEqual(read(records.get('ns2/a')));
    expect(records.size).toBe(3);
    expect(read([...records.inNamespace('ns1')][0])).toEqual(read(records.get('ns1/a')));

    expect(index.apply(kind, remove(make('a', 'ns1', 2)))).toBe('ns1/a');
    expect(records.get('ns1/a')).toBeUndefined();
    expect([...records.inNamespace('ns1')].map((r) => r.key)).toEqual(['ns1/b']);
    index.apply(kind, remove(make('b', 'ns1', 1)));
    expect([...records.inNamespace('ns1')]).toEqual([]);
    expect([...records.values()].map((r) => r.key)).toEqual(['ns2/a']);
    expect(records.size).toBe(1);
  });

  test('an update replaces the record', () => {
    const index = new ObjectIndex();
    index.apply(kind, add(make('a', 'ns1', 1)));
    const first = read(index[map].get('ns1/a'));
    index.apply(kind, update(make('a', 'ns1', 2)));
    const second = read(index[map].get('ns1/a'));
    expect(second).not.toEqual(first);
    expect(second).toEqual(read(makeRecord(kind, make('a', 'ns1', 2))));
  });

  test('deleting an unknown object changes nothing', () => {
    const index = new ObjectIndex();
    index.apply(kind, add(make('a', 'ns1', 1)));
    expect(index.apply(kind, remove(make('zzz', 'ns1', 1)))).toBe('ns1/zzz');
    expect(index.apply(kind, remove(make('a', 'other', 1)))).toBe('other/a');
    expect(index[map].size).toBe(1);
    expect([...index[map].inNamespace('ns1')].map((r) => r.key)).toEqual(['ns1/a']);
  });

  test('only its own map is touched', () => {
    const index = new ObjectIndex();
    index.apply(kind, add(make('a', 'ns1', 1)));
    for (const other of MAP_CASES.filter((c) => c.map !== map))
      expect(index[other.map].size).toBe(0);
    expect(index.sliceCount).toBe(0);
  });
});

/** The record a fresh index holds for `object`. */
function makeRecord(kind: Exclude<WatchedKind, 'EndpointSlice'>, object: KubeObject): unknown {
  const index = new ObjectIndex();
  index.apply(kind, add(object));
  const map = MAP_CASES.find((c) => c.kind === kind)!.map;
  return index[map].get(`${object.metadata.namespace}/${object.metadata.name}`);
}

describe('serviceState (k8gb: missing, or ready when any slice has a ready endpoint)', () => {
  let index: ObjectIndex;
  beforeEach(() => {
    index = new ObjectIndex();
  });
  const state = (name = 'web', namespace = 'shop'): string => index.serviceState(namespace, name);

  test('a Service without slices is unready; without the Service it is missing', () => {
    expect(state()).toBe('missing');
    index.apply('Service', add(serviceObject('web')));
    expect(state()).toBe('unready');
    expect(state('other')).toBe('missing');
  });

  test('ready slices without their Service still make it missing', () => {
    expect(index.apply('EndpointSlice', add(sliceObject('web-1', 'web', true)))).toBe('shop/web-1');
    expect(state()).toBe('missing');
    index.apply('Service', add(serviceObject('web')));
    expect(state()).toBe('ready');
    index.apply('Service', remove(serviceObject('web')));
    expect(state()).toBe('missing');
    index.apply('Service', add(serviceObject('web')));
    expect(state()).toBe('ready');
  });

  test.each<[string, boolean[], string]>([
    ['one ready slice', [true], 'ready'],
    ['one unready slice', [false], 'unready'],
    ['an unready and a ready slice', [false, true], 'ready'],
    ['three unready slices', [false, false, false], 'unready'],
    ['two ready slices', [true, true], 'ready'],
  ])('%s → %s', (_case, slices, expected) => {
    index.apply('Service', add(serviceObject('web')));
    slices.forEach((ready, i) =>
      index.apply('EndpointSlice', add(sliceObject(`web-${i}`, 'web', ready))),
    );
    expect(state()).toBe(expected);
    expect(index.sliceCount).toBe(slices.length);
  });

  test('across several slices: ready until the last ready one turns unready or goes', () => {
    index.apply('Service', add(serviceObject('web')));
    index.apply('EndpointSlice', add(sliceObject('web-1', 'web', true)));
    index.apply('EndpointSlice', add(sliceObject('web-2', 'web', true)));
    index.apply('EndpointSlice', add(sliceObject('web-3', 'web', false)));
    expect(state()).toBe('ready');
    index.apply('EndpointSlice', update(sliceObject('web-1', 'web', false)));
    expect(state()).toBe('ready');
    index.apply('EndpointSlice', remove(sliceObject('web-2', 'web', true)));
    expect(state()).toBe('unready');
    expect(index.sliceCount).toBe(2);
    index.apply('EndpointSlice', update(sliceObject('web-3', 'web', true)));
    expect(state()).toBe('ready');
    index.apply('EndpointSlice', remove(sliceObject('web-3', 'web', true)));
    index.apply('EndpointSlice', remove(sliceObject('web-1', 'web', false)));
    expect(state()).toBe('unready');
    expect(index.sliceCount).toBe(0);
  });

  test('an update of a ready slice that stays ready keeps the Service ready', () => {
    index.apply('Service', add(serviceObject('web')));
    index.apply('EndpointSlice', add(sliceObject('web-1', 'web', true)));
    index.apply('EndpointSlice', update(sliceObject('web-1', 'web', true)));
    expect(state()).toBe('ready');
    index.apply('EndpointSlice', remove(sliceObject('web-1', 'web', true)));
    expect(state()).toBe('unready');
  });

  test('a slice moving to another Service counts for the new one only', () => {
    index.apply('Service', add(serviceObject('web')));
    index.apply('Service', add(serviceObject('api')));
    index.apply('EndpointSlice', add(sliceObject('shared', 'web', true)));
    expect([state('web'), state('api')]).toEqual(['ready', 'unready']);
    index.apply('EndpointSlice', update(sliceObject('shared', 'api', true)));
    expect([state('web'), state('api')]).toEqual(['unready', 'ready']);
    expect(index.sliceCount).toBe(1);
    index.apply('EndpointSlice', remove(sliceObject('shared', 'api', true)));
    expect([state('web'), state('api')]).toEqual(['unready', 'unready']);
  });

  test('a slice losing its service-name label stops counting; regaining it counts again', () => {
    index.apply('Service', add(serviceObject('web')));
    index.apply('EndpointSlice', add(sliceObject('web-1', 'web', true)));
    index.apply('EndpointSlice', update(sliceObject('web-1', null, true)));
    expect(state()).toBe('unready');
    expect(index.sliceCount).toBe(1);
    index.apply('EndpointSlice', update(sliceObject('web-1', 'web', true)));
    expect(state()).toBe('ready');
  });

  test('slices count only in their own namespace', () => {
    index.apply('Service', add(serviceObject('web', { namespace: 'a' })));
    index.apply('Service', add(serviceObject('web', { namespace: 'b' })));
    index.apply('EndpointSlice', add(sliceObject('web-1', 'web', true, { namespace: 'a' })));
    expect([state('web', 'a'), state('web', 'b')]).toEqual(['ready', 'unready']);
  });

  test('slices of the same name in two namespaces are separate', () => {
    index.apply('Service', add(serviceObject('web', { namespace: 'a' })));
    index.apply('Service', add(serviceObject('web', { namespace: 'b' })));
    index.apply('EndpointSlice', add(sliceObject('s', 'web', true, { namespace: 'a' })));
    index.apply('EndpointSlice', add(sliceObject('s', 'web', true, { namespace: 'b' })));
    index.apply('EndpointSlice', remove(sliceObject('s', 'web', true, { namespace: 'a' })));
    expect([state('web', 'a'), state('web', 'b')]).toEqual(['unready', 'ready']);
    expect(index.sliceCount).toBe(1);
  });

  test('deleting an unknown slice changes nothing', () => {
    index.apply('Service', add(serviceObject('web')));
    index.apply('EndpointSlice', add(sliceObject('web-1', 'web', true)));
    index.apply('EndpointSlice', remove(sliceObject('web-9', 'web', true)));
    expect(state()).toBe('ready');
    expect(index.sliceCount).toBe(1);
  });
});

describe('dependencies: what a resolution read, and what a change touches', () => {
  test('reads inside recordingReads are returned; reads outside are not recorded', () => {
    const index = new ObjectIndex();
    index.apply('Service', add(serviceObject('web', { namespace: 'ns1' })));
    const { result, reads } = index.recordingReads(() => {
      index.ingresses.get('ns1/front');
      expect([...index.services.inNamespace('ns1')].map((s) => s.key)).toEqual(['ns1/web']);
      index.noteRead('Hostname|lb.example.net');
      return index.serviceState('ns1', 'web');
    });
    expect(result).toBe('unready');
    expect([...reads].sort()).toEqual([
      'Endpoints|ns1/web',
      'Hostname|lb.example.net',
      'Ingress|ns1/front',
      'Service|ns1/*',
      'Service|ns1/web',
    ]);
    const after = index.recordingReads(() => 0).reads;
    index.gateways.get('ns1/gw');
    expect([...after]).toEqual([]);
  });

  test('a change to an object touches it and scans of its namespace', () => {
    const index = new ObjectIndex();
    const touched = new Set<string>();
    index.apply('Ingress', add(ingressObject('front', { namespace: 'ns1' })), touched);
    expect([...touched].sort()).toEqual(['Ingress|ns1/*', 'Ingress|ns1/front']);
  });

  test('EndpointSlices touch a Service only when its readiness flips, old and new owner alike', () => {
    const index = new ObjectIndex();
    const touches = (object: KubeObject, type: 'add' | 'update' | 'delete' = 'update') => {
      const touched = new Set<string>();
      index.apply('EndpointSlice', { type, object }, touched);
      return [...touched].sort();
    };
    expect(touches(sliceObject('a-1', 'a', true, { namespace: 'ns1' }), 'add')).toEqual([
      'Endpoints|ns1/a',
    ]);
    // A second ready slice, and a changed slice still ready: readiness unchanged.
    expect(touches(sliceObject('a-2', 'a', true, { namespace: 'ns1' }), 'add')).toEqual([]);
    expect(touches(sliceObject('a-2', 'a', true, { namespace: 'ns1', generation: 2 }))).toEqual([]);
    expect(touches(sliceObject('a-1', 'a', false, { namespace: 'ns1' }))).toEqual([]);
    expect(touches(sliceObject('a-2', 'a', false, { namespace: 'ns1' }))).toEqual([
      'Endpoints|ns1/a',
    ]);
    // A ready slice moving from Service a to b makes b ready; a stays unready.
    expect(touches(sliceObject('a-2', 'b', true, { namespace: 'ns1' }))).toEqual([
      'Endpoints|ns1/b',
    ]);
    expect(touches(sliceObject('a-2', 'b', true, { namespace: 'ns1' }), 'delete')).toEqual([
      'Endpoints|ns1/b',
    ]);
  });
});
