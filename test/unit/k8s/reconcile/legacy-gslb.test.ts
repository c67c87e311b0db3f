/**
 * Gslbs of k8gb's older group k8gb.absa.oss (docs/k8gb-compatibility.md#api-groups), through the
 * real ingest, resolution and table build: read as k8gb reads them (serviceHealthPolicy always
 * Any), served like a k8gb.io Gslb under an id of their own, read-only (status and Events only,
 * through their own group, never an Ingress, a spec or a label), told how to migrate once per
 * outcome, and set aside (LegacyIgnored) for a k8gb.io Gslb of the same namespace/name or for
 * k8gb's migration labels; host conflicts with other Gslbs go to the first claim, and k8gb's
 * per-Gslb series are shared by name.
 */
import type { KubeObject } from '../../../../src/k8s/client/kube-api';
import { toGslb, toLegacyGslb } from '../../../../src/k8s/ingest/gslb-objects';
import {
  ObjectIndex,
  type Dependency,
  type WatchedKind,
} from '../../../../src/k8s/ingest/object-index';
import { GslbReconciler, type PassResult } from '../../../../src/k8s/reconcile/gslb-reconciler';
import { recordGslbMetrics } from '../../../../src/k8s/reconcile/gslb-metrics';
import { ORPHAN_GRACE_MS } from '../../../../src/k8s/reconcile/orphans';
import type { PlannedWrite } from '../../../../src/k8s/reconcile/planned-write';
import { resolveGslb } from '../../../../src/k8s/reconcile/resolve-gslb';
import type { ServedLookup } from '../../../../src/k8s/reconcile/table-served';
import type { RecordSnapshot } from '../../../../src/table/snapshot';
import {
  ANNOTATION_EXPOSED_IPS,
  backend,
  controller,
  GSLB_UID,
  gslbObject,
  indexOf,
  ingressObject,
  LEGACY_UID,
  legacyGslbObject,
  loadBalancer,
  MANAGED_BY,
  resolveContext,
  rules,
  serviceObject,
  type GslbFixture,
} from '../../../helpers/kube-objects';
import { served, table } from '../../../helpers/table-fixtures';

const HOST = 'app.cloud.example.org';
const LEGACY_ID = 'shop/web@k8gb.absa.oss';
const LEGACY_STATUS = '/apis/k8gb.absa.oss/v1beta1/namespaces/shop/gslbs/web/status';
const K8GB_STATUS = '/apis/k8gb.io/v1beta1/namespaces/shop/gslbs/web/status';
const DEPRECATION =
  'Legacy Gslb shop/web uses deprecated API group k8gb.absa.oss; Meridian serves it read-only. Create it as a k8gb.io/v1beta1 Gslb (same spec) to migrate; the k8gb.io one then takes over.';
const IGNORED =
  'Legacy Gslb ignored: k8gb.io Gslb shop/web exists. Edit the k8gb.io object instead.';
const REF = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'front' };

/** shop/web → Ingress front (HOST, backend web), exposed at `ip`. */
function legacy(fixture: GslbFixture = {}, ip = '192.0.2.10'): KubeObject {
  return legacyGslbObject({
    annotations: { [ANNOTATION_EXPOSED_IPS]: ip },
    resourceRef: REF,
    ...fixture,
  });
}

/** The k8gb.io Gslb of the same name, with other targets. */
function current(fixture: GslbFixture = {}): KubeObject {
  return gslbObject({
    annotations: { [ANNOTATION_EXPOSED_IPS]: '198.51.100.20' },
    resourceRef: REF,
    creationTimestamp: '2026-02-01T00:00:00Z',
    ...fixture,
  });
}

const FRONT: [WatchedKind, KubeObject] = [
  'Ingress',
  ingressObject('front', { hosts: { [HOST]: ['web'] } }),
];

