/**
 * The Ingress side of k8gb's contract (docs/k8gb-compatibility.md#ways-to-declare-a-gslb): the
 * Ingress an embedded Gslb owns is created, kept in line and removed with its Gslb, and an Ingress
 * annotated `k8gb.io/strategy` gets a Gslb made from it, with a deprecation Event, exactly as the
 * planned writes say.
 */
import { MANAGED_BY_LABEL } from '../../../../src/gslb/k8gb-naming';
import {
  ingressAnnotationGslb,
  ingressWrites,
  type AnnotationOutcome,
  type IngressSyncState,
} from '../../../../src/k8s/reconcile/ingress-sync';
import {
  ORPHAN_GRACE_MS,
  OrphanWatch,
  type OrphanClock,
} from '../../../../src/k8s/reconcile/orphans';
import type { KubeObject } from '../../../../src/k8s/client/kube-api';
import type { WatchedKind } from '../../../../src/k8s/ingest/object-index';
import type { PlannedWrite } from '../../../../src/k8s/reconcile/planned-write';
import {
  ANNOTATION_EXPOSED_IPS,
  GSLB_UID,
  MANAGED_BY,
  controller,
  gslbObject,
  indexOf,
  ingressObject,
  resolveContext,
  rules,
} from '../../../helpers/kube-objects';

const HOST = 'app.cloud.example.org';
const SPEC = { ingressClassName: 'nginx', rules: rules({ [HOST]: ['web'] }) };
const INGRESSES = '/apis/networking.k8s.io/v1/namespaces/shop/ingresses';
const GSLBS = '/apis/k8gb.io/v1beta1/namespaces/shop/gslbs';

function newState(): IngressSyncState {
  return { synced: new Map(), announced: new Set(), orphans: new OrphanWatch() };
}

/** The Gslb collection served since the start, at 1 s. */
const CLOCK: OrphanClock = { nowMs: 1_000, gslbsServedSince: 0 };

/** A write without its callback, for toEqual. */
function data(write: PlannedWrite | undefined): Omit<PlannedWrite, 'onSuccess'> | undefined {
  if (write === undefined) return undefined;
  return Object.fromEntries(Object.entries(write).filter(([k]) => k !== 'onSuccess')) as Omit<
    PlannedWrite,
    'onSuccess'
  >;
}

/** The Ingress Meridian made for the default Gslb, with `spec`. */
function madeIngress(
  spec: unknown,
  fixture: { uid?: string; owner?: string | null } = {},
): KubeObject {
  const owner = fixture.owner === undefined ? GSLB_UID : fixture.owner;
  return ingressObject('web', {
    uid: fixture.uid ?? 'made-uid',
    labels: { [MANAGED_BY]: 'gslb' },
    ...(owner === null
      ? {}
      : { ownerReferences: [controller('Gslb', 'web', owner, 'k8gb.io/v1beta1')] }),
    spec,
  });
}

