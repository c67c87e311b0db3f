/**
 * Kubernetes mode's provenance, what explain shows as "where this health
 * came from": each host's health with the Service and the EndpointSlices
 * read, and the exposed addresses with the field or setting they came from
 * in k8gb's precedence.
 */
import { KubeProvenance } from '../../../src/k8s/kube-provenance';
import type { KubeObject } from '../../../src/k8s/client/kube-api';
import type { ObjectIndex, WatchedKind } from '../../../src/k8s/ingest/object-index';
import type { Resolution } from '../../../src/k8s/reconcile/resolution';
import { resolveGslb } from '../../../src/k8s/reconcile/resolve-gslb';
import {
  ANNOTATION_EXPOSED_HOSTNAMES,
  ANNOTATION_EXPOSED_IPS,
  backend,
  gslbObject,
  indexOf,
  NS,
  resolveContext,
  resolvedTo,
  rules,
  serviceObject,
} from '../../helpers/kube-objects';

const HOST = 'web.cloud.example.org';
const OTHER = 'api.cloud.example.org';

/** The provenance of the only Gslb among `entries`, resolved as a pass would. */
function provenanceOf(
  gslb: KubeObject,
  entries: [WatchedKind, KubeObject][],
  clusterExposedIps: string[] = [],
) {
  const index: ObjectIndex = indexOf(['Gslb', gslb], ...entries);
  const [source] = index.allGslbs();
  const ctx = resolveContext({
    names: { 'lb.example.net': resolvedTo('198.51.100.9') },
    clusterExposedIps,
  });
  const resolutions = new Map<string, Resolution>([[source!.id, resolveGslb(source!, index, ctx)]]);
  return new KubeProvenance(index, () => resolutions, clusterExposedIps).provenanceOf(source!.id);
}

const embedded = (annotations: Record<string, string>) =>
  gslbObject({
    annotations,
    ingress: { rules: rules({ [HOST]: ['web'], [OTHER]: ['api'] }) },
  });

describe('KubeProvenance', () => {
  test('each host: its health, the Service and the ready EndpointSlices read, or why none', () => {
    const provenance = provenanceOf(embedded({ [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' }), [
      ...backend('web'),
      ['Service', serviceObject('api')],
    ]);
    expect(provenance?.gslb).toEqual({ kind: 'Gslb', namespace: NS, name: 'web', generation: 1 });
    const web = provenance?.hosts.find((h) => h.host === HOST);
    expect(web?.health).toBe('Healthy');
    expect(web?.detail).toContain(`Service ${NS}/web ready (EndpointSlices web-abcde)`);
    expect(web?.reads).toEqual([
      { kind: 'Service', namespace: NS, name: 'web' },
      { kind: 'EndpointSlice', namespace: NS, name: 'web-abcde' },
    ]);
    const api = provenance?.hosts.find((h) => h.host === OTHER);
    expect(api?.health).toBe('Unhealthy');
    expect(api?.detail).toContain(`Service ${NS}/api has no ready endpoint`);
    expect(api?.reads).toEqual([{ kind: 'Service', namespace: NS, name: 'api' }]);
  });

  test('a Service that does not exist is named as not found', () => {
    const provenance = provenanceOf(embedded({ [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' }), []);
    const web = provenance?.hosts.find((h) => h.host === HOST);
    expect(web?.detail).toContain(`Service ${NS}/web not found`);
    expect(web?.health).not.toBe('Healthy');
  });

  test.each([
    [
      'the exposed-hostnames annotation first',
      { [ANNOTATION_EXPOSED_HOSTNAMES]: 'lb.example.net', [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' },
      [],
      `annotation ${ANNOTATION_EXPOSED_HOSTNAMES} (lb.example.net)`,
    ],
    [
      'then the exposed-ip-addresses annotation',
      { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' },
      ['203.0.113.1'],
      `annotation ${ANNOTATION_EXPOSED_IPS}`,
    ],
    ['then CLUSTER_EXPOSED_IPS', {}, ['203.0.113.1'], 'CLUSTER_EXPOSED_IPS'],
    ['else the embedded Ingress status', {}, [], 'status.loadBalancer of the embedded Ingress'],
  ])('exposed addresses: %s', (_what, annotations, clusterIps, from) => {
    const provenance = provenanceOf(embedded(annotations), backend('web'), clusterIps);
    expect(provenance?.exposed).toHaveLength(1);
    expect(provenance?.exposed[0]?.from).toBe(from);
  });

  test('a resourceRef by name is the object the addresses came from', () => {
    const provenance = provenanceOf(
      gslbObject({
        resourceRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'front' },
      }),
      [],
    );
    expect(provenance?.exposed[0]).toMatchObject({
      from: 'status.loadBalancer of the resourceRef Ingress front',
      object: { kind: 'Ingress', namespace: NS, name: 'front' },
    });
  });

  test('an unknown Gslb, or one no pass has resolved yet, has no provenance', () => {
    const index = indexOf(['Gslb', gslbObject()]);
    const [source] = index.allGslbs();
    expect(new KubeProvenance(index, () => null, []).provenanceOf(source!.id)).toBeNull();
    expect(new KubeProvenance(index, () => new Map(), []).provenanceOf('shop/nope')).toBeNull();
  });
});