/** A reconciler over the real table builder; `snapshot()` is the table last served. */
function reconciler(options: { served?: ServedLookup; servedSince?: () => number | null } = {}) {
  let snapshot: RecordSnapshot | null = null;
  let now = Date.parse('2026-03-01T12:00:00Z');
  const gslbs = new GslbReconciler({
    context: resolveContext(),
    geoTag: 'eu',
    now: () => new Date(now),
    serve: (records) => {
      const built = table([...records]);
      snapshot = built.snapshot;
      return built.problems;
    },
    ...(options.servedSince === undefined ? {} : { gslbsServedSince: options.servedSince }),
    ...(options.served === undefined ? {} : { served: options.served }),
  });
  return {
    gslbs,
    answer: (host: string): string[] => served(snapshot!, host).sort(),
    advance: (ms: number) => (now += ms),
  };
}

function world(...entries: [WatchedKind, KubeObject][]): ObjectIndex {
  return indexOf(FRONT, ...backend('web'), ...entries);
}

/** Applies a change to `index` and returns what it touched, for an incremental pass. */
function change(
  index: ObjectIndex,
  kind: WatchedKind,
  object: KubeObject,
  type: 'add' | 'update' | 'delete' = 'add',
): Set<Dependency> {
  const touched = new Set<Dependency>();
  index.apply(kind, { type, object }, touched);
  return touched;
}

const summary = (writes: readonly PlannedWrite[]): string[] =>
  writes.map((w) => `${w.kind} ${w.method} ${w.path}`);

interface EventSeen {
  type: string;
  reason: string;
  message: string;
  involvedObject: Record<string, unknown>;
}

function eventsOf(result: PassResult): EventSeen[] {
  return result.writes
    .filter((w) => w.kind === 'event')
    .map((w) => {
      const { type, reason, message, involvedObject } = w.body as EventSeen;
      return { type, reason, message, involvedObject };
    });
}

function conditionOf(write: PlannedWrite | undefined): Record<string, unknown> | undefined {
  return (write?.body as { status: { conditions: Record<string, unknown>[] } } | undefined)?.status
    .conditions[0];
}

const statusWrite = (result: PassResult, path: string): PlannedWrite | undefined =>
  result.writes.find((w) => w.kind === 'status' && w.path === path);

describe('ingest', () => {
  test('a legacy Gslb reads like a k8gb.io one, under an id of its own, without serviceHealthPolicy', () => {
    const object = legacy({ serviceHealthPolicy: 'All' });
    const read = toLegacyGslb(object);
    const asCurrent = toGslb({ ...object, apiVersion: 'k8gb.io/v1beta1' });
    expect(read).toEqual({
      ...asCurrent,
      id: LEGACY_ID,
      group: 'k8gb.absa.oss',
      serviceHealthPolicy: undefined,
      migrationMark: null,
    });
    expect(asCurrent.id).toBe('shop/web');
  });

  test.each([
    [{ 'k8gb.io/migrated-to-k8gb-io': 'true' }, 'migrated'],
    [{ 'k8gb.io/migration-requested': 'true' }, 'migration-requested'],
    [{ 'k8gb.io/migration-requested': 'true', 'k8gb.io/migrated-to-k8gb-io': 'true' }, 'migrated'],
    [{ 'k8gb.io/migrated-to-k8gb-io': 'True' }, null],
    [{ 'k8gb.io/migration-requested': 'yes' }, null],
    [{ 'k8gb.io/migration-requested': '' }, null],
  ])('labels %j mark it %s (the value must be exactly "true")', (labels, mark) => {
    expect(toLegacyGslb(legacy({ labels })).migrationMark).toBe(mark);
  });

  test('the two groups live side by side in the index, by the same namespace/name', () => {
    const index = indexOf(['Gslb', current()], ['LegacyGslb', legacy()]);
    expect(index.gslbById('shop/web')?.group).toBe('k8gb.io');
    expect(index.gslbById(LEGACY_ID)?.group).toBe('k8gb.absa.oss');
    expect([...index.allGslbs()].map((g) => g.id)).toEqual(['shop/web', LEGACY_ID]);
    expect(
      [...change(index, 'LegacyGslb', legacy(), 'delete')].sort((a, b) => (a < b ? -1 : 1)),
    ).toEqual(['LegacyGslb|shop/*', 'LegacyGslb|shop/web']);
    expect(index.gslbById(LEGACY_ID)).toBeUndefined();
    expect(index.gslbById('shop/web')).toBeDefined();
  });
});