describe('ingressWrites: the Ingress of an embedded Gslb', () => {
  test('MANAGED_BY_LABEL is k8gb’s label', () => {
    expect(MANAGED_BY_LABEL).toBe('app.k8gb.io/managed-by');
  });

  test('created when missing, labelled and owned by the Gslb', () => {
    const writes = ingressWrites(
      indexOf(['Gslb', gslbObject({ ingress: SPEC })]),
      newState(),
      CLOCK,
    );
    expect(writes.map(data)).toEqual([
      {
        key: 'ingress shop/web',
        kind: 'ingress',
        method: 'POST',
        path: INGRESSES,
        body: {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: {
            name: 'web',
            namespace: 'shop',
            labels: { 'app.k8gb.io/managed-by': 'gslb' },
            ownerReferences: [
              {
                apiVersion: 'k8gb.io/v1beta1',
                kind: 'Gslb',
                name: 'web',
                uid: GSLB_UID,
                controller: true,
              },
            ],
          },
          spec: SPEC,
        },
      },
    ]);
    expect(writes[0]?.onSuccess).toEqual(expect.any(Function));
  });

  test('no write when the Ingress has the spec, in any key order', () => {
    const reordered = { rules: SPEC.rules, ingressClassName: 'nginx' };
    const index = indexOf(
      ['Gslb', gslbObject({ ingress: SPEC })],
      ['Ingress', madeIngress(reordered)],
    );
    expect(ingressWrites(index, newState(), CLOCK)).toEqual([]);
  });

  test('a drifted Ingress is patched back, top-level fields that are not in the spec set to null', () => {
    const drifted = {
      rules: rules({ 'other.cloud.example.org': ['x'] }),
      defaultBackend: { service: { name: 'fallback', port: { number: 80 } } },
      tls: [{ hosts: [HOST], secretName: 'cert' }],
    };
    const index = indexOf(
      ['Gslb', gslbObject({ ingress: SPEC })],
      ['Ingress', madeIngress(drifted)],
    );
    const writes = ingressWrites(index, newState(), CLOCK);
    expect(writes.map(data)).toEqual([
      {
        key: 'ingress shop/web',
        kind: 'ingress',
        method: 'PATCH',
        path: `${INGRESSES}/web`,
        body: { spec: { ...SPEC, defaultBackend: null, tls: null } },
        bodyType: 'merge-patch',
      },
    ]);
    expect(writes[0]?.onSuccess).toEqual(expect.any(Function));
  });

  test('the spec the apiserver returned for a create is remembered: its defaults are no drift', () => {
    const state = newState();
    const gslb = gslbObject({ ingress: SPEC });
    const [create] = ingressWrites(indexOf(['Gslb', gslb]), state, CLOCK);
    const defaulted = { ...SPEC, rules: SPEC.rules, extra: { defaulted: true } };
    create?.onSuccess?.({ metadata: { name: 'web' }, spec: defaulted });
    expect(state.synced.get('shop/web')).toBeDefined();
    expect(
      ingressWrites(indexOf(['Gslb', gslb], ['Ingress', madeIngress(defaulted)]), state, CLOCK),
    ).toEqual([]);
    // Another change is drift again.
    const changed = { ...defaulted, ingressClassName: 'other' };
    const [patch] = ingressWrites(
      indexOf(['Gslb', gslb], ['Ingress', madeIngress(changed)]),
      state,
      CLOCK,
    );
    expect(data(patch)).toMatchObject({
      method: 'PATCH',
      body: { spec: { ...SPEC, extra: null } },
    });
  });

  test('the spec returned for a patch is remembered too', () => {
    const state = newState();
    const gslb = gslbObject({ ingress: SPEC });
    const [patch] = ingressWrites(
      indexOf(['Gslb', gslb], ['Ingress', madeIngress({ rules: [] })]),
      state,
      CLOCK,
    );
    const defaulted = { ...SPEC, extra: 1 };
    patch?.onSuccess?.({ spec: defaulted });
    expect(
      ingressWrites(indexOf(['Gslb', gslb], ['Ingress', madeIngress(defaulted)]), state, CLOCK),
    ).toEqual([]);
  });

  test('what was remembered for an older spec of the Gslb does not hide drift from the new one', () => {
    const state = newState();
    const [create] = ingressWrites(indexOf(['Gslb', gslbObject({ ingress: SPEC })]), state, CLOCK);
    create?.onSuccess?.({ spec: SPEC });
    const newSpec = { rules: rules({ [HOST]: ['web2'] }) };
    const writes = ingressWrites(
      indexOf(['Gslb', gslbObject({ ingress: newSpec })], ['Ingress', madeIngress(SPEC)]),
      state,
      CLOCK,
    );
    expect(writes.map(data)).toMatchObject([
      { method: 'PATCH', body: { spec: { ...newSpec, ingressClassName: null } } },
    ]);
  });

  test('a reply without a body remembers an empty spec', () => {
    const state = newState();
    const [create] = ingressWrites(indexOf(['Gslb', gslbObject({ ingress: SPEC })]), state, CLOCK);
    create?.onSuccess?.(undefined);
    expect(state.synced.get('shop/web')?.observed).toBe('{}');
  });

  test.each<[string, string | null]>([
    ['owned by another Gslb', 'someone-else'],
    ['without owner', null],
  ])('an Ingress of the same name %s is left alone', (_case, owner) => {
    const index = indexOf(
      ['Gslb', gslbObject({ ingress: SPEC })],
      [
        'Ingress',
        ingressObject('web', {
          spec: { rules: [] },
          ...(owner === null ? {} : { ownerReferences: [controller('Gslb', 'web', owner)] }),
        }),
      ],
    );
    expect(ingressWrites(index, newState(), CLOCK)).toEqual([]);
  });

  test('a Gslb with a resourceRef gets no Ingress even with spec.ingress', () => {
    const byName = gslbObject({
      ingress: SPEC,
      resourceRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'x' },
    });
    const bySelector = gslbObject({
      name: 'other',
      uid: 'u2',
      ingress: SPEC,
      resourceRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', matchLabels: { a: 'b' } },
    });
    expect(
      ingressWrites(indexOf(['Gslb', byName], ['Gslb', bySelector]), newState(), CLOCK),
    ).toEqual([]);
  });

  test('a Gslb without spec.ingress gets no Ingress', () => {
    expect(ingressWrites(indexOf(['Gslb', gslbObject()]), newState(), CLOCK)).toEqual([]);
  });
});

