/**
 * One reconcile pass over every Gslb, with a fake table that returns the
 * build problems a test gives it: what is served (and which problems keep the
 * last good records), which status writes are planned and when they are not
 * planned again, and the Events on entering a problem and on recovery.
 */
import type { BuildProblem } from '../../../../src/table/build-snapshot';
import type { GslbRecord } from '../../../../src/table/model';
import type { ServedHost } from '../../../../src/serving/served-hosts';
import {
  GslbReconciler,
  type PassResult,
  type ReconcilerOptions,
} from '../../../../src/k8s/reconcile/gslb-reconciler';
import type { KubeObject } from '../../../../src/k8s/client/kube-api';
import type { ObjectIndex, WatchedKind } from '../../../../src/k8s/ingest/object-index';
import type { PlannedWrite } from '../../../../src/k8s/reconcile/planned-write';
import type { HostnameLookup } from '../../../../src/k8s/reconcile/resolution';
import {
  ANNOTATION_EXPOSED_HOSTNAMES,
  ANNOTATION_EXPOSED_IPS,
  GSLB_UID,
  backend,
  gslbObject,
  indexOf,
  ingressObject,
  resolveContext,
  resolvedTo,
  rules,
  type GslbFixture,
  GSLB_CLAIM,
} from '../../../helpers/kube-objects';
import { table } from '../../../helpers/table-fixtures';

const HOST = 'app.cloud.example.org';
const NOW = new Date('2026-03-01T12:34:56.789Z');
const NOW_TEXT = '2026-03-01T12:34:56Z';
const STATUS_PATH = '/apis/k8gb.io/v1beta1/namespaces/shop/gslbs/web/status';
const RECORD: GslbRecord = {
  id: 'shop/web',
  hosts: [HOST],
  strategy: 'roundRobin',
  ttlSeconds: 30,
  claim: GSLB_CLAIM,
  clusters: [{ geoTag: 'eu', addresses: ['192.0.2.10'] }],
};
const NAMES: Record<string, HostnameLookup> = {
  'failing.example.net': { state: 'failed', error: 'SERVFAIL' },
  'lb.example.net': resolvedTo('203.0.113.1'),
};

let problems: BuildProblem[];
let served: (readonly GslbRecord[])[];
let names: Record<string, HostnameLookup>;

function makeReconciler(options: Partial<ReconcilerOptions> = {}): GslbReconciler {
  return new GslbReconciler({
    context: resolveContext({ names }),
    geoTag: 'eu',
    now: () => NOW,
    serve: (records) => {
      served.push(records);
      return problems;
    },
    ...options,
  });
}

beforeEach(() => {
  problems = [];
  served = [];
  names = { ...NAMES };
});

/** Gslb shop/web → Ingress shop/front (host HOST, backend web), exposed IP 192.0.2.10. */
function gslb(fixture: GslbFixture = {}): KubeObject {
  return gslbObject({
    annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.10' },
    resourceRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'front' },
    ...fixture,
  });
}

const FRONT: [WatchedKind, KubeObject] = [
  'Ingress',
  ingressObject('front', { hosts: { [HOST]: ['web'] } }),
];

/** The index of a working setup, with `gslbObject` and anything else given. */
function world(
  gslbObject: KubeObject = gslb(),
  ...others: [WatchedKind, KubeObject][]
): ObjectIndex {
  return indexOf(['Gslb', gslbObject], FRONT, ...backend('web'), ...others);
}

const ofKind = (result: PassResult, kind: PlannedWrite['kind']): PlannedWrite[] =>
  result.writes.filter((w) => w.kind === kind);

/** The body of each planned Event write. */
function events(result: PassResult): { type: string; reason: string; message: string }[] {
  return ofKind(result, 'event').map((w) => {
    const { type, reason, message } = w.body as { type: string; reason: string; message: string };
    return { type, reason, message };
  });
}

/** The Gslb as the apiserver holds it after `write` landed. */
function afterWrite(object: KubeObject, write: PlannedWrite): KubeObject {
  const status = (write.body as { status: Record<string, unknown> }).status;
  return { ...object, status: JSON.parse(JSON.stringify(status)) as unknown };
}

const warning = (reason: string, message: string): ReturnType<typeof events>[number] => ({
  type: 'Warning',
  reason,
  message,
});

