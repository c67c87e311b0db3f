/**
 * The causes of a reconcile pass: each touched dependency that some Gslb
 * reads, as its kind, with the object and version of the event that touched
 * it and the Gslbs that read it; a deleted Gslb; a full pass as a resync.
 */
import { passCauses, type Trigger } from '../../../../src/k8s/reconcile/pass-causes';

const readers: Record<string, string[]> = {
  'Gslb|shop/web': ['shop/web'],
  'Gslb|shop/gone': ['shop/gone'],
  'Endpoints|shop/web': ['shop/web', 'shop/api'],
  'Ingress|shop/front': ['shop/web'],
  'Hostname|lb.example.net': ['shop/api'],
  'HTTPRoute|shop/r': ['shop/route'],
  'LegacyGslb|shop/old': ['shop/old@k8gb.absa.oss'],
};
const triggers = new Map<string, Trigger>([
  [
    'Gslb|shop/web',
    { kind: 'Gslb', namespace: 'shop', name: 'web', resourceVersion: '41', generation: 3 },
  ],
  [
    'Endpoints|shop/web',
    { kind: 'EndpointSlice', namespace: 'shop', name: 'web-abcde', resourceVersion: '42' },
  ],
]);
const context = {
  triggers,
  readers: (dependency: string) => readers[dependency] ?? [],
  gslbExists: (key: string) => key !== 'shop/gone',
};

test('each touched dependency some Gslb reads is a cause with its object, version and readers', () => {
  const causes = passCauses(
    new Set([
      'Gslb|shop/web',
      'Gslb|shop/*',
      'Endpoints|shop/web',
      'Ingress|shop/front',
      'Hostname|lb.example.net',
      'HTTPRoute|shop/r',
      'Service|shop/unread',
      'Table|shop/web',
      'Gslb|shop/gone',
      'LegacyGslb|shop/old',
    ]),
    context,
  );
  expect(causes).toEqual([
    {
      kind: 'gslb-changed',
      gslbs: ['shop/web'],
      object: {
        kind: 'Gslb',
        namespace: 'shop',
        name: 'web',
        resourceVersion: '41',
        generation: 3,
      },
    },
    {
      kind: 'endpoints-ready-changed',
      gslbs: ['shop/web', 'shop/api'],
      object: {
        kind: 'EndpointSlice',
        namespace: 'shop',
        name: 'web-abcde',
        resourceVersion: '42',
      },
    },
    { kind: 'ingress-changed', gslbs: ['shop/web'] },
    { kind: 'exposed-hostname-changed', gslbs: ['shop/api'], detail: 'lb.example.net' },
    { kind: 'route-changed', gslbs: ['shop/route'] },
    { kind: 'gslb-deleted', gslbs: ['shop/gone'] },
    { kind: 'gslb-changed', gslbs: ['shop/old@k8gb.absa.oss'] },
  ]);
});

test('a full pass is one resync cause', () => {
  expect(passCauses('all', context)).toEqual([
    { kind: 'resync', detail: 'a full pass over every Gslb' },
  ]);
});