describe('ingressWrites: orphans', () => {
  const owner = gslbObject({ name: 'gone', uid: 'deleted-gslb', ingress: SPEC });
  const orphan = madeIngress(SPEC, { uid: 'orphan-uid', owner: 'deleted-gslb' });
  const at = (nowMs: number, gslbsServedSince: number | null = 0): OrphanClock => ({
    nowMs,
    gslbsServedSince,
  });
  const deletes = (writes: PlannedWrite[]): PlannedWrite[] =>
    writes.filter((w) => w.method === 'DELETE');

  test('a labelled Ingress whose Gslb was seen to go is deleted after the grace, with a uid precondition', () => {
    const state = newState();
    ingressWrites(indexOf(['Gslb', owner], ['Ingress', orphan]), state, at(1_000));
    // Gone at 2 s: not yet, then once the grace has passed.
    expect(deletes(ingressWrites(indexOf(['Ingress', orphan]), state, at(2_000)))).toEqual([]);
    expect(state.orphans.nextDueInMs(2_000)).toBe(ORPHAN_GRACE_MS);
    expect(
      deletes(ingressWrites(indexOf(['Ingress', orphan]), state, at(2_000 + ORPHAN_GRACE_MS - 1))),
    ).toEqual([]);
    expect(ingressWrites(indexOf(['Ingress', orphan]), state, at(2_000 + ORPHAN_GRACE_MS))).toEqual(
      [
        {
          key: 'ingress shop/web',
          kind: 'ingress',
          method: 'DELETE',
          path: `${INGRESSES}/web`,
          body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: 'orphan-uid' } },
        },
      ],
    );
  });

  test('missing data deletes nothing: an owner never seen, a Gslb list answering 404, a CRD served again', () => {
    // Never seen (deleted while Meridian was down, or a first list that answered 404).
    expect(deletes(ingressWrites(indexOf(['Ingress', orphan]), newState(), at(60_000)))).toEqual(
      [],
    );
    // Seen, then the collection is not served: pending deletions are forgotten.
    const notServed = newState();
    ingressWrites(indexOf(['Gslb', owner], ['Ingress', orphan]), notServed, at(1_000));
    ingressWrites(indexOf(['Ingress', orphan]), notServed, at(2_000, null));
    expect(deletes(ingressWrites(indexOf(['Ingress', orphan]), notServed, at(60_000)))).toEqual([]);
    // Gone, then the collection served again (a CRD removed and added back): gone
    // before it was served again counts for nothing.
    const readded = newState();
    ingressWrites(indexOf(['Gslb', owner], ['Ingress', orphan]), readded, at(1_000));
    ingressWrites(indexOf(['Ingress', orphan]), readded, at(2_000));
    expect(
      deletes(ingressWrites(indexOf(['Ingress', orphan]), readded, at(60_000, 30_000))),
    ).toEqual([]);
  });

  test('an owner that comes back is no longer pending', () => {
    const state = newState();
    ingressWrites(indexOf(['Gslb', owner], ['Ingress', orphan]), state, at(1_000));
    ingressWrites(indexOf(['Ingress', orphan]), state, at(2_000));
    ingressWrites(indexOf(['Gslb', owner], ['Ingress', orphan]), state, at(3_000));
    expect(state.orphans.nextDueInMs(3_000)).toBeNull();
    expect(
      deletes(ingressWrites(indexOf(['Gslb', owner], ['Ingress', orphan]), state, at(60_000))),
    ).toEqual([]);
  });

  test.each<[string, KubeObject, [WatchedKind, KubeObject][]]>([
    ['the Gslb still exists', madeIngress(SPEC), [['Gslb', gslbObject({ ingress: SPEC })]]],
    [
      'its Gslb exists under another name',
      madeIngress(SPEC),
      [
        [
          'Gslb',
          gslbObject({
            name: 'renamed',
            resourceRef: { apiVersion: 'v1', kind: 'Service', name: 'x' },
          }),
        ],
      ],
    ],
    ['it has no controller', madeIngress(SPEC, { owner: null }), []],
    [
      'it lacks the label',
      ingressObject('web', {
        ownerReferences: [controller('Gslb', 'web', 'deleted-gslb', 'k8gb.io/v1beta1')],
      }),
      [],
    ],
    [
      'the label has another value',
      ingressObject('web', {
        labels: { [MANAGED_BY]: 'someone' },
        ownerReferences: [controller('Gslb', 'web', 'deleted-gslb', 'k8gb.io/v1beta1')],
      }),
      [],
    ],
  ])('not deleted when %s', (_case, ingress, others) => {
    const writes = ingressWrites(indexOf(['Ingress', ingress], ...others), newState(), CLOCK);
    expect(writes.filter((w) => w.method === 'DELETE')).toEqual([]);
  });

  // Regression: isOrphan() used to check only the managed-by label and that
  // the controller uid was not the uid of a watched k8gb.io Gslb, not the
  // owner's kind or apiVersion. An Ingress created by a legacy
  // k8gb.absa.oss/v1beta1 Gslb (docs/k8gb-compatibility.md#api-groups: still reconciled,
  // migrated per object) carries the same label and is owned by a Gslb
  // Meridian does not watch, so Meridian deleted it: the application's
  // Ingress disappeared.
  test('an Ingress owned by a legacy k8gb.absa.oss Gslb is not deleted', () => {
    const legacy = ingressObject('web', {
      labels: { [MANAGED_BY]: 'gslb' },
      ownerReferences: [controller('Gslb', 'web', 'legacy-gslb-uid', 'k8gb.absa.oss/v1beta1')],
      hosts: { 'app.cloud.example.org': ['web'] },
    });
    expect(ingressWrites(indexOf(['Ingress', legacy]), newState(), CLOCK)).toEqual([]);
  });

  // Regression, same cause: any controlling owner that is not a watched Gslb counted.
  test('a labelled Ingress controlled by something other than a Gslb is not deleted', () => {
    const foreign = ingressObject('web', {
      labels: { [MANAGED_BY]: 'gslb' },
      ownerReferences: [controller('Application', 'web', 'app-uid', 'argoproj.io/v1alpha1')],
    });
    expect(ingressWrites(indexOf(['Ingress', foreign]), newState(), CLOCK)).toEqual([]);
  });

  test('what was remembered is forgotten once both the Gslb and its Ingress are gone', () => {
    const state = newState();
    const gslb = gslbObject({ ingress: SPEC });
    ingressWrites(indexOf(['Gslb', gslb]), state, CLOCK)[0]?.onSuccess?.({ spec: SPEC });
    ingressWrites(indexOf(['Ingress', madeIngress(SPEC)]), state, CLOCK);
    expect([...state.synced.keys()]).toEqual(['shop/web']);
    ingressWrites(indexOf(['Gslb', gslb]), state, CLOCK);
    expect([...state.synced.keys()]).toEqual(['shop/web']);
    ingressWrites(indexOf(), state, CLOCK);
    expect([...state.synced.keys()]).toEqual([]);
  });
});