describe('records', () => {
  test('every Gslb is resolved and its records served once per pass', () => {
    const other = gslbObject({
      name: 'api',
      uid: 'api-uid',
      annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.20' },
      ingress: { rules: rules({ 'api.cloud.example.org': ['web'] }) },
    });
    const result = makeReconciler().pass(world(gslb(), ['Gslb', other]));
    const api: GslbRecord = {
      ...RECORD,
      id: 'shop/api',
      hosts: ['api.cloud.example.org'],
      claim: { ...GSLB_CLAIM, tiebreak: 'api-uid' },
      clusters: [{ geoTag: 'eu', addresses: ['192.0.2.20'] }],
    };
    expect(served).toEqual([[RECORD, api]]);
    expect(result.records).toEqual([RECORD, api]);
    expect([...result.resolutions.keys()]).toEqual(['shop/web', 'shop/api']);
    expect(result.resolutions.get('shop/web')?.reason).toBe('Serving');
  });

  test.each<[string, () => ObjectIndex, string, readonly GslbRecord[]]>([
    [
      'the spec turns invalid',
      () => world(gslb({ strategy: { type: 'manual' } })),
      'InvalidSpec',
      [RECORD],
    ],
    [
      'an exposed host name fails to resolve',
      () => world(gslb({ annotations: { [ANNOTATION_EXPOSED_HOSTNAMES]: 'failing.example.net' } })),
      'ExposedAddressesUnresolved',
      [RECORD],
    ],
    [
      'an exposed host name is looked up for the first time',
      () => world(gslb({ annotations: { [ANNOTATION_EXPOSED_HOSTNAMES]: 'new.example.net' } })),
      'ExposedAddressesUnresolved',
      [RECORD],
    ],
    [
      'the referenced Ingress is deleted',
      () => indexOf(['Gslb', gslb()], ...backend('web')),
      'ResourceNotFound',
      [],
    ],
    [
      'the host leaves the zones',
      () =>
        indexOf(
          ['Gslb', gslb()],
          ['Ingress', ingressObject('front', { hosts: { 'app.example.com': ['web'] } })],
        ),
      'NoHostInZone',
      [],
    ],
    [
      'the reference turns unsupported',
      () => world(gslb({ resourceRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'x' } })),
      'UnsupportedResource',
      [],
    ],
  ])('when %s (%s) the last good records are served: %j', (_case, changed, reason, expected) => {
    const reconciler = makeReconciler();
    expect(reconciler.pass(world()).records).toEqual([RECORD]);
    const result = reconciler.pass(changed());
    expect(result.resolutions.get('shop/web')?.reason).toBe(reason);
    expect(result.records).toEqual(expected);
    expect(served.at(-1)).toEqual(expected);
  });

  test('a Gslb that was never good serves nothing while invalid', () => {
    expect(makeReconciler().pass(world(gslb({ strategy: {} }))).records).toEqual([]);
  });

  test('after ResourceNotFound dropped them, an invalid spec has no last good records to keep', () => {
    const reconciler = makeReconciler();
    reconciler.pass(world());
    reconciler.pass(indexOf(['Gslb', gslb()]));
    expect(reconciler.pass(world(gslb({ strategy: {} }))).records).toEqual([]);
  });

  test('the last good records are the newest good ones', () => {
    const reconciler = makeReconciler();
    reconciler.pass(world());
    reconciler.pass(world(gslb({ annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.11' } })));
    const result = reconciler.pass(world(gslb({ strategy: {} })));
    expect(result.records).toEqual([
      { ...RECORD, clusters: [{ geoTag: 'eu', addresses: ['192.0.2.11'] }] },
    ]);
  });

  test('the last good records are forgotten with the Gslb', () => {
    const reconciler = makeReconciler();
    reconciler.pass(world());
    reconciler.pass(indexOf(FRONT));
    expect(reconciler.pass(world(gslb({ strategy: {} }))).records).toEqual([]);
  });

  test('last good records are kept per Gslb uid', () => {
    const reconciler = makeReconciler();
    reconciler.pass(world());
    expect(reconciler.pass(world(gslb({ uid: 'recreated', strategy: {} }))).records).toEqual([]);
  });
});

describe('status writes', () => {
  test('the first pass writes the status as a merge patch of the status subresource', () => {
    const [write, ...rest] = ofKind(makeReconciler().pass(world()), 'status');
    expect(rest).toEqual([]);
    expect(write).toEqual({
      key: 'status shop/web',
      kind: 'status',
      method: 'PATCH',
      path: STATUS_PATH,
      bodyType: 'merge-patch',
      onSuccess: expect.any(Function),
      body: {
        status: {
          serviceHealth: { [HOST]: 'Healthy' },
          healthyRecords: { [HOST]: ['192.0.2.10'] },
          geoTag: 'eu',
          hosts: HOST,
          loadBalancer: { exposedIps: ['192.0.2.10'] },
          servers: [{ host: HOST, services: [{ name: 'web', namespace: 'shop' }] }],
          observedGeneration: 1,
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'Serving',
              message: '1 host: 1 Healthy',
              observedGeneration: 1,
              lastTransitionTime: NOW_TEXT,
            },
          ],
        },
      },
    });
  });

  test('no write when the object already has the status', () => {
    const reconciler = makeReconciler();
    const [write] = ofKind(reconciler.pass(world()), 'status');
    expect(ofKind(reconciler.pass(world(afterWrite(gslb(), write!))), 'status')).toEqual([]);
  });

  test('until the write is known to have landed, it is planned again', () => {
    const reconciler = makeReconciler();
    ofKind(reconciler.pass(world()), 'status');
    expect(ofKind(reconciler.pass(world()), 'status')).toHaveLength(1);
  });

  test('once onSuccess recorded it, the same status is not planned again while the watch lags', () => {
    const reconciler = makeReconciler();
    const [write] = ofKind(reconciler.pass(world()), 'status');
    write?.onSuccess?.({});
    expect(ofKind(reconciler.pass(world()), 'status')).toEqual([]);
    expect(ofKind(reconciler.pass(world()), 'status')).toEqual([]);
  });

  test('a status the apiserver stores differently is not rewritten after it was written once', () => {
    const reconciler = makeReconciler();
    const [write] = ofKind(reconciler.pass(world()), 'status');
    write?.onSuccess?.({});
    const normalised = { ...gslb(), status: { geoTag: 'eu' } };
    expect(ofKind(reconciler.pass(world(normalised)), 'status')).toEqual([]);
  });

  test('a different status is written even after an earlier one was recorded', () => {
    const reconciler = makeReconciler();
    const [write] = ofKind(reconciler.pass(world()), 'status');
    write?.onSuccess?.({});
    const down = indexOf(['Gslb', gslb()], FRONT, ...backend('web', false));
    const [next] = ofKind(reconciler.pass(down), 'status');
    expect((next?.body as { status: { serviceHealth: unknown } }).status.serviceHealth).toEqual({
      [HOST]: 'Unhealthy',
    });
  });

  test('once the object carries the status, a later return to a recorded status is written again', () => {
    const reconciler = makeReconciler();
    const [first] = ofKind(reconciler.pass(world()), 'status');
    first?.onSuccess?.({});
    // The watch delivers the object with the written status: nothing to write, the record is cleared.
    const landed = afterWrite(gslb(), first!);
    expect(ofKind(reconciler.pass(world(landed)), 'status')).toEqual([]);
    // Something else rewrites the status: the same desired status is written again.
    expect(ofKind(reconciler.pass(world(gslb())), 'status')).toHaveLength(1);
  });

  test('the Ready condition keeps its lastTransitionTime while Ready does not flip', () => {
    const reconciler = makeReconciler();
    const object = gslb({
      status: {
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      },
    });
    const [write] = ofKind(reconciler.pass(world(object)), 'status');
    const conditions = (write?.body as { status: { conditions: { lastTransitionTime: string }[] } })
      .status.conditions;
    expect(conditions[0]?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
  });

  // Regression: `written` (status JSON known to be written) used to be keyed
  // by namespace/name, not uid, and was cleared only when a pass saw the key
  // absent or the object carrying the status. A Gslb deleted and created again
  // under the same name between two passes (kubectl replace --force, a GitOps
  // re-create; one debounce window) inherited the entry: its desired status is
  // the same apart from lastTransitionTime, which the comparison strips, so it
  // was never written and the new object had no status or Ready condition.
  test('a Gslb recreated under the same name between two passes gets its status', () => {
    const reconciler = new GslbReconciler({
      context: resolveContext(),
      geoTag: 'eu',
      now: () => new Date('2026-03-01T00:00:00Z'),
      serve: () => [],
    });
    const make = (uid: string): KubeObject =>
      gslbObject({
        uid,
        annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' },
        ingress: { rules: rules({ 'app.cloud.example.org': ['web'] }) },
      });
    const first = reconciler.pass(indexOf(['Gslb', make('old-uid')], ...backend('web')));
    const status = first.writes.find((w) => w.kind === 'status');
    status?.onSuccess?.({});
    const second = reconciler.pass(indexOf(['Gslb', make('new-uid')], ...backend('web')));
    expect(second.writes.filter((w) => w.kind === 'status')).toHaveLength(1);
  });
});

describe('events', () => {
  test('a first healthy pass sends none', () => {
    const reconciler = makeReconciler();
    expect(events(reconciler.pass(world()))).toEqual([]);
    expect(events(reconciler.pass(world()))).toEqual([]);
  });

  test('entering a problem sends one Warning; recovery one Normal Serving', () => {
    const reconciler = makeReconciler();
    reconciler.pass(world());
    const broken = indexOf(['Gslb', gslb()], ...backend('web'));
    const result = reconciler.pass(broken);
    expect(ofKind(result, 'event')).toEqual([
      {
        key: `event ${GSLB_UID} ResourceNotFound`,
        kind: 'event',
        method: 'POST',
        path: '/api/v1/namespaces/shop/events',
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { generateName: 'web.', namespace: 'shop' },
          involvedObject: {
            apiVersion: 'k8gb.io/v1beta1',
            kind: 'Gslb',
            namespace: 'shop',
            name: 'web',
            uid: GSLB_UID,
          },
          type: 'Warning',
          reason: 'ResourceNotFound',
          message: 'Ingress shop/front not found',
          source: { component: 'meridian' },
          firstTimestamp: NOW_TEXT,
          lastTimestamp: NOW_TEXT,
          count: 1,
        },
      },
    ]);
    expect(events(reconciler.pass(broken))).toEqual([]);
    expect(events(reconciler.pass(world()))).toEqual([
      { type: 'Normal', reason: 'Serving', message: '1 host: 1 Healthy' },
    ]);
    expect(events(reconciler.pass(world()))).toEqual([]);
  });

  test('a Gslb broken from its first pass gets a Warning at once', () => {
    expect(events(makeReconciler().pass(world(gslb({ strategy: { type: 'manual' } }))))).toEqual([
      warning(
        'InvalidSpec',
        'spec.strategy.type must be one of roundRobin, failover, geoip, found "manual"',
      ),
    ]);
  });

  test('a problem with a new message is a new Warning; no healthy host left is a Warning, recovery a Normal Serving', () => {
    const reconciler = makeReconciler();
    reconciler.pass(world(gslb({ strategy: { type: 'manual' } })));
    expect(events(reconciler.pass(world(gslb({ strategy: { type: 'other' } }))))).toEqual([
      warning(
        'InvalidSpec',
        'spec.strategy.type must be one of roundRobin, failover, geoip, found "other"',
      ),
    ]);
    reconciler.pass(world());
    const down = indexOf(['Gslb', gslb()], FRONT, ...backend('web', false));
    expect(events(reconciler.pass(down))).toEqual([
      warning(
        'NoHealthyHosts',
        "no host has a ready backend in this cluster (1 host: 1 Unhealthy); only peers' targets are answered",
      ),
    ]);
    expect(events(reconciler.pass(world()))).toEqual([
      { type: 'Normal', reason: 'Serving', message: '1 host: 1 Healthy' },
    ]);
  });

  test('a Gslb recreated with a new uid starts afresh', () => {
    const reconciler = makeReconciler();
    reconciler.pass(world(gslb({ strategy: {} })));
    expect(events(reconciler.pass(world(gslb({ uid: 'new-uid', strategy: {} }))))).toEqual([
      warning(
        'InvalidSpec',
        'spec.strategy.type must be one of roundRobin, failover, geoip, found undefined',
      ),
    ]);
  });

  test('a first lookup in flight writes neither status nor Event; the pass after it settles does', () => {
    const reconciler = makeReconciler();
    const object = gslb({ annotations: { [ANNOTATION_EXPOSED_HOSTNAMES]: 'slow.example.net' } });
    const first = reconciler.pass(world(object));
    expect(first.resolutions.get('shop/web')?.reason).toBe('ExposedAddressesUnresolved');
    expect(first.writes).toEqual([]);
    names['slow.example.net'] = resolvedTo('198.51.100.1');
    const second = reconciler.pass(world(object));
    expect(events(second)).toEqual([]);
    expect(ofKind(second, 'status')).toHaveLength(1);
    expect(second.records).toEqual([
      { ...RECORD, clusters: [{ geoTag: 'eu', addresses: ['198.51.100.1'] }] },
    ]);
  });

  test('a drain annotation that is no drain: served as not drained, one Warning per value written, none once fixed', () => {
    const reconciler = makeReconciler();
    reconciler.pass(world());
    const typo = (value: string): KubeObject =>
      gslb({
        annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.10', 'meridian.dev/drain': value },
      });
    const first = reconciler.pass(world(typo('yes please')));
    expect(events(first)).toEqual([
      warning(
        'InvalidAnnotation',
        'annotation meridian.dev/drain is "yes please", neither "true", "false" nor an RFC 3339 time; not drained',
      ),
    ]);
    // Not drained: the record is the one of a Gslb without the annotation.
    expect(first.records).toEqual([RECORD]);
    expect(events(reconciler.pass(world(typo('yes please'))))).toEqual([]);
    const long = reconciler.pass(world(typo('x'.repeat(10_000))));
    expect(events(long)).toHaveLength(1);
    expect(events(long)[0]!.message.length).toBeLessThan(200);
    expect(events(reconciler.pass(world()))).toEqual([]);
  });

  test('a lookup that fails is a Warning', () => {
    const object = gslb({ annotations: { [ANNOTATION_EXPOSED_HOSTNAMES]: 'failing.example.net' } });
    expect(events(makeReconciler().pass(world(object)))).toEqual([
      warning('ExposedAddressesUnresolved', 'cannot resolve failing.example.net: SERVFAIL'),
    ]);
  });
});

describe('build problems', () => {
  test('a Serving Gslb whose hosts the table refused is HostsNotServed, with status and Event', () => {
    problems = [
      { gslb: 'shop/web', host: HOST, reason: 'host is already served by Gslb shop/aaa' },
      { gslb: 'shop/web', host: 'x.cloud.example.org', reason: 'no addresses' },
      { gslb: 'shop/other', host: 'y.cloud.example.org', reason: 'not ours' },
    ];
    const result = makeReconciler().pass(world());
    const message = `${HOST}: host is already served by Gslb shop/aaa; x.cloud.example.org: no addresses`;
    expect(result.resolutions.get('shop/web')).toMatchObject({ reason: 'HostsNotServed', message });
    expect(result.records).toEqual([RECORD]);
    const [status] = ofKind(result, 'status');
    expect((status?.body as { status: { conditions: unknown[] } }).status.conditions).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'HostsNotServed',
        message,
        observedGeneration: 1,
        lastTransitionTime: NOW_TEXT,
      },
    ]);
    expect(events(result)).toEqual([warning('HostsNotServed', message)]);
  });

  test.each([
    [
      'host-conflict',
      'HostConflict',
      'host is already served by Gslb shop/good, which claimed it first',
    ],
    [
      'host-not-allowed',
      'HostNotAllowed',
      'namespace shop may claim no host (MERIDIAN_HOST_POLICY)',
    ],
  ] as const)(
    'a host refused as %s makes the Gslb %s, with a Warning Event',
    (kind, reason, text) => {
      problems = [
        { gslb: 'shop/web', host: HOST, reason: text, kind },
        { gslb: 'shop/web', host: 'x.cloud.example.org', reason: 'no addresses' },
      ];
      const result = makeReconciler().pass(world());
      const message = `${HOST}: ${text}; x.cloud.example.org: no addresses`;
      expect(result.resolutions.get('shop/web')).toMatchObject({ reason, message });
      expect(events(result)).toEqual([warning(reason, message)]);
    },
  );

  test('problems of other Gslbs do not touch this one', () => {
    problems = [{ gslb: 'shop/other', host: HOST, reason: 'x' }];
    expect(makeReconciler().pass(world()).resolutions.get('shop/web')?.reason).toBe('Serving');
  });

  test('a Gslb that is not served keeps its own reason', () => {
    problems = [{ gslb: 'shop/web', host: HOST, reason: 'x' }];
    const result = makeReconciler().pass(world(gslb({ strategy: {} })));
    expect(result.resolutions.get('shop/web')?.reason).toBe('InvalidSpec');
  });

  // Regression: one host spelled two ways in spec.ingress (case, trailing
  // dot) used to become two servers, and the table refused the second copy
  // as "already served by Gslb shop/web": the Gslb reported HostsNotServed
  // against itself (the resolution side is in resolve-gslb.test.ts).
  test('hosts that are the same name do not make the Gslb conflict with itself', () => {
    const sameName = gslbObject({
      annotations: { [ANNOTATION_EXPOSED_IPS]: '192.0.2.1' },
      ingress: {
        rules: rules({ 'App.cloud.example.org': ['web'], 'app.cloud.example.org.': ['web'] }),
      },
    });
    const reconciler = new GslbReconciler({
      context: resolveContext(),
      geoTag: 'eu',
      now: () => new Date(0),
      serve: (records) => table([...records]).problems,
    });
    const result = reconciler.pass(indexOf(['Gslb', sameName], ...backend('web')));
    expect(result.resolutions.get('shop/web')?.reason).toBe('Serving');
  });
});