describe('resolution', () => {
  test('resolves exactly like a k8gb.io Gslb, records under the legacy id, migration in the message', () => {
    const index = world();
    const ctx = resolveContext();
    const asLegacy = resolveGslb(toLegacyGslb(legacy()), index, ctx);
    const asCurrent = resolveGslb(toGslb(legacy({ uid: GSLB_UID })), index, ctx);
    expect(asLegacy.reason).toBe('Serving');
    expect(asLegacy.message).toBe(`${asCurrent.message}. ${DEPRECATION}`);
    expect(asLegacy.records.map((r) => r.id)).toEqual([LEGACY_ID]);
    expect(asLegacy.records.map((r) => ({ ...r, id: '', claim: null }))).toEqual(
      asCurrent.records.map((r) => ({ ...r, id: '', claim: null })),
    );
    expect({ ...asLegacy, message: '', records: [] }).toEqual({
      ...asCurrent,
      message: '',
      records: [],
    });
  });

  test('the same validation: an invalid strategy is InvalidSpec, with k8gb.io wording', () => {
    const bad = { strategy: { type: 'weighted' } };
    const index = world();
    const asLegacy = resolveGslb(toLegacyGslb(legacy(bad)), index, resolveContext());
    const asCurrent = resolveGslb(toGslb(legacy(bad)), index, resolveContext());
    expect(asLegacy).toEqual(asCurrent);
    expect(asLegacy.reason).toBe('InvalidSpec');
  });

  test('serviceHealthPolicy is always Any: one ready backend of two makes the host Healthy', () => {
    const index = world(['Ingress', ingressObject('two', { hosts: { [HOST]: ['web', 'gone'] } })]);
    const fixture = { resourceRef: { ...REF, name: 'two' }, serviceHealthPolicy: 'All' };
    const asLegacy = resolveGslb(toLegacyGslb(legacy(fixture)), index, resolveContext());
    const asCurrent = resolveGslb(toGslb(legacy(fixture)), index, resolveContext());
    expect(asLegacy.health).toEqual({ [HOST]: 'Healthy' });
    expect(asCurrent.health).toEqual({ [HOST]: 'NotFound' });
  });

  test('an embedded legacy Gslb takes its addresses from the same-named Ingress k8gb made for it', () => {
    const embedded = legacyGslbObject({ ingress: { rules: rules({ [HOST]: ['web'] }) } });
    const made = ingressObject('web', {
      labels: { [MANAGED_BY]: 'gslb' },
      ownerReferences: [controller('Gslb', 'web', LEGACY_UID, 'k8gb.absa.oss/v1beta1')],
      hosts: { [HOST]: ['web'] },
      status: loadBalancer({ ip: '192.0.2.30' }),
    });
    const index = world(['LegacyGslb', embedded], ['Ingress', made]);
    const resolution = resolveGslb(toLegacyGslb(embedded), index, resolveContext());
    expect(resolution).toMatchObject({ reason: 'Serving', exposedIps: ['192.0.2.30'] });
    // Someone else's Ingress of that name gives it nothing, as for a k8gb.io Gslb.
    const foreign = ingressObject('web', {
      hosts: { [HOST]: ['web'] },
      status: loadBalancer({ ip: '192.0.2.31' }),
    });
    const other = world(['LegacyGslb', embedded], ['Ingress', foreign]);
    expect(resolveGslb(toLegacyGslb(embedded), other, resolveContext()).exposedIps).toEqual([]);
  });

  test('malformed legacy objects get a condition, never a throw', () => {
    for (const spec of [null, 'x', [], { ingress: 'x' }, { resourceRef: 7, strategy: [] }]) {
      const object = { ...legacyGslbObject(), spec } as KubeObject;
      const resolution = resolveGslb(toLegacyGslb(object), world(), resolveContext());
      expect(resolution.reason).toBe('InvalidSpec');
    }
  });
});