describe('ingressAnnotationGslb (deprecated k8gb.io/strategy on an Ingress)', () => {
  const ctx = resolveContext();

  function annotated(
    annotations: Record<string, string>,
    fixture: { uid?: string; labels?: Record<string, string> } = {},
  ): KubeObject {
    return ingressObject('front', {
      uid: fixture.uid ?? 'front-uid',
      annotations,
      hosts: { [HOST]: ['web'] },
      ...(fixture.labels === undefined ? {} : { labels: fixture.labels }),
    });
  }

  /** The Gslb made earlier for `front`, owned by it (or by `ownerUid`). */
  function madeGslb(
    strategy: unknown,
    annotations: Record<string, string> = {},
    ownerUid: string | null = 'front-uid',
  ): KubeObject {
    return gslbObject({
      name: 'front',
      uid: 'made-gslb',
      annotations,
      strategy,
      resourceRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'front' },
      ...(ownerUid === null
        ? {}
        : { ownerReferences: [controller('Ingress', 'front', ownerUid, 'networking.k8s.io/v1')] }),
    });
  }

  const involved = (uid = 'front-uid') => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    namespace: 'shop',
    name: 'front',
    uid,
  });

  const deprecation = (uid = 'front-uid'): AnnotationOutcome => ({
    kind: 'event',
    event: {
      involved: involved(uid),
      type: 'Warning',
      reason: 'DeprecatedAnnotation',
      message:
        'k8gb.io/strategy on an Ingress is deprecated (as in k8gb); Meridian keeps Gslb shop/front in line with it. Declare a Gslb with spec.resourceRef to this Ingress instead.',
    },
  });

  const create = (
    strategy: unknown,
    annotations: Record<string, string> = {},
    uid = 'front-uid',
  ): AnnotationOutcome => ({
    kind: 'write',
    write: {
      key: 'gslb shop/front',
      kind: 'gslb',
      method: 'POST',
      path: GSLBS,
      body: {
        apiVersion: 'k8gb.io/v1beta1',
        kind: 'Gslb',
        metadata: {
          name: 'front',
          namespace: 'shop',
          annotations,
          ownerReferences: [
            {
              apiVersion: 'networking.k8s.io/v1',
              kind: 'Ingress',
              name: 'front',
              uid,
              controller: true,
            },
          ],
        },
        spec: {
          resourceRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'front' },
          strategy,
        },
      },
    },
  });

  test.each<[string, Record<string, string>, unknown, Record<string, string>]>([
    [
      'roundRobin, default TTL',
      { 'k8gb.io/strategy': 'roundRobin' },
      { type: 'roundRobin', dnsTtlSeconds: 30 },
      {},
    ],
    [
      'failover with primary and TTL',
      {
        'k8gb.io/strategy': 'failover',
        'k8gb.io/primary-geotag': 'eu',
        'k8gb.io/dns-ttl-seconds': '60',
      },
      { type: 'failover', dnsTtlSeconds: 60, primaryGeoTag: 'eu' },
      {},
    ],
    [
      'geoip with exposed IPs copied to the Gslb',
      {
        'k8gb.io/strategy': 'geoip',
        'k8gb.io/dns-ttl-seconds': '0',
        [ANNOTATION_EXPOSED_IPS]: '192.0.2.1',
        other: 'x',
      },
      { type: 'geoip', dnsTtlSeconds: 0 },
      { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' },
    ],
  ])(
    'creates a Gslb owned by the Ingress (%s), with a deprecation Event',
    (_case, annotations, strategy, gslbAnnotations) => {
      const out = ingressAnnotationGslb(
        indexOf(['Ingress', annotated(annotations)]),
        newState(),
        ctx,
      );
      expect(out).toEqual([deprecation(), create(strategy, gslbAnnotations)]);
    },
  );

  test('the deprecation Event is sent once per Ingress; a recreated Ingress gets its own', () => {
    const state = newState();
    const strategy = { type: 'roundRobin', dnsTtlSeconds: 30 };
    const index = indexOf(['Ingress', annotated({ 'k8gb.io/strategy': 'roundRobin' })]);
    expect(ingressAnnotationGslb(index, state, ctx)).toEqual([deprecation(), create(strategy)]);
    // The create has not landed yet: planned again, without a second Event.
    expect(ingressAnnotationGslb(index, state, ctx)).toEqual([create(strategy)]);
    const done = indexOf(
      ['Ingress', annotated({ 'k8gb.io/strategy': 'roundRobin' })],
      ['Gslb', madeGslb(strategy)],
    );
    expect(ingressAnnotationGslb(done, state, ctx)).toEqual([]);
    // Deleted: forgotten.
    expect(ingressAnnotationGslb(indexOf(), state, ctx)).toEqual([]);
    expect(state.announced.size).toBe(0);
    // Recreated with a new uid.
    const again = indexOf([
      'Ingress',
      annotated({ 'k8gb.io/strategy': 'roundRobin' }, { uid: 'front-uid-2' }),
    ]);
    expect(ingressAnnotationGslb(again, state, ctx)).toEqual([
      deprecation('front-uid-2'),
      create(strategy, {}, 'front-uid-2'),
    ]);
  });

  test.each<[string, Record<string, string>, string]>([
    [
      'an unknown strategy',
      { 'k8gb.io/strategy': 'RoundRobin' },
      'k8gb.io/strategy must be one of roundRobin, failover, geoip, found "RoundRobin"',
    ],
    [
      'an empty strategy',
      { 'k8gb.io/strategy': '' },
      'k8gb.io/strategy must be one of roundRobin, failover, geoip, found ""',
    ],
    [
      'failover without primary',
      { 'k8gb.io/strategy': 'failover' },
      'k8gb.io/primary-geotag is required with k8gb.io/strategy: failover',
    ],
    [
      'failover with an empty primary',
      { 'k8gb.io/strategy': 'failover', 'k8gb.io/primary-geotag': '' },
      'k8gb.io/primary-geotag is required with k8gb.io/strategy: failover',
    ],
    [
      'a TTL that is not a number',
      { 'k8gb.io/strategy': 'roundRobin', 'k8gb.io/dns-ttl-seconds': 'abc' },
      'k8gb.io/dns-ttl-seconds must be a whole number of seconds, found "abc"',
    ],
    [
      'a negative TTL',
      { 'k8gb.io/strategy': 'roundRobin', 'k8gb.io/dns-ttl-seconds': '-1' },
      'k8gb.io/dns-ttl-seconds must be a whole number of seconds, found "-1"',
    ],
    [
      'a fractional TTL',
      { 'k8gb.io/strategy': 'geoip', 'k8gb.io/dns-ttl-seconds': '1.5' },
      'k8gb.io/dns-ttl-seconds must be a whole number of seconds, found "1.5"',
    ],
  ])('%s: one InvalidAnnotation Event, no Gslb', (_case, annotations, message) => {
    const state = newState();
    const index = indexOf(['Ingress', annotated(annotations)]);
    expect(ingressAnnotationGslb(index, state, ctx)).toEqual([
      {
        kind: 'event',
        event: { involved: involved(), type: 'Warning', reason: 'InvalidAnnotation', message },
      },
    ]);
    expect(ingressAnnotationGslb(index, state, ctx)).toEqual([]);
  });

  test('an invalid annotation with a new problem gets a new Event; fixing it creates the Gslb', () => {
    const state = newState();
    const first = indexOf(['Ingress', annotated({ 'k8gb.io/strategy': 'failover' })]);
    expect(ingressAnnotationGslb(first, state, ctx)).toHaveLength(1);
    const second = indexOf(['Ingress', annotated({ 'k8gb.io/strategy': 'nope' })]);
    expect(
      ingressAnnotationGslb(second, state, ctx).map((o) => o.kind === 'event' && o.event.reason),
    ).toEqual(['InvalidAnnotation']);
    const fixed = indexOf(['Ingress', annotated({ 'k8gb.io/strategy': 'geoip' })]);
    expect(ingressAnnotationGslb(fixed, state, ctx)).toEqual([
      deprecation(),
      create({ type: 'geoip', dnsTtlSeconds: 30 }),
    ]);
  });

  test('changed annotations patch the strategy and exposed IPs of the Gslb it owns', () => {
    const index = indexOf(
      [
        'Ingress',
        annotated({
          'k8gb.io/strategy': 'failover',
          'k8gb.io/primary-geotag': 'us',
          'k8gb.io/dns-ttl-seconds': '45',
          [ANNOTATION_EXPOSED_IPS]: '192.0.2.9',
        }),
      ],
      ['Gslb', madeGslb({ type: 'roundRobin', dnsTtlSeconds: 30, weight: { eu: 1 } })],
    );
    const out = ingressAnnotationGslb(index, newState(), ctx);
    expect(out).toEqual([
      deprecation(),
      {
        kind: 'write',
        write: {
          key: 'gslb shop/front',
          kind: 'gslb',
          method: 'PATCH',
          path: `${GSLBS}/front`,
          body: {
            metadata: { annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.9' } },
            spec: { strategy: { type: 'failover', dnsTtlSeconds: 45, primaryGeoTag: 'us' } },
          },
          bodyType: 'merge-patch',
        },
      },
    ]);
  });

  test('a removed primary and exposed-IP annotation are patched away with null; weights are not touched', () => {
    const index = indexOf(
      ['Ingress', annotated({ 'k8gb.io/strategy': 'roundRobin' })],
      [
        'Gslb',
        madeGslb(
          { type: 'failover', dnsTtlSeconds: 30, primaryGeoTag: 'eu' },
          { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' },
        ),
      ],
    );
    const state = newState();
    state.announced.add('front-uid');
    expect(ingressAnnotationGslb(index, state, ctx)).toEqual([
      {
        kind: 'write',
        write: {
          key: 'gslb shop/front',
          kind: 'gslb',
          method: 'PATCH',
          path: `${GSLBS}/front`,
          body: {
            metadata: { annotations: { [ANNOTATION_EXPOSED_IPS]: null } },
            spec: { strategy: { type: 'roundRobin', dnsTtlSeconds: 30, primaryGeoTag: null } },
          },
          bodyType: 'merge-patch',
        },
      },
    ]);
  });

  test('only a changed exposed-IP annotation is a change too', () => {
    const strategy = { type: 'roundRobin', dnsTtlSeconds: 30 };
    const index = indexOf(
      [
        'Ingress',
        annotated({ 'k8gb.io/strategy': 'roundRobin', [ANNOTATION_EXPOSED_IPS]: '192.0.2.2' }),
      ],
      ['Gslb', madeGslb(strategy, { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' })],
    );
    const out = ingressAnnotationGslb(index, newState(), ctx);
    expect(out.map((o) => (o.kind === 'write' ? o.write.body : o.event.reason))).toEqual([
      'DeprecatedAnnotation',
      {
        metadata: { annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.2' } },
        spec: { strategy: { ...strategy, primaryGeoTag: null } },
      },
    ]);
  });

  test('an owned Gslb in line with the annotations (extra fields such as weights aside) needs no write', () => {
    const index = indexOf(
      [
        'Ingress',
        annotated({ 'k8gb.io/strategy': 'roundRobin', [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' }),
      ],
      [
        'Gslb',
        madeGslb(
          { type: 'roundRobin', dnsTtlSeconds: 30, weight: { eu: 5 } },
          { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' },
        ),
      ],
    );
    expect(ingressAnnotationGslb(index, newState(), ctx)).toEqual([deprecation()]);
  });

  test.each<[string, string | null]>([
    ['a Gslb of the same name the Ingress does not own', 'another-ingress'],
    ['a Gslb of the same name without owner', null],
  ])('%s is left alone, without any Event', (_case, owner) => {
    const index = indexOf(
      ['Ingress', annotated({ 'k8gb.io/strategy': 'failover', 'k8gb.io/primary-geotag': 'eu' })],
      ['Gslb', madeGslb({ type: 'roundRobin' }, {}, owner)],
    );
    expect(ingressAnnotationGslb(index, newState(), ctx)).toEqual([]);
  });

  test('an Ingress Meridian manages for an embedded Gslb is skipped', () => {
    const index = indexOf([
      'Ingress',
      annotated({ 'k8gb.io/strategy': 'roundRobin' }, { labels: { [MANAGED_BY]: 'gslb' } }),
    ]);
    expect(ingressAnnotationGslb(index, newState(), ctx)).toEqual([]);
  });

  test('an Ingress without k8gb.io/strategy is ignored, even with other k8gb annotations', () => {
    const index = indexOf([
      'Ingress',
      annotated({ 'k8gb.io/primary-geotag': 'eu', [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' }),
    ]);
    expect(ingressAnnotationGslb(index, newState(), ctx)).toEqual([]);
  });

  test('the default TTL is the context’s', () => {
    const out = ingressAnnotationGslb(
      indexOf(['Ingress', annotated({ 'k8gb.io/strategy': 'roundRobin' })]),
      newState(),
      { ...ctx, defaultTtlSeconds: 77 },
    );
    expect(out[1]).toEqual(create({ type: 'roundRobin', dnsTtlSeconds: 77 }));
  });
});