describe('Ingress writes', () => {
  test('the Ingress of an embedded Gslb and the Gslb of an annotated Ingress are planned in the pass', () => {
    const embedded = gslbObject({
      name: 'emb',
      uid: 'emb-uid',
      ingress: { rules: rules({ [HOST]: ['web'] }) },
    });
    const annotated = ingressObject('legacy', {
      uid: 'legacy-uid',
      annotations: { 'k8gb.io/strategy': 'roundRobin' },
      hosts: { 'legacy.cloud.example.org': ['web'] },
    });
    const result = makeReconciler().pass(
      indexOf(['Gslb', embedded], ['Ingress', annotated], ...backend('web')),
    );
    expect(result.writes.map((w) => `${w.kind} ${w.method} ${w.path}`)).toEqual([
      'status PATCH /apis/k8gb.io/v1beta1/namespaces/shop/gslbs/emb/status',
      'ingress POST /apis/networking.k8s.io/v1/namespaces/shop/ingresses',
      'event POST /api/v1/namespaces/shop/events',
      'gslb POST /apis/k8gb.io/v1beta1/namespaces/shop/gslbs',
    ]);
    expect(events(result)).toEqual([
      {
        type: 'Warning',
        reason: 'DeprecatedAnnotation',
        message: expect.stringContaining('k8gb.io/strategy on an Ingress is deprecated') as string,
      },
    ]);
    expect((result.writes[2]?.body as { firstTimestamp: string }).firstTimestamp).toBe(NOW_TEXT);
  });
});