describe('served read-only', () => {
  test('answered; only its status (own group, Ready True with the migration note) and Events are written', () => {
    const { gslbs, answer } = reconciler();
    const result = gslbs.pass(world(['LegacyGslb', legacy()]));
    expect(answer(HOST)).toEqual(['192.0.2.10']);
    expect(result.records.map((r) => r.id)).toEqual([LEGACY_ID]);
    expect(summary(result.writes)).toEqual([
      `status PATCH ${LEGACY_STATUS}`,
      'event POST /api/v1/namespaces/shop/events',
    ]);
    expect(result.writes[0]).toMatchObject({ key: `status ${LEGACY_ID}`, bodyType: 'merge-patch' });
    expect(Object.keys(result.writes[0]!.body as object)).toEqual(['status']);
    expect(conditionOf(result.writes[0])).toMatchObject({
      type: 'Ready',
      status: 'True',
      reason: 'Serving',
      message: `1 host: 1 Healthy. ${DEPRECATION}`,
    });
    expect(eventsOf(result)).toEqual([
      {
        type: 'Warning',
        reason: 'LegacyDeprecated',
        message: DEPRECATION,
        involvedObject: {
          apiVersion: 'k8gb.absa.oss/v1beta1',
          kind: 'Gslb',
          namespace: 'shop',
          name: 'web',
          uid: LEGACY_UID,
        },
      },
    ]);
  });

  test('LegacyDeprecated once per outcome: not again while nothing changes, again with a new outcome', () => {
    const { gslbs } = reconciler();
    const index = world(['LegacyGslb', legacy()]);
    gslbs.pass(index);
    expect(eventsOf(gslbs.pass(index))).toEqual([]);
    const down = gslbs.pass(index, true, change(index, 'Service', serviceObject('web'), 'delete'));
    expect(eventsOf(down).map((e) => e.reason)).toEqual(['NoHealthyHosts', 'LegacyDeprecated']);
    const back = gslbs.pass(index, true, change(index, 'Service', serviceObject('web')));
    expect(eventsOf(back).map((e) => `${e.type} ${e.reason}`)).toEqual([
      'Normal Serving',
      'Warning LegacyDeprecated',
    ]);
    // A problem that stops serving it says so, without the migration note.
    const invalid = gslbs.pass(
      index,
      true,
      change(index, 'LegacyGslb', legacy({ strategy: { type: 'weighted' } }), 'update'),
    );
    expect(eventsOf(invalid).map((e) => e.reason)).toEqual(['InvalidSpec']);
  });

  test('an embedded legacy Gslb never creates, repairs or deletes an Ingress', () => {
    const servedSince = Date.parse('2026-01-01T00:00:00Z');
    const { gslbs, advance } = reconciler({ servedSince: () => servedSince });
    const embedded = legacyGslbObject({ ingress: { rules: rules({ [HOST]: ['web'] }) } });
    const index = world(['LegacyGslb', embedded]);
    // No Ingress yet: none is created.
    const first = gslbs.pass(index);
    expect(first.writes.filter((w) => w.kind !== 'status' && w.kind !== 'event')).toEqual([]);
    // k8gb's Ingress, drifted from the spec: left as it is.
    const made = ingressObject('web', {
      labels: { [MANAGED_BY]: 'gslb' },
      ownerReferences: [controller('Gslb', 'web', LEGACY_UID, 'k8gb.absa.oss/v1beta1')],
      hosts: { [`drift.${HOST}`]: ['web'] },
    });
    const drifted = gslbs.pass(index, true, change(index, 'Ingress', made));
    expect(drifted.writes.filter((w) => w.kind === 'ingress')).toEqual([]);
    // Its Gslb goes: the Ingress is not an orphan of Meridian's, however long it waits.
    const gone = gslbs.pass(index, true, change(index, 'LegacyGslb', embedded, 'delete'));
    advance(ORPHAN_GRACE_MS + 1);
    const later = gslbs.pass(index, true, new Set(['Gslb|*/*']));
    expect([...gone.writes, ...later.writes].filter((w) => w.kind === 'ingress')).toEqual([]);
    expect(gslbs.orphanDueInMs()).toBeNull();
  });

  test('status healthyRecords come from what the table serves under the legacy id', () => {
    const lookup: ServedLookup = (host, id) =>
      id === LEGACY_ID && host === HOST ? ['192.0.2.10', '198.51.100.7'] : undefined;
    const { gslbs } = reconciler({ served: lookup });
    const result = gslbs.pass(world(['LegacyGslb', legacy()]));
    const status = (statusWrite(result, LEGACY_STATUS)?.body as { status: Record<string, unknown> })
      .status;
    expect(status['healthyRecords']).toEqual({ [HOST]: ['192.0.2.10', '198.51.100.7'] });
  });
});

