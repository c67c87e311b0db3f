/**
 * The dependency tracking of incremental passes: which Gslbs a change can
 * affect, after links and unlinks. The reconciler's use of it (every pass
 * equal to a full one) is proved in incremental-reconcile.test.ts.
 */
import { Dependents, touchesKinds } from '../../../../src/k8s/reconcile/dependents';

test('a change affects the Gslbs that read it, and a Gslb changed itself', () => {
  const dependents = new Dependents();
  dependents.link(
    'shop/web',
    new Set(['Gslb|shop/web', 'Ingress|shop/front', 'Endpoints|shop/web']),
  );
  dependents.link('shop/api', new Set(['Gslb|shop/api', 'Ingress|shop/*']));
  expect(dependents.affected(new Set(['Ingress|shop/front']))).toEqual(new Set(['shop/web']));
  expect(dependents.affected(new Set(['Ingress|shop/*', 'Endpoints|shop/web']))).toEqual(
    new Set(['shop/web', 'shop/api']),
  );
  // A new Gslb has no reads yet; a namespace scan of Gslbs names no Gslb.
  expect(dependents.affected(new Set(['Gslb|shop/new', 'Gslb|shop/*']))).toEqual(
    new Set(['shop/new']),
  );
  expect(dependents.affected(new Set(['Service|other/x']))).toEqual(new Set());
});

test('unlink forgets the reads of one Gslb only', () => {
  const dependents = new Dependents();
  const reads = new Set(['Service|shop/web', 'Hostname|lb.example.net']);
  dependents.link('shop/web', reads);
  dependents.link('shop/api', new Set(['Service|shop/web']));
  dependents.unlink('shop/web', reads);
  expect(dependents.affected(new Set(['Service|shop/web']))).toEqual(new Set(['shop/api']));
  expect(dependents.affected(new Set(['Hostname|lb.example.net']))).toEqual(new Set());
  dependents.unlink('shop/api', new Set(['Service|shop/web']));
  expect(dependents.affected(new Set(['Service|shop/web']))).toEqual(new Set());
});

test('touchesKinds tells whether any change is of the kinds named', () => {
  const changes = new Set(['Service|shop/web', 'Endpoints|shop/web']);
  expect(touchesKinds(changes, ['Gslb|', 'Ingress|'])).toBe(false);
  expect(touchesKinds(changes, ['Gslb|', 'Service|'])).toBe(true);
  expect(touchesKinds(new Set(), ['Gslb|'])).toBe(false);
});
