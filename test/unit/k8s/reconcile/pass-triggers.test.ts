/**
 * The objects behind the changes of a pass: the latest event per
 * dependency, its version and generation, taken once, and bounded.
 */
import { PassTriggers } from '../../../../src/k8s/reconcile/pass-triggers';
import type { KubeObject } from '../../../../src/k8s/client/kube-api';

function object(name: string, resourceVersion: string, extra: object = {}): KubeObject {
  return { metadata: { name, namespace: 'shop', resourceVersion, ...extra } };
}

test('the latest event that touched a dependency is its trigger, with version and generation', () => {
  const triggers = new PassTriggers();
  triggers.record('Gslb', object('web', '1', { generation: 1 }), ['Gslb|shop/web']);
  triggers.record('Gslb', object('web', '2', { generation: 2 }), ['Gslb|shop/web']);
  triggers.record('EndpointSlice', object('web-x', '3'), ['Endpoints|shop/web']);
  const taken = triggers.take();
  expect(Object.fromEntries(taken)).toEqual({
    'Gslb|shop/web': {
      kind: 'Gslb',
      namespace: 'shop',
      name: 'web',
      resourceVersion: '2',
      generation: 2,
    },
    'Endpoints|shop/web': {
      kind: 'EndpointSlice',
      namespace: 'shop',
      name: 'web-x',
      resourceVersion: '3',
    },
  });
  expect(triggers.take().size).toBe(0);
});

test('fields of the wrong type are left out rather than passed on', () => {
  const triggers = new PassTriggers();
  const hostile = { metadata: { name: 7, namespace: [], resourceVersion: {}, generation: '9' } };
  triggers.record('Ingress', hostile as unknown as KubeObject, ['Ingress|x/y']);
  expect(triggers.take().get('Ingress|x/y')).toEqual({ kind: 'Ingress', name: '' });
});

test('past its bound it remembers no new dependency but still updates known ones', () => {
  const triggers = new PassTriggers();
  const many = Array.from({ length: 10_005 }, (_, i) => `Ingress|shop/i${i}`);
  triggers.record('Ingress', object('i', '1'), many);
  triggers.record('Ingress', object('i', '2'), ['Ingress|shop/i0', 'Ingress|shop/new']);
  const taken = triggers.take();
  expect(taken.size).toBe(10_000);
  expect(taken.get('Ingress|shop/i0')?.resourceVersion).toBe('2');
  expect(taken.has('Ingress|shop/new')).toBe(false);
});
