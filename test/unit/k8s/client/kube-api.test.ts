/**
 * The plain parts of the apiserver interface: REST paths of collections and
 * objects (core group under /api, others under /apis) and the request error.
 */
import {
  KubeRequestError,
  collectionPath,
  objectPath,
  type WatchedResource,
} from '../../../../src/k8s/client/kube-api';
import { RESOURCES } from '../../../../src/k8s/ingest/object-index';

const SERVICES: WatchedResource = { group: '', version: 'v1', plural: 'services' };

describe('collectionPath', () => {
  test.each<[WatchedResource, string | undefined, string]>([
    [SERVICES, undefined, '/api/v1/services'],
    [SERVICES, 'shop', '/api/v1/namespaces/shop/services'],
    [RESOURCES.Gslb, undefined, '/apis/k8gb.io/v1beta1/gslbs'],
    [
      RESOURCES.EndpointSlice,
      'kube-system',
      '/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices',
    ],
    [
      RESOURCES.HTTPRoute,
      'a b/c',
      '/apis/gateway.networking.k8s.io/v1/namespaces/a%20b%2Fc/httproutes',
    ],
  ])('%j in %s → %s', (resource, namespace, path) => {
    expect(collectionPath(resource, namespace)).toBe(path);
  });
});

describe('objectPath', () => {
  test.each<[WatchedResource, string, string, string]>([
    [SERVICES, 'shop', 'web', '/api/v1/namespaces/shop/services/web'],
    [
      RESOURCES.Ingress,
      'shop',
      'front',
      '/apis/networking.k8s.io/v1/namespaces/shop/ingresses/front',
    ],
    [RESOURCES.Gslb, 'shop', 'we/b?x', '/apis/k8gb.io/v1beta1/namespaces/shop/gslbs/we%2Fb%3Fx'],
  ])('%j %s/%s → %s', (resource, namespace, name, path) => {
    expect(objectPath(resource, namespace, name)).toBe(path);
  });
});

describe('KubeRequestError', () => {
  test('carries the message, the HTTP status and the cause', () => {
    const cause = new Error('socket hang up');
    const error = new KubeRequestError('list services failed', 503, { cause });
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.message, error.statusCode, error.cause]).toEqual([
      'KubeRequestError',
      'list services failed',
      503,
      cause,
    ]);
  });

  test('has no status when no answer came', () => {
    expect(new KubeRequestError('connect ECONNREFUSED', undefined).statusCode).toBeUndefined();
  });
});