describe('k8gb.io wins', () => {
  test('with both, only the k8gb.io Gslb is served; the legacy one is LegacyIgnored with a Warning', () => {
    const { gslbs, answer } = reconciler();
    const result = gslbs.pass(world(['LegacyGslb', legacy()], ['Gslb', current()]));
    expect(answer(HOST)).toEqual(['198.51.100.20']);
    expect(result.records.map((r) => r.id)).toEqual(['shop/web']);
    expect(result.resolutions.get(LEGACY_ID)).toMatchObject({
      reason: 'LegacyIgnored',
      message: IGNORED,
      records: [],
    });
    expect(result.resolutions.get('shop/web')?.reason).toBe('Serving');
    expect(conditionOf(statusWrite(result, LEGACY_STATUS))).toMatchObject({
      status: 'False',
      reason: 'LegacyIgnored',
      message: IGNORED,
    });
    expect(conditionOf(statusWrite(result, K8GB_STATUS))).toMatchObject({ status: 'True' });
    expect(eventsOf(result)).toEqual([
      expect.objectContaining({
        type: 'Warning',
        reason: 'LegacyIgnored',
        message: IGNORED,
        involvedObject: expect.objectContaining({ apiVersion: 'k8gb.absa.oss/v1beta1' }) as object,
      }),
    ]);
  });

  test('a k8gb.io Gslb created later takes over in that pass; when it goes, the legacy one serves again', () => {
    const { gslbs, answer } = reconciler();
    const index = world(['LegacyGslb', legacy()]);
    gslbs.pass(index);
    expect(answer(HOST)).toEqual(['192.0.2.10']);
    const created = gslbs.pass(index, true, change(index, 'Gslb', current()));
    expect([...created.considered].sort()).toEqual(['shop/web', LEGACY_ID]);
    expect(answer(HOST)).toEqual(['198.51.100.20']);
    expect(created.resolutions.get(LEGACY_ID)?.reason).toBe('LegacyIgnored');
    // The takeover is not a conflict: the k8gb.io Gslb, created later, still gets the host.
    expect(created.resolutions.get('shop/web')?.reason).toBe('Serving');
    const deleted = gslbs.pass(index, true, change(index, 'Gslb', current(), 'delete'));
    expect(answer(HOST)).toEqual(['192.0.2.10']);
    expect(deleted.resolutions.get(LEGACY_ID)?.reason).toBe('Serving');
    expect(eventsOf(deleted).map((e) => e.reason)).toEqual(['Serving', 'LegacyDeprecated']);
  });

  test.each([
    [
      'k8gb.io/migrated-to-k8gb-io',
      'Legacy Gslb ignored: it is marked migrated (k8gb.io/migrated-to-k8gb-io: "true"); the k8gb.io Gslb shop/web is the one to create or edit.',
    ],
    [
      'k8gb.io/migration-requested',
      'Legacy Gslb ignored: migration requested (k8gb.io/migration-requested: "true"), which Meridian does not perform. Create it as a k8gb.io/v1beta1 Gslb shop/web (same spec), or remove the label to have it served again.',
    ],
  ])(
    'labelled %s: not served, LegacyIgnored saying so, and nothing is created',
    (label, message) => {
      const { gslbs } = reconciler();
      const result = gslbs.pass(world(['LegacyGslb', legacy({ labels: { [label]: 'true' } })]));
      expect(result.records).toEqual([]);
      expect(result.resolutions.get(LEGACY_ID)).toMatchObject({ reason: 'LegacyIgnored', message });
      expect(summary(result.writes)).toEqual([
        `status PATCH ${LEGACY_STATUS}`,
        'event POST /api/v1/namespaces/shop/events',
      ]);
      expect(eventsOf(result)).toEqual([
        expect.objectContaining({ type: 'Warning', reason: 'LegacyIgnored', message }),
      ]);
    },
  );
});