describe('healthyRecords as the table serves them', () => {
  const healthyRecordsOf = (result: PassResult): unknown => {
    const [status] = ofKind(result, 'status');
    return (status?.body as { status: { healthyRecords: unknown } } | undefined)?.status
      .healthyRecords;
  };

  const answeringOf = (result: PassResult): unknown => {
    const [status] = ofKind(result, 'status');
    const conditions = (status?.body as { status: { conditions: { type: string }[] } } | undefined)
      ?.status.conditions;
    return conditions?.find((c) => c.type === 'Answering');
  };

  test("a peer's targets the table adds are in healthyRecords; a host the table does not serve is not", () => {
    const both: ServedHost = { addresses: ['192.0.2.10', '198.51.100.7'], clusters: ['eu', 'us'] };
    let table: Record<string, ServedHost> = { [HOST]: both };
    const lookup = (host: string, key: string): ServedHost | undefined =>
      key === 'shop/web' ? table[host] : undefined;
    const reconciler = makeReconciler({ served: lookup });
    const first = reconciler.pass(world());
    expect(healthyRecordsOf(first)).toEqual({ [HOST]: ['192.0.2.10', '198.51.100.7'] });
    expect(answeringOf(first)).toMatchObject({
      status: 'True',
      reason: 'Answered',
      message: `every host is answered with addresses: ${HOST} from eu, us`,
    });
    // A build the source did not ask for (a peer's answer changed): the Gslb's answer moved.
    table = { [HOST]: { addresses: ['198.51.100.7'], clusters: ['us'] } };
    expect(reconciler.acceptProblems([])).toEqual(['shop/web']);
    // The same objects again: nothing changed.
    expect(reconciler.acceptProblems([])).toEqual([]);
    table = {};
    expect(reconciler.acceptProblems([])).toEqual(['shop/web']);
    // Every target down: Answering False, whatever Ready says.
    const down = reconciler.pass(world(), true, new Set(['Table|shop/web']));
    expect(answeringOf(down)).toMatchObject({ status: 'False', reason: 'NoAddresses' });
    expect(healthyRecordsOf(down)).toEqual({});
  });
});