describe('host claims', () => {
  test('an older legacy Gslb keeps a host a newer k8gb.io Gslb of another name claims, and is named', () => {
    const { gslbs, answer } = reconciler();
    const newer = current({ name: 'other', uid: 'uid-other' });
    const result = gslbs.pass(world(['LegacyGslb', legacy()], ['Gslb', newer]));
    expect(answer(HOST)).toEqual(['192.0.2.10']);
    expect(result.resolutions.get('shop/other')).toMatchObject({
      reason: 'HostConflict',
      message: `${HOST}: host is already served by Gslb ${LEGACY_ID}, which claimed it first`,
    });
  });

  test('an older k8gb.io Gslb of another name keeps the host from a newer legacy one', () => {
    const { gslbs, answer } = reconciler();
    const older = current({
      name: 'other',
      uid: 'uid-other',
      creationTimestamp: '2025-01-01T00:00:00Z',
    });
    const result = gslbs.pass(world(['LegacyGslb', legacy()], ['Gslb', older]));
    expect(answer(HOST)).toEqual(['198.51.100.20']);
    expect(result.resolutions.get(LEGACY_ID)).toMatchObject({
      reason: 'HostConflict',
      message: `${HOST}: host is already served by Gslb shop/other, which claimed it first`,
    });
    expect(eventsOf(result).map((e) => e.reason)).toEqual(['HostConflict']);
  });
});

describe("k8gb's per-Gslb series, shared by namespace/name", () => {
  function recording() {
    const calls: string[] = [];
    return {
      calls,
      metrics: {
        recordGslb: (o: { namespace: string; name: string; exposedIps: readonly string[] }) =>
          calls.push(`record ${o.namespace}/${o.name} ${o.exposedIps.join(',')}`),
        forgetGslb: (namespace: string, name: string) => calls.push(`forget ${namespace}/${name}`),
      },
    };
  }

  test('the served Gslb feeds them; the one set aside does not; they go when neither is left', () => {
    const { gslbs } = reconciler();
    const { calls, metrics } = recording();
    const index = world(['LegacyGslb', legacy()]);
    recordGslbMetrics(metrics, index, gslbs.pass(index), 'eu');
    expect(calls.splice(0)).toEqual(['record shop/web 192.0.2.10']);

    const both = gslbs.pass(index, true, change(index, 'Gslb', current()));
    recordGslbMetrics(metrics, index, both, 'eu');
    expect(calls.splice(0)).toEqual(['record shop/web 198.51.100.20']);

    // The legacy one goes: the k8gb.io one still feeds the series.
    const legacyGone = gslbs.pass(index, true, change(index, 'LegacyGslb', legacy(), 'delete'));
    recordGslbMetrics(metrics, index, legacyGone, 'eu');
    expect(calls.splice(0)).toEqual([]);

    // Back, then the k8gb.io one goes: the legacy one feeds them again, nothing is forgotten.
    recordGslbMetrics(
      metrics,
      index,
      gslbs.pass(index, true, change(index, 'LegacyGslb', legacy())),
      'eu',
    );
    calls.splice(0);
    const currentGone = gslbs.pass(index, true, change(index, 'Gslb', current(), 'delete'));
    recordGslbMetrics(metrics, index, currentGone, 'eu');
    expect(calls.splice(0)).toEqual(['record shop/web 192.0.2.10']);

    const allGone = gslbs.pass(index, true, change(index, 'LegacyGslb', legacy(), 'delete'));
    recordGslbMetrics(metrics, index, allGone, 'eu');
    expect(calls.splice(0)).toEqual(['forget shop/web']);
  });

  test('a legacy Gslb marked migrated, with no k8gb.io one, leaves no series behind', () => {
    const { gslbs } = reconciler();
    const { calls, metrics } = recording();
    const index = world(['LegacyGslb', legacy()]);
    recordGslbMetrics(metrics, index, gslbs.pass(index), 'eu');
    const marked = legacy({ labels: { 'k8gb.io/migrated-to-k8gb-io': 'true' } });
    const result = gslbs.pass(index, true, change(index, 'LegacyGslb', marked, 'update'));
    recordGslbMetrics(metrics, index, result, 'eu');
    expect(calls).toEqual(['record shop/web 192.0.2.10', 'forget shop/web']);
  });
});
